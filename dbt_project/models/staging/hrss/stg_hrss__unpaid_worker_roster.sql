-- Workers owed wages under an order to pay (欠薪花名册), one row per statement of a worker's line.
select
    record_id as roster_line_id,
    order_id,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    months_unpaid,
    amount_owed,
    amount_paid_by_deadline,
    updated_at,
    {{ kafka_evidence() }}
from {{ released_rows('hrss__unpaid_worker_roster') }}
