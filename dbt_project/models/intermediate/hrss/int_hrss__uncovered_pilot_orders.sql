-- Service days on which a pilot platform left orders without occupational-injury cover. Where the
-- occupational-injury pilot binds the platform in the workplace's province (int_hrss__engagements.injury_pilot_from
-- to injury_pilot_to: 人社部发〔2021〕110号 from 2022-07-01, 人社部发〔2025〕24号 from 2025-07-01), the platform pays
-- per order and every order is insured (平台全额缴费、按单缴费、每单必保), for every order-taker without a labour
-- contract — "not fully" and civil ones alike (a labour contract is covered by work-injury insurance instead,
-- 工伤保险条例 Art.2, checked in int_hrss__engagement_violations). The duty is the platform's, so the finding is
-- booked to the platform. A day whose feed does not report orders_insured (null) is not judged: no evidence.
-- Incremental: a night checks the service days staged that night.
{{ config(materialized='incremental', unique_key='violation_key', incremental_strategy='delete+insert') }}

select
    s.platform_uscc || ':' || s.worker_key || ':' || s.service_date as violation_key,
    s.platform_uscc,
    s.employer_uscc,
    s.worker_key,
    s.service_date,
    e.relationship_type,
    e.platform_brand,
    e.jurisdiction,
    s.orders_completed,
    s.orders_insured,
    s.orders_completed - s.orders_insured as orders_uncovered,
    'gigshield.occupational_injury_orders.v1 (人社部发〔2021〕110号; 人社部发〔2025〕24号 每单必保; '
    || 'ref_occupational_injury_pilot_*)' as rule_version,
    s.kafka_topic as evidence_topic,
    s.message_id as evidence_message_id,
    s.record_index as evidence_record_index
from {{ ref('stg_hrss__service_time') }} s
join {{ ref('int_hrss__engagements') }} e
    on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
where e.relationship_type in ('not_fully', 'civil')
    and s.service_date between e.injury_pilot_from and e.injury_pilot_to
    and s.orders_insured < s.orders_completed
    {%- if is_incremental() %}
    and s.staged_on = {{ as_of_date() }}
    {%- endif %}
