-- Daily service time per worker and platform. The largest feed (a row per worker and day):
-- incremental, each night stages only its new batches.
{{ config(materialized='incremental', unique_key='service_day_id', incremental_strategy='delete+insert') }}

select
    record_id as service_day_id,
    platform_uscc,
    employer_uscc,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    service_date,
    online_minutes,
    order_minutes,
    longest_continuous_minutes,
    orders as orders_completed,
    earnings,
    holiday_premium,
    statutory_holiday as is_statutory_holiday,
    forced_offline as was_forced_offline,
    {{ kafka_evidence() }},
    {{ staging_batch_columns() }}
from {{ released_rows('hrss__service_time') }}
