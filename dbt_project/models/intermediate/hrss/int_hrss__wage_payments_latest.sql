-- The latest reported state of each worker's pay per payer and period (wage-account snapshots
-- repeat a period until it is paid): the basis of every wage rule and of fct_wage_payments.
select *
from {{ ref('stg_hrss__wage_payments') }}
qualify row_number() over (
    partition by payer_uscc, worker_key, pay_period
    order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
