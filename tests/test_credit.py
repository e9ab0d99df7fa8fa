"""Credit on hand-built cases, through the real pipeline (broker, loader, GX, dbt): the unpaid-wage
blacklist and watch list, and the compliance grades with the measures that follow.

Dates are computed by hand on the 2026 official calendar (国务院办公厅 notice: 10-01..10-07 off,
Saturday 10-10 a swapped workday) and written out below; the model counts them with chinese-calendar
via the ref_calendar seed."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from core.config import Settings
from core.contracts import default_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from ingestion.raw_tables import ensure_raw_tables
from tests.support import AS_OF, load_and_validate, order, own_feeds, penalty
from transform import dbt_runner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def credit(broker, tmp_path_factory):
    """The hand-built cases through the pipeline and dbt, once for the module (the tests only read the marts)."""
    tmp_path, feeds = tmp_path_factory.mktemp("credit"), own_feeds()
    enterprises = generate_day(build_world(seed=3, workers=100), AS_OF, AS_OF, Rates(0, 0)).records[
        "samr.enterprise.v1"
    ]
    employer, thrice, once, grave, elsewhere = enterprises[:5]
    penalties = [
        penalty(1, thrice["uscc"], "hrss", "wage_arrears"),
        penalty(2, thrice["uscc"], "hrss", "working_time"),
        penalty(3, thrice["uscc"], "hrss", "deposit"),
        penalty(4, once["uscc"], "hrss", "social_insurance"),
        penalty(5, grave["uscc"], "hrss", "refused_correction"),
        penalty(6, elsewhere["uscc"], "samr", "other"),
    ]
    orders = [
        order("HN-UNPAID", employer["uscc"], "60000.00"),  # 12 workers, 3 months, ¥60,000 ≥ ¥40,000
        order(
            "HN-PAID",
            employer["uscc"],
            "60000.00",
            amount_paid="60000.00",
            paid_in_full_date="2026-10-20",
            written_commitment_date="2026-10-21",
            status="complied",
        ),  # paid and committed before 10-29
        order("HN-SMALL", employer["uscc"], "20000.00"),  # under the ¥40,000 threshold: watch list, not here
    ]
    warehouse, gx = tmp_path / "w.duckdb", tmp_path / "gx"
    assert (
        load_and_validate(broker, warehouse, gx, feeds, "samr.enterprise.v1", enterprises, AS_OF).status == "released"
    )
    assert load_and_validate(broker, warehouse, gx, feeds, "hrss.inspection_order.v1", orders, AS_OF).quarantined == 0
    assert load_and_validate(broker, warehouse, gx, feeds, "samr.penalty.v1", penalties, AS_OF).quarantined == 0
    with duckdb.connect(str(warehouse)) as con:  # the feeds this case does not use: present, empty
        ensure_raw_tables(con, default_contracts().values())
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
        dbt_runner.build_night(Settings.from_env(), as_of=AS_OF)
    with duckdb.connect(str(warehouse)) as con:  # dbt-duckdb keeps its read-write handle in this process
        frame = con.execute("SELECT * FROM marts.fct_unpaid_wage_blacklist").df()
        watched = con.execute("SELECT order_id, watch_until FROM marts.fct_unpaid_wage_watch_list").fetchall()
        tiers = con.execute(
            "SELECT enterprise_uscc, compliance_grade, credit_tier, labour_penalties, measures "
            "FROM marts.fct_enterprise_credit WHERE grade_year = 2026"
        ).fetchall()
    cases = {"employer": employer, "thrice": thrice, "once": once, "grave": grave, "elsewhere": elsewhere}
    by_uscc = {uscc: (grade, tier, n, measures) for uscc, grade, tier, n, measures in tiers}
    return (
        employer,
        {row["order_id"]: row for row in frame.to_dict("records")},
        dict(watched),
        {name: by_uscc[e["uscc"]] for name, e in cases.items()},
    )


def test_twelve_hunan_workers_unpaid_three_months_are_listed_on_working_day_dates(credit):
    employer, rows, _, _ = credit
    listed = rows["HN-UNPAID"]
    assert listed["listing_criterion"] == "many_workers_threshold" and listed["many_workers_threshold"] == 40000
    assert (listed["enterprise_uscc"], listed["legal_rep_name"]) == (employer["uscc"], employer["legal_rep_name"])
    dates = {
        k: listed[k].date()
        for k in (
            "notice_date",
            "objection_deadline",
            "verification_deadline",
            "decision_date",
            "listed_from",
            "listed_until",
        )
    }
    assert dates == {
        "notice_date": dt.date(2026, 9, 28),  # first working day after Fri 09-25
        "objection_deadline": dt.date(2026, 10, 10),  # 5 working days: 09-29, 09-30, 10-08, 10-09, Sat 10-10
        "verification_deadline": dt.date(2026, 10, 16),  # 5 more: 10-12 .. 10-16
        "decision_date": dt.date(2026, 10, 29),  # 20 working days after the deadline
        "listed_from": dt.date(2026, 10, 29),
        "listed_until": dt.date(2029, 10, 29),  # 3 years
    }
    assert listed["listing_status"] == "listed"
    assert listed["evidence_message_id"] and "人社部令第45号" in listed["rule_version"]


def test_paid_before_the_decision_is_not_listed_and_small_arrears_go_to_the_watch_list(credit):
    _, rows, watched, _ = credit
    assert rows["HN-PAID"]["listing_status"] == "not_listed_paid_before_decision"
    assert str(rows["HN-PAID"]["listed_from"]) == "NaT"
    assert "HN-SMALL" not in rows
    assert watched == {"HN-SMALL": dt.date(2027, 9, 25)}  # watch_list_years = 1 (configurable default)


def test_compliance_grades_follow_labour_penalties_and_the_blacklist_brings_its_measures(credit):
    *_, grades = credit
    assert {name: (grade, tier, n) for name, (grade, tier, n, _) in grades.items()} == {
        "employer": ("A", "blacklisted", 0),  # no labour penalty, but listed on the blacklist
        "thrice": ("C", "C", 3),  # penalised three times
        "once": ("B", "B", 1),
        "grave": ("C", "C", 1),  # refused a correction order
        "elsewhere": ("A", "A", 0),  # a market-supervision penalty is not a labour penalty
    }
    assert any("欠薪失信联合惩戒" in m for m in grades["employer"][3])
    assert any("重点监控" in m for m in grades["thrice"][3])
