"""Issue 14's hand-built labour-rule cases through the real pipeline (broker, loader, GX, dbt), one night
as of Tue 2026-11-24 (every period's payday has passed), each case on enterprises/workers of its own.

Covered here (the rule models that had landed by the deadline): routing a wage-arrears case by the place
of employment (劳动保障监察条例 Art.13) and a non-wage complaint in Gaoqing that breaches no lead deadline
(高人社发〔2022〕5号 (五): 当日受理、次日对接、3日反馈 applies to 欠薪线索 only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from core.config import Settings
from core.contracts import default_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from ingestion.raw_tables import ensure_raw_tables
from tests.support import load_and_validate, own_feeds
from transform import dbt_runner

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 11, 24)
REGISTERED, WORKS_IN = "330302", "330303"  # 鹿城区 registration; the worker works in 龙湾区 (温州市)
GAOQING = "370322"  # 高青县, 淄博市
# models and seeds only: the unit test of int_hrss__complaint_lead_steps does not compile in this selection
MODELS = (
    "+fct_inspectorate_alerts,resource_type:model +fct_inspectorate_performance,resource_type:model resource_type:seed"
)


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def night(broker, tmp_path_factory) -> dict[str, Any]:
    tmp_path, feeds = tmp_path_factory.mktemp("labour_rules"), own_feeds()
    records = generate_day(build_world(seed=3, workers=100), AS_OF, AS_OF, Rates(0, 0)).records
    registry = records["samr.enterprise.v1"]
    # ROUTE: an employer registered in 鹿城区 whose worker's engagement (ledger region_code) is in 龙湾区.
    route = dict(registry[0], uscc=registry[0]["uscc"], region_code=REGISTERED, address="浙江省鹿城区")
    gaoqing = dict(registry[1], region_code=GAOQING, address="山东省高青县")
    registry = [route, gaoqing, *registry[2:]]
    ledger = dict(
        records["hrss.employment_ledger.v1"][0],
        ledger_id="L:ROUTE:2026-10",
        platform_uscc=route["uscc"],
        employer_uscc=route["uscc"],
        employer_role="platform_self",
        region_code=WORKS_IN,
    )
    # October 2026's wages (period 10-01..10-31, due Fri 11-13) not paid at all by AS_OF: wage arrears.
    wage = dict(
        records["hrss.wage_payment.v1"][0],
        payment_id="W:ROUTE:2026-10",
        payer_uscc=route["uscc"],
        platform_uscc=route["uscc"],
        worker_id_number=ledger["worker_id_number"],
        amount_due=5000.0,
        amount_paid=0.0,
        paid_date=None,
        payment_status="unpaid",
    )
    # GAOQING: a social-insurance complaint received Mon 2026-11-02, never accepted or answered: not a 欠薪线索,
    # so no step has a deadline and nothing is late.
    complaint = {
        "event_id": "C-GQ:received",
        "complaint_id": "C-GQ",
        "channel": "hotline_12333",
        "event_type": "received",
        "event_at": "2026-11-02T09:00:00+08:00",
        "region_code": GAOQING,
        "respondent_uscc": gaoqing["uscc"],
        "platform_uscc": None,
        "complainant_id_number": None,
        "category": "social_insurance",
        "amount_claimed": None,
        "workers_involved": 1,
        "handling_unit": "高青县劳动保障监察大队",
    }
    warehouse, gx = tmp_path / "w.duckdb", tmp_path / "gx"
    for topic, rows in (
        ("samr.enterprise.v1", registry),
        ("hrss.employment_ledger.v1", [ledger]),
        ("hrss.wage_payment.v1", [wage]),
        ("hrss.complaint_event.v1", [complaint]),
    ):
        result = load_and_validate(broker, warehouse, gx, feeds, topic, rows, AS_OF)
        assert result.status == "released" and not result.quarantine_reasons, (topic, result)
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, default_contracts().values())
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
        dbt_runner.build_selection(Settings.from_env(), MODELS, as_of=AS_OF)
    with duckdb.connect(str(warehouse)) as con:
        return {
            "route": route["uscc"],
            "alerts": _read(con, "SELECT * FROM marts.fct_inspectorate_alerts"),
            "steps": _read(con, "SELECT * FROM intermediate.int_hrss__complaint_lead_steps"),
            "performance": _read(con, "SELECT * FROM marts.fct_inspectorate_performance"),
        }


def test_wage_arrears_are_routed_to_the_county_where_the_worker_works(night):
    # Registered in 330302 (鹿城区), works in 330303 (龙湾区): 龙湾区's inspectorate, not by registration.
    (alert,) = [
        a for a in night["alerts"] if a["case_kind"] == "wage_arrears" and a["enterprise_uscc"] == night["route"]
    ]
    assert (alert["case_ref"], alert["region_code"], alert["inspectorate_name"]) == (
        f"{night['route']}:{WORKS_IN}",
        WORKS_IN,
        "温州市龙湾区劳动保障监察大队",
    )
    assert "routed by registration" not in alert["summary"]


def test_a_non_wage_complaint_in_gaoqing_breaches_nothing(night):
    # Received Mon 11-02 and never accepted: as a 欠薪线索 acceptance would be due the same day; not one here.
    assert not [s for s in night["steps"] if s["complaint_id"] == "C-GQ" and s["is_late"]]
    assert not [p for p in night["performance"] if p["complaint_id"] == "C-GQ" and p["is_late"]]
    assert not [a for a in night["alerts"] if "C-GQ" in str(a["case_ref"]) and a["severity"] != "info"]
