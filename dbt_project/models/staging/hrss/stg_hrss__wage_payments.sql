-- Wage-account payments, one row per reported state of a worker's pay for a period.
-- The bank account is dropped: no model downstream needs it. The pay components (base, overtime, premium,
-- allowance; contract 1.1.0) are null when the agency does not break amount_due down.
-- Incremental, like stg_hrss__service_time: each night stages only its new batches (released_rows).
{{ config(materialized='incremental', unique_key='payment_snapshot_id', incremental_strategy='delete+insert') }}

select
    payment_id as payment_snapshot_id,
    payer_uscc,
    platform_uscc,
    {{ pseudonymise('worker_id_number') }} as worker_key,
    pay_period,
    period_start,
    period_end,
    hours_worked,
    amount_due,
    base_pay,
    overtime_pay,
    premium_pay,
    allowance_pay,
    amount_paid,
    deduction_amount,
    deduction_reason,
    includes_back_pay,
    due_date,
    paid_date,
    payment_status,
    snapshot_date,
    {{ kafka_evidence() }},
    {{ staging_batch_columns() }}
from {{ released_rows('hrss__wage_payment') }}
