-- Pay below the local minimum wage (最低工资规定; seeds 000 (六), 001 (六)): the monthly tier for
-- full-time labour contracts, the hourly tier for part-time (劳动合同法 Art.72) and "not fully"
-- workers, in force at the start of the pay period for the employer region's tier.
with pay as (
    select
        w.payer_uscc || ':' || w.worker_key || ':' || w.pay_period as wage_payment_key,
        w.*,
        e.relationship_type, e.is_part_time, e.province, e.min_wage_tier, e.jurisdiction
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
        p.relationship_type = 'labour_contract' and not p.is_part_time as is_full_time
    from pay p
    join {{ ref('ref_minimum_wages') }} m
        on m.province = p.province and m.tier = p.min_wage_tier and m.valid_from <= p.period_start
    qualify row_number() over (partition by p.wage_payment_key order by m.valid_from desc) = 1
)

select
    wage_payment_key,
    payer_uscc,
    platform_uscc,
    worker_key,
    pay_period,
    jurisdiction,
    case when is_full_time then 'monthly' else 'hourly' end as minimum_basis,
    amount_due,
    hours_worked,
    case when is_full_time then monthly_min else hourly_min end as minimum_wage,
    case when is_full_time then amount_due else round(amount_due / nullif(hours_worked, 0), 2) end as pay_rate,
    case when is_full_time then monthly_min - amount_due
         else round(hourly_min * hours_worked - amount_due, 2) end as shortfall,
    'gigshield.minimum_wage.v1 (最低工资规定; ref_minimum_wages)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from with_minimum
where case when is_full_time then amount_due < monthly_min else amount_due < hourly_min * hours_worked end
