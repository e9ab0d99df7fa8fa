-- Obligations checked once per engagement on its latest ledger report, on the as-of date, one row per breach:
--   deposit_taken          no deposit (保证金/押金) may be taken from a worker (all seeds);
--   late_social_insurance  a full-time labour-contract employee registered for pension insurance later than
--                          social_insurance_registration_days after onboarding, or not at all by then
--                          (社会保险法 Art.58; seed 004 (八)); a part-time (非全日制) contract is not checked for
--                          pension: its employer owes work-injury cover only (劳动合同法 Art.72);
--   late_injury_insurance  a labour contract (part-time included) insured against work injury but registered
--                          later than the same registration_days after onboarding, or not yet by then
--                          (社会保险法 Art.58; 工伤保险条例 Art.2);
--   missing_injury_cover   a labour contract (part-time included) without work-injury insurance — commercial
--                          accident cover or the occupational-injury pilot does not replace it (工伤保险条例 Art.2);
--                          a "not fully" or civil order-taker without occupational-injury cover on a day the
--                          pilot binds the platform in the workplace's province (人社部发〔2021〕110号,
--                          人社部发〔2025〕24号: every order-taker of a pilot platform is covered; outside the pilot
--                          no cover is owed to them, and Wenzhou's seed 002 (三) only lets platforms insure).
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with engagements as (
    select
        e.*,
        {{ policy_parameter('social_insurance_registration_days', 'e.jurisdiction') }} as registration_days
    from {{ ref('int_hrss__engagements') }} e
),

breaches as (
    select engagement_key, {{ finding_kind('deposit_taken') }} as violation_kind, deposit_amount as measured_value
    from engagements where deposit_amount > 0
    union all
    select
        engagement_key,
        {{ finding_kind('late_social_insurance') }},
        coalesce(pension_registered_date, {{ as_of_date() }}) - onboarding_date
    from engagements
    where relationship_type = 'labour_contract' and not is_part_time
        and coalesce(pension_registered_date, {{ as_of_date() }}) - onboarding_date > registration_days
    union all
    select
        engagement_key,
        {{ finding_kind('late_injury_insurance') }},
        coalesce(injury_registered_date, {{ as_of_date() }}) - onboarding_date
    from engagements
    where relationship_type = 'labour_contract' and injury_cover = 'work_injury'
        and coalesce(injury_registered_date, {{ as_of_date() }}) - onboarding_date > registration_days
    union all
    select engagement_key, {{ finding_kind('missing_injury_cover') }}, null
    from engagements
    where (relationship_type = 'labour_contract' and injury_cover <> 'work_injury')
        or (
            relationship_type in ('not_fully', 'civil')
            and {{ as_of_date() }} between injury_pilot_from and injury_pilot_to
            and injury_cover not in ('occupational_injury_pilot', 'work_injury')
        )
)

select
    e.engagement_key || ':' || b.violation_kind as violation_key,
    b.violation_kind,
    e.engagement_key,
    e.employer_uscc,
    e.platform_uscc,
    e.worker_key,
    e.jurisdiction,
    b.measured_value,
    {{ as_of_date() }} as as_of_date,
    'gigshield.engagement_obligations.v3 (社会保险法 Art.58; 工伤保险条例 Art.2; 劳动合同法 Art.72; '
    || '人社部发〔2021〕110号; 人社部发〔2025〕24号)' as rule_version,
    e.evidence_topic,
    e.evidence_message_id,
    e.evidence_record_index
from breaches b
join engagements e on e.engagement_key = b.engagement_key
