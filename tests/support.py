"""What the test modules share that is not a fixture (fixtures stay in tests/conftest.py): the tests'
environment, publishing contract envelopes as the agencies do, hand-built credit cases, the alert
channels' receiving ends, headless Chromium, the built night of the analyst-facing outputs, and the
test layers (unit, integration, e2e) every test is marked with.

Test modules import from here, never from one another (tests/test_layers.py checks it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import json
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterable
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from core.config import Settings
from core.contracts import Contract, default_contracts
from devstack.airflow_home import NO_TELEMETRY
from devstack.synthetic.agency_keys import AGENCIES, sign_as
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.manifest import Manifest
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import Record, build_world
from ingestion.loader import ingest
from ingestion.pseudonyms import pseudonym, pseudonym_key
from ingestion.raw_tables import ensure_raw_tables
from transform import dbt_runner

if TYPE_CHECKING:  # GX is imported when something validates (not by pytest-xdist's controller)
    from expectations.inbound import InboundResult

# The tests run the embedded stack in development mode (the synthetic agencies' signing keys are
# trusted), with a strong pseudonym key of their own so that scans for the key mean something.
os.environ["GIGSHIELD_ENV"] = "development"
TEST_PSEUDONYM_KEY = os.environ.setdefault("GIGSHIELD_PSEUDONYM_KEY", "gs-test-" + secrets.token_hex(24))
os.environ.update(NO_TELEMETRY)  # no telemetry from the tests' dbt, cosmos and Airflow either


# --- test layers -------------------------------------------------------------------------------

# unit: no broker, no dbt, no Airflow (pure functions, small DuckDB files); integration: real services
# (the broker, DuckDB files, dbt, GX, Chromium, docker-compose); e2e: whole DAG runs through Airflow.
LAYERS = ("unit", "integration", "e2e")


def unlayered(items: Iterable[pytest.Item]) -> list[str]:
    """The node ids of the tests not marked with exactly one layer (with the layers they have)."""
    found = []
    for item in items:
        layers = sorted({m.name for m in item.iter_markers() if m.name in LAYERS})
        if len(layers) != 1:
            found.append(f"{item.nodeid} ({', '.join(layers) or 'no layer'})")
    return found


# --- publishing as the agencies do -------------------------------------------------------------

SAMPLE_BY_TYPE: dict[str, Any] = {
    "string": "sample",
    "integer": 1,
    "number": 12.5,
    "boolean": True,
    "date": "2026-11-22",
    "timestamp": "2026-11-22T09:30:00+08:00",
}


def sample_record(contract: Contract, i: int, **overrides: Any) -> dict[str, Any]:
    """A record that parses against the contract: type-correct values, first enum value, unique key."""
    record = {f.name: (f.enum[0] if f.enum else SAMPLE_BY_TYPE[f.logical_type]) for f in contract.fields}
    record[contract.key] = f"{contract.entity}-{i}"
    record.update(overrides)
    return record


def envelope(contract: Contract, message_id: str, records: list[Any], /, **envelope_overrides: Any) -> bytes:
    env = {
        "message_id": message_id,
        "source_agency": contract.agency,
        "contract": contract.topic,
        "contract_version": contract.version,
        "produced_at": dt.datetime(2026, 11, 22, 2).isoformat() + "+08:00",
        "records": records,
    }
    env.update(envelope_overrides)
    return json.dumps(env, ensure_ascii=False).encode()


def create_topic(bootstrap: str, topic: str, partitions: int = 3) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        if topic not in admin.list_topics():
            admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()


AS_ENVELOPE = "as-envelope"  # publish() signs each value as the agency its envelope names


def _topic_agency(topic: str) -> str:
    """The agency of the feed a (test) topic stands for: test.<run>.hrss.wage_payment.v1 -> hrss."""
    return next((c.agency for t, c in default_contracts().items() if topic == t or topic.endswith("." + t)), "hrss")


def _envelope_agency(value: bytes, fallback: str) -> str:
    try:
        agency = json.loads(value).get("source_agency")
    except (ValueError, AttributeError, TypeError):
        agency = None
    return agency if agency in AGENCIES else fallback


def signed(value: bytes | None, signer: str | None) -> list[tuple[str, bytes]]:
    """The headers an agency sends with `value` (none for a tombstone or when `signer` is None)."""
    return [] if value is None or signer is None else sign_as(signer, value)


def publish(bootstrap: str, topic: str, values: list[Any], signer: str | None = AS_ENVELOPE) -> None:
    """Publish values as the agencies would, each signed with its agency's development key: by default the
    agency its envelope names (the topic's agency when it names none); `signer` another agency, or None
    for unsigned. A value may also be given as (value, headers) to send exactly those headers."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, compression_type="zstd", linger_ms=5, max_request_size=32 << 20
    )
    try:
        for i, item in enumerate(values):
            if isinstance(item, tuple):
                value, headers = item
            else:
                value = item
                agency = _envelope_agency(value, _topic_agency(topic)) if signer == AS_ENVELOPE else signer
                headers = signed(value, agency)
            producer.send(topic, value, key=str(i).encode(), headers=list(headers))
        producer.flush()
    finally:
        producer.close()


def publish_signed_as(bootstrap: str, topic: str, value: bytes, signer: str | None) -> None:
    """Publish one message signed with `signer`'s key whatever its envelope says (None: unsigned)."""
    publish(bootstrap, topic, [value], signer=signer)


def send(broker, contract: Contract, records: list[dict], day: dt.date, batch: int = 500) -> None:
    create_topic(broker.bootstrap, contract.topic)
    messages = [
        json.dumps(
            {
                # A UUID, as the synthetic agencies send: the identifier scan reads any other message id as
                # data, and 32 bare hex digits hold a 16-digit run (a bank account to it) about once in 200.
                "message_id": str(uuid.uuid4()),
                "source_agency": contract.agency,
                "contract": contract.topic,
                "contract_version": contract.version,
                "produced_at": f"{day + dt.timedelta(days=1)}T01:00:00+08:00",
                "records": records[i : i + batch],
            },
            ensure_ascii=False,
        ).encode()
        for i in range(0, len(records), batch)
    ]
    publish(broker.bootstrap, contract.topic, messages, signer=contract.agency)


def own_feeds() -> dict[str, Contract]:
    """Every feed on topics of the caller's own (same raw tables, so references between feeds resolve)."""
    run = uuid.uuid4().hex[:8]
    return {t: dataclasses.replace(c, topic=f"test.{run}.{t}") for t, c in default_contracts().items()}


def in_reference_order(topics: Iterable[str], feeds: dict[str, Contract]) -> list[str]:
    """The topics ordered so that each comes after the feeds its fields reference (the registry first, then
    the orders to pay, then the acts on them): validation looks references up in what is already loaded."""

    def depth(topic: str) -> int:
        referenced = {f.references.rsplit(".", 1)[0] for f in feeds[topic].fields if f.references} - {topic}
        return 1 + max(map(depth, referenced)) if referenced else 0

    return sorted(topics, key=lambda t: (depth(t), t))


def load_and_validate(
    broker, warehouse: Path, gx_dir: Path, feeds: dict[str, Contract], topic: str, records: list[dict], day: dt.date
) -> InboundResult:
    """Publish records as an agency would, ingest them and run inbound validation for the day."""
    from expectations.gx_project import open_context
    from expectations.inbound import validate_feed

    send(broker, feeds[topic], records, day)
    ingest(warehouse, [feeds[topic]], broker.bootstrap, day)
    with duckdb.connect(str(warehouse)) as con:
        return validate_feed(con, open_context(gx_dir), feeds[topic], feeds, day)


# --- hand-built credit cases (the shapes of tests/test_credit.py) ------------------------------

AS_OF = dt.date(2026, 11, 24)
HUNAN_REGION = "430102"  # 芙蓉区, 长沙市: Hunan thresholds ¥6,000 / ¥40,000 (ref_wage_crime_thresholds)


def order(order_id: str, uscc: str, amount: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "record_id": f"{order_id}:1",
        "order_id": order_id,
        "enterprise_uscc": uscc,
        "region_code": HUNAN_REGION,
        "issued_date": "2026-09-10",
        "payment_deadline": "2026-09-25",  # a Friday, just before National Day
        "workers_affected": 12,
        "months_unpaid": 3,
        "amount_ordered": amount,
        "amount_paid": "0.00",
        "paid_in_full_date": None,
        "written_commitment_date": None,
        "mass_incident": False,
        "status": "overdue",
        "updated_at": "2026-11-20T10:00:00+08:00",
    }
    record.update(changes)
    return record


def wage_arrears_lead(
    complaint_id: str, respondent_uscc: str, region_code: str, handling_unit: str, steps: list[tuple[str, str]]
) -> list[Record]:
    """The hrss.complaint_event.v2 events of a wage-arrears lead (欠薪线索) from 12333: one per (step, Beijing time)."""
    return [
        {
            "event_id": f"{complaint_id}:{step}",
            "complaint_id": complaint_id,
            "channel": "hotline_12333",
            "event_type": step,
            "event_at": f"{at}:00+08:00",
            "region_code": region_code,
            "respondent_uscc": respondent_uscc,
            "platform_uscc": None,
            "complainant_id_number": None,
            "category": "wage_arrears",
            "amount_claimed": 3000.0,
            "workers_involved": 1,
            "handling_unit": handling_unit,
            "conclusion": None,
        }
        for step, at in steps
    ]


def penalty(n: int, uscc: str, authority: str, category: str) -> dict[str, object]:
    return {
        "penalty_id": f"P{n}",
        "uscc": uscc,
        "authority": authority,
        "decision_no": f"罚字〔2026〕{n}号",
        "decision_date": "2026-06-01",
        "category": category,
        "fine_amount": "5000.00",
        "description": None,
    }


def case_event(
    event_id: str, order_id: str, uscc: str, event_type: str, event_date: str, **fields: object
) -> dict[str, object]:
    """An act of the 人社 department on a blacklist case (hrss.blacklist_case_event.v1), recorded the day it
    was made; `fields` fills the act's own columns (document_number, outcome, person_role, ...)."""
    record: dict[str, object] = {
        "event_id": event_id,
        "order_id": order_id,
        "enterprise_uscc": uscc,
        "event_type": event_type,
        "event_date": event_date,
        "document_number": None,
        "deciding_authority": None,
        "legal_basis": None,
        "outcome": None,
        "reason": None,
        "person_role": None,
        "person_id_number": None,
        "published_name": None,
        "payment_evidence": None,
        "paid_in_full_date": None,
        "written_commitment_date": None,
        "recorded_at": f"{event_date}T16:00:00+08:00",
    }
    record.update(fields)
    return record


def roster_line(
    order_id: str,
    worker: int,
    worker_id_number: str,
    months_unpaid: int,
    amount_owed: str,
    amount_paid_by_deadline: str = "0.00",
    **changes: object,
) -> dict[str, object]:
    """One worker's line on an order's list of workers owed (欠薪花名册, hrss.unpaid_worker_roster.v1)."""
    record: dict[str, object] = {
        "record_id": f"{order_id}:{worker}:1",
        "order_id": order_id,
        "worker_id_number": worker_id_number,
        "months_unpaid": months_unpaid,
        "amount_owed": amount_owed,
        "amount_paid_by_deadline": amount_paid_by_deadline,
        "updated_at": "2026-11-19T10:00:00+08:00",
    }
    record.update(changes)
    return record


# --- the alert channels' receiving ends --------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Webhook:
    """A local HTTP endpoint that answers 503 while `failures_left` > 0, then 200, and keeps what it accepted."""

    def __init__(self) -> None:
        self.failures_left, self.calls, self.received = 0, 0, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.calls += 1
                failing = hook.failures_left > 0
                if failing:
                    hook.failures_left -= 1
                else:
                    hook.received.append(body)
                self.send_response(503 if failing else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


# --- headless Chromium -------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium(*args: str) -> str:
    """Run headless Chromium with `args`; returns what it printed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Debian chromium is needed (make system-deps installs it)"
    done = subprocess.run([binary, *CHROMIUM_FLAGS, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rendered_dom(page: Path) -> str:
    """The page's DOM after Chromium has loaded it and run its scripts."""
    return chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri())


# --- the built night of the analyst-facing outputs ---------------------------------------------
# Through the real pipeline: synthetic agencies on the embedded broker, the loader, inbound validation
# and real dbt. Two wage snapshots (periods 2026-09 and 2026-10) so arrears have a trend; hand-built
# inspection orders and penalties so the blacklist has rows in two jurisdictions and the credit grades
# are not all A. Built once per run (the `built_night` fixture, shared by the xdist workers); each module
# works on a copy.

# Data days whose wage-account snapshots carry the September and the October pay periods.
WAGE_DAYS = (dt.date(2026, 10, 16), AS_OF)
LIAONING_REGION = "210102"  # 和平区, 沈阳市: Liaoning thresholds ¥10,000 / ¥50,000
GAOQING_REGION = "370322"  # 高青县, 淄博市: Gaoqing's complaint deadlines (seed 004 (五))
# What the analyst-facing outputs read (not the agencies' extracts: a snapshot leaves their schema out,
# and test_snapshots checks the snapshot holds every relation of this night but raw's).
MODELS = (
    "+fct_enterprise_credit +fct_blacklist_work_queue +fct_blacklist_listed_persons +fct_wage_payments "
    "+fct_inspectorate_performance +dim_platform_partners +fct_inspectorate_alerts"
)


def build_night(broker, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Load two data days and the hand-built cases, build the marts as of AS_OF; returns the night's settings."""
    feeds = own_feeds()
    world = build_world(seed=5, workers=150)
    warehouse, gx = data_dir / "warehouse.duckdb", data_dir / "gx"
    for day in WAGE_DAYS:
        records = generate_day(world, day, day, Rates(violation=0.1, malformed=0)).records
        for topic in in_reference_order(records, feeds):
            load_and_validate(broker, warehouse, gx, feeds, topic, records[topic], day)
    employer, thrice, once, northern = world.enterprises[:4]
    orders = [
        order("HN-UNPAID", employer.uscc, "60000.00"),  # ≥ ¥40,000 (Hunan): listed
        order("LN-UNPAID", northern.uscc, "80000.00", region_code=LIAONING_REGION),  # ≥ ¥50,000 (Liaoning)
        order("HN-SMALL", once.uscc, "20000.00"),
    ]  # under the threshold: watch list, not the blacklist
    penalties = [
        penalty(1, thrice.uscc, "hrss", "wage_arrears"),
        penalty(2, thrice.uscc, "hrss", "working_time"),
        penalty(3, thrice.uscc, "hrss", "deposit"),
        penalty(4, once.uscc, "hrss", "social_insurance"),
    ]
    load_and_validate(broker, warehouse, gx, feeds, "hrss.inspection_order.v1", orders, AS_OF)
    load_and_validate(broker, warehouse, gx, feeds, "samr.penalty.v1", penalties, AS_OF)
    # A Gaoqing wage-arrears lead received Mon 11-16 and accepted that day, never connected (次日对接: due Tue
    # 11-17): a step overdue on AS_OF, so the night has an alert with Gaoqing's deadlines (高人社发〔2022〕5号 (五)).
    lead = wage_arrears_lead(
        "GQ-LEAD",
        employer.uscc,
        GAOQING_REGION,
        "高青县劳动保障监察大队",
        [("received", "2026-11-16T09:00"), ("accepted", "2026-11-16T14:00")],
    )
    load_and_validate(broker, warehouse, gx, feeds, "hrss.complaint_event.v2", lead, AS_OF)
    with duckdb.connect(str(warehouse)) as con:  # feeds a day did not carry: present, empty
        ensure_raw_tables(con, default_contracts().values())
    settings = night_settings(data_dir, monkeypatch)
    dbt_runner.build_selection(settings, MODELS, as_of=AS_OF)
    checkpoint(settings.warehouse)
    return settings


def night_settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Set the environment to the night in `data_dir` (its warehouse.duckdb) as build_night does; its settings."""
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(data_dir / "warehouse.duckdb"))
    return Settings.from_env()


def checkpoint(warehouse: Path) -> None:
    """Everything in the file itself, nothing in the WAL (a copy of the file alone is then the whole night)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CHECKPOINT")


def copy_built_night(built: Settings, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of a built night's data folder (warehouse, GX project, dbt artifacts) in `data_dir`, for a
    module that writes to its night; sets the environment to it as build_night does, returns its settings.
    The night was checkpointed when it was built; the built warehouse is opened only if something left a
    WAL beside it (under pytest-xdist another worker's process may hold it: a copy needs no connection)."""
    if built.warehouse.with_name(built.warehouse.name + ".wal").exists():
        checkpoint(built.warehouse)
    shutil.copytree(built.data_dir, data_dir, dirs_exist_ok=True)
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(data_dir / built.warehouse.relative_to(built.data_dir)))
    return Settings.from_env()


def stand_in_dbt_docs(settings: object, day: object, out: Path) -> Path:
    """Stands in for publication.snapshots.render_dbt_docs (`dbt docs generate`, some 20 s) in tests
    whose subject is not the docs; test_snapshots' rerun and pseudonym-key tests render the real ones."""
    out.write_text("<html><body>dbt docs: not rendered for this test</body></html>", encoding="utf-8")
    return out


# --- a synthetic window through the real pipeline ----------------------------------------------


def generate_window(
    seed: int, workers: int, window: tuple[dt.date, dt.date], rates: Rates, topics: Iterable[str]
) -> tuple[dict[str, Any], dict[str, list[Record]]]:
    """Every data day of the window as the agencies generate it for the world (seed, workers): the manifest of
    its truth, as written to its file, and the window's records of each of `topics`."""
    start, end = window
    world = build_world(seed=seed, workers=workers)
    manifest = Manifest.start(seed=seed, workers=workers, start=start, end=end, rates=rates, mode="auto")
    records: dict[str, list[Record]] = {t: [] for t in topics}
    for n in range((end - start).days + 1):
        output = generate_day(world, start + dt.timedelta(days=n), start, rates)
        manifest.add_day(output)
        for topic in records:
            records[topic].extend(output.records.get(topic, []))
    return json.loads(json.dumps(manifest.as_json(), ensure_ascii=False)), records


def load_window(broker: Any, data_dir: Path, records: dict[str, list[Record]], day: dt.date) -> Path:
    """A window's records on topics of the caller's own, each topic's in one load (in reference order) validated
    on `day`: every batch released, every record in raw (none quarantined or held); the feeds without records
    present, empty. Returns the warehouse."""
    feeds = own_feeds()
    warehouse, gx = data_dir / "warehouse.duckdb", data_dir / "gx"
    for topic in in_reference_order(records, feeds):
        result = load_and_validate(broker, warehouse, gx, feeds, topic, records[topic], day)
        assert result.status == "released", (topic, result.failed_batch_expectations)
        assert result.quarantine_reasons == {}, (topic, result.quarantine_reasons)
        contract = feeds[topic]
        with duckdb.connect(str(warehouse)) as con:
            (loaded,) = con.execute(f"SELECT count(*) FROM {contract.qualified_table}").fetchone() or (0,)
            lost = con.execute(
                "SELECT record_index, reason FROM raw._quarantine WHERE topic = ?", [contract.topic]
            ).fetchall()
        assert (loaded, lost) == (len(records[topic]), []), topic
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, default_contracts().values())
    return warehouse


# --- the synthetic manifest against the rule models --------------------------------------------
# Precision and recall 1.0 per injected violation kind (tests/test_nightly.py, tests/test_labour_synthetic.py):
# what the generator injected (the manifest's violations) against what the rule models flag, in the manifest's
# key shape (employer, worker pseudonym, business key).

RULE_QUERIES = {
    # The wage key is (payer, worker, period_start).
    "wage_arrears": "SELECT payer_uscc, worker_key, CAST(period_start AS VARCHAR) "
    "FROM intermediate.int_hrss__wage_arrears",
    "below_minimum_wage": "SELECT payer_uscc, worker_key, CAST(period_start AS VARCHAR) "
    "FROM intermediate.int_hrss__minimum_wage_shortfalls",
    # Booked to the platform (seed 000 (七)).
    "overtime_no_stop_dispatch": "SELECT platform_uscc, worker_key, CAST(service_date AS VARCHAR) "
    "FROM intermediate.int_hrss__overtime_without_stop_dispatch",
    # The pilot platform's duty to insure every order (人社部发〔2025〕24号 每单必保), booked to it.
    "occupational_injury_orders_uncovered": "SELECT platform_uscc, worker_key, CAST(service_date AS VARCHAR) "
    "FROM intermediate.int_hrss__uncovered_pilot_orders",
    # Statutory-holiday work under 300% (劳动法 Art.44 (三)); rest-day work of a full-time employee under 200% without
    # time off in lieu (劳动法 Art.44 (二)); the day types are the official calendar's (国务院令第795号).
    "holiday_work_without_premium": "SELECT employer_uscc, worker_key, CAST(service_date AS VARCHAR) "
    "FROM intermediate.int_hrss__holiday_work_without_premium WHERE violation_kind = 'holiday_work_without_premium'",
    "rest_day_work_without_premium": "SELECT employer_uscc, worker_key, CAST(service_date AS VARCHAR) "
    "FROM intermediate.int_hrss__holiday_work_without_premium WHERE violation_kind = 'rest_day_work_without_premium'",
} | {
    kind: "SELECT employer_uscc, worker_key, 'engagement' FROM intermediate.int_hrss__engagement_violations "
    f"WHERE violation_kind = '{kind}'"
    for kind in ("deposit_taken", "late_social_insurance", "late_injury_insurance", "missing_injury_cover")
}


def recovered_violations(warehouse: Path) -> dict[str, set[tuple[str, str, str]]]:
    """What the rule models flag, per injected violation kind (RULE_QUERIES), in the manifest's key shape. A
    connection of the default configuration: the process may hold one already (dbt's, after an in-process build)."""
    with duckdb.connect(str(warehouse)) as con:
        return {kind: set(con.execute(sql).fetchall()) for kind, sql in RULE_QUERIES.items()}


def injected_violations(manifest: dict[str, Any], kind: str, by: str) -> set[tuple[str, str, str]]:
    """(employer, worker pseudonym, business key) of the violations of `kind` the generator injected (a manifest
    as written to its file), visible to the rules by the data day `by` (ISO)."""
    key = pseudonym_key()
    return {
        (v["employer_uscc"], pseudonym(v["worker_id_number"], key), v["business_key"])
        for v in manifest["violations"]
        if v["kind"] == kind and v["observable_from"] <= by
    }
