-- The official calendar with a running count of working days, so that "n working days after a
-- date" is one lookup (macro add_working_days).
select
    calendar_date,
    is_workday,
    is_statutory_holiday,
    count(*) filter (where is_workday) over (order by calendar_date) as working_day_number,
    source as calendar_source
from {{ ref('ref_calendar') }}
