{#- The unpaid-wage blacklistings in force on the as-of date, one row per listed enterprise, as the 人社
    department decided them (人社部令第45号): only cases whose listing decision is recorded
    (fct_blacklist_cases.case_status listed or removal_due, which requires a listing_decided event), with the
    decisions' listing period, number and authority ('; '-separated when several are in force), and the name
    of the 法定代表人 or 主要负责人 as the decision lists them, only where the listing publishes it
    (fct_blacklist_listed_persons.name_published) — never the registry's name (dim_enterprise): no decision,
    no name (PIPL: no purpose, no name). A select for a CTE of the share models. -#}
{% macro decided_listings() -%}
    select
        c.enterprise_uscc,
        true as is_blacklisted,
        min(c.listed_from) as listed_from,
        max(c.listed_until) as listed_until,
        string_agg(distinct c.decision_number, '; ' order by c.decision_number) as decision_number,
        string_agg(distinct c.deciding_authority, '; ' order by c.deciding_authority) as deciding_authority,
        string_agg(distinct p.published_name, '; ' order by p.published_name) as legal_rep_name
    from {{ ref('fct_blacklist_cases') }} c
    left join {{ ref('fct_blacklist_listed_persons') }} p
        on p.order_id = c.order_id
        and p.decision_number = c.decision_number
        and p.person_role in ('legal_representative', 'principal')
        and p.name_published
        and p.published_name is not null
    where c.is_listed and c.decision_number is not null
    group by c.enterprise_uscc
{%- endmacro %}

{#- The listing columns the credit-platform and SAMR extracts publish beside a grade, from a CTE of
    decided_listings() (`listing`, left-joined): the tier is blacklisted only with a decided listing. -#}
{% macro decided_listing_columns(listing, grade) -%}
    case when {{ listing }}.is_blacklisted then 'blacklisted' else {{ grade }} end as credit_tier,
    coalesce({{ listing }}.is_blacklisted, false) as is_blacklisted,
    {{ listing }}.listed_from as blacklisted_from,
    {{ listing }}.listed_until as blacklisted_until,
    {{ listing }}.decision_number,
    {{ listing }}.deciding_authority,
    {{ listing }}.legal_rep_name
{%- endmacro %}
