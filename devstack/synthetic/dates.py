"""Dates of the synthetic agencies: ISO strings, Beijing timestamps and the official working-day calendar.

Working days are chinese_calendar's (the State Council's holiday notices, swapped workdays included), as
`dbt_project/seeds/ref_calendar.csv` has them: beyond the years it covers, weekdays only, as the seed does.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

import chinese_calendar

from core.config import BEIJING


def iso(day: dt.date) -> str:
    return day.isoformat()


def stamp(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour, minute), BEIJING).isoformat()


@cache
def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # beyond the calendar's published years: weekdays only
        return day.weekday() < 5


def is_statutory_holiday(day: dt.date) -> bool:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return bool(on_holiday and name)


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
