-- The platform <-> cooperating-enterprise graph (平台企业与合作企业): one row per platform and
-- enterprise whose workers work through it, from the employment ledger. A platform is jointly liable
-- for its partners' violations (湘人社规〔2021〕24号 二(三); all seeds), which fct_enterprise_credit
-- rolls up along these edges.
select
    platform_uscc || ':' || employer_uscc as platform_partner_key,
    platform_uscc,
    employer_uscc as partner_uscc,
    any_value(employer_role order by report_period desc) as partner_role,
    count(distinct worker_key) as workers,
    min(onboarding_date) as first_onboarding_date
from {{ ref('int_hrss__engagements') }}
where employer_uscc <> platform_uscc
group by platform_uscc, employer_uscc
