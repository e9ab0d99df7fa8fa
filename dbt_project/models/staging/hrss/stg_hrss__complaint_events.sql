-- Complaint handling events from 12333, unions and online channels, renamed and cast. Two versions of one feed:
-- hrss.complaint_event.v2 (raw.hrss__complaint_event_v2: received, accepted, assigned, connected, handled, feedback,
-- closed) and hrss.complaint_event.v1 (raw.hrss__complaint_event: no assigned or handled events), still read while
-- its producers migrate. Both carry the same fields, so this model is their union (kafka_topic and contract_version
-- tell them apart); conclusion (处理结论) is null from v1 1.0.0 producers.
{%- for table in ['hrss__complaint_event', 'hrss__complaint_event_v2'] %}
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
from {{ released_rows(table) }}
{{ "union all" if not loop.last }}
{%- endfor %}
