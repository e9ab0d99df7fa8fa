-- Deductions and the part-time pay cycle, one row per pay period and violation (int_hrss__minimum_wage_checks:
-- labour-contract and "not fully" workers):
-- * excess_deduction — 工资支付暂行规定 Art.16: a deduction for damage above wage_deduction_max_share (20%)
--   of the month's wage (amount_due); measured_value = the deduction above the cap, CNY.
-- * deduction_below_minimum_wage — Art.16: after a damage deduction the take-home (amount_due − deduction)
--   is below the (prorated) minimum wage (最低工资规定 Art.12); measured_value = the shortfall, CNY.
-- * unlawful_deduction — Art.15: a deduction for another reason ('other') is 克扣, counted as wage arrears
--   too (int_hrss__wage_arrears); measured_value = the deduction, CNY.
-- * part_time_pay_cycle_exceeded — 劳动合同法 Art.72 para.2: part-time pay settled at most every
--   part_time_pay_cycle_days_max (15) days; a part-time labour contract's period of more calendar days
--   (period_end − period_start + 1); measured_value = the period's days.
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with checks as (
    select
        c.*,
        {{ policy_parameter('wage_deduction_max_share', 'c.jurisdiction', 'c.period_end') }} as deduction_max_share,
        {{ policy_parameter('part_time_pay_cycle_days_max', 'c.jurisdiction', 'c.period_end') }} as pay_cycle_days_max
    from {{ ref('int_hrss__minimum_wage_checks') }} c
),

violations as (
    select *, {{ finding_kind('excess_deduction') }} as violation_kind,
           deduction_amount - round(amount_due * deduction_max_share, 2) as measured_value,
           'gigshield.excess_deduction.v1 (工资支付暂行规定 Art.16; wage_deduction_max_share)' as rule_version
    from checks
    where deduction_reason = 'damage' and deduction_amount > amount_due * deduction_max_share
    union all
    select *, {{ finding_kind('deduction_below_minimum_wage') }},
           minimum_pay - (amount_due - deduction_amount),
           'gigshield.deduction_below_minimum_wage.v1 (工资支付暂行规定 Art.16; 最低工资规定 Art.12)'
    from checks
    where deduction_reason = 'damage' and deduction_amount > 0 and amount_due - deduction_amount < minimum_pay
    union all
    select *, {{ finding_kind('unlawful_deduction') }}, deduction_amount,
           'gigshield.unlawful_deduction.v1 (工资支付暂行规定 Art.15)'
    from checks
    where deduction_reason = 'other' and deduction_amount > 0
    union all
    select *, {{ finding_kind('part_time_pay_cycle_exceeded') }}, period_end - period_start + 1,
           'gigshield.part_time_pay_cycle.v1 (劳动合同法 Art.72; part_time_pay_cycle_days_max)'
    from checks
    where relationship_type = 'labour_contract' and is_part_time
        and period_end - period_start + 1 > pay_cycle_days_max
)

select
    wage_payment_key || ':' || violation_kind as violation_key,
    wage_payment_key,
    {{ wage_period_columns() }},
    jurisdiction,
    violation_kind,
    measured_value,
    rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from violations
