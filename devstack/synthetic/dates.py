"""Dates of the synthetic agencies: ISO strings, Beijing timestamps and the official working-day calendar.

Working days are chinese_calendar's (the State Council's holiday notices, swapped workdays included), as
`dbt_project/seeds/ref_calendar.csv` has them: beyond the years it covers, weekdays only, as the seed does.
"""

from __future__ import annotations

import calendar
import datetime as dt

from core.config import BEIJING
from transform.calendar_seed import day_type


def iso(day: dt.date) -> str:
    return day.isoformat()


def stamp(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), BEIJING).isoformat()


def is_workday(day: dt.date) -> bool:
    """A working day as the seed has it (transform.calendar_seed: chinese-calendar, weekdays only beyond it)."""
    return day_type(day) == "working_day"


def is_statutory_holiday(day: dt.date) -> bool:
    """One of the statutory holidays of 全国年节及纪念日放假办法 Art.2 (13 from 2025, 11 before), as the seed has it."""
    return day_type(day) == "statutory_holiday"


def is_rest_day(day: dt.date) -> bool:
    """A day off that is not a statutory holiday (weekends, the other days off of a holiday block)."""
    return day_type(day) == "rest_day"


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (n >= 1): how 人社部令第45号's periods are counted."""
    if n < 1:
        raise ValueError(f"add_working_days counts from the next working day: n={n}")
    while n:
        day += dt.timedelta(days=1)
        n -= is_workday(day)
    return day


def working_day_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, the month's last day where it has no such day (08-31 + 6 = 02-28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
