"""Credit on hand-built cases, through the real pipeline (broker, loader, GX, dbt): the compliance grades
with the measures that follow, and the watch list. The blacklist's case lifecycle (人社部令第45号: notices,
objections, decisions, repairs) and a listed employer's grade are tests/test_blacklist_cases.py's.

Dates are computed by hand on the 2026 official calendar (国务院办公厅 notice: 10-01..10-07 off,
Saturday 10-10 a swapped workday) and written out below; the model counts them with chinese-calendar
via the ref_calendar seed.

Grades (人社部规〔2016〕1号) are assessed on the previous, finished year: on the night of AS_OF
(2026-11-24) the grade in force, the one the extracts publish, is grade_year 2025's; 2026's row is
provisional. An order to pay is being 查处 (B); its deadline passing unpaid (拒不履行限期整改指令), a
transfer to the police (移送公安) or 查处 three times or more make C; an employer with an open
blacklist case is never A, and is blacklisted (the tier) only by a recorded listing decision: none here."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

from core.config import DBT_PROJECT_DIR, Settings
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
    employer, thrice, once, grave, elsewhere, met, late, police, clean = enterprises[:9]
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
        # Ordered Mon 2025-05-12 to pay ¥20,000 by Mon 2025-05-26, paid in full on Fri 05-23: 查处 once in 2025, B.
        order(
            "MET-2025",
            met["uscc"],
            "20000.00",
            issued_date="2025-05-12",
            payment_deadline="2025-05-26",
            amount_paid="20000.00",
            paid_in_full_date="2025-05-23",
            status="complied",
            updated_at="2025-05-23T16:00:00+08:00",
        ),
        # Ordered Mon 2025-09-01 to pay ¥20,000 by Mon 2025-09-15, paid only on Mon 10-20: the deadline passed
        # unpaid (拒不履行限期整改指令), C for 2025. ¥20,000 < ¥40,000 and ¥20,000 / 12 < ¥6,000: no blacklist
        # case; its watch ended on 2026-09-15 (1 year), before AS_OF.
        order(
            "LATE-2025",
            late["uscc"],
            "20000.00",
            issued_date="2025-09-01",
            payment_deadline="2025-09-15",
            amount_paid="20000.00",
            paid_in_full_date="2025-10-20",
            status="complied",
            updated_at="2025-10-20T16:00:00+08:00",
        ),
        # Ordered Thu 2025-10-09 to pay ¥20,000 by Fri 10-24, unpaid, transferred to the police on Mon 11-03
        # (移送公安): C for 2025 (its deadline also passed unpaid). Watch ended 2026-10-24, before AS_OF.
        order(
            "POLICE-2025",
            police["uscc"],
            "20000.00",
            issued_date="2025-10-09",
            payment_deadline="2025-10-24",
            status="transferred_police",
            updated_at="2025-11-03T10:00:00+08:00",
        ),
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
        cases = dict(con.execute("SELECT order_id, case_status FROM marts.fct_blacklist_cases").fetchall())
        listed = con.execute("SELECT count(*) FROM marts.fct_blacklist_cases WHERE is_listed").fetchone()
        watched = con.execute("SELECT order_id, watch_until FROM marts.fct_unpaid_wage_watch_list").fetchall()
        credit = con.execute(
            "SELECT enterprise_uscc, grade_year, is_grade_in_force, compliance_grade, credit_tier, times_investigated, "
            "orders_unpaid_at_deadline, orders_transferred_police, measures FROM marts.fct_enterprise_credit "
            "WHERE grade_year IN (2025, 2026)"
        ).fetchall()
        published = con.execute(
            "SELECT enterprise_uscc, grade_year, assessment_year, compliance_grade, credit_tier, measures "
            "FROM share.share_credit_platform__enterprise_credit"
        ).fetchall()
        samr = dict(
            con.execute("SELECT enterprise_uscc, grade_year FROM share.share_samr__enterprise_labour_credit").fetchall()
        )
    employers = {
        "employer": employer,
        "thrice": thrice,
        "once": once,
        "grave": grave,
        "elsewhere": elsewhere,
        "met": met,
        "late": late,
        "police": police,
        "clean": clean,
    }
    columns = ("in_force", "grade", "tier", "investigated", "unpaid_at_deadline", "transferred", "measures")
    by_uscc = {(uscc, year): dict(zip(columns, row, strict=True)) for uscc, year, *row in credit}
    assert listed == (0,)  # no listing decision recorded: nobody is listed
    return (
        employer,
        cases,
        dict(watched),
        {name: {year: by_uscc[e["uscc"], year] for year in (2025, 2026)} for name, e in employers.items()},
        {name: [row[1:] for row in published if row[0] == e["uscc"]] for name, e in employers.items()},
        {name: samr.get(e["uscc"]) for name, e in employers.items()},
    )


def test_an_unpaid_order_is_an_open_case_never_listed_without_a_decision_and_small_arrears_are_watched(credit):
    _, cases, watched, *_ = credit
    # HN-UNPAID: ¥60,000 ≥ ¥40,000 unpaid at Fri 2026-09-25, no act of the authority: a candidate (its notice
    # was due 09-25 + 10 = 10-15: 09-28, 09-29, 09-30, [国庆], 10-08, 10-09, Sat 10-10, 10-12, 10-13, 10-14,
    # 10-15), open, never listed. HN-PAID: paid and committed before any decision: not listed.
    assert {k: v for k, v in cases.items() if k.startswith("HN-")} == {
        "HN-UNPAID": "candidate",
        "HN-PAID": "not_listed",
    }
    assert watched == {"HN-SMALL": dt.date(2027, 9, 25)}  # watch_list_years = 1 (configurable default)


def test_the_grade_in_force_is_the_previous_years_and_an_order_to_pay_is_being_investigated(credit):
    *_, grades, _, _ = credit
    in_force = {name: (g[2025]["grade"], g[2025]["tier"]) for name, g in grades.items()}
    assert all(g[2025]["in_force"] and not g[2026]["in_force"] for g in grades.values())
    assert in_force == {
        # 2025 record clean, but HN-UNPAID (deadline Fri 2026-09-25, ¥60,000 unpaid) is an open blacklist
        # case: never A, so B; not blacklisted (no listing decision recorded).
        "employer": ("B", "B"),
        # The penalties of 2026-06-01 (three, one, one grave) do not change the grade in force: they are
        # 2026's record, graded from 2027 (the previous-year rule).
        "thrice": ("A", "A"),
        "once": ("A", "A"),
        "grave": ("A", "A"),
        "elsewhere": ("A", "A"),
        "met": ("B", "B"),  # MET-2025: ordered to pay (查处), paid before the deadline
        "late": ("C", "C"),  # LATE-2025: the deadline 2025-09-15 passed unpaid
        "police": ("C", "C"),  # POLICE-2025: transferred to the police on 2025-11-03
        "clean": ("A", "A"),  # nothing at all
    }
    assert (grades["late"][2025]["unpaid_at_deadline"], grades["police"][2025]["transferred"]) == (1, 1)
    assert [grades[n][2025]["investigated"] for n in ("met", "late", "police")] == [1, 1, 1]  # one order each


def test_the_running_years_provisional_grades_count_orders_and_penalties_as_investigations(credit):
    *_, grades, _, _ = credit
    provisional = {name: (g[2026]["grade"], g[2026]["investigated"]) for name, g in grades.items()}
    assert provisional == {
        "employer": ("C", 3),  # three orders in 2026 (≥ 3 查处), and HN-UNPAID's deadline passed unpaid
        "thrice": ("C", 3),  # penalised three times
        "once": ("B", 1),
        "grave": ("C", 1),  # refused a correction order
        "elsewhere": ("A", 0),  # a market-supervision penalty is not a labour penalty
        "met": ("A", 0),
        "late": ("A", 0),
        "police": ("A", 0),
        "clean": ("A", 0),
    }


def test_the_measures_follow_the_grade_and_the_listing_each_with_its_legal_basis(credit):
    *_, grades, _, _ = credit
    employer = grades["employer"][2025]["measures"]
    for restriction in (  # 保障农民工工资支付条例 Art.48's restrictions follow a listing decision only: none here
        "政府资金支持",
        "政府采购",
        "招投标",
        "融资贷款",
        "市场准入",
        "税收优惠",
        "评优评先",
        "交通出行",
    ):
        assert not any(restriction in m for m in employer), restriction
    assert any("日常巡查" in m for m in employer)  # grade B
    assert not any(
        "重大劳动保障违法行为社会公布" in m or "联合惩戒" in m or "联合激励" in m
        for g in grades.values()
        for year in g.values()
        for m in year["measures"]
    )
    assert any("重点对象" in m for m in grades["late"][2025]["measures"])  # grade C: a key target of labour inspection


def test_the_extracts_publish_the_previous_finished_years_grade(credit):
    *_, published, samr = credit
    assert {name: rows[0][:4] for name, rows in published.items()} == {
        "employer": (2025, 2026, "B", "B"),
        "thrice": (2025, 2026, "A", "A"),
        "once": (2025, 2026, "A", "A"),
        "grave": (2025, 2026, "A", "A"),
        "elsewhere": (2025, 2026, "A", "A"),
        "met": (2025, 2026, "B", "B"),
        "late": (2025, 2026, "C", "C"),
        "police": (2025, 2026, "C", "C"),
        "clean": (2025, 2026, "A", "A"),
    }
    assert all(len(rows) == 1 for rows in published.values())  # the grade in force only, no 2026 row
    assert set(samr.values()) == {2025}


def test_every_measure_cites_its_legal_basis_and_none_is_added_beyond_the_rules():
    """ref_credit_measures: a regulation and article on every row (国办发〔2020〕49号: no measure added beyond
    the list the rules provide); a listing brings 保障农民工工资支付条例 Art.48's eight restrictions, one row
    each; no 联合惩戒 for grade C, no A-grade 联合激励, no 人社部令第29号 public naming."""
    with (DBT_PROJECT_DIR / "seeds" / "ref_credit_measures.csv").open(encoding="utf-8", newline="") as f:
        measures = list(csv.DictReader(f))
    assert all(m["legal_basis"].strip() and m["source"].strip() for m in measures)
    assert all(("Art." in m["legal_basis"]) or m["text_verified"] == "false" for m in measures)
    listed = [m for m in measures if m["credit_tier"] == "blacklisted"]
    art48 = "gov_funding gov_procurement bidding financing market_access tax_preferences honours travel"
    assert [m["measure_code"] for m in listed] == art48.split()
    assert all("Art.48" in m["legal_basis"] for m in listed)
    assert not [m for m in measures if any(w in m["measure"] for w in ("联合惩戒", "联合激励", "社会公布"))]
    assert {m["credit_tier"] for m in measures} == {"A", "B", "C", "blacklisted"}
