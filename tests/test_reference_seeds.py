"""Reference seeds: the working-day calendar follows chinese-calendar; every parameter cites a source; the
finding kinds cover every kind the rules can make."""

from __future__ import annotations

import csv

import chinese_calendar
import pytest

from core.config import DBT_PROJECT_DIR
from core.contracts import default_contracts, outbound_contracts
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


def test_the_finding_kinds_cover_every_penalty_and_incident_grade_the_feeds_allow_and_the_extracts_kinds():
    kinds = [r["finding_kind"] for r in rows("ref_finding_kinds")]
    assert len(kinds) == len(set(kinds))
    assert all(r["description"].strip() and r["source"].strip() for r in rows("ref_finding_kinds"))
    feeds = default_contracts()
    penalty, incident = feeds["samr.penalty.v1"], feeds["emergency.safety_incident.v1"]
    assert {k for k in kinds if k.startswith("penalty_")} == {
        f"penalty_{authority}_{category}"
        for authority in penalty.field("authority").enum or ()
        for category in penalty.field("category").enum or ()
    }  # int_credit__findings: 'penalty_' || authority || '_' || category
    assert {k for k in kinds if k.startswith("safety_incident_")} == {
        f"safety_incident_{grade}" for grade in incident.field("severity").enum or ()
    }
    for contract in outbound_contracts().values():  # an extract's enumerated kinds are kinds of the seed
        if any(f.name == "finding_kind" for f in contract.fields):
            assert set(contract.field("finding_kind").enum or ()) <= set(kinds), contract.topic
