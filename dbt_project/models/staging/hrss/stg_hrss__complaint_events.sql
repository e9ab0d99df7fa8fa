-- Complaint handling events (received, accepted, connected, feedback, closed) from 12333, unions and online channels;
-- conclusion (处理结论, contract 1.1.0) on feedback/closed events, null from 1.0.0 producers.
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
    conclusion,
    {{ kafka_evidence() }}
from {{ released_rows('hrss__complaint_event') }}
