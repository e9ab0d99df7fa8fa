"""The unpaid-wage blacklist's case lifecycle (人社部令第45号) on hand-built cases, through the real pipeline
(broker, loader, GX, dbt), over two nights: N1 = Mon 2026-11-23 with the acts dated up to N1, then N2 =
Tue 2026-11-24 after the acts dated N2 are published (LATE's listing decision and its persons, REPAIRED's
approved early removal and its delisting).

Gigshield never decides: a case is listed only with a recorded listing decision (listing_decided), and the
night scans every output (every table of the marts and share schemas, the alerts and the extracts) for a
row that says an enterprise is listed, or names a listed person, without one.

Working days are counted by hand on the official calendars (国务院办公厅 notices; checked with
chinese-calendar): 2025: 04-04 (Fri) 清明 off, Sun 04-27 a swapped workday, 05-01..05-05 off. 2026:
Sun 09-20 and Sat 10-10 swapped workdays, 09-25..09-27 中秋, 10-01..10-07 国庆. "+ n" below is n working
days after a date, each day written out. Every case is in Hunan (430102 芙蓉区 长沙市: ¥6,000 for one worker
owed 3 months or more, ¥40,000 for 10 workers or more), 12 workers owed 3 months, unless said, each against
an employer of its own."""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest

from core.config import DBT_PROJECT_DIR, Settings
from core.contracts import default_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world, make_resident_id
from ingestion.raw_tables import ensure_raw_tables
from tests.support import case_event, load_and_validate, order, own_feeds, roster_line
from transform import dbt_runner

pytestmark = pytest.mark.integration

N1, N2 = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
ZHEJIANG_REGION = "330302"  # 鹿城区, 温州市: 浙江省's threshold row is unconfirmed (national lower bound ¥30,000)
UNKNOWN_REGION = "110101"  # 东城区, 北京市: not in ref_regions
AUTHORITY = "长沙市人力资源和社会保障局"
LEGAL_BASIS = "人社部令第45号"
LATE_DECISION = "湘人社失信决〔2026〕7号"
# 保障农民工工资支付条例 Art.48: the restrictions on a listed employer (ref_credit_measures, tier blacklisted)
ART48_RESTRICTIONS = ("政府资金支持", "政府采购", "招投标", "融资贷款", "市场准入", "税收优惠", "评优评先", "交通出行")
CASES = (
    "CAND",
    "LATE",
    "UPHELD",
    "EXT",
    "REFUSED",
    "REPAIRED",
    "ROSTER",
    "INSTAL",
    "ZJ-UNCONF",
    "ZJ-CONF",
    "NOREGION",
    "EXPIRED",
    "PAID",
)
# The cases with a listing decision recorded as of each night, and those listed (listed or removal_due).
DECIDED = {N1: {"REFUSED", "REPAIRED", "EXPIRED"}, N2: {"LATE", "REFUSED", "REPAIRED", "EXPIRED"}}
LISTED = {N1: {"REFUSED", "REPAIRED", "EXPIRED"}, N2: {"LATE", "REFUSED", "EXPIRED"}}
MARTS = (
    "fct_blacklist_cases",
    "fct_blacklist_listed_persons",
    "fct_blacklist_work_queue",
    "fct_inspectorate_alerts",
    "fct_enterprise_credit",
    "fct_unpaid_wage_watch_list",
)
SCANNED_SCHEMAS = ("marts", "share")
# The responsible manager's name, which 人社 recorded but Gigshield does not publish (ref_blacklist_person_roles),
# and the name on a person_listed act recorded on EXT without any listing decision (it lists nobody).
MANAGER_NAME, STRAY_NAME = "司马青云", "欧阳未决"
OVERDUE_ALERT = "unpaid_wage_blacklist:{}:overdue:{}"  # fct_inspectorate_alerts.case_key of an overdue act


def oid(case: str) -> str:
    return f"BL-{case}"


@dataclass
class Night:
    """What one night's build left in the warehouse, read once."""

    cases: dict[str, dict[str, Any]]  # fct_blacklist_cases by case name
    persons: list[dict[str, Any]]
    queue: list[dict[str, Any]]  # fct_blacklist_work_queue, overdue first
    alerts: list[dict[str, Any]]
    credit: dict[str, dict[str, Any]]  # fct_enterprise_credit's grade in force, by case name
    watched: dict[str, dt.date]
    share: dict[str, list[dict[str, Any]]]  # every table of the share schema
    # every table of the scanned schemas: (schema, table) -> (column name -> data type, rows)
    tables: dict[tuple[str, str], tuple[dict[str, str], list[dict[str, Any]]]] = field(default_factory=dict)


@dataclass
class World:
    employers: dict[str, dict[str, Any]]  # the registry record of each case's employer
    registry: list[dict[str, Any]]
    people: dict[str, list[dict[str, Any]]]  # the person_listed acts of each case
    noregion_quarantine: dict[str, int]
    worker_ids: set[str]
    nights: dict[dt.date, Night]


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _capture(con: duckdb.DuckDBPyConnection, by_order: dict[str, str], by_uscc: dict[str, str]) -> Night:
    tables: dict[tuple[str, str], tuple[dict[str, str], list[dict[str, Any]]]] = {}
    listed = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('marts', 'share') "
        "ORDER BY 1, 2"
    ).fetchall()
    for schema, table in listed:
        columns = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, table],
            ).fetchall()
        )
        tables[schema, table] = columns, _read(con, f'SELECT * FROM "{schema}"."{table}"')
    rows = {t: tables["marts", t][1] for t in MARTS}
    return Night(
        cases={by_order[r["order_id"]]: r for r in rows["fct_blacklist_cases"] if r["order_id"] in by_order},
        persons=rows["fct_blacklist_listed_persons"],
        queue=_read(
            con, "SELECT * FROM marts.fct_blacklist_work_queue ORDER BY is_overdue DESC, next_act_due, order_id"
        ),
        alerts=rows["fct_inspectorate_alerts"],
        credit={
            by_uscc[r["enterprise_uscc"]]: r
            for r in rows["fct_enterprise_credit"]
            if r["is_grade_in_force"] and r["enterprise_uscc"] in by_uscc
        },
        watched={r["order_id"]: r["watch_until"] for r in rows["fct_unpaid_wage_watch_list"]},
        share={table: rows for (schema, table), (_, rows) in tables.items() if schema == "share"},
        tables=tables,
    )


def _acts(employers: dict[str, dict[str, Any]], rng: random.Random) -> tuple[list[dict], list[dict]]:
    """The authority's acts: those dated up to N1, and those dated N2."""

    def act(case: str, n: int, event_type: str, date: str, **fields: object) -> dict[str, object]:
        return case_event(f"{oid(case)}:{n}", oid(case), employers[case]["uscc"], event_type, date, **fields)

    def decision(case: str, n: int, date: str, number: str) -> dict[str, object]:
        return act(
            case,
            n,
            "listing_decided",
            date,
            document_number=number,
            deciding_authority=AUTHORITY,
            legal_basis=LEGAL_BASIS,
        )

    def legal_rep(case: str, n: int, date: str, number: str) -> dict[str, object]:
        e = employers[case]
        return act(
            case,
            n,
            "person_listed",
            date,
            document_number=number,
            person_role="legal_representative",
            person_id_number=e["legal_rep_id_number"],
            published_name=e["legal_rep_name"],
        )

    notice = {"deciding_authority": AUTHORITY}
    until_n1 = [
        # LATE: deadline Wed 2026-09-16; notice served Mon 09-21; no objection by objection_due = 09-21 + 5 =
        # 09-29 (09-22, 09-23, 09-24, [中秋 09-25..27], 09-28, 09-29).
        act("LATE", 1, "notice_served", "2026-09-21", document_number="湘人社失信告〔2026〕3号", **notice),
        # UPHELD: deadline Wed 2026-10-14; notice Fri 10-16 (objection_due 10-16 + 5 = 10-23: 10-19, 10-20,
        # 10-21, 10-22, 10-23); objection received Tue 10-20 (decision on it due 10-20 + 5 = 10-27: 10-21,
        # 10-22, 10-23, 10-26, 10-27); upheld Mon 10-26; decided not to list Wed 10-28.
        act("UPHELD", 1, "notice_served", "2026-10-16", document_number="湘人社失信告〔2026〕4号", **notice),
        act("UPHELD", 2, "objection_received", "2026-10-20"),
        act(
            "UPHELD",
            3,
            "objection_decided",
            "2026-10-26",
            outcome="upheld",
            document_number="湘人社失信复〔2026〕1号",
            **notice,
        ),
        act(
            "UPHELD",
            4,
            "not_listed_decided",
            "2026-10-28",
            reason="objection_upheld",
            document_number="湘人社失信不列〔2026〕1号",
            **notice,
        ),
        # EXT: deadline Fri 2026-10-09; notice Mon 10-12 (objection_due 10-12 + 5 = 10-19: 10-13, 10-14, 10-15,
        # 10-16, 10-19); objection Wed 10-14, rejected Mon 10-19; extension approved Fri 10-30.
        act("EXT", 1, "notice_served", "2026-10-12", document_number="湘人社失信告〔2026〕5号", **notice),
        act("EXT", 2, "objection_received", "2026-10-14"),
        act(
            "EXT",
            3,
            "objection_decided",
            "2026-10-19",
            outcome="rejected",
            document_number="湘人社失信复〔2026〕2号",
            **notice,
        ),
        act("EXT", 4, "extension_approved", "2026-10-30", **notice),
        # ... and a person_listed act recorded on EXT without any listing decision: it lists nobody.
        act(
            "EXT",
            5,
            "person_listed",
            "2026-10-30",
            document_number="湘人社失信决〔2026〕(未作出)",
            person_role="legal_representative",
            person_id_number=make_resident_id(rng),
            published_name=STRAY_NAME,
        ),
        # REFUSED: deadline Fri 2025-03-14; notice Tue 03-18; listed by decision Thu 2025-04-10 (due 03-14 + 20 =
        # 2025-04-14: 03-17..03-21, 03-24..03-28, 03-31..04-03, [清明 04-04], 04-07..04-11, 04-14: not late);
        # applies for early removal Mon 2026-10-12 with a written commitment but no payment; refused Thu
        # 10-29 (due 10-12 + 15 = 11-02: 10-13..10-16, 10-19..10-23, 10-26..10-30, 11-02).
        act("REFUSED", 1, "notice_served", "2025-03-18", document_number="湘人社失信告〔2025〕1号", **notice),
        decision("REFUSED", 2, "2025-04-10", "湘人社失信决〔2025〕2号"),
        legal_rep("REFUSED", 3, "2025-04-10", "湘人社失信决〔2025〕2号"),
        act("REFUSED", 4, "early_removal_applied", "2026-10-12", written_commitment_date="2026-10-12"),
        act(
            "REFUSED",
            5,
            "early_removal_decided",
            "2026-10-29",
            outcome="refused",
            document_number="湘人社失信移〔2026〕1号",
            **notice,
        ),
        # REPAIRED: deadline Tue 2025-04-15; notice Thu 04-17; listed by decision Tue 2025-05-13 (due 04-15 + 20 =
        # 05-15: 04-16..04-18, 04-21..04-25, Sun 04-27, 04-28..04-30, [05-01..05]; 05-06..05-09, 05-12..05-15);
        # paid in full Mon 2026-03-02 with a written commitment that day (eligible from 03-02 + 6 months =
        # 2026-09-02); applies Mon 11-02 (decision due 11-02 + 15 = Mon 11-23: 11-03..11-06, 11-09..11-13,
        # 11-16..11-20, 11-23).
        act("REPAIRED", 1, "notice_served", "2025-04-17", document_number="湘人社失信告〔2025〕2号", **notice),
        decision("REPAIRED", 2, "2025-05-13", "湘人社失信决〔2025〕3号"),
        legal_rep("REPAIRED", 3, "2025-05-13", "湘人社失信决〔2025〕3号"),
        act(
            "REPAIRED",
            4,
            "early_removal_applied",
            "2026-11-02",
            payment_evidence="工商银行回单 2026-03-02 No.0302-7781",
            paid_in_full_date="2026-03-02",
            written_commitment_date="2026-03-02",
        ),
        # ZJ-CONF: 浙江省's threshold confirmed for this case on Wed 2026-11-18.
        act("ZJ-CONF", 1, "threshold_confirmed", "2026-11-18", deciding_authority="温州市人力资源和社会保障局"),
        # EXPIRED: deadline Tue 2023-10-10; listed by decision Wed 2023-11-01 (due 10-10 + 20 = 2023-11-07);
        # listed until Sun 2026-11-01 (3 years), never delisted.
        act("EXPIRED", 1, "notice_served", "2023-10-12", document_number="湘人社失信告〔2023〕9号", **notice),
        decision("EXPIRED", 2, "2023-11-01", "湘人社失信决〔2023〕4号"),
        legal_rep("EXPIRED", 3, "2023-11-01", "湘人社失信决〔2023〕4号"),
    ]
    on_n2 = [
        # LATE: listed by decision on Tue 2026-11-24, 25 working days late; with its legal representative
        # (name published) and a responsible manager (直接负责的主管人员: name recorded, never published).
        decision("LATE", 2, "2026-11-24", LATE_DECISION),
        legal_rep("LATE", 3, "2026-11-24", LATE_DECISION),
        act(
            "LATE",
            4,
            "person_listed",
            "2026-11-24",
            document_number=LATE_DECISION,
            person_role="responsible_manager",
            person_id_number=make_resident_id(rng),
            published_name=MANAGER_NAME,
        ),
        # REPAIRED: early removal approved on Tue 2026-11-24 (due 11-23: one day late) and delisted that day.
        act(
            "REPAIRED",
            5,
            "early_removal_decided",
            "2026-11-24",
            outcome="approved",
            document_number="湘人社失信移〔2026〕2号",
            **notice,
        ),
        act(
            "REPAIRED",
            6,
            "delisted",
            "2026-11-24",
            reason="early_removal",
            document_number="湘人社失信移〔2026〕2号",
            **notice,
        ),
    ]
    return until_n1, on_n2


def _orders(employers: dict[str, dict[str, Any]]) -> list[dict[str, object]]:
    def o(case: str, amount: str, issued: str, deadline: str, **changes: object) -> dict[str, object]:
        return order(
            oid(case), employers[case]["uscc"], amount, issued_date=issued, payment_deadline=deadline, **changes
        )

    paid = {"status": "complied"}
    return [
        o("CAND", "60000.00", "2026-11-06", "2026-11-20"),  # Fri 11-20, ¥60,000 ≥ ¥40,000, no act
        o("LATE", "60000.00", "2026-09-02", "2026-09-16"),
        o("UPHELD", "60000.00", "2026-09-29", "2026-10-14"),
        o("EXT", "60000.00", "2026-09-24", "2026-10-09"),
        o("REFUSED", "60000.00", "2025-02-28", "2025-03-14"),  # never paid
        o(
            "REPAIRED",
            "60000.00",
            "2025-04-01",
            "2025-04-15",
            amount_paid="60000.00",
            paid_in_full_date="2026-03-02",
            written_commitment_date="2026-03-02",
            updated_at="2026-03-02T15:00:00+08:00",
            **paid,
        ),
        # ROSTER: ¥30,000 owed to 12 workers in total (< ¥40,000), one of them ¥8,000 for 3 months (roster).
        o("ROSTER", "30000.00", "2026-11-04", "2026-11-18"),
        # INSTAL: ¥48,000 ordered, ¥10,000 paid by the deadline Wed 11-18, the rest on Fri 11-20: ¥38,000 at the
        # deadline < ¥40,000 (and no worker owed ¥6,000: no roster, 12 workers).
        o(
            "INSTAL",
            "48000.00",
            "2026-11-04",
            "2026-11-18",
            amount_paid="48000.00",
            amount_paid_by_deadline="10000.00",
            paid_in_full_date="2026-11-20",
            **paid,
        ),
        # ZJ-*: ¥35,000 ≥ the unconfirmed ¥30,000 (浙江省: national lower bound), deadline Mon 11-16.
        o("ZJ-UNCONF", "35000.00", "2026-11-02", "2026-11-16", region_code=ZHEJIANG_REGION),
        o("ZJ-CONF", "35000.00", "2026-11-02", "2026-11-16", region_code=ZHEJIANG_REGION),
        o("EXPIRED", "60000.00", "2023-09-26", "2023-10-10"),
        # PAID: deadline Fri 2026-09-25 passed unpaid; paid in full Tue 10-20, committed in writing Wed 10-21,
        # before any decision (which was due 09-25 + 20 = 10-29): not listed.
        o(
            "PAID",
            "60000.00",
            "2026-09-10",
            "2026-09-25",
            amount_paid="60000.00",
            paid_in_full_date="2026-10-20",
            written_commitment_date="2026-10-21",
            **paid,
        ),
    ]


@pytest.fixture(scope="module")
def world(broker, tmp_path_factory) -> World:
    tmp_path, feeds = tmp_path_factory.mktemp("blacklist"), own_feeds()
    registry: list[dict[str, Any]] = generate_day(build_world(seed=3, workers=100), N1, N1, Rates(0, 0)).records[
        "samr.enterprise.v1"
    ]
    employers = dict(zip(CASES, registry, strict=False))
    rng = random.Random("gigshield-test-blacklist-cases")
    roster = [roster_line(oid("ROSTER"), 0, make_resident_id(rng), 3, "8000.00")] + [
        roster_line(oid("ROSTER"), n, make_resident_id(rng), 2, "2000.00") for n in range(1, 12)
    ]
    until_n1, on_n2 = _acts(employers, rng)
    warehouse, gx = tmp_path / "w.duckdb", tmp_path / "gx"

    def load(topic: str, records: list[dict], day: dt.date) -> dict[str, int]:
        result = load_and_validate(broker, warehouse, gx, feeds, topic, records, day)
        assert result.status == "released", (topic, result.failed_batch_expectations)
        contract = feeds[topic]
        with duckdb.connect(str(warehouse)) as con:  # every record reached raw (the loader quarantined none)
            keys = {k for (k,) in con.execute(f"SELECT {contract.key} FROM {contract.qualified_table}").fetchall()}
            lost = con.execute(
                "SELECT record_index, reason FROM raw._quarantine WHERE topic = ?",
                [contract.topic],
            ).fetchall()
        assert result.quarantine_reasons or {r[contract.key] for r in records} <= keys, (topic, lost)
        return result.quarantine_reasons

    assert load("samr.enterprise.v1", registry, N1) == {}
    assert load("hrss.inspection_order.v1", _orders(employers), N1) == {}
    # NOREGION: ¥60,000 unpaid at Wed 2026-11-18, ordered by an authority whose region is not in ref_regions.
    noregion = order(
        oid("NOREGION"),
        employers["NOREGION"]["uscc"],
        "60000.00",
        issued_date="2026-11-04",
        payment_deadline="2026-11-18",
        region_code=UNKNOWN_REGION,
        record_id=f"{oid('NOREGION')}:1",
    )
    noregion_quarantine = load("hrss.inspection_order.v1", [noregion], N1)
    assert load("hrss.unpaid_worker_roster.v1", roster, N1) == {}
    assert load("hrss.blacklist_case_event.v1", until_n1, N1) == {}
    with duckdb.connect(str(warehouse)) as con:  # the feeds these cases do not use: present, empty
        ensure_raw_tables(con, default_contracts().values())
    by_order = {oid(c): c for c in CASES}
    by_uscc = {e["uscc"]: c for c, e in employers.items()}
    nights = {}
    for night in (N1, N2):
        if night == N2:
            assert load("hrss.blacklist_case_event.v1", on_n2, N2) == {}
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
            monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
            dbt_runner.build_night(Settings.from_env(), as_of=night)
        with duckdb.connect(str(warehouse)) as con:
            nights[night] = _capture(con, by_order, by_uscc)
    people: dict[str, list[dict[str, Any]]] = {}
    for act in until_n1 + on_n2:
        if act["event_type"] == "person_listed":
            people.setdefault(str(act["order_id"])[3:], []).append(act)
    worker_ids = {str(line["worker_id_number"]) for line in roster}
    return World(employers, registry, people, noregion_quarantine, worker_ids, nights)


def case(world: World, night: dt.date, name: str) -> dict[str, Any]:
    return world.nights[night].cases[name]


def day(value: Any) -> dt.date | None:
    """A date column's value as a date (DuckDB returns DATE as date, TIMESTAMP as datetime)."""
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def dates(row: dict[str, Any], *columns: str) -> dict[str, dt.date | None]:
    return {c: day(row[c]) for c in columns}


# --- the lifecycle, case by case ----------------------------------------------------------------


def test_a_candidate_with_no_notice_is_due_to_be_notified(world):
    # CAND: deadline Fri 2026-11-20. notice_due = 11-20 + 10 = 12-04 (11-23, 11-24, 11-25, 11-26, 11-27, 11-30,
    # 12-01, 12-02, 12-03, 12-04); decision_due = 11-20 + 20 = 12-18 (... 12-07..12-11, 12-14..12-18).
    for night in (N1, N2):
        c = case(world, night, "CAND")
        assert (c["case_status"], c["listing_criterion"], c["next_act"]) == (
            "candidate",
            "many_workers_threshold",
            "serve_notice",
        )
        assert dates(c, "notice_due", "decision_due", "next_act_due") == {
            "notice_due": dt.date(2026, 12, 4),
            "decision_due": dt.date(2026, 12, 18),
            "next_act_due": dt.date(2026, 12, 4),
        }
        assert not c["is_overdue"] and c["decision_number"] is None and c["listed_from"] is None


def test_a_late_decision_is_overdue_then_listed_from_the_decision_recorded(world):
    # LATE: deadline Wed 2026-09-16. decision_due = 09-16 + 20 = 10-20 (09-17, 09-18, Sun 09-20, 09-21, 09-22,
    # 09-23, 09-24, [中秋], 09-28, 09-29, 09-30, [国庆], 10-08, 10-09, Sat 10-10, 10-12, 10-13, 10-14, 10-15,
    # 10-16, 10-19, 10-20). Notice served 09-21, objection_due 09-29, no objection: on N1 the decision is due
    # and overdue by 24 working days (10-21..10-23, 10-26..10-30, 11-02..11-06, 11-09..11-13, 11-16..11-20,
    # 11-23).
    n1 = case(world, N1, "LATE")
    assert (n1["case_status"], n1["next_act"], n1["is_overdue"]) == ("decision_due", "decide_listing", True)
    assert dates(n1, "notice_served_date", "objection_due", "decision_due", "next_act_due") == {
        "notice_served_date": dt.date(2026, 9, 21),
        "objection_due": dt.date(2026, 9, 29),
        "decision_due": dt.date(2026, 10, 20),
        "next_act_due": dt.date(2026, 10, 20),
    }
    assert n1["decision_number"] is None and n1["listed_from"] is None and not n1["is_listed"]
    # The overdue act raises a critical alert (kind unpaid_wage_blacklist, case_ref '<order>:overdue:<act>'),
    # beside the case's own (case_ref the order).
    late_alert = [
        a for a in world.nights[N1].alerts if a["case_key"] == OVERDUE_ALERT.format("BL-LATE", "decide_listing")
    ]
    assert len(late_alert) == 1 and late_alert[0]["severity"] == "critical"
    assert late_alert[0]["enterprise_uscc"] == world.employers["LATE"]["uscc"]
    queue = {r["order_id"]: r for r in world.nights[N1].queue}
    assert (queue["BL-LATE"]["is_overdue"], queue["BL-LATE"]["working_days_overdue"]) == (True, 24)

    # N2: listed by the decision of Tue 2026-11-24, for 3 years; the decision was late; the alert is gone.
    n2 = case(world, N2, "LATE")
    assert (n2["case_status"], n2["decision_was_late"], n2["next_act"], n2["is_overdue"]) == (
        "listed",
        True,
        None,
        False,
    )
    assert dates(n2, "decision_date", "listed_from", "listed_until") == {
        "decision_date": N2,
        "listed_from": N2,
        "listed_until": dt.date(2029, 11, 24),
    }
    assert (n2["decision_number"], n2["deciding_authority"], n2["legal_basis"]) == (
        LATE_DECISION,
        AUTHORITY,
        LEGAL_BASIS,
    )
    assert not [a for a in world.nights[N2].alerts if str(a["case_ref"]).startswith("BL-LATE")]
    assert "BL-LATE" not in {r["order_id"] for r in world.nights[N2].queue}
    listing = [
        r for r in world.nights[N2].share["share_credit_platform__blacklist_listings"] if r["case_id"] == "BL-LATE"
    ]
    assert [(r["record_type"], r["decision_number"], day(r["listed_from"])) for r in listing] == [
        ("listing", LATE_DECISION, N2)
    ]
    assert world.employers["LATE"]["legal_rep_name"] in listing[0]["listed_persons"]
    assert MANAGER_NAME not in listing[0]["listed_persons"] and "直接负责的主管人员" in listing[0]["listed_persons"]


def test_an_upheld_objection_is_never_listed_and_in_no_extract_as_listed(world):
    # UPHELD: notice Fri 2026-10-16 (objection_due 10-23); objection Tue 10-20, decision on it due 10-27
    # (10-21, 10-22, 10-23, 10-26, 10-27); upheld Mon 10-26; decided not to list Wed 10-28.
    uscc = world.employers["UPHELD"]["uscc"]
    for night in (N1, N2):
        c = case(world, night, "UPHELD")
        assert (c["case_status"], c["objection_outcome"], c["end_reason"], c["next_act"]) == (
            "not_listed",
            "upheld",
            "objection_upheld",
            None,
        )
        assert dates(c, "objection_due", "objection_decision_due", "objection_decided_date", "ended_date") == {
            "objection_due": dt.date(2026, 10, 23),
            "objection_decision_due": dt.date(2026, 10, 27),
            "objection_decided_date": dt.date(2026, 10, 26),
            "ended_date": dt.date(2026, 10, 28),
        }
        assert c["decision_number"] is None and not c["is_listed"]
        share = world.nights[night].share
        assert uscc not in {r["enterprise_uscc"] for r in share["share_credit_platform__blacklist_listings"]}
        assert uscc not in {r["enterprise_uscc"] for r in share["share_courts__dispute_respondents"]}
        for table, rows in share.items():  # the per-enterprise extracts carry it, never as listed
            for r in rows:
                if r.get("enterprise_uscc") == uscc:
                    assert not r.get("is_blacklisted") and r.get("credit_tier") != "blacklisted", table
                    assert r.get("decision_number") is None and r.get("legal_rep_name") is None, table


def test_an_approved_extension_moves_the_decision_due_by_twenty_working_days(world):
    # EXT: deadline Fri 2026-10-09: decision due 10-09 + 20 = 11-05 (Sat 10-10, 10-12..10-16, 10-19..10-23,
    # 10-26..10-30, 11-02..11-05), extended + 20 = 12-03 (11-06, 11-09..11-13, 11-16..11-20, 11-23..11-27,
    # 11-30, 12-01, 12-02, 12-03). Objection rejected 10-19: the decision is due, not overdue on either night.
    for night in (N1, N2):
        c = case(world, night, "EXT")
        assert (c["case_status"], c["objection_outcome"], c["next_act"], c["is_overdue"]) == (
            "decision_due",
            "rejected",
            "decide_listing",
            False,
        )
        assert dates(c, "objection_due", "extension_approved_date", "decision_due", "next_act_due") == {
            "objection_due": dt.date(2026, 10, 19),
            "extension_approved_date": dt.date(2026, 10, 30),
            "decision_due": dt.date(2026, 12, 3),
            "next_act_due": dt.date(2026, 12, 3),
        }
        assert not [p for p in world.nights[night].persons if p["order_id"] == "BL-EXT"]  # the stray act lists nobody


def test_a_repair_refused_for_non_payment_stays_listed(world):
    # REFUSED: listed 2025-04-10 (until 2028-04-10); applied Mon 2026-10-12 with no payment, refused Thu 10-29
    # (due 10-12 + 15 = 11-02). A written commitment alone does not make it eligible for early removal.
    for night in (N1, N2):
        c = case(world, night, "REFUSED")
        assert (c["case_status"], c["early_removal_outcome"], c["next_act"], c["decision_was_late"]) == (
            "listed",
            "refused",
            None,
            False,
        )
        assert dates(
            c,
            "decision_due",
            "listed_from",
            "listed_until",
            "early_removal_decision_due",
            "paid_in_full_date",
            "early_removal_eligible_from",
        ) == {
            "decision_due": dt.date(2025, 4, 14),
            "listed_from": dt.date(2025, 4, 10),
            "listed_until": dt.date(2028, 4, 10),
            "early_removal_decision_due": dt.date(2026, 11, 2),
            "paid_in_full_date": None,
            "early_removal_eligible_from": None,
        }
        listings = world.nights[night].share["share_credit_platform__blacklist_listings"]
        assert [r["record_type"] for r in listings if r["case_id"] == "BL-REFUSED"] == ["listing"]


def test_an_approved_repair_leaves_the_credit_extract_the_next_night_as_a_removal_event(world):
    # REPAIRED: paid in full and committed Mon 2026-03-02, eligible from 09-02 (6 months); applied Mon 11-02,
    # decision due 11-02 + 15 = Mon 11-23 (11-03..11-06, 11-09..11-13, 11-16..11-20, 11-23): on N1 due, not
    # overdue. N2: approved and delisted Tue 11-24: removed early.
    n1 = case(world, N1, "REPAIRED")
    assert (n1["case_status"], n1["next_act"], n1["is_overdue"]) == ("removal_due", "decide_early_removal", False)
    assert dates(n1, "listed_from", "early_removal_eligible_from", "early_removal_decision_due", "next_act_due") == {
        "listed_from": dt.date(2025, 5, 13),
        "early_removal_eligible_from": dt.date(2026, 9, 2),
        "early_removal_decision_due": dt.date(2026, 11, 23),
        "next_act_due": dt.date(2026, 11, 23),
    }
    n2 = case(world, N2, "REPAIRED")
    assert (n2["case_status"], n2["end_reason"], day(n2["ended_date"]), n2["next_act"], n2["is_listed"]) == (
        "removed_early",
        "early_removal",
        N2,
        None,
        False,
    )

    def listing(night: dt.date) -> list[tuple]:
        rows = world.nights[night].share["share_credit_platform__blacklist_listings"]
        return [
            (r["record_type"], day(r["ended_date"]), r["end_reason"], r["listed_persons"])
            for r in rows
            if r["case_id"] == "BL-REPAIRED"
        ]

    name = world.employers["REPAIRED"]["legal_rep_name"]
    ((record_type, ended, reason, persons),) = listing(N1)
    assert (record_type, ended, reason) == ("listing", None, None) and name in persons
    assert listing(N2) == [("listing_ended", N2, "early_removal", None)]
    # Publication stops at once: the legal representative's name is in no extract on N2, nor is the listing.
    assert not [
        t
        for t, rows in world.nights[N2].share.items()
        for r in rows
        if any(name in t for t in _texts(list(r.values())))
    ]
    credit = {r["enterprise_uscc"]: r for r in world.nights[N2].share["share_credit_platform__enterprise_credit"]}[
        world.employers["REPAIRED"]["uscc"]
    ]
    assert (credit["is_blacklisted"], credit["credit_tier"], credit["decision_number"]) == (False, "C", None)


def test_one_worker_owed_eight_thousand_for_three_months_makes_a_candidate(world):
    # ROSTER: ¥30,000 to 12 workers (< ¥40,000; the average ¥2,500 < ¥6,000), but one worker owed ¥8,000 for
    # 3 months (≥ ¥6,000). Deadline Wed 2026-11-18: notice_due 11-18 + 10 = 12-02 (11-19, 11-20, 11-23..11-27,
    # 11-30, 12-01, 12-02).
    c = case(world, N1, "ROSTER")
    assert (c["case_status"], c["listing_criterion"], float(c["arrears_at_deadline"])) == (
        "candidate",
        "one_worker_threshold",
        30000.0,
    )
    assert day(c["notice_due"]) == dt.date(2026, 12, 2)


def test_instalments_paid_by_the_deadline_count_and_leave_a_watch_list_entry(world):
    # INSTAL: ¥48,000 − ¥10,000 paid by Wed 2026-11-18 = ¥38,000 < ¥40,000: no case; watched 1 year.
    for night in (N1, N2):
        assert "INSTAL" not in world.nights[night].cases
        assert world.nights[night].watched["BL-INSTAL"] == dt.date(2027, 11, 18)
        assert "BL-INSTAL" not in str(world.nights[night].share)  # the watch list is in no extract


def test_an_unconfirmed_threshold_needs_the_authoritys_confirmation(world):
    # ZJ-*: deadline Mon 2026-11-16; notice_due 11-16 + 10 = 11-30 (11-17..11-20, 11-23..11-27, 11-30).
    unconfirmed, confirmed = case(world, N1, "ZJ-UNCONF"), case(world, N1, "ZJ-CONF")
    assert (unconfirmed["case_status"], unconfirmed["next_act"], day(unconfirmed["next_act_due"])) == (
        "threshold_unconfirmed",
        "confirm_threshold",
        dt.date(2026, 11, 30),
    )
    assert unconfirmed["threshold_confirmed"] is False and unconfirmed["threshold_confirmation_date"] is None
    assert (confirmed["case_status"], confirmed["next_act"], day(confirmed["threshold_confirmation_date"])) == (
        "candidate",
        "serve_notice",
        dt.date(2026, 11, 18),
    )
    assert dates(confirmed, "notice_due", "decision_due") == {
        "notice_due": dt.date(2026, 11, 30),
        "decision_due": dt.date(2026, 12, 14),  # + 20: ... 12-01..12-04, 12-07..12-11, 12-14
    }


def test_a_region_without_reference_rows_is_an_error_not_a_watch_list_entry(world):
    """NOREGION (110101, 东城区 北京市, not in ref_regions; ¥60,000 unpaid at Wed 2026-11-18): the night reports
    it and never files it on the watch list. The inbound check of the order's region (known_region_code, from
    ref_regions) quarantines the record before dbt, so the case never reaches fct_blacklist_cases (where a
    released order without reference rows would be criteria_error, next act fix_reference_data)."""
    assert world.noregion_quarantine == {"expect_column_values_to_be_known_region_code(region_code)": 1}
    for night in (N1, N2):
        assert "BL-NOREGION" not in world.nights[night].watched
        assert "NOREGION" not in world.nights[night].cases
        assert not [a for a in world.nights[night].alerts if "BL-NOREGION" in str(a["case_ref"])]


def test_an_expired_listing_is_due_to_be_delisted_and_overdue(world):
    # EXPIRED: listed 2023-11-01 until Sun 2026-11-01; delisting due 11-01 + 10 = 11-13 (11-02..11-06,
    # 11-09..11-13): overdue by 6 working days on N1 (11-16..11-20, 11-23) and 7 on N2.
    for night, behind in ((N1, 6), (N2, 7)):
        c = case(world, night, "EXPIRED")
        assert (c["case_status"], c["next_act"], c["is_overdue"]) == ("removal_due", "delist", True)
        assert dates(c, "listed_until", "delisting_due") == {
            "listed_until": dt.date(2026, 11, 1),
            "delisting_due": dt.date(2026, 11, 13),
        }
        queue = {r["order_id"]: r for r in world.nights[night].queue}
        assert queue["BL-EXPIRED"]["working_days_overdue"] == behind
        expired = {a["case_key"]: a for a in world.nights[night].alerts}[OVERDUE_ALERT.format("BL-EXPIRED", "delist")]
        assert expired["severity"] == "critical"


def test_paid_and_committed_before_the_decision_is_not_listed(world):
    c = case(world, N1, "PAID")
    assert (c["case_status"], c["end_reason"], day(c["ended_date"]), c["next_act"]) == (
        "not_listed",
        "paid_and_committed",
        dt.date(2026, 10, 21),
        None,
    )


def test_the_work_queue_puts_overdue_acts_first(world):
    # N1 (Mon 11-23): LATE (decision due 10-20) and EXPIRED (delisting due 11-13) overdue; then by due date.
    assert [(r["order_id"], r["next_act"], day(r["next_act_due"])) for r in world.nights[N1].queue] == [
        ("BL-LATE", "decide_listing", dt.date(2026, 10, 20)),
        ("BL-EXPIRED", "delist", dt.date(2026, 11, 13)),
        ("BL-REPAIRED", "decide_early_removal", dt.date(2026, 11, 23)),
        ("BL-ZJ-CONF", "serve_notice", dt.date(2026, 11, 30)),
        ("BL-ZJ-UNCONF", "confirm_threshold", dt.date(2026, 11, 30)),
        ("BL-ROSTER", "serve_notice", dt.date(2026, 12, 2)),
        ("BL-EXT", "decide_listing", dt.date(2026, 12, 3)),
        ("BL-CAND", "serve_notice", dt.date(2026, 12, 4)),
    ]
    assert [r["order_id"] for r in world.nights[N2].queue if r["is_overdue"]] == ["BL-EXPIRED"]


def test_a_listed_employer_is_never_graded_a(world):
    # LATE's employer: a clean 2025 (its order is of 2026), so the grade in force (grade_year 2025) would be A;
    # an open case makes it B (N1, not listed); listed by decision on N2: B, tier blacklisted, with the
    # restrictions of 保障农民工工资支付条例 Art.48.
    n1, n2 = world.nights[N1].credit["LATE"], world.nights[N2].credit["LATE"]
    assert (n1["grade_year"], n1["compliance_grade"], n1["credit_tier"], n1["is_blacklisted"]) == (
        2025,
        "B",
        "B",
        False,
    )
    assert (n2["grade_year"], n2["compliance_grade"], n2["credit_tier"], n2["is_blacklisted"]) == (
        2025,
        "B",
        "blacklisted",
        True,
    )
    for restriction in ART48_RESTRICTIONS:
        assert any(restriction in m for m in n2["measures"]) and not any(restriction in m for m in n1["measures"])
    published = {r["enterprise_uscc"]: r for r in world.nights[N2].share["share_credit_platform__enterprise_credit"]}[
        world.employers["LATE"]["uscc"]
    ]
    assert (published["compliance_grade"], published["credit_tier"], published["decision_number"]) == (
        "B",
        "blacklisted",
        LATE_DECISION,
    )
    assert published["legal_rep_name"] == world.employers["LATE"]["legal_rep_name"]
    for night in (N1, N2):  # no listed employer, nor one with an open case, is A
        for name, row in world.nights[night].credit.items():
            c = world.nights[night].cases.get(name)
            if row["is_blacklisted"] or (c and c["case_status"] not in ("not_listed", "criteria_error")):
                assert row["compliance_grade"] != "A", (night, name)


def test_listed_persons_are_pseudonyms_with_the_name_only_where_it_is_published(world):
    persons = {p["person_role"]: p for p in world.nights[N2].persons if p["order_id"] == "BL-LATE"}
    assert set(persons) == {"legal_representative", "responsible_manager"}
    rep, manager = persons["legal_representative"], persons["responsible_manager"]
    assert (rep["role_title"], rep["name_published"], rep["published_name"], rep["decision_number"]) == (
        "法定代表人",
        True,
        world.employers["LATE"]["legal_rep_name"],
        LATE_DECISION,
    )
    assert (manager["role_title"], manager["name_published"], manager["published_name"]) == (
        "直接负责的主管人员",
        False,
        None,
    )
    ids = {str(a["person_id_number"]) for a in world.people["LATE"]}
    for p in (rep, manager):
        assert p["is_listed_now"] and p["person_key"] and p["person_key"] not in ids
        assert not re.fullmatch(r"[0-9]{17}[0-9X]", p["person_key"])
    assert not [p for p in world.nights[N1].persons if p["order_id"] == "BL-LATE"]  # no decision yet on N1


# --- Done when 1: nothing says listed, or names a listed person, without a decision ---------------

LISTED_VALUES = frozenset({"listed", "removal_due", "blacklisted", "listing"})
LISTED_WORDS = re.compile(r"(?<![\w-])(?<!not )(?<!never )(listed|removal_due|blacklisted)(?![\w-])")
LISTED_FLAGS = re.compile(r"^is_(blacklisted|listed)(_now)?$")


def _texts(value: Any) -> Iterator[str]:
    """Every string in a value, nested lists, structs and maps included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(k)
            yield from _texts(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _texts(v)


def _listing_measures() -> list[str]:
    with (DBT_PROJECT_DIR / "seeds" / "ref_credit_measures.csv").open(encoding="utf-8", newline="") as f:
        return [m["measure"] for m in csv.DictReader(f) if m["credit_tier"] == "blacklisted"]


def _says_listed(columns: dict[str, str], row: dict[str, Any], measures: list[str]) -> list[str]:
    """The columns of a row that say an enterprise is listed (blacklisted): a listing flag, a listing status
    or tier, a record of a listing, a listing's measures, or words in a text (an alert's summary)."""
    said = []
    for column, data_type in columns.items():
        value = row[column]
        if data_type == "BOOLEAN":
            if value is True and LISTED_FLAGS.match(column):
                said.append(column)
            continue
        texts = list(_texts(value))
        if any(t.strip() in LISTED_VALUES or LISTED_WORDS.search(t) or any(m in t for m in measures) for t in texts):
            said.append(column)
    return said


def _mentions(row: dict[str, Any], identifiers: dict[str, set[str]]) -> set[str]:
    """The cases whose order id or employer's USCC a row carries (in any column, nested included)."""
    texts = list(_texts(list(row.values())))
    return {case for case, ids in identifiers.items() if any(i in t for i in ids for t in texts)}


def test_no_output_says_listed_or_names_a_listed_person_without_a_decision(world):
    measures = _listing_measures()
    identifiers = {c: {oid(c), e["uscc"]} for c, e in world.employers.items()}
    for night in (N1, N2):
        tables = world.nights[night].tables
        assert {("marts", t) for t in MARTS} <= set(tables)
        assert ("share", "share_credit_platform__blacklist_listings") in tables
        undecided = set(CASES) - DECIDED[night]
        found: dict[str, set[str]] = {}  # case -> tables that say it is listed
        wrong = []
        for (schema, table), (columns, rows) in tables.items():
            for row in rows:
                said = _says_listed(columns, row, measures)
                if not said:
                    continue
                about = _mentions(row, identifiers)
                for c in about:
                    found.setdefault(c, set()).add(f"{schema}.{table}")
                if about & undecided or not about:
                    wrong.append((f"{schema}.{table}", said, sorted(about), {k: row[k] for k in said}))
        assert wrong == [], (night, wrong)
        # The scan sees the listings there are: each listed case somewhere, in its extracts; no other case.
        assert set(found) == LISTED[night], (night, found)
        for c in LISTED[night]:
            assert {
                "marts.fct_blacklist_cases",
                "marts.fct_enterprise_credit",
                "share.share_credit_platform__blacklist_listings",
                "share.share_credit_platform__enterprise_credit",
                "share.share_courts__dispute_respondents",
                "share.share_samr__enterprise_labour_credit",
            } <= found[c], (night, c, found[c])

        # Names and ID numbers. A person_listed act without a decision (EXT's; LATE's before N2) lists nobody:
        # its name is nowhere. The responsible manager's name is never published. No resident ID number of a
        # listed person, nor of a registered legal representative, is in any output.
        hidden_names = {STRAY_NAME, MANAGER_NAME}
        ids = {str(a["person_id_number"]) for acts in world.people.values() for a in acts}
        ids |= {e["legal_rep_id_number"] for e in world.registry} | world.worker_ids
        # The registry's name of a legal representative whose employer is not listed is in no extract and no
        # alert (it is in marts.dim_enterprise, the registry's own copy, which no one outside reads).
        unlisted_reps = {
            e["legal_rep_name"]: e["uscc"]
            for e in world.registry
            if e["uscc"] not in {world.employers[c]["uscc"] for c in LISTED[night]}
        }
        leaks = []
        for (schema, table), (_, rows) in tables.items():
            published = schema == "share" or table == "fct_inspectorate_alerts"
            for row in rows:
                for column, value in row.items():
                    for t in _texts(value):
                        named = any(n in t for n in hidden_names) or any(i in t for i in ids)
                        if named or (published and any(n in t for n in unlisted_reps)):
                            leaks.append((f"{schema}.{table}", column, t))
        assert leaks == [], (night, leaks)
