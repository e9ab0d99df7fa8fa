-- Complaint-handling deadlines missed (Gaoqing seed 004 (五): 当日受理、次日对接、3日反馈), by
-- jurisdiction and step, with the respondents concerned.
select
    jurisdiction,
    step,
    count(*) as breaches,
    count(distinct complaint_id) as complaints,
    count(distinct respondent_uscc) as respondents
from intermediate.int_hrss__complaint_sla_breaches
group by all
order by jurisdiction, step
