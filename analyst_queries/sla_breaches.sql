-- The government's handling of wage-arrears leads (欠薪线索, Gaoqing 高人社发〔2022〕5号 (五): 当日受理、次日对接、
-- 3日反馈), by jurisdiction, handling unit and step: steps late (done late or still overdue), the leads
-- concerned and the days late. A duty of the labour department, not of the enterprise complained about.
select
    jurisdiction,
    handling_unit,
    step,
    count(*) filter (where is_late) as late_steps,
    count(*) filter (where step_status = 'done_late') as done_late,
    count(*) filter (where step_status = 'overdue') as overdue,
    count(distinct complaint_id) filter (where is_late) as leads,
    sum(days_late) as days_late
from marts.fct_inspectorate_performance
where deadline is not null
group by all
order by jurisdiction, handling_unit, step
