-- Every pay period of a labour-contract or "not fully" worker with the minimum wage it is held to
-- (最低工资规定 Art.12; seeds 000 (六), 001 (六)), the basis of int_hrss__minimum_wage_shortfalls and
-- int_hrss__wage_payment_violations.
-- * The standard: ref_minimum_wages for the employer region's province and tier in force at the start of
--   the period (valid_from ≤ period_start ≤ valid_to). No standard → the row stays, minimum null (singular
--   test every_pay_period_has_a_minimum_wage warns).
-- * Pay compared: pay for normal working time only (Art.12 excludes overtime pay, special-condition
--   allowances and statutory welfare): base_pay when reported, else amount_due less overtime, premium and
--   allowance pay.
-- * Full-time labour contracts: the monthly minimum prorated by the calendar days employed in the period
--   (onboarding/offboarding of the engagement) over the days of the calendar month of period_start
--   (joined on the 16th of a 30-day month: 15/30). Part-time (劳动合同法 Art.72) and "not fully" workers
--   (人社厅发〔2023〕50号): the hourly minimum × hours worked.
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with pay as (
    select
        w.*,
        e.relationship_type,
        e.is_part_time,
        e.province,
        e.min_wage_tier,
        e.jurisdiction,
        e.onboarding_date,
        e.offboarding_date,
        e.relationship_type = 'labour_contract' and not e.is_part_time as is_full_time,
        coalesce(w.base_pay, w.amount_due - coalesce(w.overtime_pay, 0) - coalesce(w.premium_pay, 0)
            - coalesce(w.allowance_pay, 0)) as normal_time_pay,
        greatest(0, least(w.period_end, coalesce(e.offboarding_date, w.period_end))
            - greatest(w.period_start, coalesce(e.onboarding_date, w.period_start)) + 1) as days_employed,
        last_day(w.period_start) - date_trunc('month', w.period_start)::date + 1 as days_in_month
    from {{ ref('int_hrss__wage_payments_latest') }} w
    join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = w.payer_uscc and e.platform_uscc = w.platform_uscc and e.worker_key = w.worker_key
    where e.relationship_type in ('labour_contract', 'not_fully')
),

with_minimum as (
    select
        p.*,
        m.monthly_min,
        m.hourly_min,
        m.valid_from as minimum_valid_from
    from pay p
    left join {{ ref('ref_minimum_wages') }} m
        on m.province = p.province and m.tier = p.min_wage_tier and m.valid_from <= p.period_start
            and (m.valid_to is null or p.period_start <= m.valid_to)
    qualify row_number() over (
        partition by p.payer_uscc, p.platform_uscc, p.worker_key, p.period_start
        order by m.valid_from desc nulls last) = 1
)

select
    wage_payment_key,
    {{ wage_period_columns() }},
    jurisdiction,
    province,
    min_wage_tier,
    relationship_type,
    is_part_time,
    is_full_time,
    case when is_full_time then 'monthly' else 'hourly' end as minimum_basis,
    amount_due,
    normal_time_pay,
    amount_paid,
    deduction_amount,
    deduction_reason,
    hours_worked,
    days_employed,
    days_in_month,
    minimum_valid_from,
    case when is_full_time then monthly_min else hourly_min end as minimum_wage,
    case when is_full_time then round(monthly_min * days_employed / days_in_month, 2)
         else round(hourly_min * hours_worked, 2) end as minimum_pay,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from with_minimum
