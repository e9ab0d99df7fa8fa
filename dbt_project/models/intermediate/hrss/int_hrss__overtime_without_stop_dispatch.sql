-- Long service days the platform did not stop (seed 000 (七): platforms stop dispatching orders when service time
-- exceeds the limit). The duty is the platform's, so the finding is booked to the platform. The day's working time is
-- order time plus allowance time where the feed reports it (人社厅发〔2023〕50号; else online time:
-- stg_hrss__service_time.working_minutes); the limit is the jurisdiction's stop_dispatch_daily_service_minutes in
-- force on the day (an unconfirmed default at the longest legal day of an employee, 8 h + 3 h, 劳动法 Art.36, 41).
-- A day is cleared only when dispatch stopped at or before the limit (dispatch_stopped_at_minutes, a time in working
-- minutes, not a flag): stopping later, or never, is the breach; the forced_offline flag no longer clears it.
-- Incremental: a night checks the service days staged that night.
{{ config(materialized='incremental', unique_key='violation_key', incremental_strategy='delete+insert') }}

with days as (
    select
        s.*,
        e.jurisdiction,
        {{ policy_parameter('stop_dispatch_daily_service_minutes', 'e.jurisdiction', on='s.service_date') }}
            as limit_minutes
    from {{ ref('stg_hrss__service_time') }} s
    left join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    {%- if is_incremental() %}
    where s.staged_on = {{ as_of_date() }}
    {%- endif %}
)

select
    d.platform_uscc || ':' || d.worker_key || ':' || d.service_date as violation_key,
    d.platform_uscc,
    d.employer_uscc,
    d.worker_key,
    d.service_date,
    d.jurisdiction,
    d.online_minutes,
    d.working_minutes,
    d.working_time_basis,
    d.dispatch_stopped_at_minutes,
    d.limit_minutes,
    'gigshield.stop_dispatch.v2 (seed 000 (七); 人社厅发〔2023〕50号; 劳动法 Art.36, 41; ref_policy_parameters)'
        as rule_version,
    d.kafka_topic as evidence_topic,
    d.message_id as evidence_message_id,
    d.record_index as evidence_record_index
from days d
where d.working_minutes > d.limit_minutes
    and not coalesce(d.dispatch_stopped_at_minutes <= d.limit_minutes, false)
