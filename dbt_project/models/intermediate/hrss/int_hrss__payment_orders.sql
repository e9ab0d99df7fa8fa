-- Labour-inspection orders to pay (责令限期支付), latest state of each order, with the jurisdiction
-- whose rules apply and the province's threshold for 拒不支付劳动报酬罪 in force on the deadline.
with latest as (
    select *
    from {{ ref('stg_hrss__inspection_orders') }}
    qualify row_number() over (
        partition by order_id order by updated_at desc, kafka_partition desc, kafka_offset desc
    ) = 1
)

select
    o.order_id,
    o.order_update_id,
    o.enterprise_uscc,
    o.region_code,
    r.jurisdiction,
    r.province,
    o.issued_date,
    o.payment_deadline,
    o.workers_affected,
    o.months_unpaid,
    o.amount_ordered,
    o.amount_paid,
    o.amount_paid_by_deadline,
    greatest(o.amount_ordered - o.amount_paid, 0) as amount_outstanding,
    o.paid_in_full_date,
    o.written_commitment_date,
    o.is_mass_incident,
    o.order_status,
    t.one_worker_threshold,
    t.many_workers_threshold,
    t.many_workers_min_count,
    t.confirmed as threshold_confirmed,
    o.kafka_topic as evidence_topic,
    o.message_id as evidence_message_id,
    o.record_index as evidence_record_index
from latest o
left join {{ ref('ref_regions') }} r on r.region_code = o.region_code
left join {{ ref('ref_wage_crime_thresholds') }} t
    on t.province = r.province and t.valid_from <= o.payment_deadline
qualify row_number() over (partition by o.order_id order by t.valid_from desc nulls last) = 1
