-- The 人社 department's recorded acts on each blacklist case (人社部令第45号), one row per case (order_id),
-- as of the night: only acts dated on or before the as-of date count. Where an act is recorded more than
-- once, the first is the one that counts (a notice is served once, a listing decided once); for the
-- early-removal steps the latest application and the latest decision count (an employer refused may apply
-- again). Gigshield derives no act: every date here is the authority's.
with acts as (
    select *
    from {{ ref('stg_hrss__blacklist_case_events') }}
    where event_date <= {{ as_of_date() }}
    qualify row_number() over (
        partition by event_id order by recorded_at desc, kafka_partition desc, kafka_offset desc
    ) = 1
)

select
    order_id,
    arg_min(enterprise_uscc, event_date) as enterprise_uscc,
    min(event_date) filter (where event_type = 'threshold_confirmed') as threshold_confirmation_date,
    min(event_date) filter (where event_type = 'notice_served') as notice_served_date,
    arg_min(document_number, event_date) filter (where event_type = 'notice_served') as notice_number,
    min(event_date) filter (where event_type = 'objection_received') as objection_received_date,
    max(event_date) filter (where event_type = 'objection_decided') as objection_decided_date,
    arg_max(outcome, event_date) filter (where event_type = 'objection_decided') as objection_outcome,
    min(event_date) filter (where event_type = 'extension_approved') as extension_approved_date,
    min(event_date) filter (where event_type = 'listing_decided') as decision_date,
    arg_min(document_number, event_date) filter (where event_type = 'listing_decided') as decision_number,
    arg_min(deciding_authority, event_date) filter (where event_type = 'listing_decided') as deciding_authority,
    arg_min(legal_basis, event_date) filter (where event_type = 'listing_decided') as legal_basis,
    min(event_date) filter (where event_type = 'not_listed_decided') as not_listed_date,
    arg_min(reason, event_date) filter (where event_type = 'not_listed_decided') as not_listed_reason,
    max(event_date) filter (where event_type = 'early_removal_applied') as early_removal_applied_date,
    arg_max(paid_in_full_date, event_date) filter (where event_type = 'early_removal_applied')
        as applied_paid_in_full_date,
    arg_max(written_commitment_date, event_date) filter (where event_type = 'early_removal_applied')
        as applied_written_commitment_date,
    arg_max(payment_evidence, event_date) filter (where event_type = 'early_removal_applied') as payment_evidence,
    max(event_date) filter (where event_type = 'early_removal_decided') as early_removal_decided_date,
    arg_max(outcome, event_date) filter (where event_type = 'early_removal_decided') as early_removal_outcome,
    min(event_date) filter (where event_type = 'delisted') as delisted_date,
    arg_min(reason, event_date) filter (where event_type = 'delisted') as delisted_reason,
    count(*) filter (where event_type = 'person_listed') as persons_listed,
    arg_max(kafka_topic, event_date) as evidence_topic,
    arg_max(message_id, event_date) as evidence_message_id,
    arg_max(record_index, event_date) as evidence_record_index
from acts
group by order_id
