-- One row per worker engagement (worker x employer x platform): the latest employment-ledger report
-- of it, with the jurisdiction whose rules apply (the ledger's workplace region, ref_regions), and the days
-- on which the occupational-injury pilot binds its platform there: a pilot platform (by brand) in a pilot
-- province (the region code's first two digits), from the later of the two start dates to the earlier end
-- (人社部发〔2021〕110号, 人社部发〔2025〕24号; null when the pilot does not bind it).
-- A table read by a dozen models (not a view re-ranking the ledger for each), incremental: a night re-ranks only
-- the engagements with a ledger report staged that night (the others' latest report cannot have changed).
{{ config(materialized='incremental', unique_key='engagement_key', incremental_strategy='delete+insert') }}

select
    l.employer_uscc || ':' || l.platform_uscc || ':' || l.worker_key as engagement_key,
    l.employer_uscc,
    l.platform_uscc,
    l.employer_role,
    l.worker_key,
    l.occupation,
    l.relationship_type,
    l.is_part_time,
    l.has_written_agreement,
    l.region_code,
    r.jurisdiction,
    r.province,
    r.min_wage_tier,
    l.onboarding_date,
    l.offboarding_date,
    l.pension_registered_date,
    l.injury_registered_date,
    l.injury_cover,
    l.platform_brand,
    -- both a pilot platform and a pilot province, else null (greatest and least skip nulls)
    case when pv.province_code is not null then greatest(pp.valid_from, pv.valid_from) end as injury_pilot_from,
    case
        when pv.province_code is not null
            then least(coalesce(pp.valid_to, date '9999-12-31'), coalesce(pv.valid_to, date '9999-12-31'))
    end as injury_pilot_to,
    l.deposit_amount,
    l.report_period,
    l.kafka_topic as evidence_topic,
    l.message_id as evidence_message_id,
    l.record_index as evidence_record_index
from {{ ref('stg_hrss__employment_ledger') }} l
left join {{ ref('ref_regions') }} r on r.region_code = l.region_code
left join {{ ref('ref_occupational_injury_pilot_platforms') }} pp on pp.platform_brand = l.platform_brand
left join {{ ref('ref_occupational_injury_pilot_provinces') }} pv
    on pv.province_code = left(l.region_code, 2) and pp.platform_brand is not null
{%- if is_incremental() %}
where exists (
    select 1 from {{ ref('stg_hrss__employment_ledger') }} n
    where n.staged_on = {{ as_of_date() }}
        and n.employer_uscc = l.employer_uscc and n.platform_uscc = l.platform_uscc and n.worker_key = l.worker_key
)
{%- endif %}
qualify row_number() over (
    partition by l.employer_uscc, l.platform_uscc, l.worker_key
    order by l.report_month desc, l.report_date desc, l.kafka_partition desc, l.kafka_offset desc) = 1
