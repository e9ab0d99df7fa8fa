{{ config(schema='share') }}
-- For 人社 (labour inspection and arbitration, the agency that acts on them): every finding about a
-- labour obligation, with its evidence, so inspectors can order back pay and corrections. Findings in
-- other agencies' remit (safety incidents, other authorities' penalties) are left out. Workers appear
-- under a pseudonym of their own for 人社 (recipient_pseudonym), not the warehouse's worker_key.
select
    f.finding_kind || ':' || f.evidence_topic || ':' || f.evidence_message_id || ':' || f.evidence_record_index
        as finding_key,
    f.enterprise_uscc,
    f.platform_uscc,
    f.finding_kind,
    f.finding_date,
    {{ recipient_pseudonym('f.worker_key', 'hrss') }} as worker_key,
    cast(f.amount as decimal(18, 2)) as amount,
    f.rule_version,
    f.evidence_topic,
    f.evidence_message_id,
    f.evidence_record_index
from {{ ref('int_credit__findings') }} f
where f.finding_kind in {{ finding_kinds(['wage_arrears', 'below_minimum_wage', 'overtime_no_stop_dispatch',
                                          'holiday_work_without_premium', 'deposit_taken', 'late_social_insurance',
                                          'missing_injury_cover', 'mass_incident', 'unsatisfied_judgment']) }}
    or f.finding_kind like {{ finding_kind('penalty_hrss_%') }}
