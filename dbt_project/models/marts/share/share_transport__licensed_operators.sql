{{ config(schema='share') }}
-- For 交通运输 (the licensing authority of ride-hailing and freight platforms and operators): per
-- licence an enterprise holds (latest snapshot), that enterprise's labour credit — the grade in force
-- (人社部规〔2016〕1号: assessed on the previous, finished year, grade_year; the running year's provisional
-- grade is never shared), tier, blacklisting on the as-of date as the 人社 department decided it (only a
-- recorded listing decision lists: decided_listings) — and its drivers' working-time findings
-- this year (the running year; stop-dispatch limit; seed 000 (七)), own and through its cooperating
-- enterprises. Enterprise level only: drivers' own licences are left out.
with licences as (
    select holder_uscc, licence_type, licence_status, expiry_date
    from {{ ref('stg_transport__licences') }}
    where holder_uscc is not null
    qualify row_number() over (partition by holder_uscc, licence_type
                               order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
),

listings as (
    {{ decided_listings() }}
)

select
    l.holder_uscc || ':' || l.licence_type as licence_key,
    l.holder_uscc as enterprise_uscc,
    e.enterprise_name,
    l.licence_type,
    l.licence_status,
    l.expiry_date,
    cast(g.grade_year as integer) as grade_year,
    cast(g.assessment_year as integer) as assessment_year,
    g.compliance_grade,
    case when dl.is_blacklisted then 'blacklisted' else g.compliance_grade end as credit_tier,
    coalesce(dl.is_blacklisted, false) as is_blacklisted,
    coalesce(y.overtime_findings, 0) as overtime_findings,
    coalesce(y.partner_findings, 0) as partner_findings,
    {{ as_of_date() }} as as_of_date
from licences l
left join {{ ref('dim_enterprise') }} e on e.uscc = l.holder_uscc
-- the grade in force, and the as-of date's decided listing
left join {{ ref('fct_enterprise_credit') }} g
    on g.enterprise_uscc = l.holder_uscc and g.is_grade_in_force
left join listings dl on dl.enterprise_uscc = l.holder_uscc
-- the running year's counts ("this year")
left join {{ ref('fct_enterprise_credit') }} y
    on y.enterprise_uscc = l.holder_uscc and y.grade_year = year({{ as_of_date() }})
