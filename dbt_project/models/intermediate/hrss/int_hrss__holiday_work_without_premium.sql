-- Work on a statutory holiday (法定节假日, official calendar ref_calendar) without the premium:
--   labour contract (incl. part-time): premium ≥ earnings × (overtime_premium_statutory_holiday − 1),
--     i.e. ≥ 300% pay in total (劳动法 Art.44);
--   "not fully" a labour relationship: pay higher than normal, premium > earnings ×
--     holiday_premium_not_fully_min_share (seeds 000 (七), 001 (七): 高于正常工作时间劳动报酬标准的合理报酬);
--   civil relationships: no statutory premium.
-- The holiday is the official calendar's, not the platform's own flag. Incremental on the service
-- days staged on the night being built, like int_hrss__overtime_without_stop_dispatch.
{{ config(materialized='incremental', unique_key='violation_key', incremental_strategy='delete+insert') }}

with holiday_work as (
    select
        s.*,
        e.relationship_type,
        e.jurisdiction
    from {{ ref('stg_hrss__service_time') }} s
    join {{ ref('ref_calendar') }} c on c.calendar_date = s.service_date and c.is_statutory_holiday
    join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    where s.order_minutes > 0 and e.relationship_type in ('labour_contract', 'not_fully')
    {%- if is_incremental() %}
        and s.staged_on = {{ as_of_date() }}
    {%- endif %}
),

required as (
    select
        h.*,
        case h.relationship_type
            when 'labour_contract'
                then h.earnings * ({{ policy_parameter('overtime_premium_statutory_holiday', 'h.jurisdiction') }} - 1)
            else h.earnings * {{ policy_parameter('holiday_premium_not_fully_min_share', 'h.jurisdiction') }}
        end as minimum_premium
    from holiday_work h
)

select
    employer_uscc || ':' || platform_uscc || ':' || worker_key || ':' || service_date as violation_key,
    employer_uscc,
    platform_uscc,
    worker_key,
    service_date,
    relationship_type,
    jurisdiction,
    earnings,
    holiday_premium,
    round(minimum_premium, 2) as minimum_premium,
    'gigshield.holiday_premium.v1 (劳动法 Art.44; seeds 000 (七), 001 (七); ref_policy_parameters)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from required
where case relationship_type
        when 'labour_contract' then holiday_premium < round(minimum_premium, 2)
        else holiday_premium <= round(minimum_premium, 2)
      end
