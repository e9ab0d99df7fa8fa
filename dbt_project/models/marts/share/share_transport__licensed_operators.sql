{{ config(schema='share') }}
-- For 交通运输 (the licensing authority of ride-hailing and freight platforms and operators): per
-- licence an enterprise holds (latest snapshot), that enterprise's labour credit this year — grade,
-- tier, blacklisting — and its drivers' working-time findings (stop-dispatch limit; seed 000 (七)),
-- own and through its cooperating enterprises. Enterprise level only: drivers' own licences are left out.
with licences as (
    select holder_uscc, licence_type, licence_status, expiry_date
    from {{ ref('stg_transport__licences') }}
    where holder_uscc is not null
    qualify row_number() over (partition by holder_uscc, licence_type
                               order by snapshot_date desc, kafka_partition desc, kafka_offset desc) = 1
)

select
    l.holder_uscc || ':' || l.licence_type as licence_key,
    l.holder_uscc as enterprise_uscc,
    e.enterprise_name,
    l.licence_type,
    l.licence_status,
    l.expiry_date,
    c.compliance_grade,
    c.credit_tier,
    coalesce(c.is_blacklisted, false) as is_blacklisted,
    coalesce(c.overtime_findings, 0) as overtime_findings,
    coalesce(c.partner_findings, 0) as partner_findings,
    {{ as_of_date() }} as as_of_date
from licences l
left join {{ ref('dim_enterprise') }} e on e.uscc = l.holder_uscc
left join {{ ref('fct_enterprise_credit') }} c
    on c.enterprise_uscc = l.holder_uscc and c.grade_year = year({{ as_of_date() }})
