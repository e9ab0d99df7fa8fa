-- Workers whose employee medical insurance ended (劳动关系终止导致职工医保断保) and who have not joined
-- another scheme in time for continuous cover, where the jurisdiction sets that window
-- (medical_insurance_gap_days in ref_policy_parameters: Hunan 90 days, 湘人社规〔2021〕24号 (九)).
--   window_open  no new spell yet and the window still runs: the worker can still keep continuous cover
--                (医保 and the unions can reach out before it closes);
--   gap          the window passed with no new spell, or the next spell started after it.
-- Spells come from the latest enrolment snapshot of each worker.
-- A table, not a view: worker-sized, and read by its consumers and by each of its tests (a view is recomputed
-- for every reader).
{{ config(materialized='table') }}

with latest_snapshot as (
    select *
    from {{ ref('stg_nhsa__medical_enrolments') }}
    qualify snapshot_date = max(snapshot_date) over (partition by worker_key)
),

ended as (
    select
        s.*,
        r.jurisdiction,
        {{ policy_parameter('medical_insurance_gap_days', 'r.jurisdiction') }} as window_days,
        (select min(n.start_date) from latest_snapshot n
         where n.worker_key = s.worker_key and n.start_date > s.end_date) as next_start_date
    from latest_snapshot s
    left join {{ ref('ref_regions') }} r on r.region_code = s.region_code
    where s.scheme = 'employee' and s.end_date is not null and s.end_date <= {{ as_of_date() }}
        -- not a lapse if another spell already covers the day after
        and not exists (
            select 1 from latest_snapshot o
            where o.worker_key = s.worker_key and o.spell_snapshot_id <> s.spell_snapshot_id
              and o.start_date <= s.end_date + 1 and coalesce(o.end_date, date '9999-12-31') > s.end_date)
)

select
    spell_snapshot_id as gap_key,
    worker_key,
    employer_uscc,
    region_code,
    jurisdiction,
    end_date as employee_cover_ended_on,
    end_date + cast(window_days as integer) as window_closes_on,
    next_start_date,
    case when next_start_date is null and {{ as_of_date() }} <= end_date + cast(window_days as integer)
         then 'window_open' else 'gap' end as gap_status,
    'gigshield.medical_insurance_gap.v1 (湘人社规〔2021〕24号 (九); ref_policy_parameters)' as rule_version,
    kafka_topic as evidence_topic,
    message_id as evidence_message_id,
    record_index as evidence_record_index
from ended
where window_days is not null
    and (next_start_date is null or next_start_date > end_date + cast(window_days as integer))
