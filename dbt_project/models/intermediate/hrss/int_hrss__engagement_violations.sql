-- Obligations checked once per engagement on its latest ledger report, one row per breach:
--   deposit_taken          no deposit (保证金/押金) may be taken from a worker (all seeds);
--   late_social_insurance  a labour-contract employee registered for social insurance later than
--                          social_insurance_registration_days after onboarding, or not at all by then
--                          (社会保险法 Art.58; seed 004 (八));
--   missing_injury_cover   a labour-contract or "not fully" worker without work-injury or
--                          occupational-injury cover (seed 000 (十); 人社部发〔2021〕110号).

with engagements as (
    select
        e.*,
        {{ policy_parameter('social_insurance_registration_days', 'e.jurisdiction') }} as registration_days
    from {{ ref('int_hrss__engagements') }} e
),

breaches as (
    select *, {{ finding_kind('deposit_taken') }} as violation_kind, deposit_amount as measured_value
    from engagements where deposit_amount > 0
    union all
    select
        *,
        {{ finding_kind('late_social_insurance') }},
        coalesce(pension_registered_date, {{ as_of_date() }}) - onboarding_date
    from engagements
    where relationship_type = 'labour_contract'
        and coalesce(pension_registered_date, {{ as_of_date() }}) - onboarding_date > registration_days
    union all
    select *, {{ finding_kind('missing_injury_cover') }}, null
    from engagements
    where relationship_type in ('labour_contract', 'not_fully') and injury_cover = 'none'
)

select
    engagement_key || ':' || violation_kind as violation_key,
    violation_kind,
    engagement_key,
    employer_uscc,
    platform_uscc,
    worker_key,
    jurisdiction,
    measured_value,
    {{ as_of_date() }} as as_of_date,
    'gigshield.engagement_obligations.v1' as rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from breaches
