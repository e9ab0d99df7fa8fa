"""Reference seeds: the working-day calendar follows chinese-calendar; every parameter cites a source."""

from __future__ import annotations

import csv

import chinese_calendar
import pytest

from core.config import DBT_PROJECT_DIR
from transform import calendar_seed

pytestmark = pytest.mark.unit

SEEDS = DBT_PROJECT_DIR / "seeds"


def rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_calendar_seed_is_generated_from_chinese_calendar():
    assert calendar_seed.main(["--check"]) == 0
    days = {r["calendar_date"]: r for r in rows("ref_calendar")}
    assert days["2026-10-01"]["is_statutory_holiday"] == "True" and days["2026-10-01"]["is_workday"] == "False"
    assert days["2026-10-10"]["is_workday"] == "True"  # a Saturday swapped into a workday (调休)
    assert days["2026-10-07"]["is_in_lieu"] == "True" and days["2026-10-07"]["is_statutory_holiday"] == "False"
    last_published = max(d.year for d in chinese_calendar.holidays)
    assert days[f"{last_published + 1}-06-01"]["source"] == calendar_seed.WEEKENDS_ONLY


def test_every_reference_row_cites_its_source_and_defaults_are_marked():
    for name in ("ref_regions", "ref_minimum_wages", "ref_wage_crime_thresholds", "ref_policy_parameters"):
        assert all(r["source"].strip() for r in rows(name)), name
    for r in rows("ref_wage_crime_thresholds") + rows("ref_policy_parameters"):
        assert (r["confirmed"] == "false") == r["source"].startswith("unconfirmed"), r
    params = {(r["jurisdiction"], r["parameter"]): float(r["value"]) for r in rows("ref_policy_parameters")}
    assert [params["gaoqing", f"complaint_{s}_days"] for s in ("accept", "connect", "feedback")] == [0, 1, 3]
    assert params["hunan", "medical_insurance_gap_days"] == 90
    assert params["national", "blacklist_listing_years"] == 3
    jurisdictions = {r["jurisdiction"] for r in rows("ref_regions")}
    assert {j for j, _ in params} <= jurisdictions | {"national"}
