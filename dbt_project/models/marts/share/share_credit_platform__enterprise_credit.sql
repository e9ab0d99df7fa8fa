{{ config(schema='share') }}
-- For 发改's provincial credit platform (云人社发〔2021〕40号 (二十四): credit information shared with the
-- credit platform; 人社部令第45号: listings shared with it): every enterprise's labour-law compliance
-- grade in force (人社部规〔2016〕1号: assessed once a year on the previous, finished year's record, so
-- grade_year = assessment_year - 1; the running year's provisional grade is never shared), its unpaid-wage
-- blacklisting on the as-of date and the measures that follow, each with its legal basis (ref_credit_measures).
-- The legal representative is named only with a listing. No worker data.
with listings as (
    select enterprise_uscc, min(listed_from) as listed_from, max(listed_until) as listed_until
    from {{ ref('fct_unpaid_wage_blacklist') }}
    where listing_status = 'listed'
    group by all
)

select
    c.enterprise_credit_key,
    c.enterprise_uscc,
    c.enterprise_name,
    c.region_code,
    cast(c.grade_year as integer) as grade_year,
    cast(c.assessment_year as integer) as assessment_year,
    c.is_final,
    c.compliance_grade,
    c.credit_tier,
    c.is_blacklisted,
    case when c.is_blacklisted then l.listed_from end as blacklisted_from,
    case when c.is_blacklisted then l.listed_until end as blacklisted_until,
    {{ published_legal_rep_name('e.legal_rep_name', 'c.is_blacklisted') }} as legal_rep_name,
    nullif(array_to_string(c.measures, '; '), '') as measures,
    c.as_of_date,
    c.rule_version
from {{ ref('fct_enterprise_credit') }} c
join {{ ref('dim_enterprise') }} e on e.uscc = c.enterprise_uscc
left join listings l on l.enterprise_uscc = c.enterprise_uscc
where c.is_grade_in_force
