-- The labour inspectorate's work queue on the blacklist (人社部令第45号): every open case with the act the
-- authority owes next, its deadline and, when it has passed, how many working days overdue. Read with
-- `order by is_overdue desc, next_act_due`: overdue cases first.
with calendar as (
    select calendar_date, working_day_number from {{ ref('int_calendar__working_days') }}
)

select
    c.order_id,
    c.enterprise_uscc,
    c.enterprise_name,
    c.region_code,
    c.jurisdiction,
    i.inspectorate_name,
    c.case_status,
    c.next_act,
    c.next_act_due,
    c.is_overdue,
    case when c.is_overdue then today.working_day_number - due.working_day_number end as working_days_overdue,
    c.decision_number,
    c.as_of_date
from {{ ref('fct_blacklist_cases') }} c
left join {{ ref('ref_labour_inspectorates') }} i on i.region_code = c.region_code
left join calendar due on due.calendar_date = c.next_act_due
left join calendar today on today.calendar_date = c.as_of_date
where c.next_act is not null
