-- Joint incentive and punishment (联合激励惩戒) per enterprise and year: each indicator with its
-- count of findings, the labour-law compliance grade of 人社部规〔2016〕1号 (企业劳动保障守法诚信等级评价办法,
-- in force 2017-01-01; article numbers not verified), blacklisting, and the measures that follow
-- (ref_credit_measures, each row with its legal basis).
-- The grade of grade_year Y is assessed in assessment_year Y + credit_grade_assessment_lag_years
-- (每年开展一次, on 企业上一年度信用记录): the grade in force on the as-of date, the one the extracts
-- publish, is the previous, finished year's; the running year's row is provisional (is_final false).
-- Grade of Y (人社部规〔2016〕1号, as quoted by 重庆人社, 宁德人社 and 钦州人社):
--   C: 被查处三次以上(含三次) in Y, counting orders to pay (责令限期支付) and labour penalties alike
--      (credit_grade_c_min_chachu); an order still unpaid when its deadline passed in Y (拒不履行劳动保障
--      监察限期整改指令); an order transferred to the police in Y (立案查处并移送公安处理); a penalty for child
--      labour, forced labour or a refused correction (严重劳动保障违法行为); a mass incident (群体性事件).
--   B: 查处 at least once in Y (an order to pay is itself 查处), or, Gigshield policy: a blacklist case
--      (fct_blacklist_cases, 人社部令第45号) open in Y, or, on the grade in force and the running year's
--      rows, open on the as-of date: an employer with a blacklist case or listing is never A. Not in
--      2016〕1号, which grades the year's record only; A's measures cannot stand beside a listing's
--      restrictions. Blacklisted (the tier) only by a recorded listing decision.
--   A: not 查处 in Y (未因劳动保障违法行为被查处) and no blacklist case.
-- A platform's own findings and those of its cooperating enterprises are kept apart
-- (partner_findings). The platform's liability for a partner's violations is 连带责任 only for
-- outsourcing in Hunan (湘人社规〔2021〕24号 二(三)); for dispatch, the using unit's liability of
-- 劳动合同法 Art.92; elsewhere 依法承担相应责任.
{% set own_indicators = [
    'wage_arrears_findings', 'workers_in_arrears', 'wage_arrears_amount', 'minimum_wage_findings',
    'overtime_findings', 'deposit_findings', 'late_social_insurance_findings', 'missing_injury_cover_findings',
    'labour_penalties', 'mass_incidents'] %}
{% set order_indicators = ['payment_orders', 'orders_unpaid_at_deadline', 'orders_transferred_police'] %}
{% set lag_years = "cast(" ~ policy_parameter('credit_grade_assessment_lag_years', 'r.jurisdiction') ~ " as integer)" %}

with years as (
    select distinct year(finding_date) as grade_year from {{ ref('int_credit__findings') }}
    union
    select distinct year(issued_date) from {{ ref('int_hrss__payment_orders') }}
    where issued_date <= {{ as_of_date() }}
    union
    select year({{ as_of_date() }})
    union
    select year({{ as_of_date() }}) - {{ lag_years }} from (select 'national' as jurisdiction) r
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

-- Orders to pay (责令限期支付) issued in the year: each is 查处.
ordered as (
    select enterprise_uscc, year(issued_date) as grade_year, count(*) as payment_orders
    from {{ ref('int_hrss__payment_orders') }}
    where issued_date <= {{ as_of_date() }}
    group by all
),

-- 拒不履行限期整改指令: an order still unpaid (in part or in full) when its deadline passed, in the
-- deadline's year (int_hrss__blacklist_criteria keeps exactly the orders with arrears at the deadline).
unpaid_at_deadline as (
    select enterprise_uscc, year(payment_deadline) as grade_year, count(*) as orders_unpaid_at_deadline
    from {{ ref('int_hrss__blacklist_criteria') }}
    where payment_deadline < {{ as_of_date() }} and issued_date <= {{ as_of_date() }}
    group by all
),

-- 立案查处并移送公安处理: the first update of an order with status transferred_police, in its year.
transferred as (
    select enterprise_uscc, year(transferred_on) as grade_year, count(*) as orders_transferred_police
    from (
        select order_id, any_value(enterprise_uscc) as enterprise_uscc, min({{ beijing_date('updated_at') }})
            as transferred_on
        from {{ ref('stg_hrss__inspection_orders') }}
        where order_status = 'transferred_police'
        group by order_id
    )
    where transferred_on <= {{ as_of_date() }}
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

-- A blacklist case (fct_blacklist_cases: criteria met with the deadline passed, or acted on by the
-- authority) open in the year: from the year of its deadline to the year it ended (or the as-of date's).
-- Cases closed as not listed (paid and committed before the decision, objection upheld, revoked) and
-- cases whose criteria cannot be judged do not count.
blacklist_years as (
    select distinct b.enterprise_uscc, y.grade_year
    from {{ ref('fct_blacklist_cases') }} b
    join years y
        on year(b.payment_deadline) <= y.grade_year
        and year(coalesce(b.ended_date, {{ as_of_date() }})) >= y.grade_year
    where b.case_status not in ('not_listed', 'criteria_error')
),

-- A case open on the as-of date (on its way to a decision, or listed).
open_now as (
    select distinct enterprise_uscc
    from {{ ref('fct_blacklist_cases') }}
    where case_status in ('threshold_unconfirmed', 'candidate', 'notified', 'objection_pending', 'decision_due',
                          'listed', 'removal_due')
),

-- Listed on the as-of date: only by a recorded listing decision (fct_blacklist_cases.is_listed).
listed as (
    select enterprise_uscc, count(*) as blacklist_listings
    from {{ ref('fct_blacklist_cases') }}
    where is_listed
    group by all
),

graded as (
    select
        e.uscc as enterprise_uscc,
        e.enterprise_name,
        e.is_platform,
        e.region_code,
        y.grade_year,
        y.grade_year + {{ lag_years }} as assessment_year,
        {%- for column in own_indicators %}
        coalesce(o.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(po.payment_orders, 0) as payment_orders,
        coalesce(u.orders_unpaid_at_deadline, 0) as orders_unpaid_at_deadline,
        coalesce(t.orders_transferred_police, 0) as orders_transferred_police,
        coalesce(o.labour_penalties, 0) + coalesce(po.payment_orders, 0) as times_investigated,
        coalesce(o.findings, 0) as own_findings,
        coalesce(p.partner_findings, 0) as partner_findings,
        coalesce(p.partners_with_findings, 0) as partners_with_findings,
        b.enterprise_uscc is not null as blacklist_case_in_year,
        y.grade_year + {{ lag_years }} >= year({{ as_of_date() }}) and n.enterprise_uscc is not null
            as blacklist_case_open_now,
        -- Listed on the as-of date: shown on the grade in force and the running year's row.
        y.grade_year + {{ lag_years }} >= year({{ as_of_date() }}) and coalesce(l.blacklist_listings, 0) > 0
            as is_blacklisted,
        case
            when coalesce(o.labour_penalties, 0) + coalesce(po.payment_orders, 0)
                 >= {{ policy_parameter('credit_grade_c_min_chachu', 'r.jurisdiction') }}
                 or coalesce(u.orders_unpaid_at_deadline, 0) > 0
                 or coalesce(t.orders_transferred_police, 0) > 0
                 or coalesce(o.grave_labour_penalties, 0) > 0
                 or coalesce(o.mass_incidents, 0) > 0 then 'C'
            when coalesce(o.labour_penalties, 0) + coalesce(po.payment_orders, 0) > 0
                 or b.enterprise_uscc is not null
                 or (y.grade_year + {{ lag_years }} >= year({{ as_of_date() }}) and n.enterprise_uscc is not null)
                then 'B'
            else 'A'
        end as compliance_grade
    from {{ ref('dim_enterprise') }} e
    cross join years y
    left join own o on o.enterprise_uscc = e.uscc and o.grade_year = y.grade_year
    left join ordered po on po.enterprise_uscc = e.uscc and po.grade_year = y.grade_year
    left join unpaid_at_deadline u on u.enterprise_uscc = e.uscc and u.grade_year = y.grade_year
    left join transferred t on t.enterprise_uscc = e.uscc and t.grade_year = y.grade_year
    left join via_partners p on p.enterprise_uscc = e.uscc and p.grade_year = y.grade_year
    left join blacklist_years b on b.enterprise_uscc = e.uscc and b.grade_year = y.grade_year
    left join open_now n on n.enterprise_uscc = e.uscc
    left join listed l on l.enterprise_uscc = e.uscc
    left join {{ ref('ref_regions') }} r on r.region_code = e.region_code
)

select
    g.enterprise_uscc || ':' || g.grade_year as enterprise_credit_key,
    g.*,
    case when g.is_blacklisted then 'blacklisted' else g.compliance_grade end as credit_tier,
    (select list(m.measure order by m.credit_tier, m.measure_code) from {{ ref('ref_credit_measures') }} m
     where m.credit_tier in (g.compliance_grade, case when g.is_blacklisted then 'blacklisted' end)) as measures,
    year({{ as_of_date() }}) > g.grade_year as is_final,
    g.assessment_year = year({{ as_of_date() }}) as is_grade_in_force,
    {{ as_of_date() }} as as_of_date,
    'gigshield.credit.v2 (人社部规〔2016〕1号 grades on the previous year; 人社部令第45号 blacklist)' as rule_version
from graded g
