{{ config(schema='share') }}
-- For the courts (裁审衔接; 人社部令第45号 joint punishment): every enterprise that is the respondent of
-- a labour court or arbitration case, or is on the unpaid-wage blacklist, with the labour-inspection
-- record a court needs to hear and enforce wage claims: orders to pay past their deadline and still
-- unpaid, unsatisfied awards, and its listing (legal representative named only with a blacklisting).
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

-- The listing on the as-of date, read from the grade in force's row (the one row per enterprise the
-- extracts read; the running year's provisional row is never shared). No grade is published here.
credit as (
    select enterprise_uscc, is_blacklisted
    from {{ ref('fct_enterprise_credit') }}
    where is_grade_in_force
),

watched as (
    select distinct enterprise_uscc from {{ ref('fct_unpaid_wage_watch_list') }}
),

respondents as (
    select enterprise_uscc from cases
    union
    select enterprise_uscc from credit where is_blacklisted
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
    case
        when coalesce(cr.is_blacklisted, false) then 'blacklisted'
        when w.enterprise_uscc is not null then 'watch_list'
        else 'none'
    end as listing_status,
    {{ published_legal_rep_name('e.legal_rep_name', 'coalesce(cr.is_blacklisted, false)') }} as legal_rep_name,
    {{ as_of_date() }} as as_of_date
from respondents r
left join {{ ref('dim_enterprise') }} e on e.uscc = r.enterprise_uscc
left join cases c on c.enterprise_uscc = r.enterprise_uscc
left join orders o on o.enterprise_uscc = r.enterprise_uscc
left join awards a on a.enterprise_uscc = r.enterprise_uscc
left join credit cr on cr.enterprise_uscc = r.enterprise_uscc
left join watched w on w.enterprise_uscc = r.enterprise_uscc
