-- Working time of labour-contract workers, on each service day's working_minutes (order + allowance time where the
-- feed reports it, else online time: stg_hrss__service_time), one row per breach:
--   overtime_daily_cap_exceeded     a full-time worker's day beyond normal_daily_hours by more than
--                                   overtime_daily_hours_max (the exceptional 3 h of 劳动法 Art.41; the normal 1 h,
--                                   overtime_daily_hours_normal, needs a special reason the feeds do not carry)
--   overtime_monthly_cap_exceeded   a full-time worker's overtime in a calendar month (Σ of each day beyond
--                                   normal_daily_hours) above overtime_monthly_hours_max (36 h, 劳动法 Art.41), dated
--                                   the day the running total passed it
--   no_weekly_rest_day              a full-time worker with fewer days without service in an ISO week (Monday to
--                                   Sunday) than weekly_rest_days_min (劳动法 Art.38, at least one day of rest a week);
--                                   a day without a service record is a day of rest
--   part_time_weekly_hours_exceeded a part-time worker above part_time_weekly_hours_max in an ISO week
--                                   (劳动合同法 Art.68)
--   part_time_daily_hours_exceeded  a part-time worker averaging above part_time_daily_hours_max per day worked in an
--                                   ISO week (劳动合同法 Art.68: 平均每日工作时间不超过四小时)
-- Counted per employer and worker (across the platforms the employer serves), with the parameters in force on the
-- day (or the week's or month's last day worked). Also, for every relationship type, booked to the platform:
--   continuous_service_without_break  a stretch of continuous service longer than
--                                   continuous_service_break_after_minutes (an unconfirmed default; 人社厅发〔2023〕50号
--                                   asks platforms to prompt a break)
-- Evidence: the service record of the day (for a week or month, of its last day worked).
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with labour_days as (
    select
        s.employer_uscc,
        s.worker_key,
        s.service_date,
        e.is_part_time,
        e.jurisdiction,
        sum(s.working_minutes) as working_minutes,
        arg_max(s.platform_uscc, s.working_minutes) as platform_uscc,
        arg_max(s.kafka_topic, s.working_minutes) as evidence_topic,
        arg_max(s.message_id, s.working_minutes) as evidence_message_id,
        arg_max(s.record_index, s.working_minutes) as evidence_record_index
    from {{ ref('stg_hrss__service_time') }} s
    join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    where e.relationship_type = 'labour_contract' and s.working_minutes > 0
    group by s.employer_uscc, s.worker_key, s.service_date, e.is_part_time, e.jurisdiction
),

full_time_days as (
    select
        d.*,
        greatest(
            d.working_minutes
            - 60 * {{ policy_parameter('normal_daily_hours', 'd.jurisdiction', on='d.service_date') }},
            0
        ) as overtime_minutes,
        60 * {{ policy_parameter('overtime_daily_hours_max', 'd.jurisdiction', on='d.service_date') }}
            as daily_cap_minutes,
        60 * {{ policy_parameter('overtime_monthly_hours_max', 'd.jurisdiction', on='d.service_date') }}
            as monthly_cap_minutes
    from labour_days d
    where not d.is_part_time
),

monthly_running as (
    select
        f.*,
        sum(f.overtime_minutes) over (
            partition by f.employer_uscc, f.worker_key, date_trunc('month', f.service_date)
            order by f.service_date) as month_overtime_minutes
    from full_time_days f
),

weeks as (
    select
        d.employer_uscc,
        d.worker_key,
        d.is_part_time,
        date_trunc('week', d.service_date) as week_start,
        max(d.service_date) as last_day,
        count(*) as days_worked,
        -- the days of the ISO week without service (a day without a service record is a day of rest)
        7 - count(*) as days_without_service,
        sum(d.working_minutes) as week_minutes,
        arg_max(d.jurisdiction, d.service_date) as jurisdiction,
        arg_max(d.platform_uscc, d.service_date) as platform_uscc,
        arg_max(d.evidence_topic, d.service_date) as evidence_topic,
        arg_max(d.evidence_message_id, d.service_date) as evidence_message_id,
        arg_max(d.evidence_record_index, d.service_date) as evidence_record_index
    from labour_days d
    group by d.employer_uscc, d.worker_key, d.is_part_time, date_trunc('week', d.service_date)
),

part_time_weeks as (
    select
        w.*,
        w.week_minutes / 60.0 as week_hours,
        w.week_minutes / 60.0 / w.days_worked as daily_average_hours,
        {{ policy_parameter('part_time_weekly_hours_max', 'w.jurisdiction', on='w.last_day') }} as weekly_max_hours,
        {{ policy_parameter('part_time_daily_hours_max', 'w.jurisdiction', on='w.last_day') }} as daily_max_hours
    from weeks w
    where w.is_part_time
),

breaches as (
    select
        {{ finding_kind('overtime_daily_cap_exceeded') }} as violation_kind,
        employer_uscc as enterprise_uscc, platform_uscc, worker_key, service_date as finding_date,
        cast(service_date as varchar) as period_key, overtime_minutes / 60.0 as measured_hours, jurisdiction,
        evidence_topic, evidence_message_id, evidence_record_index
    from full_time_days
    where overtime_minutes > daily_cap_minutes
    union all
    select
        {{ finding_kind('overtime_monthly_cap_exceeded') }},
        employer_uscc, platform_uscc, worker_key, service_date,
        strftime(service_date, '%Y-%m'), month_overtime_minutes / 60.0, jurisdiction,
        evidence_topic, evidence_message_id, evidence_record_index
    from monthly_running
    where month_overtime_minutes > monthly_cap_minutes
    -- the day the month's running total first passed the cap
    qualify row_number() over (
        partition by employer_uscc, worker_key, date_trunc('month', service_date) order by service_date) = 1
    union all
    select
        {{ finding_kind('no_weekly_rest_day') }},
        employer_uscc, platform_uscc, worker_key, last_day,
        cast(cast(week_start as date) as varchar), week_minutes / 60.0, jurisdiction,
        evidence_topic, evidence_message_id, evidence_record_index
    from weeks
    where not is_part_time
        and days_without_service
        < {{ policy_parameter('weekly_rest_days_min', 'weeks.jurisdiction', on='weeks.last_day') }}
    union all
    select
        {{ finding_kind('part_time_weekly_hours_exceeded') }},
        employer_uscc, platform_uscc, worker_key, last_day,
        cast(cast(week_start as date) as varchar), week_hours, jurisdiction,
        evidence_topic, evidence_message_id, evidence_record_index
    from part_time_weeks
    where week_hours > weekly_max_hours
    union all
    select
        {{ finding_kind('part_time_daily_hours_exceeded') }},
        employer_uscc, platform_uscc, worker_key, last_day,
        cast(cast(week_start as date) as varchar), daily_average_hours, jurisdiction,
        evidence_topic, evidence_message_id, evidence_record_index
    from part_time_weeks
    where daily_average_hours > daily_max_hours
    union all
    select
        {{ finding_kind('continuous_service_without_break') }},
        s.platform_uscc as enterprise_uscc, s.platform_uscc, s.worker_key, s.service_date,
        cast(s.service_date as varchar), s.longest_continuous_minutes / 60.0, e.jurisdiction,
        s.kafka_topic, s.message_id, s.record_index
    from {{ ref('stg_hrss__service_time') }} s
    left join {{ ref('int_hrss__engagements') }} e
        on e.employer_uscc = s.employer_uscc and e.platform_uscc = s.platform_uscc and e.worker_key = s.worker_key
    where s.longest_continuous_minutes
        > {{ policy_parameter('continuous_service_break_after_minutes', 'e.jurisdiction', on='s.service_date') }}
)

select
    violation_kind || ':' || enterprise_uscc || ':' || coalesce(platform_uscc, '') || ':' || worker_key || ':'
        || period_key as violation_key,
    violation_kind,
    enterprise_uscc,
    platform_uscc,
    worker_key,
    period_key,
    finding_date,
    round(measured_hours, 2) as measured_hours,
    jurisdiction,
    'gigshield.working_time.v1 (劳动法 Art.36, 38, 41; 劳动合同法 Art.68; 人社厅发〔2023〕50号; ref_policy_parameters)'
        as rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from breaches
