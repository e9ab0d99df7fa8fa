"""Issue 14's hand-built labour-rule cases through the real pipeline (broker, loader, GX, dbt), one night
as of Tue 2026-11-24 (every period's payday has passed), each case on enterprises/workers of its own.

Covered: routing a wage-arrears case by the place of employment (劳动保障监察条例 Art.13); a non-wage complaint in
Gaoqing that breaches no lead deadline (高人社发〔2022〕5号 (五): 当日受理、次日对接、3日反馈 applies to 欠薪线索 only)
and a wage-arrears lead on hrss.complaint_event.v2 whose late step is reported after it was done;
premiums for a rest day and a statutory holiday of the 2026 National Day block (劳动法 Art.44; 国务院令第795号);
a 40 h overtime month (劳动法 Art.41); and minimum wages from the history, on normal-time pay, prorated and
hourly for a half-month part-time period (最低工资规定 Art.12; 劳动合同法 Art.68-72)."""

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
from ingestion.pseudonyms import pseudonym, pseudonym_key
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
    " +int_hrss__holiday_work_without_premium,resource_type:model"
    " +int_hrss__working_time_violations,resource_type:model"
    " +int_hrss__minimum_wage_shortfalls,resource_type:model"
    " +int_hrss__wage_payment_violations,resource_type:model"
)
WENZHOU = "330302"  # 鹿城区: Zhejiang tier 1, ¥2,490 a month / ¥24 an hour from 2024-01-01 (ref_minimum_wages)


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
    # GAOQING, on v2: a wage-arrears lead received Mon 11-16 09:00, accepted and assigned that day, connected Wed
    # 11-18 (次日对接: due Tue 11-17, a working day — done late by 1 day), handled and given feedback Thu 11-19 (due
    # 11-16 + 3 = 11-19: on time), not closed by 11-24.
    lead_steps = [
        ("received", "2026-11-16T09:00"),
        ("accepted", "2026-11-16T14:00"),
        ("assigned", "2026-11-16T16:00"),
        ("connected", "2026-11-18T10:00"),
        ("handled", "2026-11-19T11:00"),
        ("feedback", "2026-11-19T15:00"),
    ]
    lead = [
        dict(
            complaint,
            event_id=f"L-GQ:{step}",
            complaint_id="L-GQ",
            event_type=step,
            event_at=f"{at}:00+08:00",
            category="wage_arrears",
            amount_claimed=3000.0,
            conclusion="已督促支付" if step in ("handled", "feedback") else None,
        )
        for step, at in lead_steps
    ]
    rules_employer = dict(registry[2], region_code=WENZHOU, address="浙江省鹿城区")
    registry[2] = rules_employer
    ids = [r["worker_id_number"] for r in records["hrss.employment_ledger.v1"][1:]]
    ids = [i for i in dict.fromkeys(ids) if i != ledger["worker_id_number"]]
    names = ("r200", "r150", "s200", "forty", "zj2024", "overtime", "joined16", "part_time")
    workers = dict(zip(names, ids, strict=False))
    assert len(workers) == len(names)

    def engagement(name: str, onboarding: str = "2024-01-01", part_time: bool = False) -> dict[str, Any]:
        return dict(
            ledger,
            ledger_id=f"L:{name}:2026-10",
            platform_uscc=rules_employer["uscc"],
            employer_uscc=rules_employer["uscc"],
            worker_id_number=workers[name],
            relationship_type="labour_contract",
            part_time=part_time,
            region_code=WENZHOU,
            onboarding_date=onboarding,
            pension_registered_date=onboarding,
            injury_cover="work_injury",
            injury_registered_date=onboarding,
        )

    ledgers = [ledger] + [
        engagement(n, onboarding="2026-09-16" if n == "joined16" else "2024-01-01", part_time=n == "part_time")
        for n in workers
    ]
    template = records["hrss.service_time.v1"][0]

    def service(name: str, day: str, minutes: int, earnings: float, **premiums: Any) -> dict[str, Any]:
        return dict(
            template,
            record_id=f"S:{name}:{day}",
            platform_uscc=rules_employer["uscc"],
            employer_uscc=rules_employer["uscc"],
            worker_id_number=workers[name],
            service_date=day,
            online_minutes=minutes,
            order_minutes=minutes * 2 // 3,
            allowance_minutes=minutes - minutes * 2 // 3,
            longest_continuous_minutes=120,
            orders=10,
            earnings=earnings,
            holiday_premium=premiums.get("holiday_premium", 0.0),
            rest_day_premium=premiums.get("rest_day_premium", 0.0),
            statutory_holiday=False,
            forced_offline=False,
            dispatch_stopped_at_minutes=None,
            time_off_in_lieu=False,
            orders_insured=10,
        )

    # 2026-10-04 is a Sunday inside the National Day block (a rest day); 10-02 is a statutory day (国务院令第795号).
    services = [
        service("r200", "2026-10-04", 300, 100.0, rest_day_premium=100.0),  # 200%: compliant
        service("r150", "2026-10-04", 300, 100.0, rest_day_premium=50.0),  # 150%: needs ¥100
        service("s200", "2026-10-02", 300, 100.0, holiday_premium=100.0),  # 200%: needs ¥200 (300%)
    ]
    # "forty": 10 h of working time on each of the 20 weekdays 2026-11-02..11-27 (Mon-Fri, no holiday): 2 h
    # overtime a day, 40 h in the month > 36 h; the running total passes 36 h on the 19th day, Thu 11-26 (38 h).
    weekdays = [dt.date(2026, 11, 2) + dt.timedelta(days=n) for n in range(26)]
    services += [service("forty", d.isoformat(), 600, 330.0) for d in weekdays if d.isoweekday() <= 5]

    def pay(name: str, start: str, end: str, period: str, due: float, base: float, hours: float, **extra: Any):
        return dict(
            wage,
            payment_id=f"W:{name}:{start}",
            payer_uscc=rules_employer["uscc"],
            platform_uscc=rules_employer["uscc"],
            worker_id_number=workers[name],
            pay_period=period,
            period_start=start,
            period_end=end,
            hours_worked=hours,
            amount_due=due,
            amount_paid=due,
            base_pay=base,
            overtime_pay=extra.get("overtime_pay", 0.0),
            premium_pay=0.0,
            allowance_pay=0.0,
            due_date=extra.get("due_date", "2026-11-13"),
            paid_date=extra.get("due_date", "2026-11-13"),
            payment_status="paid",
        )

    wages = [
        wage,
        # July 2024, Zhejiang tier 1: ¥2,400 < ¥2,490 (in force since 2024-01-01).
        pay("zj2024", "2024-07-01", "2024-07-31", "2024-07", 2400.0, 2400.0, 174.0, due_date="2024-08-15"),
        # October 2026: gross ¥2,600 ≥ ¥2,490 only through ¥300 overtime pay; normal-time pay ¥2,300 < ¥2,490.
        pay("overtime", "2026-10-01", "2026-10-31", "2026-10", 2600.0, 2300.0, 174.0, overtime_pay=300.0),
        # Joined Wed 2026-09-16: 15 of September's 30 days, so the minimum is ¥2,490 × 15/30 = ¥1,245.
        pay("joined16", "2026-09-01", "2026-09-30", "2026-09", 1300.0, 1300.0, 88.0, due_date="2026-10-15"),
        # Part-time, half a month (11-01..11-15, 15 days): 40 h × ¥24 = ¥960 due at the least; ¥900 paid.
        pay("part_time", "2026-11-01", "2026-11-15", "2026-11", 900.0, 900.0, 40.0, due_date="2026-11-20"),
    ]
    warehouse, gx = tmp_path / "w.duckdb", tmp_path / "gx"
    for topic, rows in (
        ("samr.enterprise.v1", registry),
        ("hrss.employment_ledger.v1", ledgers),
        ("hrss.service_time.v1", services),
        ("hrss.wage_payment.v1", wages),
        ("hrss.complaint_event.v1", [complaint]),
        ("hrss.complaint_event.v2", lead),
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
            "premiums": _read(con, "SELECT * FROM intermediate.int_hrss__holiday_work_without_premium"),
            "working_time": _read(con, "SELECT * FROM intermediate.int_hrss__working_time_violations"),
            "minimum": _read(con, "SELECT * FROM intermediate.int_hrss__minimum_wage_checks"),
            "shortfalls": _read(con, "SELECT * FROM intermediate.int_hrss__minimum_wage_shortfalls"),
            "pay_cycles": _read(con, "SELECT * FROM intermediate.int_hrss__wage_payment_violations"),
            "keys": {name: pseudonym(number, pseudonym_key()) for name, number in workers.items()},
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


def test_a_lead_step_done_late_on_v2_is_reported_and_keeps_the_alert_open(night):
    steps = {s["step"]: s for s in night["performance"] if s["complaint_id"] == "L-GQ"}
    assert {k: (str(s["deadline"]), s["step_status"], s["days_late"]) for k, s in steps.items()} == {
        "accepted": ("2026-11-16", "done_on_time", 0),
        "assigned": ("None", "done", 0),  # Gaoqing sets no limit for 分派
        "connected": ("2026-11-17", "done_late", 1),
        "handled": ("None", "done", 0),  # nor for 办结
        "feedback": ("2026-11-19", "done_on_time", 0),
    }
    assert {s["conclusion"] for s in steps.values()} == {"已督促支付"}
    (alert,) = [a for a in night["alerts"] if a["case_ref"] == "L-GQ"]
    assert alert["case_kind"] == "complaint_sla_breach" and alert["region_code"] == GAOQING
    assert "connected due 2026-11-17 (done late on 2026-11-18)" in alert["summary"]


def test_a_rest_day_needs_200_percent_and_a_statutory_holiday_300(night):
    keys = {v: k for k, v in night["keys"].items()}
    flagged = {(keys.get(p["worker_key"]), str(p["service_date"]), p["violation_kind"]) for p in night["premiums"]}
    assert flagged == {
        ("r150", "2026-10-04", "rest_day_work_without_premium"),  # ¥50 paid, ¥100 due
        ("s200", "2026-10-02", "holiday_work_without_premium"),  # ¥100 paid, ¥200 due
    }


def test_a_40_hour_overtime_month_is_flagged(night):
    forty = night["keys"]["forty"]
    (row,) = [w for w in night["working_time"] if w["worker_key"] == forty]
    assert (row["violation_kind"], str(row["finding_date"]), float(row["measured_hours"])) == (
        "overtime_monthly_cap_exceeded",
        "2026-11-26",
        38.0,
    )


def test_minimum_wages_from_the_history_on_normal_time_pay_prorated_and_hourly(night):
    keys = night["keys"]
    checks = {(r["worker_key"], str(r["period_start"])): r for r in night["minimum"]}
    shortfalls = {(r["worker_key"], str(r["period_start"])) for r in night["shortfalls"]}
    assert float(checks[keys["zj2024"], "2024-07-01"]["minimum_pay"]) == 2490.0
    assert (keys["zj2024"], "2024-07-01") in shortfalls  # ¥2,400 < ¥2,490
    assert (keys["overtime"], "2026-10-01") in shortfalls  # normal-time pay ¥2,300 < ¥2,490
    assert float(checks[keys["joined16"], "2026-09-01"]["minimum_pay"]) == 1245.0  # ¥2,490 × 15/30
    assert (keys["joined16"], "2026-09-01") not in shortfalls  # ¥1,300 ≥ ¥1,245
    half_month = checks[keys["part_time"], "2026-11-01"]
    assert (half_month["minimum_basis"], float(half_month["minimum_pay"])) == ("hourly", 960.0)  # 40 h × ¥24
    assert (keys["part_time"], "2026-11-01") in shortfalls  # ¥900 < ¥960
    # A 15-day pay period is within 劳动合同法 Art.72's 15 days.
    assert not [v for v in night["pay_cycles"] if v["worker_key"] == keys["part_time"]]
