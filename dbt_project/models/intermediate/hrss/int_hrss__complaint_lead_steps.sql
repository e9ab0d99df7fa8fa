-- Every handling step of every wage-arrears lead (欠薪线索) with its deadline: the GOVERNMENT's duty
-- (the labour department's), not the enterprise complained about. The lifecycle is received → accepted (受理) →
-- assigned (分派 to a handling unit) → connected (对接) → handled (办结, with the conclusion) → feedback (反馈) →
-- closed; assigned and handled come from hrss.complaint_event.v2 only (a v1 lead never has them: no deadline
-- and pending, unless a jurisdiction sets one). 高人社发〔2022〕5号 (seed 004) (五): 当日受理、次日对接、3日反馈
-- applies to wage-arrears leads only, so only category 'wage_arrears' gets steps; a complaint of any other
-- category has no deadline here. The limits are the jurisdiction's policy rows (ref_policy_parameters
-- complaint_accept_days / complaint_assign_days / complaint_connect_days / complaint_handle_days /
-- complaint_feedback_days, calendar days, in force on the day of receipt); a jurisdiction without a row has no
-- deadline for that step (deadline null). Gaoqing sets accept, connect and feedback only; no row sets assign or
-- handle: 劳动保障监察条例 Art.17's 60 working days run from the filing of a case (立案), extended by 30 working
-- days for complex ones, which this feed does not carry, so it is not expressed as a calendar-day limit from receipt.
-- Deadline = receipt date + n calendar days, moved to the next working day when it ends on a rest day or
-- holiday (民法典 Art.203, macro add_calendar_days); n = 0 (当日受理) is the day of receipt itself.
-- A step is late when it was done after its deadline ('done_late', reported after it was done), or is still
-- not done by the as-of date after the deadline passed ('overdue'); days_late counts calendar days past the
-- deadline to the day done (or the as-of date). 'closed' and the handling conclusion are carried on every step.
{% set steps = {'accepted': 'complaint_accept_days', 'assigned': 'complaint_assign_days',
                'connected': 'complaint_connect_days', 'handled': 'complaint_handle_days',
                'feedback': 'complaint_feedback_days'} %}

with leads as (
    select
        c.complaint_id,
        any_value(c.respondent_uscc) as respondent_uscc,
        any_value(c.platform_uscc) filter (where c.platform_uscc is not null) as platform_uscc,
        arg_min(c.region_code, c.event_at) filter (where c.event_type = 'received') as region_code,
        arg_max(c.handling_unit, c.event_at) filter (where c.handling_unit is not null) as handling_unit,
        min(c.event_at) filter (where c.event_type = 'received') as received_at,
        {%- for step in steps %}
        min(c.event_at) filter (where c.event_type = '{{ step }}') as {{ step }}_at,
        {%- endfor %}
        min(c.event_at) filter (where c.event_type = 'closed') as closed_at,
        arg_max(c.conclusion, c.event_at) filter (where c.conclusion is not null) as conclusion,
        arg_min(c.message_id, c.event_at) filter (where c.event_type = 'received') as evidence_message_id,
        arg_min(c.record_index, c.event_at) filter (where c.event_type = 'received') as evidence_record_index,
        arg_min(c.kafka_topic, c.event_at) filter (where c.event_type = 'received') as evidence_topic
    from {{ ref('stg_hrss__complaint_events') }} c
    group by c.complaint_id
    -- wage-arrears leads only (高人社发〔2022〕5号 (五) 欠薪线索)
    having bool_and(c.complaint_category = 'wage_arrears')
),

received as (
    select
        k.*,
        r.jurisdiction,
        {{ beijing_date('k.received_at') }} as received_date
    from leads k
    left join {{ ref('ref_regions') }} r on r.region_code = k.region_code
    where k.received_at is not null and {{ beijing_date('k.received_at') }} <= {{ as_of_date() }}
),

steps as (
    {%- for step, parameter in steps.items() %}
    select
        w.*,
        '{{ step }}' as step,
        {{ loop.index }} as step_order,
        w.{{ step }}_at as done_at,
        cast({{ policy_parameter(parameter, 'w.jurisdiction', 'w.received_date') }} as integer) as allowed_days
    from received w
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

deadlines as (
    select
        s.*,
        case
            when s.allowed_days = 0 then s.received_date
            else {{ add_calendar_days('s.received_date', 's.allowed_days') }}
        end as deadline,
        {{ beijing_date('s.done_at') }} as done_on
    from steps s
)

select
    d.complaint_id || ':' || d.step as lead_step_key,
    d.complaint_id,
    d.step,
    d.step_order,
    d.respondent_uscc,
    d.platform_uscc,
    d.region_code,
    d.jurisdiction,
    d.handling_unit,
    d.received_at,
    d.received_date,
    d.allowed_days,
    d.deadline,
    d.done_at,
    d.done_on,
    coalesce(d.deadline < coalesce(d.done_on, {{ as_of_date() }}), false) as is_late,
    case
        when d.deadline < coalesce(d.done_on, {{ as_of_date() }})
            then cast(coalesce(d.done_on, {{ as_of_date() }}) - d.deadline as integer)
        else 0
    end as days_late,
    case
        when d.deadline is null then case when d.done_at is null then 'pending' else 'done' end
        when d.done_on is null then case when d.deadline < {{ as_of_date() }} then 'overdue' else 'pending' end
        when d.done_on > d.deadline then 'done_late'
        else 'done_on_time'
    end as step_status,
    d.closed_at,
    d.closed_at is not null as is_closed,
    d.conclusion,
    'gigshield.complaint_lead_steps.v2 (高人社发〔2022〕5号 (五) 欠薪线索 当日受理、次日对接、3日反馈; '
    || '民法典 Art.203; ref_policy_parameters complaint_*_days; assigned, handled from hrss.complaint_event.v2)'
    as rule_version,
    d.evidence_topic,
    d.evidence_message_id,
    d.evidence_record_index
from deadlines d
