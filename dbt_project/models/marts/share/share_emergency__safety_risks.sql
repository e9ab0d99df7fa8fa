{{ config(schema='share') }}
-- For 应急管理 (emergency management): per enterprise and year, the safety signals in the labour data —
-- workers kept online past the stop-dispatch limit (fatigue; seed 000 (七)), safety incidents and their
-- casualties, safety penalties — for enterprises that have any. Counts only: no worker-level rows.
with safety as (
    select
        enterprise_uscc,
        year(finding_date) as finding_year,
        count(*) filter (where finding_kind = {{ finding_kind('overtime_no_stop_dispatch') }}) as overtime_findings,
        count(distinct worker_key) filter (where finding_kind = {{ finding_kind('overtime_no_stop_dispatch') }})
            as workers_over_service_limit,
        count(*) filter (where finding_kind like {{ finding_kind('safety_incident_%') }}) as safety_incidents,
        count(*) filter (
            where finding_kind in {{ finding_kinds(['safety_incident_serious', 'safety_incident_major']) }}
        ) as serious_or_major_incidents,
        sum(amount) filter (where finding_kind like {{ finding_kind('safety_incident_%') }}) as incident_casualties,
        count(*) filter (where finding_kind like {{ finding_kind('penalty_%_safety') }}) as safety_penalties
    from {{ ref('int_credit__findings') }}
    where finding_kind = {{ finding_kind('overtime_no_stop_dispatch') }}
        or finding_kind like {{ finding_kind('safety_incident_%') }}
        or finding_kind like {{ finding_kind('penalty_%_safety') }}
    group by all
)

select
    s.enterprise_uscc || ':' || s.finding_year as safety_risk_key,
    s.enterprise_uscc,
    e.enterprise_name,
    e.region_code,
    e.is_platform,
    cast(s.finding_year as integer) as finding_year,
    s.overtime_findings,
    s.workers_over_service_limit,
    s.safety_incidents,
    s.serious_or_major_incidents,
    cast(coalesce(s.incident_casualties, 0) as bigint) as incident_casualties,
    s.safety_penalties,
    {{ as_of_date() }} as as_of_date
from safety s
left join {{ ref('dim_enterprise') }} e on e.uscc = s.enterprise_uscc
