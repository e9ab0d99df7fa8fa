-- SAMR registry snapshots, one row per enterprise per snapshot day. The legal representative's
-- name stays (人社部令第45号 and 第29号 publish it); the ID number becomes a pseudonym.
select
    record_id as enterprise_snapshot_id,
    uscc,
    name as enterprise_name,
    legal_rep_name,
    {{ pseudonymise('legal_rep_id_number') }} as legal_rep_key,
    region_code,
    address,
    enterprise_kind,
    industry,
    status as registration_status,
    registered_date,
    snapshot_date,
    {{ kafka_evidence() }}
from {{ released_rows('samr__enterprise') }}
