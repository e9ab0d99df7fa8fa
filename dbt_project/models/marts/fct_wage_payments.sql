-- One row per payer, worker and pay period (keyed by period_start, int_hrss__wage_payments_latest): the latest
-- reported state of that pay from the wage-dedicated account (工资专用账户), with what is still outstanding.
select
    wage_payment_key,
    {{ wage_period_columns() }},
    amount_due,
    amount_paid,
    greatest(amount_due - amount_paid, 0) as amount_outstanding,
    includes_back_pay,
    due_date,
    paid_date,
    payment_status,
    snapshot_date,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from {{ ref('int_hrss__wage_payments_latest') }}
