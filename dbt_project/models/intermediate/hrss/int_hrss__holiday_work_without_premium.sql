-- Work on a statutory holiday or a rest day (official calendar ref_calendar.day_type, 全国年节及纪念日放假办法
-- Art.2) without the premium the law requires (the premium paid: holiday_premium + rest_day_premium):
--   statutory holiday, labour contract (incl. part-time): premium ≥ earnings × (statutory multiple − 1),
--     i.e. ≥ 300% pay in total (劳动法 Art.44 (三), overtime_premium_statutory_holiday);
--   statutory holiday, "not fully" a labour relationship: premium > earnings × holiday_premium_not_fully_min_share
--     (seeds 000 (七), 001 (七): 高于正常工作时间劳动报酬标准的合理报酬);
--   rest day (a weekend, or a day off inside a holiday block that is not one of the statutory days), full-time labour
--     contract, unless time off in lieu (补休) is recorded: premium ≥ earnings × (overtime_premium_rest_day − 1),
--     i.e. ≥ 200% in total (劳动法 Art.44 (二));
--   civil relationships: no statutory premium.
-- Parameters are those in force on the service date. Incremental on the service days staged on the night being
-- built, like int_hrss__overtime_without_stop_dispatch.
{{ config(materialized='incremental', unique_key='violation_key', incremental_strategy='delete+insert') }}

with days_off_worked as (
    select
        s.*,
        c.day_type,
        e.relationship_type,
        e.jurisdiction,
        s.holiday_premium + coalesce(s.rest_day_premium, 0) as premium_paid
    from {{ ref('stg_hrss__service_time') }} s
    join {{ ref('ref_calendar') }} c on c.calendar_date = s.service_date
    join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    where s.order_minutes > 0
        and (
            (c.day_type = 'statutory_holiday' and e.relationship_type in ('labour_contract', 'not_fully'))
            or (c.day_type = 'rest_day' and e.relationship_type = 'labour_contract' and not e.is_part_time
                and not coalesce(s.time_off_in_lieu, false))
        )
    {%- if is_incremental() %}
        and s.staged_on = {{ as_of_date() }}
    {%- endif %}
),

required as (
    select
        d.*,
        case
            when d.day_type = 'rest_day' then d.earnings * (d.rest_day_multiple - 1)
            when d.relationship_type = 'labour_contract' then d.earnings * (d.holiday_multiple - 1)
            else d.earnings * d.not_fully_share
        end as minimum_premium
    from (
        select
            w.*,
            {{ policy_parameter('overtime_premium_rest_day', 'w.jurisdiction', on='w.service_date') }}
                as rest_day_multiple,
            {{ policy_parameter('overtime_premium_statutory_holiday', 'w.jurisdiction', on='w.service_date') }}
                as holiday_multiple,
            {{ policy_parameter('holiday_premium_not_fully_min_share', 'w.jurisdiction', on='w.service_date') }}
                as not_fully_share
        from days_off_worked w
    ) d
)

select
    employer_uscc || ':' || platform_uscc || ':' || worker_key || ':' || service_date as violation_key,
    case day_type
        when 'rest_day' then {{ finding_kind('rest_day_work_without_premium') }}
        else {{ finding_kind('holiday_work_without_premium') }}
    end as violation_kind,
    employer_uscc,
    platform_uscc,
    worker_key,
    service_date,
    day_type,
    relationship_type,
    jurisdiction,
    earnings,
    holiday_premium,
    rest_day_premium,
    premium_paid,
    round(minimum_premium, 2) as minimum_premium,
    'gigshield.day_off_premium.v2 (劳动法 Art.44 (二)(三); 全国年节及纪念日放假办法 Art.2; seeds 000 (七), 001 (七); '
    || 'ref_policy_parameters)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from required
where case
        when relationship_type = 'not_fully' then premium_paid <= round(minimum_premium, 2)
        else premium_paid < round(minimum_premium, 2)
      end
