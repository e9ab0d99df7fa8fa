-- Complaint handling events (received, accepted, connected, feedback, closed) from 12333, unions and online channels.
select
    event_id,
    complaint_id,
    channel,
    event_type,
    event_at,
    region_code,
    respondent_uscc,
    platform_uscc,
    {{ pseudonymise('complainant_id_number') }} as complainant_key,
    category as complaint_category,
    amount_claimed,
    workers_involved,
    handling_unit,
    {{ kafka_evidence() }}
from {{ released_rows('hrss__complaint_event') }}
