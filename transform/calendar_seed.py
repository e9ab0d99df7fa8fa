"""The working-day calendar seed (dbt_project/seeds/ref_calendar.csv), generated from chinese-calendar.

    python -m transform.calendar_seed           write the seed
    python -m transform.calendar_seed --check   exit 1 if the committed seed differs (a test runs this)

Deadlines in the rules are counted in working days (人社部令第45号: objection, verification,
decision, delisting) and paydays move before a statutory holiday (工资支付暂行规定 Art.7), so the
models need the official calendar, 调休 swapped workdays included. chinese-calendar publishes each
year once the State Council announces it; for later years only weekends are known, and the seed
says so in its source column rather than guessing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys

import chinese_calendar

from core.config import DBT_PROJECT_DIR

SEED = DBT_PROJECT_DIR / "seeds" / "ref_calendar.csv"
FIRST_DAY, LAST_DAY = dt.date(2020, 1, 1), dt.date(2031, 12, 31)  # a 3-year listing from 2028 ends in 2031
OFFICIAL = f"chinese-calendar {chinese_calendar.__version__} (国务院办公厅 holiday notices)"
WEEKENDS_ONLY = "weekends only: no State Council holiday notice for this year yet — regenerate when published"


def calendar_rows(first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> list[dict[str, object]]:
    rows = []
    day = first
    while day <= last:
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
            is_workday = chinese_calendar.is_workday(day)
            in_lieu = chinese_calendar.is_in_lieu(day)
            source = OFFICIAL
        except NotImplementedError:
            is_workday, in_lieu, name, source = day.weekday() < 5, False, None, WEEKENDS_ONLY
        # A day off inside a named holiday that is not a swapped (调休) day: the calendar's nearest
        # notion of a statutory holiday (劳动法 Art.44: 300% pay).
        statutory = name is not None and not is_workday and not in_lieu
        rows.append(
            {
                "calendar_date": day.isoformat(),
                "is_workday": is_workday,
                "is_statutory_holiday": statutory,
                "is_in_lieu": in_lieu,
                "holiday_name": name or "",
                "source": source,
            }
        )
        day += dt.timedelta(days=1)
    return rows


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
