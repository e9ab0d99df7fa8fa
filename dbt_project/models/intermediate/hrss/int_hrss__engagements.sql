-- One row per worker engagement (worker x employer x platform): the latest employment-ledger report
-- of it, with the jurisdiction whose rules apply (the employer's region, ref_regions).
select
    l.employer_uscc || ':' || l.platform_uscc || ':' || l.worker_key as engagement_key,
    l.employer_uscc,
    l.platform_uscc,
    l.employer_role,
    l.worker_key,
    l.occupation,
    l.relationship_type,
    l.is_part_time,
    l.has_written_agreement,
    l.region_code,
    r.jurisdiction,
    r.province,
    r.min_wage_tier,
    l.onboarding_date,
    l.offboarding_date,
    l.pension_registered_date,
    l.injury_registered_date,
    l.injury_cover,
    l.deposit_amount,
    l.report_period,
    l.kafka_topic as evidence_topic,
    l.message_id as evidence_message_id,
    l.record_index as evidence_record_index
from {{ ref('stg_hrss__employment_ledger') }} l
left join {{ ref('ref_regions') }} r on r.region_code = l.region_code
qualify row_number() over (
    partition by l.employer_uscc, l.platform_uscc, l.worker_key
    order by l.report_month desc, l.report_date desc, l.kafka_partition desc, l.kafka_offset desc) = 1
