"""The synthetic agencies' labour violations over the 2026 National Day block, recovered by the rule models with
precision and recall 1.0. Through the real pipeline (broker, loader, GX, dbt): every feed of a two-week window,
each topic's records in one load, the rule models (tests.support.RULE_QUERIES) built as of the window's last day,
and per injected kind the manifest's violations visible by then against what the models flag.

The window on the official calendar (dbt_project/seeds/ref_calendar.csv; 全国年节及纪念日放假办法 Art.2,
国务院令第795号): Mon 09-28..Wed 09-30 working days; Thu 10-01..Sat 10-03 statutory holidays (国庆节, 3 days);
Sun 10-04..Wed 10-07 rest days (the other days off of the block, 10-06 and 10-07 in lieu of the make-up working days
Sun 09-20 and Sat 10-10); Thu 10-08..Sat 10-10 working days; Sun 10-11 a rest day. Statutory-holiday work needs 300%
(劳动法 Art.44 (三)), rest-day work of a full-time employee 200% or time off in lieu (劳动法 Art.44 (二))."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import pytest

from core.contracts import default_contracts
from devstack.synthetic.dates import is_rest_day, is_statutory_holiday
from devstack.synthetic.violations import KINDS, Rates
from tests.support import (
    RULE_QUERIES,
    generate_window,
    injected_violations,
    load_window,
    night_settings,
    recovered_violations,
)
from transform import dbt_runner

pytestmark = pytest.mark.integration

WINDOW = (dt.date(2026, 9, 28), dt.date(2026, 10, 11))
END = WINDOW[1].isoformat()
# Seed 9, 100 workers (120 engagements: 37 full-time and 7 part-time labour contracts, 56 "not fully", 20 civil) and
# a violation rate of 0.1: every kind of RULE_QUERIES is injected in the window, at least 4 times (13 holiday,
# 18 rest-day and 106 overtime days; seed 7 injects no late_injury_insurance, and at the default 0.02 the block
# kinds come twice each, a seed away from none). 100 workers keep generation under a second and the loads small.
SEED, WORKERS, RATES = 9, 100, Rates(violation=0.1, malformed=0)
# The kinds the National Day block is here for.
BLOCK_KINDS = ("holiday_work_without_premium", "rest_day_work_without_premium", "overtime_no_stop_dispatch")
# Injected kinds no rule model flags against an enterprise: a complaint step done late is the inspectorate's breach
# (高人社发〔2022〕5号 (五)), reported in marts.fct_inspectorate_performance, not an enterprise's violation.
NOT_ENTERPRISE_VIOLATIONS = {"late_complaint_handling"}
# Rule models of kinds the generator never injects (working time: 劳动法 Art.38, 41, 劳动合同法 Art.68; deductions and
# the part-time pay cycle: 工资支付暂行规定 Art.15-16, 劳动合同法 Art.72): clean records flag nothing there either.
UNINJECTED_RULE_MODELS = ("int_hrss__working_time_violations", "int_hrss__wage_payment_violations")
# The rule models, with everything upstream (seeds included).
RULE_MODELS = " ".join(
    sorted(
        {"+" + model for sql in RULE_QUERIES.values() for model in re.findall(r"intermediate\.(\w+)", sql)}
        | {"+" + model for model in UNINJECTED_RULE_MODELS}
    )
)


@dataclass
class Night:
    truth: dict[str, Any]  # the manifest, as written to its file
    recovered: dict[str, set[tuple[str, str, str]]]  # what the rule models flag per kind (RULE_QUERIES)
    uninjected: dict[str, list[tuple[str, int]]]  # per UNINJECTED_RULE_MODELS model: (violation_kind, rows)


@pytest.fixture(scope="module")
def night(broker, tmp_path_factory) -> Night:
    """The window loaded, each topic's records in one load, and the rule models built as of its last day."""
    truth, records = generate_window(SEED, WORKERS, WINDOW, RATES, default_contracts())
    data_dir = tmp_path_factory.mktemp("labour_synthetic")
    warehouse = load_window(broker, data_dir, records, WINDOW[1])
    with pytest.MonkeyPatch.context() as monkeypatch:
        dbt_runner.build_selection(night_settings(data_dir, monkeypatch), RULE_MODELS, as_of=WINDOW[1])
    recovered = recovered_violations(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        uninjected = {
            model: con.execute(f"SELECT violation_kind, count(*) FROM intermediate.{model} GROUP BY 1").fetchall()
            for model in UNINJECTED_RULE_MODELS
        }
    return Night(truth, recovered, uninjected)


def test_the_window_holds_the_national_day_block_on_the_official_calendar():
    days = [WINDOW[0] + dt.timedelta(days=n) for n in range((WINDOW[1] - WINDOW[0]).days + 1)]
    assert [d.isoformat() for d in days if is_statutory_holiday(d)] == ["2026-10-01", "2026-10-02", "2026-10-03"]
    assert [f"{d:%m-%d}" for d in days if is_rest_day(d)] == ["10-04", "10-05", "10-06", "10-07", "10-11"]


def test_every_kind_is_injected_and_every_injected_kind_has_a_rule_query(night):
    """Not a vacuous 1.0: every kind the rules are checked for (the block's among them) is injected in the window."""
    visible = {v["kind"] for v in night.truth["violations"] if v["observable_from"] <= END}
    assert set(BLOCK_KINDS) <= set(RULE_QUERIES) <= visible, set(RULE_QUERIES) - visible
    assert visible - NOT_ENTERPRISE_VIOLATIONS <= set(RULE_QUERIES), visible - set(RULE_QUERIES)
    assert set(RULE_QUERIES) <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(RULE_QUERIES))
def test_the_rule_models_flag_exactly_the_injected_violations(night, kind):
    """Precision and recall 1.0: every violation of the kind visible by the window's end is flagged, and nothing
    else is (clean records stay clearly compliant)."""
    expected = injected_violations(night.truth, kind, END)
    assert night.recovered[kind] - expected == set(), "flagged, not injected"
    assert expected - night.recovered[kind] == set(), "injected, not flagged"


def test_the_rules_of_kinds_never_injected_flag_no_clean_record(night):
    assert night.uninjected == {model: [] for model in UNINJECTED_RULE_MODELS}
