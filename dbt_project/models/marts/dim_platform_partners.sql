-- The platform <-> cooperating-enterprise graph (平台企业与合作企业): one row per platform and
-- enterprise whose workers work through it, from the employment ledger. A platform answers for its
-- partners' violations as each source states: 连带责任 only for outsourcing in Hunan (湘人社规〔2021〕24号
-- 二(三): 外包等其他合作用工方式); for dispatch, 劳动合同法 Art.92 (the dispatching firm and the accepting
-- unit bear 连带赔偿责任 for harm the accepting unit causes); elsewhere 依法承担相应责任 (辽人社发〔2021〕19号
-- 一(三), 云人社发〔2021〕40号 一(二), 高人社发〔2022〕5号 一(三)). fct_enterprise_credit rolls partner findings
-- up along these edges.
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
