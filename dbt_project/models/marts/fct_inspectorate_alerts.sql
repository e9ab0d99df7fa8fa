-- Cases the labour inspectorate must act on, one row per enterprise and case, as of the run's date:
-- what the alert outbox (alerts) raises, updates and closes night by night. A case's key is
-- stable across nights; `fingerprint` changes exactly when what the inspectorate is told changes (so
-- nothing that moves by itself from one night to the next, like days overdue, is part of it).
--
-- Cases (high severity unless said otherwise):
--   wage_arrears            an employer's pay still unpaid after payday, all its workers employed in one
--                           region in one case (case_ref '<payer>:<region of employment>'; 条例724号 Art.12-14;
--                           int_hrss__wage_arrears)
--   unpaid_wage_blacklist   a blacklist case with an act of the authority due (人社部令第45号; fct_blacklist_cases:
--                           serve the notice, decide the objection or the listing, delist, …, or fix a
--                           missing reference row); never says "listed" without a recorded decision
--                           (case_ref the order); and, while that act's legal deadline has passed and it
--                           is still not recorded, a critical one (case_ref '<order>:overdue:<act>') that
--                           closes once the act is recorded
--   complaint_sla_breach    a wage-arrears lead whose handling step is overdue and still not done, or was done
--                           late and the complaint is not closed yet (高人社发〔2022〕5号 (五); the government's
--                           duty, int_hrss__complaint_lead_steps)
--   unsatisfied_judgment    an award an enterprise has not satisfied (裁审衔接; int_court__unsatisfied_judgments)
--   safety_incident         an incident of grade 较大 (serious) or above (生产安全事故报告和调查处理条例,
--                           国务院令第493号 Art.3); 重大/特别重大 (major/extraordinary) are critical
-- Routed to the inspectorate of the case's region (ref_labour_inspectorates, 劳动保障监察条例 Art.13: the place
-- of employment; wage arrears by the engagement's region, registration only when none is known);
-- the SLA in days is the jurisdiction's complaint handling rule (当日受理、次日对接、3日反馈 where set,
-- ref_policy_parameters complaint_*_days, calendar days), counted by the outbox from the day it first
-- raises the alert.
{% set alerting_incident_severities = {'serious': 'high', 'major': 'critical', 'extraordinary': 'critical'} %}
{% set content = ['case_kind', 'case_ref', 'severity', 'enterprise_uscc', 'enterprise_name', 'platform_usccs',
                  'region_code', 'jurisdiction', 'inspectorate_name', 'inspectorate_email', 'sla_accept_days',
                  'sla_connect_days', 'sla_feedback_days', 'opened_on', 'amount', 'workers_affected', 'summary',
                  'evidence'] %}

-- Wage arrears are routed by the place of employment (用工所在地, 劳动保障监察条例 Art.13): the region the
-- employment ledger reports for the worker's engagement (int_hrss__engagements.region_code); only a worker
-- with no engagement region known falls back to the employer's registration region (dim_enterprise), and
-- the case says so. One case per employer and region of employment.
with arrears_routed as (
    select
        a.*,
        coalesce(g.region_code, d.region_code) as routing_region,
        g.region_code is null as routed_by_registration
    from {{ ref('int_hrss__wage_arrears') }} a
    left join {{ ref('int_hrss__engagements') }} g
        on g.employer_uscc = a.payer_uscc and g.platform_uscc = a.platform_uscc and g.worker_key = a.worker_key
    left join {{ ref('dim_enterprise') }} d on d.uscc = a.payer_uscc
    where a.still_unpaid
),

arrears as (
    select
        'wage_arrears' as case_kind,
        a.payer_uscc || ':' || coalesce(a.routing_region, 'unknown') as case_ref,
        'high' as severity,
        a.payer_uscc as enterprise_uscc,
        any_value(a.routing_region) as region_code,
        list(distinct a.platform_uscc order by a.platform_uscc) as platform_usccs,
        min(a.payday) as opened_on,
        sum(a.amount_unpaid) as amount,
        count(distinct a.worker_key) as workers_affected,
        format('Wage arrears (欠薪): {} worker(s) owed CNY {:.2f} for pay period(s) {}; first missed payday {}{}',
               count(distinct a.worker_key), sum(a.amount_unpaid),
               string_agg(distinct a.pay_period, ', ' order by a.pay_period), min(a.payday),
               case
                   when bool_and(a.routed_by_registration)
                       then ' (routed by registration: no place of employment known)'
                   when bool_or(a.routed_by_registration)
                       then format(' ({} worker(s) routed by registration: no place of employment known)',
                                   count(distinct a.worker_key) filter (where a.routed_by_registration))
                   else ''
               end) as summary,
        list({'topic': a.evidence_topic, 'message_id': a.evidence_message_id,
              'record_index': a.evidence_record_index, 'rule_version': a.rule_version}
             order by a.evidence_message_id, a.evidence_record_index) as evidence
    from arrears_routed a
    group by a.payer_uscc, a.routing_region
),

blacklist as (
    select
        'unpaid_wage_blacklist',
        b.order_id,
        'high',
        b.enterprise_uscc,
        b.region_code,
        [],
        b.payment_deadline,
        b.amount_outstanding,
        b.workers_affected,
        format('Unpaid-wage blacklist case (欠薪失信联合惩戒名单办理, 人社部令第45号): order {} unpaid at its deadline {}, '
               || 'CNY {:.2f} owed, CNY {:.2f} outstanding; criterion {}; case status {}; '
               || 'next act of the authority: {}{}',
               b.order_id, b.payment_deadline, coalesce(b.arrears_at_deadline, 0), coalesce(b.amount_outstanding, 0),
               coalesce(b.listing_criterion, b.criteria_error, 'none'), b.case_status, b.next_act,
               case when b.next_act_due is null then ' (the region or province has no reference row: fix it)'
                    else ' by ' || b.next_act_due end),
        [{'topic': b.evidence_topic, 'message_id': b.evidence_message_id,
          'record_index': b.evidence_record_index, 'rule_version': b.rule_version}]
    from {{ ref('fct_blacklist_cases') }} b
    where b.next_act is not null
),

-- An act the authority owes on a blacklist case whose legal deadline has passed: critical, until the act
-- is recorded (the case moves on, so this alert closes).
blacklist_overdue as (
    select
        'unpaid_wage_blacklist',
        b.order_id || ':overdue:' || b.next_act,
        'critical',
        b.enterprise_uscc,
        b.region_code,
        [],
        b.next_act_due,
        b.amount_outstanding,
        b.workers_affected,
        format('Overdue act (逾期) on unpaid-wage blacklist case {} (人社部令第45号): {} was due by {}; case status {}',
               b.order_id, b.next_act, b.next_act_due, b.case_status),
        [{'topic': b.evidence_topic, 'message_id': b.evidence_message_id,
          'record_index': b.evidence_record_index, 'rule_version': b.rule_version}]
    from {{ ref('fct_blacklist_cases') }} b
    where b.is_overdue
),

complaints as (
    select
        c.complaint_id,
        any_value(c.complaint_category) as complaint_category,
        max(c.amount_claimed) as amount_claimed,
        max(c.workers_involved) as workers_involved
    from {{ ref('stg_hrss__complaint_events') }} c
    group by c.complaint_id
),

-- A wage-arrears lead with a late handling step (int_hrss__complaint_lead_steps, 高人社发〔2022〕5号 (五)):
-- open while a late step is still not done, and, once a step was done late, until the complaint is closed.
complaint_breaches as (
    select
        'complaint_sla_breach',
        s.complaint_id,
        'high',
        any_value(s.respondent_uscc),
        any_value(s.region_code),
        -- a lead about no platform has none (an empty list: the filter leaves list() nothing, so null)
        coalesce(
            list(distinct s.platform_uscc order by s.platform_uscc) filter (where s.platform_uscc is not null), []
        ),
        min(s.received_date),
        any_value(k.amount_claimed),
        any_value(k.workers_involved),
        format('Complaint (投诉) {} about {} received {}: late handling step(s) {}',
               s.complaint_id, any_value(k.complaint_category), min(s.received_date),
               string_agg(s.step || ' due ' || s.deadline
                          || case when s.done_at is null then ' (not done)'
                                  else ' (done late on ' || s.done_on || ')' end,
                          '; ' order by s.step_order) filter (where s.is_late)),
        list_sort(list(distinct {'topic': s.evidence_topic, 'message_id': s.evidence_message_id,
                                 'record_index': s.evidence_record_index, 'rule_version': s.rule_version}))
    from {{ ref('int_hrss__complaint_lead_steps') }} s
    left join complaints k on k.complaint_id = s.complaint_id
    group by s.complaint_id
    having bool_or(s.is_late and s.done_at is null)
        or (bool_or(s.is_late) and not bool_or(s.is_closed))
),

judgments as (
    select
        'unsatisfied_judgment',
        j.case_number,
        'high',
        j.respondent_uscc,
        cast(null as varchar),
        [],
        j.judgment_date,
        j.amount_awarded,
        j.claimant_count,
        format('Unsatisfied award (裁审衔接) {} ({}, {}): CNY {:.2f} awarded {} to {} claimant(s), enforcement {}',
               j.case_number, j.forum, j.case_cause, j.amount_awarded, j.judgment_date, j.claimant_count,
               j.enforcement_status),
        [{'topic': j.evidence_topic, 'message_id': j.evidence_message_id,
          'record_index': j.evidence_record_index, 'rule_version': j.rule_version}]
    from {{ ref('int_court__unsatisfied_judgments') }} j
    where j.judgment_date <= {{ as_of_date() }}
),

incidents as (
    select
        'safety_incident',
        i.incident_id,
        case i.severity
            {%- for grade, severity in alerting_incident_severities.items() %}
            when '{{ grade }}' then '{{ severity }}'
            {%- endfor %}
        end,
        i.enterprise_uscc,
        i.region_code,
        [],
        {{ beijing_date('i.incident_at') }},
        cast(null as decimal(18, 2)),
        i.deaths + i.injuries,
        format('Safety incident (安全生产事故) {}: {} {} on {}, {} dead, {} injured{}',
               i.incident_id, i.severity, i.incident_type, {{ beijing_date('i.incident_at') }},
               i.deaths, i.injuries, case when i.is_severe_weather then ', in severe weather' else '' end),
        [{'topic': i.kafka_topic, 'message_id': i.message_id, 'record_index': i.record_index,
          'rule_version': 'gigshield.safety_incident_alert.v1 (国务院令第493号 Art.3 grades)'}]
    from {{ ref('stg_emergency__safety_incidents') }} i
    where i.severity in ({{ "'" ~ alerting_incident_severities | join("', '") ~ "'" }})
        and {{ beijing_date('i.incident_at') }} <= {{ as_of_date() }}
),

cases as (
    select * from arrears
    union all select * from blacklist
    union all select * from blacklist_overdue
    union all select * from complaint_breaches
    union all select * from judgments
    union all select * from incidents
),

routed as (
    select
        c.case_kind || ':' || c.case_ref as case_key,
        c.case_kind,
        c.case_ref,
        c.severity,
        c.enterprise_uscc,
        e.enterprise_name,
        c.platform_usccs,
        -- The case's own region where it has one (order, complaint, incident), else the employer's.
        coalesce(c.region_code, e.region_code) as region_code,
        r.jurisdiction,
        i.inspectorate_name,
        i.inspectorate_email,
        cast({{ policy_parameter('complaint_accept_days', 'r.jurisdiction') }} as integer) as sla_accept_days,
        cast({{ policy_parameter('complaint_connect_days', 'r.jurisdiction') }} as integer) as sla_connect_days,
        cast({{ policy_parameter('complaint_feedback_days', 'r.jurisdiction') }} as integer) as sla_feedback_days,
        c.opened_on,
        cast(c.amount as decimal(18, 2)) as amount,
        cast(c.workers_affected as integer) as workers_affected,
        c.summary,
        list_transform(c.evidence, lambda x: struct_insert(x,
            link := 'kafka://' || x.topic || '/' || x.message_id || '#' || x.record_index)) as evidence
    from cases c
    left join {{ ref('dim_enterprise') }} e on e.uscc = c.enterprise_uscc
    left join {{ ref('ref_regions') }} r on r.region_code = coalesce(c.region_code, e.region_code)
    left join {{ ref('ref_labour_inspectorates') }} i on i.region_code = coalesce(c.region_code, e.region_code)
)

select
    *,
    {{ as_of_date() }} as as_of_date,
    md5(to_json({
        {%- for column in content %}
        '{{ column }}': {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    })::varchar) as fingerprint
from routed
