"""The statutory calendar seed (dbt_project/seeds/ref_calendar.csv): chinese-calendar's working days and
days off, with the statutory holidays computed from the lunar calendar (lunar-python).

    python -m transform.calendar_seed           write the seed
    python -m transform.calendar_seed --check   exit 1 if the committed seed differs (a test runs this)

Deadlines in the rules are counted in working days (人社部令第45号: objection, verification,
decision, delisting) or in calendar days ending on the next working day (民法典 Art.203), and paydays
move before a day off (工资支付暂行规定 Art.7), so the models need the official calendar, 调休 swapped
workdays included. Each day is one of:

- statutory_holiday: one of the holidays of 全国年节及纪念日放假办法 — from 2025-01-01 as revised by
  国务院令第795号 (Art.2, 13 days: 元旦 01-01; 春节 4, 除夕 to 正月初三; 清明 1, the 清明 solar-term day;
  劳动节 05-01, 05-02; 端午 1, 五月初五; 中秋 1, 八月十五; 国庆 10-01 to 10-03), before that as revised
  by 国务院令第644号 (11 days: 春节 3, 正月初一 to 初三; 劳动节 05-01 only). Work on it is paid ≥300%
  (劳动法 Art.44(三)). chinese-calendar tells days off, not which are statutory, hence the lunar calendar.
- rest_day: any other day that is not a working day — weekends and the other days off inside a holiday
  block (moved there by the State Council's yearly notice); work on it ≥200% or time off in lieu
  (劳动法 Art.44(二)).
- working_day: chinese-calendar's working days, 调休 swapped workdays (is_in_lieu) included.

chinese-calendar publishes each year once the State Council announces it; for later years working days
are weekdays only, the statutory holidays still come from the lunar calendar (they are fixed by the
regulation, only the swapped days are not), and the rows are marked is_provisional with a source
that says so: regenerate when the notice is published.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from functools import cache
from importlib.metadata import version

import chinese_calendar
from lunar_python import Lunar

from core.config import DBT_PROJECT_DIR

SEED = DBT_PROJECT_DIR / "seeds" / "ref_calendar.csv"
FIRST_DAY, LAST_DAY = dt.date(2020, 1, 1), dt.date(2031, 12, 31)  # a 3-year listing from 2028 ends in 2031
REVISION_795 = dt.date(2025, 1, 1)  # 国务院令第795号 in force
LUNAR = f"lunar-python {version('lunar-python')}"
OFFICIAL = f"chinese-calendar {chinese_calendar.__version__} (国务院办公厅 holiday notices)"
PROVISIONAL = (
    "provisional: weekends only, no State Council holiday notice for this year yet in "
    f"chinese-calendar {chinese_calendar.__version__} — regenerate when published"
)
DAY_TYPES = ("working_day", "rest_day", "statutory_holiday")


def regulation(day: dt.date) -> str:
    if day >= REVISION_795:
        return "全国年节及纪念日放假办法 Art.2 (国务院令第795号)"
    return "全国年节及纪念日放假办法 Art.2 (国务院令第644号)"


@cache
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays of `year` (全国年节及纪念日放假办法 Art.2), date → name: 13 from 2025, 11 before."""

    def solar(lunar: Lunar) -> dt.date:
        s = lunar.getSolar()
        return dt.date(s.getYear(), s.getMonth(), s.getDay())

    new_year = solar(Lunar.fromYmd(year, 1, 1))  # 正月初一 of the lunar year starting in `year`
    spring = [new_year + dt.timedelta(days=k) for k in range(3)]
    labour = [dt.date(year, 5, 1)]
    if year >= REVISION_795.year:
        spring.insert(0, new_year - dt.timedelta(days=1))  # 除夕: the last day of the previous lunar year
        labour.append(dt.date(year, 5, 2))
    qingming_term = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    days = {dt.date(year, 1, 1): "New Year's Day"}
    days |= dict.fromkeys(spring, "Spring Festival")
    days[dt.date(qingming_term.getYear(), qingming_term.getMonth(), qingming_term.getDay())] = "Tomb-sweeping Day"
    days |= dict.fromkeys(labour, "Labour Day")
    days[solar(Lunar.fromYmd(year, 5, 5))] = "Dragon Boat Festival"
    days[solar(Lunar.fromYmd(year, 8, 15))] = "Mid-autumn Festival"
    for d in (1, 2, 3):  # 中秋 can fall inside 国庆 (2020-10-01): one day, both names
        day = dt.date(year, 10, d)
        days[day] = f"{days[day]}, National Day" if day in days else "National Day"
    assert all(d.year == year for d in days), (year, days)
    return days


def _official(day: dt.date) -> tuple[bool, bool, str | None] | None:
    """chinese-calendar's (is_workday, is_in_lieu, holiday name) of `day`, None past its last year."""
    try:
        _, name = chinese_calendar.get_holiday_detail(day)
        return bool(chinese_calendar.is_workday(day)), bool(chinese_calendar.is_in_lieu(day)), name
    except NotImplementedError:
        return None


def is_provisional(day: dt.date) -> bool:
    return _official(day) is None


@cache
def day_row(day: dt.date) -> dict[str, object]:
    official = _official(day)
    provisional = official is None
    holiday = statutory_holidays(day.year).get(day)
    if official is None:
        is_workday, in_lieu, name = day.weekday() < 5 and holiday is None, False, holiday
    else:
        is_workday, in_lieu, name = official
    if holiday is not None and is_workday:
        raise ValueError(f"{day}: statutory holiday {holiday} is a working day in chinese-calendar — data error")
    kind = "statutory_holiday" if holiday is not None else ("working_day" if is_workday else "rest_day")
    calendar_source = PROVISIONAL if provisional else OFFICIAL
    return {
        "calendar_date": day.isoformat(),
        "day_type": kind,
        "is_workday": is_workday,
        "is_statutory_holiday": holiday is not None,
        "is_in_lieu": in_lieu,
        "holiday_name": holiday or name or "",
        "is_provisional": provisional,
        "source": f"{calendar_source}; statutory holidays: {regulation(day)}, {LUNAR}",
    }


def day_type(day: dt.date) -> str:
    """'working_day', 'rest_day' or 'statutory_holiday', as the seed has it (the synthetic agencies use it)."""
    return str(day_row(day)["day_type"])


def calendar_rows(first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> list[dict[str, object]]:
    return [day_row(first + dt.timedelta(days=k)) for k in range((last - first).days + 1)]


def render(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed seed is out of date")
    args = parser.parse_args(argv)
    text = render(calendar_rows())
    if args.check:
        current = SEED.read_text(encoding="utf-8") if SEED.exists() else ""
        if current != text:
            print(f"{SEED} is out of date: run python -m transform.calendar_seed", file=sys.stderr)
            return 1
        return 0
    SEED.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
