{{ config(schema='share') }}
-- For 市场监管 (SAMR, the enterprise registry and its credit publicity system): every registered
-- enterprise's labour credit — the grade in force (人社部规〔2016〕1号: assessed on the previous, finished
-- year, grade_year), tier, blacklisting on the as-of date as the 人社 department decided it (人社部令第45号:
-- only a recorded listing decision lists, decided_listings; the 法定代表人 / 主要负责人 named only as the
-- decision lists and publishes them) — and whether it engages workers while its registration is not
-- active, for the registry to follow up. Enterprise level only.
with engaged as (
    select employer_uscc, count(distinct worker_key) as workers_engaged
    from {{ ref('int_hrss__engagements') }}
    group by all
),

listings as (
    {{ decided_listings() }}
)

select
    e.uscc as enterprise_uscc,
    e.enterprise_name,
    e.registration_status,
    cast(c.grade_year as integer) as grade_year,
    c.compliance_grade,
    {{ decided_listing_columns('l', 'c.compliance_grade') }},
    coalesce(g.workers_engaged, 0) as workers_engaged,
    e.registration_status <> 'active' and coalesce(g.workers_engaged, 0) > 0 as engages_workers_while_not_active,
    {{ as_of_date() }} as as_of_date
from {{ ref('dim_enterprise') }} e
join {{ ref('fct_enterprise_credit') }} c
    on c.enterprise_uscc = e.uscc and c.is_grade_in_force
left join engaged g on g.employer_uscc = e.uscc
left join listings l on l.enterprise_uscc = e.uscc
