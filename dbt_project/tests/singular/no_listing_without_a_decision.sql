-- Gigshield never decides (人社部令第45号: a case is listed only by the 人社 department's listing decision):
-- a case shown as listed, or a person as listed, without a recorded listing decision fails the night.
select order_id, case_status
from {{ ref('fct_blacklist_cases') }}
where (is_listed or case_status in ('removed_early', 'delisted')) and decision_number is null
union all
select order_id, 'person without a decision'
from {{ ref('fct_blacklist_listed_persons') }}
where decision_number is null
