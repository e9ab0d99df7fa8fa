{{ config(schema='share') }}
-- For 发改's provincial credit platform (云人社发〔2021〕40号 (二十四): credit information shared with the
-- credit platform; 人社部令第45号: listings shared with it): every enterprise's labour-law compliance
-- grade in force (人社部规〔2016〕1号: assessed once a year on the previous, finished year's record, so
-- grade_year = assessment_year - 1; the running year's provisional grade is never shared), its unpaid-wage
-- blacklisting on the as-of date as the 人社 department decided it (only a recorded listing decision lists:
-- decided_listings; period, decision number and authority from the decision) and the measures that follow,
-- each with its legal basis (ref_credit_measures). The 法定代表人 / 主要负责人 is named only as the decision
-- lists and publishes them. Listings and their removals, one row each, are in share_credit_platform__
-- blacklist_listings. No worker data.
with listings as (
    {{ decided_listings() }}
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
    {{ decided_listing_columns('l', 'c.compliance_grade') }},
    nullif(array_to_string(c.measures, '; '), '') as measures,
    c.as_of_date,
    c.rule_version
from {{ ref('fct_enterprise_credit') }} c
left join listings l on l.enterprise_uscc = c.enterprise_uscc
where c.is_grade_in_force
