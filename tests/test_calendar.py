"""The statutory calendar (transform/calendar_seed.py, seed ref_calendar, macro add_calendar_days)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from devstack.synthetic import dates
from transform import calendar_seed

pytestmark = pytest.mark.unit

D = dt.date
# 2025 (国务院令第795号, 13 days): 元旦 01-01; 除夕 01-28 (正月初一 乙巳 is 01-29, so the day before),
# 春节 01-29..01-31 (初一–初三); 清明 04-04 (the 清明 solar term, sun at 15° Aries, fell on 04-04);
# 劳动节 05-01, 05-02; 端午 05-31 (五月初五: 五月初一 was 05-27); 中秋 10-06 (八月十五: 八月初一 was 09-22);
# 国庆 10-01..10-03.
HOLIDAYS_2025 = [
    D(2025, 1, 1), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31), D(2025, 4, 4),
    D(2025, 5, 1), D(2025, 5, 2), D(2025, 5, 31), D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3),
    D(2025, 10, 6),
]  # fmt: skip
# 2026: 正月初一 丙午 is 02-17, so 除夕 02-16 and 春节 02-16..02-19; 清明 solar term 04-05; 端午 五月初五 = 06-19
# (五月初一 06-15); 中秋 八月十五 = 09-25 (八月初一 09-11); 元旦, 劳动节 05-01/02, 国庆 10-01..03 fixed.
HOLIDAYS_2026 = [
    D(2026, 1, 1), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 4, 5),
    D(2026, 5, 1), D(2026, 5, 2), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 1), D(2026, 10, 2),
    D(2026, 10, 3),
]  # fmt: skip
# 2024 (国务院令第644号, 11 days): 元旦; 春节 初一–初三 02-10..02-12 (no 除夕); 清明 04-04; 劳动节 05-01 only;
# 端午 06-10; 中秋 09-17; 国庆 10-01..10-03.
HOLIDAYS_2024 = [
    D(2024, 1, 1), D(2024, 2, 10), D(2024, 2, 11), D(2024, 2, 12), D(2024, 4, 4), D(2024, 5, 1),
    D(2024, 6, 10), D(2024, 9, 17), D(2024, 10, 1), D(2024, 10, 2), D(2024, 10, 3),
]  # fmt: skip


def seed_rows() -> list[dict[str, str]]:
    with calendar_seed.SEED.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("year, expected", [(2024, HOLIDAYS_2024), (2025, HOLIDAYS_2025), (2026, HOLIDAYS_2026)])
def test_statutory_holidays(year: int, expected: list[dt.date]) -> None:
    in_seed = [
        D.fromisoformat(r["calendar_date"])
        for r in seed_rows()
        if r["calendar_date"].startswith(str(year)) and r["day_type"] == "statutory_holiday"
    ]
    assert in_seed == expected
    assert sorted(calendar_seed.statutory_holidays(year)) == expected
    assert all(dates.is_statutory_holiday(d) and not dates.is_workday(d) for d in expected)


def test_rest_day_inside_national_day_block() -> None:
    assert calendar_seed.day_type(D(2026, 10, 4)) == "rest_day"
    assert dates.is_rest_day(D(2026, 10, 4))
    assert calendar_seed.day_type(D(2026, 10, 2)) == "statutory_holiday"
    assert calendar_seed.day_type(D(2026, 10, 9)) == "working_day"  # a weekday after the block


def test_provisional_year_marked() -> None:
    rows = {r["calendar_date"]: r for r in seed_rows()}
    assert rows["2026-12-31"]["is_provisional"] == "False"
    assert rows["2027-03-01"]["is_provisional"] == "True"
    assert "provisional" in rows["2027-03-01"]["source"]
    assert rows["2027-02-06"]["day_type"] == "statutory_holiday"  # 2027 正月初一, from the lunar calendar
    assert "国务院令第795号" in rows["2026-01-01"]["source"] and "国务院令第644号" in rows["2024-01-01"]["source"]


def test_seed_up_to_date() -> None:
    assert calendar_seed.main(["--check"]) == 0


def test_add_calendar_days_macro_against_seed() -> None:
    """add_calendar_days(day, n) compiled by hand on the seed (民法典 Art.203)."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"create view int_calendar__working_days as select * from read_csv('{calendar_seed.SEED}', header=true)"
    )
    sql = (
        "select min(w.calendar_date) from int_calendar__working_days w "
        "where w.is_workday and w.calendar_date >= cast(? as date) + cast(? as integer)"
    )
    # 2026-09-28 + 3 = 10-01 (国庆, statutory); the 2026 notice gives 10-01..10-07 off (10-04..10-07 rest
    # days), 10-08 (Thursday) is the first working day after the block → 2026-10-08.
    assert con.execute(sql, ["2026-09-28", 3]).fetchone()[0] == D(2026, 10, 8)
    # 2026-03-02 (Mon) + 3 = 03-05 Thursday, a working day: unchanged.
    assert con.execute(sql, ["2026-03-02", 3]).fetchone()[0] == D(2026, 3, 5)
    # 2026-03-02 + 5 = 03-07 Saturday (rest day) → Monday 03-09.
    assert con.execute(sql, ["2026-03-02", 5]).fetchone()[0] == D(2026, 3, 9)
