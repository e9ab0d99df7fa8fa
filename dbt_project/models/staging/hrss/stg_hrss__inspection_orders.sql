-- Labour-inspection orders to pay by a deadline (责令限期支付), one row per order status update.
select
    record_id as order_update_id,
    order_id,
    enterprise_uscc,
    region_code,
    issued_date,
    payment_deadline,
    workers_affected,
    months_unpaid,
    amount_ordered,
    amount_paid,
    amount_paid_by_deadline,
    paid_in_full_date,
    written_commitment_date,
    mass_incident as is_mass_incident,
    status as order_status,
    updated_at,
    {{ kafka_evidence() }}
from {{ released_rows('hrss__inspection_order') }}
