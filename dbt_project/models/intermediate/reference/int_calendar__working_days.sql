-- The statutory calendar (seed ref_calendar: chinese-calendar's working days; statutory holidays of
-- 全国年节及纪念日放假办法 Art.2, 国务院令第795号 from 2025 / 第644号 before) with a running count of
-- working days, so that "n working days after a date" is one lookup (macro add_working_days).
-- is_provisional: the year has no State Council holiday notice yet (weekends-only working days).
select
    calendar_date,
    day_type,
    is_workday,
    is_statutory_holiday,
    is_provisional,
    count(*) filter (where is_workday) over (order by calendar_date) as working_day_number,
    source as calendar_source
from {{ ref('ref_calendar') }}
