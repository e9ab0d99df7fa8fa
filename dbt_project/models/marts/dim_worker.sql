-- One row per worker, keyed by the keyed pseudonym of the resident ID (no raw ID number past
-- ingestion): how many platforms and employers they work for, under which relationships.
select
    worker_key,
    count(distinct platform_uscc) as platforms,
    count(distinct employer_uscc) as employers,
    count(distinct platform_uscc) > 1 as is_multi_platform,
    list(distinct relationship_type order by relationship_type) as relationship_types,
    list(distinct occupation order by occupation) as occupations,
    min(onboarding_date) as first_onboarding_date
from {{ ref('int_hrss__engagements') }}
group by worker_key
