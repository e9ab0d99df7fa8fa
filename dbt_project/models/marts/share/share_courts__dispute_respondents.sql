{{ config(schema='share') }}
-- For the courts (裁审衔接; 人社部令第45号 joint punishment): every enterprise that is the respondent of
-- a labour court or arbitration case, or is on the unpaid-wage blacklist, with the labour-inspection
-- record a court needs to hear and enforce wage claims: orders to pay past their deadline and still
-- unpaid, unsatisfied awards, and its listing as the 人社 department decided it (only a recorded listing
-- decision lists: decided_listings; the 法定代表人 / 主要负责人 named only as the decision lists and publishes
-- them). The watch list has no legal basis outside Gigshield and stays internal: it is in no extract.
-- Enterprise level only: claimants are not in it.
with cases as (
    select respondent_uscc as enterprise_uscc, count(distinct case_number) as labour_cases
    from {{ ref('stg_court__cases') }}
    where filed_date <= {{ as_of_date() }}
    group by all
),

orders as (
    select
        enterprise_uscc,
        count(*) as unpaid_orders_past_deadline,
        sum(amount_outstanding) as amount_outstanding_on_orders
    from {{ ref('int_hrss__payment_orders') }}
    where payment_deadline < {{ as_of_date() }} and amount_outstanding > 0
    group by all
),

awards as (
    select respondent_uscc as enterprise_uscc, count(*) as unsatisfied_awards, sum(amount_awarded) as amount_unsatisfied
    from {{ ref('int_court__unsatisfied_judgments') }}
    where judgment_date <= {{ as_of_date() }}
    group by all
),

-- The decided listings in force on the as-of date. No grade is published here.
listings as (
    {{ decided_listings() }}
),

respondents as (
    select enterprise_uscc from cases
    union
    select enterprise_uscc from listings
)

select
    r.enterprise_uscc,
    e.enterprise_name,
    e.region_code,
    coalesce(c.labour_cases, 0) as labour_cases,
    coalesce(o.unpaid_orders_past_deadline, 0) as unpaid_orders_past_deadline,
    cast(coalesce(o.amount_outstanding_on_orders, 0) as decimal(18, 2)) as amount_outstanding_on_orders,
    coalesce(a.unsatisfied_awards, 0) as unsatisfied_awards,
    cast(coalesce(a.amount_unsatisfied, 0) as decimal(18, 2)) as amount_unsatisfied,
    case when l.is_blacklisted then 'blacklisted' else 'none' end as listing_status,
    l.listed_from as blacklisted_from,
    l.listed_until as blacklisted_until,
    l.decision_number,
    l.deciding_authority,
    l.legal_rep_name,
    {{ as_of_date() }} as as_of_date
from respondents r
left join {{ ref('dim_enterprise') }} e on e.uscc = r.enterprise_uscc
left join cases c on c.enterprise_uscc = r.enterprise_uscc
left join orders o on o.enterprise_uscc = r.enterprise_uscc
left join awards a on a.enterprise_uscc = r.enterprise_uscc
left join listings l on l.enterprise_uscc = r.enterprise_uscc
