"""Reference seeds: the working-day calendar follows chinese-calendar; every parameter cites a source; the
finding kinds cover every kind the rules can make."""

from __future__ import annotations

import csv
import datetime as dt
import re
from itertools import pairwise

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
    assert days[f"{last_published + 1}-06-01"]["is_provisional"] == "True"
    assert "provisional" in days[f"{last_published + 1}-06-01"]["source"]


def test_every_reference_row_cites_its_source_and_defaults_are_marked():
    for name in ("ref_regions", "ref_minimum_wages", "ref_wage_crime_thresholds", "ref_policy_parameters"):
        assert all(r["source"].strip() for r in rows(name)), name
    for r in rows("ref_wage_crime_thresholds") + rows("ref_policy_parameters"):
        assert (r["confirmed"] == "false") == r["source"].startswith("unconfirmed"), r
    params = {(r["jurisdiction"], r["parameter"]): float(r["value"]) for r in in_force(dt.date(2026, 12, 1))}
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


# An article (Art.12), a numbered section of a policy document ((五), 三(十三)) or a 第…条.
ARTICLE = re.compile(r"Art\.\s?\d+|Arts\.\s?\d+|第[一二三四五六七八九十百\d]+条|[(（][一二三四五六七八九十]+[)）]")

OPERATING_RULES = {"blacklist_removal_event_days"}


def in_force(day: dt.date) -> list[dict[str, str]]:
    """The parameter rows in force on `day` (what the macro policy_parameter reads)."""
    return [
        r
        for r in rows("ref_policy_parameters")
        if dt.date.fromisoformat(r["valid_from"]) <= day
        and (not r["valid_to"] or day <= dt.date.fromisoformat(r["valid_to"]))
    ]


# Every seed with validity dates, and what one of its rows is valid for. valid_from ≤ day ≤ valid_to in each
# (valid_to inclusive, empty = open-ended): spans of the same key never overlap, so one row is in force a day.
VALIDITY_KEYS = {
    "ref_policy_parameters": ("jurisdiction", "parameter"),
    "ref_minimum_wages": ("province", "tier"),
    "ref_occupational_injury_pilot_provinces": ("province_code",),
    "ref_occupational_injury_pilot_platforms": ("platform_brand",),
}


@pytest.mark.parametrize("seed", VALIDITY_KEYS)
def test_validity_spans_are_inclusive_and_do_not_overlap(seed):
    periods: dict[tuple[str, ...], list[tuple[dt.date, dt.date]]] = {}
    for r in rows(seed):
        start = dt.date.fromisoformat(r["valid_from"])
        end = dt.date.fromisoformat(r["valid_to"]) if r["valid_to"] else dt.date.max
        assert start <= end, r
        periods.setdefault(tuple(r[k] for k in VALIDITY_KEYS[seed]), []).append((start, end))
    for key, spans in periods.items():
        assert all(a_end < b_start for (_, a_end), (b_start, _) in pairwise(sorted(spans))), key


def test_zhejiangs_2024_minimum_wage_follows_the_earlier_one_the_next_day():
    """The earlier standard's last day is 2023-12-31 (inclusive); 2,490 applies from 2024-01-01 (domain.md)."""
    tier_1 = sorted(
        (r["valid_from"], r["valid_to"], r["monthly_min"])
        for r in rows("ref_minimum_wages")
        if r["province"] == "浙江省" and r["tier"] == "1"
    )
    assert [(start, end) for start, end, _ in tier_1] == [("2020-01-01", "2023-12-31"), ("2024-01-01", "")]
    assert tier_1[-1][2] == "2490"


def test_every_parameter_cites_an_article():
    params = rows("ref_policy_parameters")
    # A Gigshield operating rule has no article to cite, and says so.
    assert all("operating rule" in r["source"] for r in params if r["parameter"] in OPERATING_RULES)
    assert [
        r["parameter"] for r in params if r["parameter"] not in OPERATING_RULES and not ARTICLE.search(r["source"])
    ] == []
    # A rule that changed over time is two rows: the monthly working days before and after 国务院令第795号.
    assert [r["value"] for r in in_force(dt.date(2024, 7, 1)) if r["parameter"] == "working_days_per_month"] == [
        "20.83"
    ]
    assert [r["value"] for r in in_force(dt.date(2025, 7, 1)) if r["parameter"] == "working_days_per_month"] == [
        "20.67"
    ]
    # Hunan's policy (湘人社规〔2021〕24号) expires on 2027-01-14: its 90-day window is not in force after it.
    assert ("hunan", "medical_insurance_gap_days") not in {
        (r["jurisdiction"], r["parameter"]) for r in in_force(dt.date(2027, 1, 15))
    }
