-- Transport licences (platform permits, driver certificates), one row per licence per snapshot day.
select
    licence_id as licence_snapshot_id,
    licence_type,
    holder_uscc,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    region_code,
    issued_date,
    expiry_date,
    status as licence_status,
    snapshot_date,
    {{ kafka_evidence() }}
from {{ released_rows('transport__licence') }}
