-- Wage arrears (欠薪): each worker's pay for a period, as last reported from the wage-dedicated
-- account, that was not paid in full by its payday (保障农民工工资支付条例 Art.12-14; 工资支付暂行规定
-- Art.7: at least monthly, on the agreed day, earlier when that day is a rest day or holiday).
-- Overdue days count from the payday to payment in full, or to the as-of date if still unpaid.

with due as (
    select
        l.*,
        {{ working_day_on_or_before('l.due_date') }} as payday
    from {{ ref('int_hrss__wage_payments_latest') }} l
)

select
    payer_uscc || ':' || worker_key || ':' || pay_period as wage_arrears_key,
    payer_uscc,
    platform_uscc,
    worker_key,
    pay_period,
    amount_due,
    amount_paid,
    greatest(amount_due - amount_paid, 0) as amount_unpaid,
    due_date,
    payday,
    paid_date,
    coalesce(paid_date, {{ as_of_date() }}) - payday as overdue_days,
    amount_paid < amount_due as still_unpaid,
    {{ as_of_date() }} as as_of_date,
    'gigshield.wage_arrears.v1 (条例724号 Art.12-14; 工资支付暂行规定 Art.7)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from due
where {{ as_of_date() }} > payday
    and (amount_paid < amount_due or paid_date > payday)
