"""The blacklist case lifecycle read twice: the synthetic agencies' manifest records the status each of their
cases has on a window's last day (devstack/synthetic/cases.py, `Case.status_on`), and marts.fct_blacklist_cases
derives it from the feeds (人社部令第45号 acts, orders, rosters). Through the real pipeline (broker, loader, GX,
dbt) on a synthetic window long enough for cases to go from their deadline to an early removal, the two agree
on every case whose whole course is in the window, the mart lists no case the manifest has no listing decision
for, and it has no case the agencies did not open."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import duckdb
import pytest

from devstack.synthetic.violations import Rates
from tests.support import generate_window, load_window, night_settings
from transform import dbt_runner

pytestmark = pytest.mark.integration

# The window of tests/test_synthetic.py (long enough for cases to go from their deadline to an early removal,
# six months after a payment), on a world of 150 workers: generation takes a few seconds.
WINDOW = (dt.date(2026, 1, 5), dt.date(2026, 11, 30))
SEED, WORKERS = 11, 150
# What the cases need: the employers, their orders to pay, the rosters of workers owed and the acts.
TOPICS = (
    "samr.enterprise.v1",
    "hrss.inspection_order.v1",
    "hrss.unpaid_worker_roster.v1",
    "hrss.blacklist_case_event.v1",
)
LISTED_STATUSES = {"listed", "removal_due"}


@dataclass
class Night:
    truth: list[dict[str, Any]]  # the manifest's blacklist_cases, as written to the manifest file
    cases: dict[str, dict[str, Any]]  # fct_blacklist_cases by order_id, as of the window's last day


@pytest.fixture(scope="module")
def night(broker, tmp_path_factory) -> Night:
    manifest, records = generate_window(SEED, WORKERS, WINDOW, Rates(0, 0), TOPICS)
    tmp_path = tmp_path_factory.mktemp("blacklist_synthetic")
    warehouse = load_window(broker, tmp_path, records, WINDOW[1])
    with pytest.MonkeyPatch.context() as monkeypatch:
        dbt_runner.build_selection(night_settings(tmp_path, monkeypatch), "+fct_blacklist_cases", as_of=WINDOW[1])
    with duckdb.connect(str(warehouse)) as con:
        cursor = con.execute("SELECT * FROM marts.fct_blacklist_cases")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return Night(manifest["blacklist_cases"], {r["order_id"]: r for r in rows})


def describe(case: dict[str, Any]) -> str:
    return ", ".join(
        f"{a['event_type']} {a['event_date']}" + (f" {a['outcome']}" if a["outcome"] else "")
        for a in case["acts"]
        if a["event_type"] != "person_listed"
    )


def test_the_comparison_is_not_vacuous(night):
    complete = [c for c in night.truth if c["complete"]]
    statuses = Counter(c["status"] for c in complete)
    assert len(complete) >= 20, statuses
    assert len(statuses) >= 4 and {"listed", "not_listed"} <= set(statuses), statuses


def test_every_complete_case_has_the_status_the_manifest_records(night):
    """Each case whose whole course is in the window: the mart's case_status is the manifest's status."""
    mismatches = [
        (
            c["order_id"],
            c["path"],
            c["status"],
            night.cases.get(c["order_id"], {}).get("case_status", "no row"),
            describe(c),
        )
        for c in night.truth
        if c["complete"] and night.cases.get(c["order_id"], {}).get("case_status") != c["status"]
    ]
    assert not mismatches, "\n".join(
        f"{order_id} path={path}: expected {expected}, got {got} ({acts})"
        for order_id, path, expected, got, acts in mismatches
    )


def test_no_case_is_listed_without_a_listing_decision_in_the_manifest(night):
    decided = {c["order_id"] for c in night.truth if any(a["event_type"] == "listing_decided" for a in c["acts"])}
    listed = {o: r["case_status"] for o, r in night.cases.items() if r["case_status"] in LISTED_STATUSES}
    assert {o: s for o, s in listed.items() if o not in decided} == {}


def test_every_case_of_the_mart_is_a_case_the_agencies_opened(night):
    """An order whose deadline passed without arrears meeting the criteria (人社部令第45号 Art.5: ordered to pay
    by a deadline and not paid by it) opens no case: the mart has no case the manifest does not know."""
    opened = {c["order_id"] for c in night.truth}
    unknown = [
        f"{o}: {r['listing_criterion']}, arrears at deadline {r['arrears_at_deadline']}, "
        f"deadline {r['payment_deadline']}, paid in full {r['paid_in_full_date']} -> {r['case_status']}"
        for o, r in sorted(night.cases.items())
        if o not in opened
    ]
    assert not unknown, "\n".join(unknown)
