{{ config(schema='share') }}
-- For 医保 (medical insurance): workers whose cover needs its action, under a pseudonym of their own for
-- 医保 (recipient_pseudonym):
--   late_social_insurance      a labour-contract employee registered for social insurance (employee
--                              medical insurance included, 社会保险法 Art.23, 58) later than the
--                              registration deadline, or not yet; event_date = onboarding;
--   medical_cover_gap /        employee medical insurance ended and no new spell within the jurisdiction's
--   medical_cover_window_open  window (湘人社规〔2021〕24号 (九)); event_date = end of cover.
-- No Kafka evidence pointers: the ledger record would let two agencies link their pseudonyms.
with findings as (
    select
        v.violation_kind as finding_kind, v.worker_key, v.employer_uscc, v.platform_uscc, v.jurisdiction,
        e.onboarding_date as event_date, cast(null as date) as window_closes_on,
        cast(v.measured_value as integer) as days_to_registration, v.rule_version
    from {{ ref('int_hrss__engagement_violations') }} v
    join {{ ref('int_hrss__engagements') }} e on e.engagement_key = v.engagement_key
    where v.violation_kind = {{ finding_kind('late_social_insurance') }}
    union all
    select
        'medical_cover_' || g.gap_status, g.worker_key, g.employer_uscc, null, g.jurisdiction,
        g.employee_cover_ended_on, g.window_closes_on, null, g.rule_version
    from {{ ref('int_nhsa__medical_insurance_gaps') }} g
),

pseudonymised as (
    select *, {{ recipient_pseudonym('worker_key', 'nhsa') }} as nhsa_worker_key
    from findings
)

select
    finding_kind || ':' || coalesce(employer_uscc, '') || ':' || coalesce(platform_uscc, '') || ':'
        || nhsa_worker_key || ':' || event_date as finding_key,
    finding_kind,
    nhsa_worker_key as worker_key,
    employer_uscc,
    platform_uscc,
    jurisdiction,
    event_date,
    window_closes_on,
    days_to_registration,
    {{ as_of_date() }} as as_of_date,
    rule_version
from pseudonymised
