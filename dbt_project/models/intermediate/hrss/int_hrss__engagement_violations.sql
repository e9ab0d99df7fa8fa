-- Obligations checked once per engagement on its latest ledger report, one row per breach:
--   deposit_taken          no deposit (保证金/押金) may be taken from a worker (all seeds);
--   late_social_insurance  a full-time labour-contract employee registered for pension insurance later than
--                          social_insurance_registration_days after onboarding, or not at all by then
--                          (社会保险法 Art.58; seed 004 (八)); a part-time (非全日制) contract is not checked for
--                          pension: its employer owes work-injury cover only (劳动合同法 Art.72);
--   missing_injury_cover   a labour contract (part-time included) without work-injury insurance — commercial
--                          accident cover or the occupational-injury pilot does not replace it (工伤保险条例 Art.2);
--                          a "not fully" worker with no cover at all (seed 000 (十); 人社部发〔2021〕110号: the
--                          pilot's per-order duty of pilot platforms is not yet modelled).

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
    where relationship_type = 'labour_contract' and not is_part_time
        and coalesce(pension_registered_date, {{ as_of_date() }}) - onboarding_date > registration_days
    union all
    select *, {{ finding_kind('missing_injury_cover') }}, null
    from engagements
    where (relationship_type = 'labour_contract' and injury_cover <> 'work_injury')
        or (relationship_type = 'not_fully' and injury_cover = 'none')
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
    'gigshield.engagement_obligations.v2 (社会保险法 Art.58; 工伤保险条例 Art.2; 劳动合同法 Art.72)' as rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from breaches
