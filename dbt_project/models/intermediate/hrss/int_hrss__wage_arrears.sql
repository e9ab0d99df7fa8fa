-- Wage arrears (欠薪): each worker's pay for a period, as last reported from the wage-dedicated
-- account, that was not paid in full by its payday (保障农民工工资支付条例 Art.12-14; 工资支付暂行规定
-- Art.7: at least monthly, on the agreed day, earlier when that day is a rest day or holiday).
-- Overdue days count from the payday to payment in full, or to the as-of date if still unpaid.
-- * Paid in full: amount_paid + lawful deductions ≥ amount_due. Lawful (工资支付暂行规定 Art.15/16): tax,
--   social insurance, and damage within the cap (policy wage_deduction_max_share of the month's wage).
--   A deduction for 'other' reasons is 克扣 (Art.15): it counts as unpaid; so does damage above the cap.
-- * Civil payees (relationship civil: independent contractors) are out: their unpaid fees are contract
--   debts, not 欠薪. A payment with no known engagement stays in.
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with due as (
    select
        l.*,
        {{ working_day_on_or_before('l.due_date') }} as payday,
        e.jurisdiction,
        case
            when l.deduction_reason in ('tax', 'social_insurance') then l.deduction_amount
            when l.deduction_reason = 'damage'
                and l.deduction_amount
                <= l.amount_due * {{ policy_parameter('wage_deduction_max_share', 'e.jurisdiction', 'l.period_end') }}
                then l.deduction_amount
            else 0
        end as lawful_deduction
    from {{ ref('int_hrss__wage_payments_latest') }} l
    left join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = l.payer_uscc and e.platform_uscc = l.platform_uscc and e.worker_key = l.worker_key
    where e.relationship_type is distinct from 'civil'
)

select
    payer_uscc || ':' || worker_key || ':' || period_start as wage_arrears_key,
    {{ wage_period_columns() }},
    amount_due,
    amount_paid,
    lawful_deduction,
    greatest(amount_due - amount_paid - lawful_deduction, 0) as amount_unpaid,
    due_date,
    payday,
    paid_date,
    coalesce(paid_date, {{ as_of_date() }}) - payday as overdue_days,
    amount_paid + lawful_deduction < amount_due as still_unpaid,
    {{ as_of_date() }} as as_of_date,
    'gigshield.wage_arrears.v2 (条例724号 Art.12-14; 工资支付暂行规定 Art.7, Art.15-16; civil payees out)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from due
where {{ as_of_date() }} > payday
    and (amount_paid + lawful_deduction < amount_due or paid_date > payday)
