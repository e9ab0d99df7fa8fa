-- Complaint handling deadlines (欠薪线索: 当日受理、次日对接、3日反馈, 高人社发〔2022〕5号 (seed 004) (五)),
-- where the jurisdiction's policy sets them (ref_policy_parameters complaint_*_days; elsewhere there is
-- no deadline to breach). A step is late when it happened after received + the allowed days, or has not
-- happened by the as-of date after that deadline passed.
{% set steps = {'accepted': 'complaint_accept_days', 'connected': 'complaint_connect_days',
                'feedback': 'complaint_feedback_days'} %}

with complaints as (
    select
        c.complaint_id,
        any_value(c.respondent_uscc) as respondent_uscc,
        any_value(c.platform_uscc) as platform_uscc,
        any_value(c.region_code) as region_code,
        min(c.event_at) filter (where c.event_type = 'received') as received_at,
        {%- for step in steps %}
        min(c.event_at) filter (where c.event_type = '{{ step }}') as {{ step }}_at,
        {%- endfor %}
        arg_min(c.message_id, c.event_at) filter (where c.event_type = 'received') as evidence_message_id,
        arg_min(c.record_index, c.event_at) filter (where c.event_type = 'received') as evidence_record_index,
        any_value(c.kafka_topic) as evidence_topic
    from {{ ref('stg_hrss__complaint_events') }} c
    group by c.complaint_id
),

with_rules as (
    select k.*, r.jurisdiction
    from complaints k
    left join {{ ref('ref_regions') }} r on r.region_code = k.region_code
    where k.received_at is not null
),

{%- for step, parameter in steps.items() %}
{{ step }}_deadlines as (
    select
        w.*,
        '{{ step }}' as step,
        w.{{ step }}_at as step_at,
        (select p.value from {{ ref('ref_policy_parameters') }} p
         where p.parameter = '{{ parameter }}' and p.jurisdiction = w.jurisdiction) as allowed_days
    from with_rules w
){{ "," if not loop.last }}
{%- endfor %}

select
    complaint_id || ':' || step as breach_key,
    complaint_id,
    respondent_uscc,
    platform_uscc,
    region_code,
    jurisdiction,
    step,
    received_at,
    step_at,
    {{ beijing_date('received_at') }} + cast(allowed_days as integer) as step_deadline,
    'gigshield.complaint_sla.v1 (高人社发〔2022〕5号 (五); ref_policy_parameters)' as rule_version,
    evidence_topic,
    evidence_message_id,
    evidence_record_index
from (
    {%- for step in steps %}
    select * from {{ step }}_deadlines {{ "union all" if not loop.last }}
    {%- endfor %}
) d
where allowed_days is not null
    and coalesce({{ beijing_date('step_at') }}, {{ as_of_date() }})
        > {{ beijing_date('received_at') }} + cast(allowed_days as integer)
