-- Pay for normal working time below the local minimum wage (最低工资规定 Art.12; seeds 000 (六), 001 (六)):
-- the monthly tier prorated for the days employed (full-time labour contracts), the hourly tier × hours
-- for part-time (劳动合同法 Art.72) and "not fully" workers (人社厅发〔2023〕50号), in force at the start
-- of the period (int_hrss__minimum_wage_checks). Overtime pay, premiums and allowances do not count.
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

select
    wage_payment_key,
    {{ wage_period_columns() }},
    jurisdiction,
    minimum_basis,
    amount_due,
    normal_time_pay,
    hours_worked,
    days_employed,
    days_in_month,
    minimum_wage,
    minimum_pay,
    case when is_full_time then normal_time_pay
         else round(normal_time_pay / nullif(hours_worked, 0), 2) end as pay_rate,
    minimum_pay - normal_time_pay as shortfall,
    'gigshield.minimum_wage.v2 (最低工资规定 Art.12; ref_minimum_wages history; prorated)' as rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from {{ ref('int_hrss__minimum_wage_checks') }}
where minimum_pay is not null and normal_time_pay < minimum_pay
