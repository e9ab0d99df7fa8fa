-- Long service days the platform did not stop (seed 000 (七): platforms stop dispatching orders when
-- service time exceeds the limit; the limit is the jurisdiction's stop_dispatch_daily_service_minutes,
-- an unconfirmed default in ref_policy_parameters).
-- Incremental: a night checks the service days staged that night.
{{ config(materialized='incremental', unique_key='violation_key', incremental_strategy='delete+insert') }}

with days as (
    select
        s.*,
        e.jurisdiction
    from {{ ref('stg_hrss__service_time') }} s
    left join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    {%- if is_incremental() %}
    where s.staged_on = {{ as_of_date() }}
    {%- endif %}
)

select
    d.employer_uscc || ':' || d.platform_uscc || ':' || d.worker_key || ':' || d.service_date as violation_key,
    d.employer_uscc,
    d.platform_uscc,
    d.worker_key,
    d.service_date,
    d.jurisdiction,
    d.online_minutes,
    {{ policy_parameter('stop_dispatch_daily_service_minutes', 'd.jurisdiction') }} as limit_minutes,
    'gigshield.stop_dispatch.v1 (seed 000 (七); ref_policy_parameters)' as rule_version,
    d.kafka_topic as evidence_topic,
    d.message_id as evidence_message_id,
    d.record_index as evidence_record_index
from days d
where not d.was_forced_offline
    and d.online_minutes > {{ policy_parameter('stop_dispatch_daily_service_minutes', 'd.jurisdiction') }}
