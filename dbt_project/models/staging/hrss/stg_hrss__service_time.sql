-- Daily service time per worker and platform. The largest feed (a row per worker and day):
-- incremental, each night stages only its new batches.
-- working_minutes is the single definition of a day's working time (人社厅发〔2023〕50号 新就业形态劳动者休息和劳动报酬权益
-- 保障指引: working time = order time plus reasonable allowance time): order_minutes + allowance_minutes when the platform
-- reports allowance_minutes (contract 1.1.0), else online_minutes; working_time_basis says which.
{{ config(materialized='incremental', unique_key='service_day_id', incremental_strategy='delete+insert') }}

select
    record_id as service_day_id,
    platform_uscc,
    employer_uscc,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    service_date,
    online_minutes,
    order_minutes,
    allowance_minutes,
    case
        when allowance_minutes is not null then order_minutes + allowance_minutes
        else online_minutes
    end as working_minutes,
    case
        when allowance_minutes is not null then 'order_plus_allowance'
        else 'online'
    end as working_time_basis,
    longest_continuous_minutes,
    dispatch_stopped_at_minutes,
    orders as orders_completed,
    orders_insured,
    earnings,
    holiday_premium,
    rest_day_premium,
    time_off_in_lieu,
    statutory_holiday as is_statutory_holiday,
    forced_offline as was_forced_offline,
    {{ kafka_evidence() }},
    {{ staging_batch_columns() }}
from {{ released_rows('hrss__service_time') }}
