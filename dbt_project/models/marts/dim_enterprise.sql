-- One row per enterprise (USCC): its latest SAMR registry snapshot. Platforms and their
-- cooperating enterprises alike; the legal representative's name stays because 人社部令第45号
-- publishes it with a listing, the ID number only as its pseudonym.
select
    uscc,
    enterprise_name,
    enterprise_kind,
    enterprise_kind = 'platform' as is_platform,
    industry,
    region_code,
    registration_status,
    registered_date,
    legal_rep_name,
    legal_rep_key,
    snapshot_date as registry_snapshot_date,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from {{ ref('stg_samr__enterprises') }}
qualify row_number() over (partition by uscc order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
