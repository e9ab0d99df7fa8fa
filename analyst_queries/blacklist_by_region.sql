-- The unpaid-wage blacklist cases (人社部令第45号) by region and status as of the night: how many cases
-- are at each step of the lifecycle (criteria_error, threshold_unconfirmed, candidate → notified →
-- objection_pending → decision_due → listed → removal_due → delisted / removed_early / not_listed),
-- how many the authority listed by a decision (列入决定, with its 决定书 number: the only listed ones),
-- how many have an act overdue (and since when it was due), and what the employers still owe.
-- Gigshield computes the deadlines; a case past its decision deadline is overdue, not listed.
select
    r.province,
    r.city,
    r.region_name,
    c.region_code,
    c.jurisdiction,
    c.case_status,
    count(*) as cases,
    count(distinct c.enterprise_uscc) as employers,
    count(*) filter (
        where c.is_listed and c.decision_number is not null
    ) as listed_by_decision,
    count(*) filter (where c.is_overdue) as acts_overdue,
    min(c.next_act_due) filter (where c.is_overdue) as oldest_overdue_act_due,
    sum(c.workers_affected) as workers_affected,
    sum(c.amount_outstanding) as amount_outstanding
from marts.fct_blacklist_cases as c
left join reference.ref_regions as r on cast(r.region_code as varchar) = c.region_code
group by r.province, r.city, r.region_name, c.region_code, c.jurisdiction, c.case_status
order by
    c.jurisdiction nulls last,
    r.region_name nulls last,
    c.region_code,
    list_position(
        [
            'criteria_error', 'threshold_unconfirmed', 'candidate', 'notified', 'objection_pending',
            'decision_due', 'listed', 'removal_due', 'delisted', 'removed_early', 'not_listed'
        ],
        c.case_status
    )
