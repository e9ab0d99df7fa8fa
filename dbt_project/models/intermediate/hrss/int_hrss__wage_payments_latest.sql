-- The latest reported state of each worker's pay per payer and pay period (wage-account snapshots
-- repeat a period until it is paid): the basis of every wage rule and of fct_wage_payments. A period
-- is identified by its first day (period_start): two half-month periods of a part-time worker share a
-- pay_period (劳动合同法 Art.72; contract hrss.wage_payment.v1 1.1.0).
-- Incremental: a night re-ranks only the periods with a snapshot staged that night.
{{ config(materialized='incremental', unique_key='wage_payment_key', incremental_strategy='delete+insert') }}

select
    w.*,
    w.payer_uscc || ':' || w.worker_key || ':' || w.period_start as wage_payment_key
from {{ ref('stg_hrss__wage_payments') }} w
{%- if is_incremental() %}
where exists (
    select 1 from {{ ref('stg_hrss__wage_payments') }} n
    where n.staged_on = {{ as_of_date() }}
        and n.payer_uscc = w.payer_uscc and n.worker_key = w.worker_key and n.period_start = w.period_start
)
{%- endif %}
qualify row_number() over (
    partition by payer_uscc, worker_key, period_start
    order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
