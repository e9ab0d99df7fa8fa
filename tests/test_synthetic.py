"""The synthetic agencies: deterministic, contract-shaped, valid identifiers, violations as the manifest says,
and the blacklist cases' rosters and acts (人社部令第45号) as the manifest's truth says."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from core.config import DBT_PROJECT_DIR
from core.contracts import Contract, default_contracts
from devstack.synthetic.cases import CASE_LOOKBACK_DAYS
from devstack.synthetic.feeds import (
    CLEAN_MAX_ONLINE_MINUTES,
    DayContext,
    DayOutput,
    complaint_events,
    generate_day,
    payday,
)
from devstack.synthetic.malformed import RECORD_KINDS
from devstack.synthetic.manifest import Manifest
from devstack.synthetic.orders import load_thresholds
from devstack.synthetic.publish import messages_for
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world, load_regions
from ingestion.signing import KeyRegistry, verify

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 16)  # the day after the November payday: wage payments are published
RATES = Rates(violation=0.05, malformed=0.01)
ORDERS, ROSTER, EVENTS = "hrss.inspection_order.v1", "hrss.unpaid_worker_roster.v1", "hrss.blacklist_case_event.v1"
COMPLAINTS = ("hrss.complaint_event.v1", "hrss.complaint_event.v2")  # v1: the union's, not yet migrated
# Long enough for cases to go from their deadline to an early removal (six months after a payment); a small
# world, whose feeds cost little (it has as many orders a day as a large one).
WINDOW = (dt.date(2026, 1, 5), dt.date(2026, 11, 30))
UNCONFIRMED_PROVINCES = {"浙江省", "山东省", "云南省"}  # ref_wage_crime_thresholds confirmed=false
LEGAL_BASIS = "人社部令第45号"


@pytest.fixture(scope="module")
def world():
    return build_world(seed=11, workers=600)


@pytest.fixture(scope="module")
def day(world):
    return generate_day(world, DAY, DAY, RATES)


@dataclass
class Window:
    days: list[tuple[dt.date, DayOutput]]
    manifest: Manifest

    def records(self, topic: str) -> Iterator[tuple[dt.date, dict]]:
        for day, output in self.days:
            for record in output.records.get(topic, []):
                yield day, record


@pytest.fixture(scope="module")
def window() -> Window:
    """WINDOW's days as publish_window generates them, and its manifest."""
    start, end = WINDOW
    world = build_world(seed=11, workers=60)
    manifest = Manifest.start(seed=11, workers=60, start=start, end=end, rates=Rates(0, 0), mode="auto")
    days = []
    for n in range((end - start).days + 1):
        output = generate_day(world, start + dt.timedelta(days=n), start, Rates(0, 0))
        manifest.add_day(output)
        days.append((start + dt.timedelta(days=n), output))
    return Window(days, manifest)


@pytest.fixture(scope="module")
def truth(window) -> list[dict]:
    """The manifest's blacklist cases, as written to the manifest file."""
    return json.loads(json.dumps(window.manifest.as_json(), ensure_ascii=False))["blacklist_cases"]


def cents(amount: object) -> int:
    return round(float(str(amount)) * 100)


def aware_timestamp(value: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(value)
    if stamp.utcoffset() is None:
        raise ValueError(f"{value}: no UTC offset")
    return stamp


def contract_problems(contract: Contract, records: list[dict]) -> list[str]:
    """What in `records` the contract forbids: fields, types, required, enums, patterns, minimums, check
    digits, unique keys and the record-level SQL rules (run in DuckDB on the records)."""
    checks = {"uscc": uscc.is_valid, "ric": ric.is_valid, "region": {r.code for r in load_regions()}.__contains__}
    parse = {"DATE": dt.date.fromisoformat, "TIMESTAMPTZ": aware_timestamp}
    problems = []
    names = [f.name for f in contract.fields]
    for r in records:
        if set(r) != set(names):
            problems.append(f"{r[contract.key]}: fields {sorted(set(r) ^ set(names))}")
            continue
        for f in contract.fields:
            value = r[f.name]
            if value is None:
                if f.required:
                    problems.append(f"{r[contract.key]}: {f.name} is required")
                continue
            kind = f.physical_type.split("(")[0]
            typed = {
                "VARCHAR": isinstance(value, str),
                "BIGINT": isinstance(value, int) and not isinstance(value, bool),
                "DECIMAL": isinstance(value, int | float) and not isinstance(value, bool),
                "BOOLEAN": isinstance(value, bool),
            }.get(kind, isinstance(value, str))
            try:
                parse.get(kind, str)(value)
            except (ValueError, TypeError):
                typed = False
            bad = (
                not typed
                or (f.enum is not None and value not in f.enum)
                or (f.pattern is not None and not re.match(f.pattern, str(value)))
                or (f.minimum is not None and float(value) < f.minimum)
                or (f.check is not None and not checks[f.check](value))
            )
            if bad:
                problems.append(f"{r[contract.key]}: {f.name} = {value!r}")
    if len({r[contract.key] for r in records}) != len(records):
        problems.append(f"duplicate {contract.key}")
    if records and contract.sql_rules:
        frame = pd.DataFrame([[r[n] for n in names] for r in records], columns=names, dtype=object)
        columns = ", ".join(f'"{f.name}" {f.physical_type}' for f in contract.fields)
        with duckdb.connect() as con:
            con.execute(f"CREATE TABLE t ({columns})")
            con.register("frame", frame)
            con.execute("INSERT INTO t SELECT * FROM frame")
            for rule in contract.sql_rules:
                (count,) = con.execute(f"SELECT count(*) FROM t WHERE {rule.violation}").fetchone()
                if count:
                    problems.append(f"{count} records break: {rule.description}")
    return problems


@pytest.fixture(scope="module")
def calendar() -> list[dt.date]:
    """The working days of the dbt seed ref_calendar (the calendar the models count periods on)."""
    with (DBT_PROJECT_DIR / "seeds" / "ref_calendar.csv").open(encoding="utf-8") as f:
        return [dt.date.fromisoformat(r["calendar_date"]) for r in csv.DictReader(f) if r["is_workday"] == "True"]


def working_days_after(calendar: list[dt.date], day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day`."""
    return [d for d in calendar if d > day][n - 1]


def test_same_seed_same_records_and_a_day_does_not_depend_on_its_window(world, day):
    again = generate_day(build_world(seed=11, workers=600), DAY, DAY, RATES)
    assert again.records == day.records and again.violations == day.violations
    inside_month = generate_day(world, DAY, DAY - dt.timedelta(days=10), RATES)  # not a snapshot day there
    for topic in ("hrss.service_time.v1", *COMPLAINTS, "court.case.v1", ORDERS, ROSTER, EVENTS):
        # A snapshot day restates the orders (and rosters) of cases with acts this month; nothing else differs.
        dated = [r for r in day.records.get(topic, []) if ":restated:" not in str(r.get("record_id"))]
        assert inside_month.records.get(topic, []) == dated, topic
    assert any(":restated:" in str(r["record_id"]) for r in day.records[ROSTER])
    other_seed = generate_day(build_world(seed=12, workers=600), DAY, DAY, RATES)
    assert other_seed.records["hrss.service_time.v1"] != day.records["hrss.service_time.v1"]


def test_every_feed_is_published_with_exactly_its_contract_fields(day, window):
    contracts = default_contracts()
    assert set(day.records) <= set(contracts)
    assert {topic for _, output in window.days for topic in output.records} == set(contracts)  # an act a day or so
    for topic, records in day.records.items():
        names = [f.name for f in contracts[topic].fields]
        assert all(set(r) == set(names) and len(r) == len(names) for r in records), topic
        key = contracts[topic].key
        assert len({r[key] for r in records}) == len(records), f"{topic}: duplicate {key}"


@pytest.mark.parametrize("topic", [ORDERS, ROSTER, EVENTS])
def test_the_orders_rosters_and_acts_validate_against_their_contracts(window, topic):
    """Over the window (keys are unique across it, not only within a night)."""
    records = [r for _, r in window.records(topic)]
    assert contract_problems(default_contracts()[topic], records) == []


@pytest.mark.parametrize("start", [WINDOW[0], dt.date(2026, 3, 17), dt.date(2026, 8, 31)])
def test_acts_and_rosters_find_their_order_published_in_the_window_on_the_day_or_before(window, start):
    """The references the inbound suites check (order_id in hrss.inspection_order.v1, minReferenceMatchRate):
    an act of a case whose order was issued before the window finds its order restated on the window's
    first day or the 1st of the act's month, whichever day the window starts."""
    world = build_world(seed=11, workers=60)
    days = (
        window.days
        if start == WINDOW[0]
        else [(d, generate_day(world, d, start, Rates(0, 0))) for d in (start + dt.timedelta(n) for n in range(45))]
    )
    seen: set[str] = set()
    acts = 0
    for day, output in days:
        seen |= {str(r["order_id"]) for r in output.records.get(ORDERS, [])}
        acts += len(output.records.get(EVENTS, []))
        for topic in (ROSTER, EVENTS):
            missing = {r["order_id"] for r in output.records.get(topic, [])} - seen
            assert not missing, (day, topic, missing)
    assert acts >= 20


def test_identifiers_pass_their_check_digits_and_regions_are_the_seed_jurisdictions(world, day):
    codes = {r.code for r in load_regions()}
    assert {r.jurisdiction for r in load_regions()} == {"liaoning", "hunan", "wenzhou", "lincang", "gaoqing"}
    for ent in world.enterprises:
        assert uscc.is_valid(ent.uscc) and ent.uscc[2:8] == ent.region.code and ric.is_valid(ent.legal_rep_id)
    assert all(ric.is_valid(e.worker.id_number) for e in world.engagements)
    for records in day.records.values():
        assert all(r["region_code"] in codes for r in records if "region_code" in r)


def test_platforms_have_partners_some_shared_and_some_workers_are_on_two_platforms(world):
    assert any(len(p.platforms) == 2 for p in world.partners)
    per_worker: dict[str, set[str]] = {}
    for e in world.engagements:
        per_worker.setdefault(e.worker.id_number, set()).add(e.platform.uscc)
    assert any(len(platforms) == 2 for platforms in per_worker.values())
    assert {e.role for e in world.engagements} >= {"platform_self", "labour_dispatch"}


def test_injected_violations_are_in_the_records_and_clean_records_are_clean(world, day):
    found = {v.kind for v in day.violations}
    assert {
        "wage_arrears",
        "below_minimum_wage",
        "overtime_no_stop_dispatch",
        "missing_injury_cover",
        "late_injury_insurance",
        "occupational_injury_orders_uncovered",
        "deposit_taken",
        "late_social_insurance",
    } <= found
    arrears = {
        (v.employer_uscc, v.worker_id_number, v.business_key) for v in day.violations if v.kind == "wage_arrears"
    }
    for p in day.records["hrss.wage_payment.v1"]:
        owed = (p["payer_uscc"], p["worker_id_number"], p["period_start"]) in arrears  # the key is period_start
        assert (p["amount_paid"] < p["amount_due"]) == owed
        start, end = (dt.date.fromisoformat(p[k]) for k in ("period_start", "period_end"))
        if (end - start).days < 20:  # a part-time fortnight (劳动合同法 Art.72: at most 15 days), paid within 15
            assert (end - start).days == 13 and 0 < (dt.date.fromisoformat(p["due_date"]) - end).days <= 15
        else:
            assert p["due_date"] == payday(start).isoformat()
    # Booked to the platform: the violation's employer is the platform (seed 000 (七)).
    overtime = {(v.employer_uscc, v.worker_id_number) for v in day.violations if v.kind == "overtime_no_stop_dispatch"}
    for s in day.records["hrss.service_time.v1"]:
        flagged = (s["platform_uscc"], s["worker_id_number"]) in overtime
        assert (s["online_minutes"] > 660) == flagged
        assert flagged or s["online_minutes"] <= CLEAN_MAX_ONLINE_MINUTES
    no_cover = {
        (v.employer_uscc, v.platform_uscc, v.worker_id_number)
        for v in day.violations
        if v.kind == "missing_injury_cover"
    }
    for line in day.records["hrss.employment_ledger.v1"]:
        key = (line["employer_uscc"], line["platform_uscc"], line["worker_id_number"])
        assert (line["injury_cover"] == "none") == (key in no_cover)
    # 每单必保 (人社部发〔2025〕24号): orders are insured only where the pilot binds the platform, all of them but
    # for an injected day, booked to the platform; no cover is reported elsewhere.
    uncovered = {
        (v.employer_uscc, v.worker_id_number, v.business_key)
        for v in day.violations
        if v.kind == "occupational_injury_orders_uncovered"
    }
    for s in day.records["hrss.service_time.v1"]:
        insured = s["orders_insured"]
        short = (s["platform_uscc"], s["worker_id_number"], s["service_date"]) in uncovered
        assert (insured is not None and insured < s["orders"]) == short
    assert {p.brand for p in world.platforms} - {None}, "some platforms carry a pilot brand"


# 高人社发〔2022〕5号 (seed 004) (五): 当日受理、次日对接、3日反馈, calendar days after receipt, for wage-arrears leads
# (欠薪线索) in Gaoqing; a deadline on a day off moves to the next working day (民法典 Art.203). No other
# jurisdiction sets limits, and assigned and handled have none.
GAOQING_LIMITS = {"accepted": 0, "connected": 1, "feedback": 3}


@pytest.fixture(scope="module")
def busy_world():
    return build_world(seed=11, workers=8000)  # 20 complaints a day: a few Gaoqing wage-arrears leads


# Through 春节 2026 (02-15..02-23 off: a deadline of 02-15 moves to 02-24) and the National Day block (to 10-08).
@pytest.mark.parametrize("start", [dt.date(2026, 2, 1), dt.date(2026, 9, 20)])
def test_late_complaint_handling_is_exactly_the_leads_with_a_step_done_after_its_deadline(busy_world, calendar, start):
    """Every step of every complaint (both topics) against Gaoqing's limits on the official calendar: the
    manifest's late_complaint_handling are exactly the Gaoqing wage-arrears leads with a step done after
    its deadline, observable the day after that deadline; every other complaint is handled in time, and
    every step of every complaint is published (the lookback covers the longest deadline move)."""
    world = busy_world
    jurisdiction = {r.code: r.jurisdiction for r in load_regions()}
    events: dict[str, list[dict]] = defaultdict(list)
    late = {}
    for offset in range(40):
        output = DayOutput()
        complaint_events(DayContext(world, start + dt.timedelta(days=offset), Rates(0.5)), output, start)
        for topic in COMPLAINTS:
            for record in output.records.get(topic, []):
                events[record["complaint_id"]].append(dict(record, topic=topic))
        late |= {v.business_key: v for v in output.violations if v.kind == "late_complaint_handling"}
    work = set(calendar)
    leads, expected = set(), {}
    for complaint_id, steps in events.items():
        received = dt.datetime.strptime(complaint_id[1:9], "%Y%m%d").date()  # C<yyyymmdd><n>
        if not start <= received <= start + dt.timedelta(days=25):  # only some of its steps generated
            late.pop(complaint_id, None)
            continue
        done = {e["event_type"]: dt.datetime.fromisoformat(e["event_at"]).date() for e in steps}
        assert set(done) == set(default_contracts()[steps[0]["topic"]].field("event_type").enum or ()), complaint_id
        if steps[0]["category"] != "wage_arrears" or jurisdiction[steps[0]["region_code"]] != "gaoqing":
            continue
        leads.add(complaint_id)
        for step, days in GAOQING_LIMITS.items():
            deadline = received if days == 0 else min(d for d in work if d >= received + dt.timedelta(days=days))
            if done[step] > deadline:
                expected.setdefault(complaint_id, deadline + dt.timedelta(days=1))
    assert expected and leads - set(expected), "late and timely Gaoqing leads"
    assert {k: v.observable_from for k, v in late.items()} == expected
    assert all(v.jurisdiction == "gaoqing" for v in late.values())


def test_malformed_messages_are_extra_and_listed_in_the_manifest(world, day):
    contract = default_contracts()["hrss.service_time.v1"]
    manifest = Manifest.start(seed=11, workers=600, start=DAY, end=DAY, rates=RATES, mode="auto")
    records = day.records[contract.topic]
    values = [v for _, v, _ in messages_for(contract, records, DAY, 11, 600, 1000, RATES, manifest)]
    valid = -(-len(records) // 1000)
    assert len(values) == valid + len(manifest.malformed)
    assert abs(len(manifest.malformed) - RATES.malformed * len(records)) <= 1
    for bad in manifest.malformed:
        if bad.kind in RECORD_KINDS:
            assert len(json.loads(bad.value)["records"]) == 1
    assert manifest.records[contract.topic] == len(records)


def test_every_message_is_signed_by_the_agency_its_envelope_names_and_its_contract_allows(day, window):
    """Complaints received through the union come from 总工会; penalties from the authority that imposed them;
    the blacklist cases' acts and rosters from 人社."""
    registry = KeyRegistry.load(trust_development_keys=True)
    contracts = default_contracts()
    senders: dict[str, set[str]] = {}
    acts = next(output.records for d, output in window.days if d >= DAY and EVENTS in output.records)
    for topic, records in [*day.records.items(), (EVENTS, acts[EVENTS])]:
        contract = contracts[topic]
        manifest = Manifest.start(seed=11, workers=600, start=DAY, end=DAY, rates=RATES, mode="auto")
        per_message = 1000 if contract.delivery == "bulk" else 1
        for _, value, headers in messages_for(contract, records, DAY, 11, 600, per_message, RATES, manifest):
            signer, problem = verify(registry, headers, value, DAY)
            assert problem is None, (topic, problem)
            assert signer in contract.source_agencies, (topic, signer)
            if value.startswith(b"{") and value.endswith(b"}"):  # not the truncated malformed ones
                envelope = json.loads(value)
                assert envelope["source_agency"] == signer
                for record in envelope.get("records", []):
                    if topic in COMPLAINTS and "channel" in record:
                        assert (record["channel"] == "union") == (signer == "unions")
                    if topic == "samr.penalty.v1" and "authority" in record:
                        assert record["authority"] == signer
            senders.setdefault(topic, set()).add(signer)
    assert senders["hrss.complaint_event.v1"] == {"unions"} and senders["hrss.complaint_event.v2"] == {"hrss"}
    assert senders[EVENTS] == senders[ROSTER] == senders[ORDERS] == {"hrss"}


def test_roster_lines_add_up_to_their_order_and_some_meet_the_one_worker_criterion_only_per_worker(window, truth):
    """Each statement of a roster comes with its order's: one line per worker owed, amounts adding up to the
    order; twelve-odd workers with one owed the threshold for three months, the average far below it."""
    workers = {e.worker.id_number for e in build_world(seed=11, workers=60).engagements}
    thresholds = load_thresholds()
    regions = {r.code: r for r in load_regions()}
    cases = {c["order_id"]: c for c in truth}
    per_worker_only, instalments = set(), set()
    for day, output in window.days:
        orders = {r["order_id"]: r for r in output.records.get(ORDERS, [])}
        lines = defaultdict(list)
        for line in output.records.get(ROSTER, []):
            lines[line["order_id"]].append(line)
        assert set(lines) <= set(orders), day
        for order_id, roster in lines.items():
            order = orders[order_id]
            ids = [line["worker_id_number"] for line in roster]
            assert len(set(ids)) == len(ids) == order["workers_affected"] and set(ids) <= workers, order_id
            assert sum(cents(line["amount_owed"]) for line in roster) == cents(order["amount_ordered"]), order_id
            paid = order["amount_paid_by_deadline"] or 0
            assert sum(cents(line["amount_paid_by_deadline"]) for line in roster) == cents(paid), order_id
            assert max(line["months_unpaid"] for line in roster) == order["months_unpaid"], order_id
            if 0 < cents(paid) < cents(order["amount_ordered"]):
                instalments.add(order_id)
            t = thresholds[regions[order["region_code"]].province]
            arrears = cents(order["amount_ordered"]) - cents(paid)
            one = [
                line
                for line in roster
                if line["months_unpaid"] >= 3
                and cents(line["amount_owed"]) - cents(line["amount_paid_by_deadline"]) >= t.one_worker
            ]
            if order["status"] != "open" and one and arrears / len(roster) < t.one_worker and arrears < t.many_workers:
                per_worker_only.add(order_id)
                assert cases[order_id]["criterion"] == "one_worker_threshold", order_id
    assert len(per_worker_only) >= 5 and len(instalments) >= 5
    overdue = [r for _, r in window.records(ORDERS) if r["status"] == "overdue"]
    assert all(r["amount_paid"] == r["amount_paid_by_deadline"] for r in overdue)


def test_no_act_is_dated_after_the_day_it_is_published(window):
    """The authority's acts are published the day they happen; the orders' payments by the day they are stated."""
    for day, act in window.records(EVENTS):
        assert act["event_date"] == day.isoformat(), act["event_id"]
        assert dt.datetime.fromisoformat(str(act["recorded_at"])).date() == day
        for field in ("paid_in_full_date", "written_commitment_date"):
            assert act[field] is None or act[field] <= day.isoformat(), act["event_id"]
    for day, order in window.records(ORDERS):
        assert dt.datetime.fromisoformat(str(order["updated_at"])).date() == day
        for field in ("paid_in_full_date", "written_commitment_date"):
            assert order[field] is None or order[field] <= day.isoformat(), order["record_id"]


def test_every_listing_decision_names_its_document_authority_and_basis_and_lists_its_persons(window):
    """A 决定书 number, the city's 人社局 and 人社部令第45号, and the same day the persons it lists under the same
    number: the legal representative named as the SAMR registry has them, a responsible manager unnamed."""
    regions = {r.code: r for r in load_regions()}
    registry = {r["uscc"]: r for _, r in window.records("samr.enterprise.v1")}
    acts = defaultdict(list)
    for _, act in window.records(EVENTS):
        acts[act["order_id"]].append(act)
    decisions = roles = 0
    for case in acts.values():
        for decision in (a for a in case if a["event_type"] == "listing_decided"):
            decisions += 1
            region = regions[registry[decision["enterprise_uscc"]]["region_code"]]
            assert re.fullmatch(r"[辽湘浙鲁云]人社失信决〔2026〕\d+号", decision["document_number"])
            assert decision["deciding_authority"] == f"{region.city}人力资源和社会保障局"
            assert decision["legal_basis"] == LEGAL_BASIS
            persons = [a for a in case if a["event_type"] == "person_listed"]
            assert persons and all(
                p["event_date"] == decision["event_date"] and p["document_number"] == decision["document_number"]
                for p in persons
            )
            (legal,) = [p for p in persons if p["person_role"] == "legal_representative"]
            enterprise = registry[decision["enterprise_uscc"]]
            assert legal["published_name"] == enterprise["legal_rep_name"]
            assert legal["person_id_number"] == enterprise["legal_rep_id_number"]
            others = [p for p in persons if p is not legal]
            assert all(p["person_role"] == "responsible_manager" and p["published_name"] is None for p in others)
            roles += bool(others)
        for notice in (a for a in case if a["event_type"] == "notice_served"):
            assert re.fullmatch(r"[辽湘浙鲁云]人社失信告〔2026〕\d+号", notice["document_number"])
    assert decisions >= 20 and roles >= 5


def test_the_cases_take_every_path_of_the_lifecycle(truth):
    paths = {p for c in truth for p in c["path"]}
    assert paths == {
        "threshold_unconfirmed",  # left unconfirmed: criteria met only on a national lower bound
        "threshold_confirmed",
        "never_notified",
        "objection_upheld",
        "objection_rejected",
        "paid_and_committed",
        "extension",
        "late_decision",
        "responsible_manager",
        "early_removal_approved",
        "early_removal_refused",
    }
    for c in truth:
        unconfirmed = c["province"] in UNCONFIRMED_PROVINCES
        assert unconfirmed == (not c["threshold_confirmed"]), c["order_id"]
        needs_confirmation = unconfirmed and c["criterion"] != "mass_incident"  # a mass incident uses no threshold
        assert needs_confirmation == bool({"threshold_confirmed", "threshold_unconfirmed"} & set(c["path"])), c[
            "order_id"
        ]
        assert c["decision_was_late"] == ("late_decision" in c["path"] if c["decision_was_late"] is not None else None)
    complete = {c["status"] for c in truth if c["complete"]}
    assert complete >= {"threshold_unconfirmed", "candidate", "decision_due", "listed", "not_listed", "removed_early"}


def status_from_feeds(acts: list[dict], orders: list[dict], day: dt.date, calendar: list[dt.date]) -> str:
    """A case's status from what was published on it (a second reading of the spec's statuses)."""
    latest = {a["event_type"]: a for a in sorted(acts, key=lambda a: a["recorded_at"])}
    paid = [o for o in orders if o["paid_in_full_date"] and o["written_commitment_date"]]
    if latest.get("early_removal_decided", {}).get("outcome") == "approved":
        return "removed_early"
    if "not_listed_decided" in latest or latest.get("objection_decided", {}).get("outcome") == "upheld":
        return "not_listed"
    if "listing_decided" in latest:
        applied, removal = latest.get("early_removal_applied"), latest.get("early_removal_decided")
        pending = applied and (removal is None or removal["event_date"] < applied["event_date"])
        return "removal_due" if pending else "listed"
    if paid:
        return "not_listed"
    unconfirmed_regions = {r.code for r in load_regions() if r.province in UNCONFIRMED_PROVINCES}
    if (
        orders[0]["region_code"] in unconfirmed_regions
        and not orders[0]["mass_incident"]  # a mass incident uses no threshold
        and "threshold_confirmed" not in latest
    ):
        return "threshold_unconfirmed"
    if "notice_served" not in latest:
        return "candidate"
    if "objection_received" in latest and "objection_decided" not in latest:
        return "objection_pending"
    objection_due = working_days_after(calendar, dt.date.fromisoformat(latest["notice_served"]["event_date"]), 5)
    return "decision_due" if "objection_decided" in latest or day > objection_due else "notified"


def test_the_manifest_records_the_acts_published_and_the_status_they_give(window, truth, calendar):
    """Per case, the manifest lists exactly the acts published on it, and for a case whose whole course is in
    the window its status by the last day is what those acts (and the order's statements) give."""
    end = WINDOW[1]
    acts, orders = defaultdict(list), defaultdict(list)
    for _, act in window.records(EVENTS):
        acts[act["order_id"]].append(act)
    for _, order in window.records(ORDERS):
        orders[order["order_id"]].append(order)
    assert set(acts) <= {c["order_id"] for c in truth}
    for case in truth:
        published = sorted(acts[case["order_id"]], key=lambda a: (a["recorded_at"], a["event_id"]))
        assert [(a["event_id"], a["event_type"], a["event_date"]) for a in case["acts"]] == [
            (a["event_id"], a["event_type"], a["event_date"]) for a in published
        ]
        if case["complete"]:
            assert case["status"] == status_from_feeds(published, orders[case["order_id"]], end, calendar), case
        issued = dt.date.fromisoformat(orders[case["order_id"]][0]["issued_date"])
        assert all((dt.date.fromisoformat(a["event_date"]) - issued).days < CASE_LOOKBACK_DAYS for a in published)
        decision = next((a for a in published if a["event_type"] == "listing_decided"), None)
        if decision and case["complete"]:
            deadline = dt.date.fromisoformat(case["payment_deadline"])
            extended = any(a["event_type"] == "extension_approved" for a in published)
            due = working_days_after(calendar, deadline, 40 if extended else 20)
            assert case["decision_due"] == due.isoformat()
            assert case["decision_was_late"] == (decision["event_date"] > due.isoformat())


def test_early_removal_is_approved_only_after_payment_in_full_and_six_months(window, truth):
    """Approved: applied with payment evidence at least six months after the order was paid in full, and
    delisted (early_removal) the day it is approved. Refused: applied for without payment."""
    acts = defaultdict(dict)
    for _, act in window.records(EVENTS):
        acts[act["order_id"]][act["event_type"]] = act
    approved = refused = 0
    for case in acts.values():
        if "early_removal_decided" not in case or "early_removal_applied" not in case:
            continue
        applied, decided = case["early_removal_applied"], case["early_removal_decided"]
        assert decided["event_date"] > applied["event_date"] and decided["document_number"]
        if decided["outcome"] == "approved":
            approved += 1
            paid = dt.date.fromisoformat(applied["paid_in_full_date"])
            on = dt.date.fromisoformat(applied["event_date"])
            assert applied["payment_evidence"] and applied["written_commitment_date"]
            six_months_on = (paid.year + (paid.month + 5) // 12, (paid.month + 5) % 12 + 1, paid.day)
            assert (on.year, on.month, on.day) >= six_months_on, case
            assert (
                case["delisted"]["reason"] == "early_removal"
                and case["delisted"]["event_date"] == decided["event_date"]
            )
        else:
            refused += 1
            assert applied["paid_in_full_date"] is None and applied["payment_evidence"] is None
            assert "delisted" not in case
    assert approved >= 5 and refused >= 2


def test_the_acts_keep_the_order_and_periods_of_the_regulation(window, truth, calendar):
    """Notice before objection, an objection within 5 working days of the notice and decided within 5 of its
    receipt, an extension approved before the decision was due, a decision only after the objection period
    and any objection decided, an early removal applied for only once listed."""
    acts = defaultdict(dict)
    for _, act in window.records(EVENTS):
        acts[act["order_id"]][act["event_type"]] = dt.date.fromisoformat(act["event_date"])
    for case in (c for c in truth if c["complete"]):
        on = acts[case["order_id"]]
        deadline = dt.date.fromisoformat(case["payment_deadline"])
        if "threshold_confirmed" in on and "notice_served" in on:
            assert on["threshold_confirmed"] < on["notice_served"], case
        if "notice_served" in on:
            assert on["notice_served"] <= working_days_after(calendar, deadline, 10), case  # notice_due
            objection_due = working_days_after(calendar, on["notice_served"], 5)
            if "listing_decided" in on:
                assert on["listing_decided"] > objection_due, case
        if "objection_received" in on:
            assert on["notice_served"] < on["objection_received"] <= objection_due, case
            assert on["objection_received"] < on["objection_decided"], case
            assert on["objection_decided"] <= working_days_after(calendar, on["objection_received"], 5), case
        if "extension_approved" in on:
            assert on["extension_approved"] <= working_days_after(calendar, deadline, 20), case
        for later in ("listing_decided", "not_listed_decided"):
            for earlier in ("objection_decided", "extension_approved"):
                if later in on and earlier in on:
                    assert on[earlier] < on[later], (case, earlier, later)
        if "early_removal_applied" in on:
            assert on["listing_decided"] < on["early_removal_applied"], case
