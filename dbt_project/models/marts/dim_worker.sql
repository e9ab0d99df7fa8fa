-- One row per worker, keyed by the keyed pseudonym of the resident ID (no raw ID number past
-- ingestion): how many platforms and employers they work for, under which relationships.
-- Incremental: a night regroups only the workers with a ledger report staged that night (int_hrss__engagements
-- changes for no other worker).
{{ config(materialized='incremental', unique_key='worker_key', incremental_strategy='delete+insert') }}
-- depends_on: {{ ref('stg_hrss__employment_ledger') }}

select
    worker_key,
    count(distinct platform_uscc) as platforms,
    count(distinct employer_uscc) as employers,
    count(distinct platform_uscc) > 1 as is_multi_platform,
    list(distinct relationship_type order by relationship_type) as relationship_types,
    list(distinct occupation order by occupation) as occupations,
    min(onboarding_date) as first_onboarding_date
from {{ ref('int_hrss__engagements') }}
{%- if is_incremental() %}
where worker_key in (
    select n.worker_key from {{ ref('stg_hrss__employment_ledger') }} n where n.staged_on = {{ as_of_date() }}
)
{%- endif %}
group by worker_key
