-- 最低工资规定 Art.12: every pay period of a labour-contract or "not fully" worker is compared with the
-- minimum wage in force at its start. A period with no standard in ref_minimum_wages (before the province's
-- earliest row, or a region without a province/tier) keeps a null minimum in int_hrss__minimum_wage_checks
-- instead of disappearing; this test lists them (warn: the history must be extended, the rule cannot judge).
{{ config(severity='warn') }}
select wage_payment_key, payer_uscc, pay_period, period_start, province, min_wage_tier
from {{ ref('int_hrss__minimum_wage_checks') }}
where minimum_wage is null
