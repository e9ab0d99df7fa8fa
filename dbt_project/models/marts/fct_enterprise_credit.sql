-- Joint incentive and punishment (联合激励惩戒) per enterprise and year: each indicator with its
-- count of findings, the labour-law compliance grade of 人社部规〔2016〕1号 (A: no labour penalty;
-- B: penalised but not C; C: penalised 3 times or more, a mass incident, child or forced labour, or a
-- refused correction order), blacklisting, and the measures that follow (ref_credit_measures).
-- A platform's own findings and those of its cooperating enterprises (joint liability, 连带责任)
-- are kept apart.
{% set own_indicators = [
    'wage_arrears_findings', 'workers_in_arrears', 'wage_arrears_amount', 'minimum_wage_findings',
    'overtime_findings', 'deposit_findings', 'late_social_insurance_findings', 'missing_injury_cover_findings',
    'labour_penalties', 'mass_incidents'] %}

with years as (
    select distinct year(finding_date) as grade_year from {{ ref('int_credit__findings') }}
    union
    select year({{ as_of_date() }})
),

own as (
    select
        enterprise_uscc,
        year(finding_date) as grade_year,
        count(*) filter (where finding_kind = {{ finding_kind('wage_arrears') }}) as wage_arrears_findings,
        count(distinct worker_key) filter (where finding_kind = {{ finding_kind('wage_arrears') }})
            as workers_in_arrears,
        coalesce(sum(amount) filter (where finding_kind = {{ finding_kind('wage_arrears') }}), 0)
            as wage_arrears_amount,
        count(*) filter (where finding_kind = {{ finding_kind('below_minimum_wage') }}) as minimum_wage_findings,
        count(*) filter (where finding_kind = {{ finding_kind('overtime_no_stop_dispatch') }}) as overtime_findings,
        count(*) filter (where finding_kind = {{ finding_kind('deposit_taken') }}) as deposit_findings,
        count(*) filter (where finding_kind = {{ finding_kind('late_social_insurance') }})
            as late_social_insurance_findings,
        count(*) filter (where finding_kind = {{ finding_kind('missing_injury_cover') }})
            as missing_injury_cover_findings,
        count(*) filter (where finding_kind like {{ finding_kind('penalty_hrss_%') }}) as labour_penalties,
        count(*) filter (
            where finding_kind in {{ finding_kinds(['penalty_hrss_child_labour', 'penalty_hrss_forced_labour',
                                                    'penalty_hrss_refused_correction']) }}
        ) as grave_labour_penalties,
        count(*) filter (where finding_kind = {{ finding_kind('mass_incident') }}) as mass_incidents,
        count(*) as findings
    from {{ ref('int_credit__findings') }}
    group by all
),

via_partners as (
    select
        platform_uscc as enterprise_uscc,
        year(finding_date) as grade_year,
        count(*) as partner_findings,
        count(distinct enterprise_uscc) as partners_with_findings
    from {{ ref('int_credit__findings') }}
    where platform_uscc is not null and platform_uscc <> enterprise_uscc
    group by all
),

listed as (
    select enterprise_uscc, count(*) as blacklist_listings
    from {{ ref('fct_unpaid_wage_blacklist') }}
    where listing_status = 'listed'
    group by all
),

graded as (
    select
        e.uscc as enterprise_uscc,
        e.enterprise_name,
        e.is_platform,
        e.region_code,
        y.grade_year,
        {%- for column in own_indicators %}
        coalesce(o.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(o.findings, 0) as own_findings,
        coalesce(p.partner_findings, 0) as partner_findings,
        coalesce(p.partners_with_findings, 0) as partners_with_findings,
        y.grade_year = year({{ as_of_date() }}) and coalesce(l.blacklist_listings, 0) > 0 as is_blacklisted,
        case
            when coalesce(o.labour_penalties, 0)
                 >= {{ policy_parameter('credit_grade_c_min_labour_penalties', 'r.jurisdiction') }}
                 or coalesce(o.grave_labour_penalties, 0) > 0
                 or coalesce(o.mass_incidents, 0) > 0 then 'C'
            when coalesce(o.labour_penalties, 0) > 0 then 'B'
            else 'A'
        end as compliance_grade
    from {{ ref('dim_enterprise') }} e
    cross join years y
    left join own o on o.enterprise_uscc = e.uscc and o.grade_year = y.grade_year
    left join via_partners p on p.enterprise_uscc = e.uscc and p.grade_year = y.grade_year
    left join listed l on l.enterprise_uscc = e.uscc
    left join {{ ref('ref_regions') }} r on r.region_code = e.region_code
)

select
    g.enterprise_uscc || ':' || g.grade_year as enterprise_credit_key,
    g.*,
    case when g.is_blacklisted then 'blacklisted' else g.compliance_grade end as credit_tier,
    (select list(m.measure order by m.measure) from {{ ref('ref_credit_measures') }} m
     where m.credit_tier in (g.compliance_grade, case when g.is_blacklisted then 'blacklisted' end)) as measures,
    year({{ as_of_date() }}) > g.grade_year as is_final,
    {{ as_of_date() }} as as_of_date,
    'gigshield.credit.v1 (人社部规〔2016〕1号 grades; 人社部令第45号 blacklist)' as rule_version
from graded g
