-- The latest reported state of each worker's pay per payer and pay period (wage-account snapshots
-- repeat a period until it is paid): the basis of every wage rule and of fct_wage_payments. A period
-- is identified by its first day (period_start): two half-month periods of a part-time worker share a
-- pay_period (劳动合同法 Art.72; contract hrss.wage_payment.v1 1.1.0).
select
    *,
    payer_uscc || ':' || worker_key || ':' || period_start as wage_payment_key
from {{ ref('stg_hrss__wage_payments') }}
qualify row_number() over (
    partition by payer_uscc, worker_key, period_start
    order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
