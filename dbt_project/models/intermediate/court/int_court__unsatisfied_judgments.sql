-- Court and arbitration cases against an enterprise (裁审衔接) that ended in an award it has not
-- satisfied: awarded and enforcement applied for, under way, or ended without assets. Latest status
-- of each case.
with latest as (
    select *
    from {{ ref('stg_court__cases') }}
    qualify row_number() over (
        partition by case_number order by updated_at desc, kafka_partition desc, kafka_offset desc
    ) = 1
)

select
    case_number,
    respondent_uscc,
    forum,
    case_cause,
    claimant_count,
    amount_awarded,
    judgment_date,
    enforcement_status,
    'gigshield.court_enforcement.v1' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from latest
where judgment_status = 'awarded'
    and enforcement_status in ('applied', 'enforcing', 'terminated_no_assets')
