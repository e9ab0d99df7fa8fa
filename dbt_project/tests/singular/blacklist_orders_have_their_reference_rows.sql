-- An order to pay whose region or province has no reference row (ref_regions, ref_wage_crime_thresholds)
-- cannot be judged against the blacklist's criteria: the night warns (and fct_blacklist_cases carries the
-- case as criteria_error, with an inspectorate alert) rather than letting it fall to the watch list.
{{ config(severity='warn') }}
select order_id, region_code, province, criteria_error
from {{ ref('int_hrss__blacklist_criteria') }}
where criteria_error is not null
