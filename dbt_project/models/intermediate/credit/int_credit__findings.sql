-- Every finding the rules make about an enterprise, one row each, in one shape: who (the employer
-- and, where the work ran through a platform, that platform), what (the kind and its amount), when
-- (the day that dates it), and the evidence (Kafka message and the rule version). Credit indicators,
-- grades and a platform's partner findings are counted from here (its liability for them: 连带责任
-- only for outsourcing in Hunan, 湘人社规〔2021〕24号 二(三); dispatch: 劳动合同法 Art.92, 连带赔偿责任 of the
-- dispatching firm and the accepting unit; elsewhere 依法承担相应责任).
-- A table, not a view: the marts and their tests read it several times, and it unions views over whole tables.
{{ config(materialized='table') }}

select payer_uscc as enterprise_uscc, platform_uscc, {{ finding_kind('wage_arrears') }} as finding_kind,
       payday as finding_date,
       worker_key, amount_unpaid as amount, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__wage_arrears') }}
union all
select payer_uscc, platform_uscc, {{ finding_kind('below_minimum_wage') }},
       strptime(pay_period || '-01', '%Y-%m-%d')::date,
       worker_key, shortfall, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__minimum_wage_shortfalls') }}
union all
select payer_uscc, platform_uscc, violation_kind, period_end,
       worker_key, measured_value, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__wage_payment_violations') }}
union all
select platform_uscc as enterprise_uscc, platform_uscc, {{ finding_kind('overtime_no_stop_dispatch') }}, service_date,
       worker_key, null, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__overtime_without_stop_dispatch') }}
union all
select platform_uscc as enterprise_uscc, platform_uscc, {{ finding_kind('occupational_injury_orders_uncovered') }},
       service_date,
       worker_key, orders_uncovered, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__uncovered_pilot_orders') }}
union all
select employer_uscc, platform_uscc, violation_kind, service_date,
       worker_key, minimum_premium - premium_paid, rule_version, evidence_topic, evidence_message_id,
       evidence_record_index
from {{ ref('int_hrss__holiday_work_without_premium') }}
union all
select enterprise_uscc, platform_uscc, violation_kind, finding_date,
       worker_key, measured_hours, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__working_time_violations') }}
union all
select employer_uscc, platform_uscc, violation_kind, as_of_date,
       worker_key, measured_value, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_hrss__engagement_violations') }}
union all
select uscc, null, 'penalty_' || authority || '_' || penalty_category, decision_date,
       null, fine_amount, 'gigshield.penalties.v1 (行政处罚决定)', kafka_topic, message_id, record_index
from {{ ref('stg_samr__penalties') }}
where decision_date <= {{ as_of_date() }}
union all
select respondent_uscc, null, {{ finding_kind('unsatisfied_judgment') }}, judgment_date,
       null, amount_awarded, rule_version, evidence_topic, evidence_message_id, evidence_record_index
from {{ ref('int_court__unsatisfied_judgments') }}
where judgment_date <= {{ as_of_date() }}
union all
select enterprise_uscc, null, 'safety_incident_' || severity, {{ beijing_date('incident_at') }},
       worker_key, deaths + injuries, 'gigshield.safety_incidents.v1 (应急管理 feed)', kafka_topic, message_id,
       record_index
from {{ ref('stg_emergency__safety_incidents') }}
union all
select enterprise_uscc, null, {{ finding_kind('mass_incident') }}, payment_deadline,
       null, amount_outstanding, 'gigshield.mass_incident.v1 (人社部规〔2016〕1号 C grade)', evidence_topic,
       evidence_message_id, evidence_record_index
from {{ ref('int_hrss__payment_orders') }}
where is_mass_incident and issued_date <= {{ as_of_date() }}
