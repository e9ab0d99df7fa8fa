"""Inspectorate alerts end to end: cases built by real dbt from feeds loaded through the real pipeline
(embedded broker, loader, GX), raised into the outbox and delivered to the embedded Kafka broker, a local
SMTP server (aiosmtpd) and a local HTTP webhook.

Two nights are built once for the module. Night 1 (2026-11-24): a Gaoqing employer owes one worker
his October pay and has a wage-arrears complaint not accepted; a Hunan order to pay is an
unpaid-wage blacklist case whose notice is due; an award is being enforced; a serious safety
incident happened. Night 2 (2026-11-25): a second worker of the same employer is owed (the case
changes), the complaint's connect step is now overdue too (it changes), the award is satisfied (the
case is gone), the rest stays as it was.
Each test starts with an empty outbox and swaps in the mart of the night it runs.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from kafka import KafkaConsumer, TopicPartition

from alerts.channels import WebhookSender
from alerts.contract import InvalidAlert, alert_contract, check_message
from alerts.delivery import AlertDeliveryIncomplete
from alerts.outbox import AlertStateAhead, CasesNotBuilt
from core.config import Settings
from core.contracts import default_contracts
from devstack.broker import free_port
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from ingestion.raw_tables import ensure_raw_tables
from orchestration.alert_steps import deliver_alerts, update_alerts
from tests.support import Inbox, Webhook, load_and_validate, order, own_feeds
from transform import dbt_runner

pytestmark = pytest.mark.integration

N1, N2 = dt.date(2026, 11, 24), dt.date(2026, 11, 25)
GAOQING = "370322"  # 高青县: 当日受理、次日对接、3日反馈 (ref_policy_parameters complaint_*_days)
CASE_TABLE = "marts.fct_inspectorate_alerts"
# Each layer of the night restricted to what the cases mart is built from (and their tests): the rest
# of the project has nothing to do with alerts.
CASE_MODEL = CASE_TABLE.split(".")[1]
CASE_LAYERS = [dataclasses.replace(layer, select=f"{layer.select},+{CASE_MODEL}") for layer in dbt_runner.NIGHT_LAYERS]
TOPIC = alert_contract().topic


@dataclasses.dataclass(frozen=True)
class Nights:
    marts: dict[dt.date, Path]  # a warehouse holding only the night's built cases mart
    cases: dict[str, str]  # name -> case_key
    employer: dict[str, Any]  # the Gaoqing employer's registry record
    arrears_message_id: str  # Kafka message of the first unpaid wage record


def _unpaid(record: dict[str, Any], day: dt.date) -> dict[str, Any]:
    return record | {
        "payment_id": f"{record['payment_id']}:unpaid:{day}",
        "amount_paid": 0.0,
        "paid_date": None,
        "payment_status": "unpaid",
        "snapshot_date": day.isoformat(),
    }


def _snapshot_cases(warehouse: Path, target: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:  # DuckDB shares one instance per file in a process: detach
        con.execute(f"ATTACH '{target}' AS night")
        con.execute("CREATE SCHEMA night.marts")
        con.execute(f"CREATE TABLE night.{CASE_TABLE} AS SELECT * FROM {CASE_TABLE}")
        con.execute("DETACH night")


@pytest.fixture(scope="module")
def nights(broker, tmp_path_factory) -> Iterator[Nights]:
    root = tmp_path_factory.mktemp("alert_nights")
    feeds = own_feeds()  # topics of the module's own, as the `feeds` fixture gives each test
    world = build_world(seed=13, workers=40)  # has a Gaoqing employer paying several workers
    records = generate_day(world, N1, N1, Rates(0, 0)).records
    enterprises = records["samr.enterprise.v1"]
    regions = {e["uscc"]: e["region_code"] for e in enterprises}
    payers = collections.Counter(
        r["payer_uscc"] for r in records["hrss.wage_payment.v1"] if regions[r["payer_uscc"]] == GAOQING
    )
    employer = next(e for e in enterprises if e["uscc"] == payers.most_common(1)[0][0])
    first, second = [r for r in records["hrss.wage_payment.v1"] if r["payer_uscc"] == employer["uscc"]][:2]
    ordered, judged, injured = [e for e in enterprises if e["uscc"] != employer["uscc"]][:3]
    worker = first["worker_id_number"]
    complaint = {
        "event_id": "CQ-1:received",
        "complaint_id": "CQ-1",
        "channel": "hotline_12333",
        "event_type": "received",
        "event_at": "2026-11-23T09:00:00+08:00",
        "region_code": GAOQING,
        "respondent_uscc": employer["uscc"],
        "platform_uscc": first["platform_uscc"],
        "complainant_id_number": worker,
        "category": "wage_arrears",
        "amount_claimed": 5000.0,
        "workers_involved": 1,
        "handling_unit": "高青县劳动保障监察大队",
    }
    award = {
        "record_id": "K-1:awarded",
        "case_number": "(2026)3703民初1020001号",
        "forum": "arbitration",
        "respondent_uscc": judged["uscc"],
        "claimant_count": 3,
        "cause": "wage_arrears",
        "amount_claimed": 30000.0,
        "amount_awarded": 24000.0,
        "filed_date": "2026-09-01",
        "judgment_date": "2026-10-20",
        "judgment_status": "awarded",
        "enforcement_status": "enforcing",
        "region_code": judged["region_code"],
        "updated_at": "2026-11-01T10:00:00+08:00",
    }
    incident = {
        "incident_id": "I-1",
        "enterprise_uscc": injured["uscc"],
        "worker_id_number": worker,
        "region_code": injured["region_code"],
        "incident_at": "2026-11-23T18:00:00+08:00",
        "reported_at": "2026-11-23T19:00:00+08:00",
        "incident_type": "traffic",
        "severity": "serious",
        "deaths": 0,
        "injuries": 2,
        "severe_weather": True,
    }
    night_feeds = {
        N1: {
            "samr.enterprise.v1": enterprises,
            "hrss.wage_payment.v1": [_unpaid(first, N1)],
            "hrss.complaint_event.v1": [complaint],
            "court.case.v1": [award],
            # ¥60,000 owed to 12 workers, deadline Fri 2026-11-20 passed unpaid: a blacklist candidate (人社部令第45号),
            # the notice due 10 working days later, Fri 12-04 (11-23, 24, 25, 26, 27, 30, 12-01, 02, 03, 04): the
            # authority's act is due, not overdue, on both nights, and nothing says "listed".
            "hrss.inspection_order.v1": [
                order("HN-UNPAID", ordered["uscc"], "60000.00", issued_date="2026-11-06", payment_deadline="2026-11-20")
            ],
            "emergency.safety_incident.v1": [incident],
        },
        N2: {
            "hrss.wage_payment.v1": [_unpaid(second, N2)],
            "court.case.v1": [
                award
                | {
                    "record_id": "K-1:concluded",
                    "enforcement_status": "concluded",
                    "updated_at": "2026-11-25T10:00:00+08:00",
                }
            ],
        },
    }
    warehouse, gx = root / "warehouse.duckdb", root / "gx"
    marts = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIGSHIELD_DATA_DIR", str(root))
        mp.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
        for day, loads in night_feeds.items():
            for topic, batch in loads.items():
                assert load_and_validate(broker, warehouse, gx, feeds, topic, batch, day).quarantined == 0, topic
            with duckdb.connect(str(warehouse)) as con:  # the feeds the nights do not use: present, empty
                ensure_raw_tables(con, default_contracts().values())
            for layer in CASE_LAYERS:  # the night's layers in order, as the DAG builds them
                dbt_runner.build_layer(Settings.from_env(), layer, as_of=day)
            marts[day] = root / f"cases-{day}.duckdb"
            _snapshot_cases(warehouse, marts[day])
    with duckdb.connect(str(warehouse)) as con:
        arrears_message_id = con.execute(
            "SELECT _message_id FROM raw.hrss__wage_payment WHERE payment_id = ?", [_unpaid(first, N1)["payment_id"]]
        ).fetchone()[0]
    yield Nights(
        marts=marts,
        employer=employer,
        arrears_message_id=arrears_message_id,
        cases={
            "arrears": f"wage_arrears:{employer['uscc']}:{GAOQING}",  # routed by registration: no ledger
            "complaint": "complaint_sla_breach:CQ-1",
            "blacklist": "unpaid_wage_blacklist:HN-UNPAID",
            "award": f"unsatisfied_judgment:{award['case_number']}",
            "incident": "safety_incident:I-1",
        },
    )


# --- what the alert topic received -------------------------------------------------------------


def kafka_marks(bootstrap: str) -> dict[TopicPartition, int]:
    """Current end offsets of the alert topic (empty before it exists)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(TOPIC) or set()
        return consumer.end_offsets([TopicPartition(TOPIC, p) for p in partitions]) if partitions else {}
    finally:
        consumer.close()


def kafka_since(bootstrap: str, marks: dict[TopicPartition, int]) -> list[tuple[str, dict[str, Any]]]:
    """(key, message) of every alert produced after `marks`, read with assign() (no consumer group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(TOPIC, p) for p in consumer.partitions_for_topic(TOPIC) or set()]
        if not tps:
            return []
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, marks.get(tp, 0))
        end, out = consumer.end_offsets(tps), []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=1000).values():
                out += [(m.key.decode(), json.loads(m.value)) for m in batch]
        return out
    finally:
        consumer.close()


@dataclasses.dataclass
class Channels:
    bootstrap: str
    inbox: Inbox
    webhook: Webhook
    warehouse: Path
    marts: dict[dt.date, Path]

    def night(self, day: dt.date) -> None:
        """Put the night's built cases mart in the warehouse, as dbt would have."""
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute(f"ATTACH '{self.marts[day]}' AS night (READ_ONLY)")
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(f"CREATE OR REPLACE TABLE {CASE_TABLE} AS SELECT * FROM night.{CASE_TABLE}")
            con.execute("DETACH night")

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def channels(nights, broker, tmp_path, monkeypatch) -> Iterator[Channels]:
    inbox, webhook = Inbox(), Webhook()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    threading.Thread(target=webhook.server.serve_forever, daemon=True).start()
    warehouse = tmp_path / "warehouse.duckdb"
    for name, value in {
        "GIGSHIELD_WAREHOUSE": warehouse,
        "GIGSHIELD_DATA_DIR": tmp_path,
        "GIGSHIELD_KAFKA_BOOTSTRAP": broker.bootstrap,
        "GIGSHIELD_SMTP_HOST": "127.0.0.1",
        "GIGSHIELD_SMTP_PORT": smtp.port,
        "GIGSHIELD_ALERT_WEBHOOK_URL": webhook.url,
        "GIGSHIELD_ALERT_ATTEMPTS": 3,
        "GIGSHIELD_ALERT_BACKOFF_SECONDS": 0.01,
    }.items():
        monkeypatch.setenv(name, str(value))
    try:
        yield Channels(broker.bootstrap, inbox, webhook, warehouse, nights.marts)
    finally:
        smtp.stop()
        webhook.server.shutdown()
        webhook.server.server_close()


# --- the mart ----------------------------------------------------------------------------------


def test_the_cases_mart_routes_each_case_to_its_inspectorate_with_the_jurisdictions_sla(nights):
    with duckdb.connect(str(nights.marts[N1]), read_only=True) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                f"SELECT case_key, severity, region_code, inspectorate_email, sla_accept_days, sla_connect_days, "
                f"sla_feedback_days, workers_affected FROM {CASE_TABLE}"
            ).fetchall()
        }
        evidence = con.execute(
            f"SELECT evidence FROM {CASE_TABLE} WHERE case_key = ?", [nights.cases["arrears"]]
        ).fetchone()[0]
    assert set(rows) == set(nights.cases.values())
    assert rows[nights.cases["arrears"]] == ("high", GAOQING, f"ldbzjc-{GAOQING}@example.org", 0, 1, 3, 1)
    assert rows[nights.cases["complaint"]][:2] == ("high", GAOQING)
    assert rows[nights.cases["blacklist"]][:4] == ("high", "430102", "ldbzjc-430102@example.org", None)
    assert rows[nights.cases["incident"]][0] == "high" and rows[nights.cases["incident"]][-1] == 2
    (record,) = evidence
    assert record["message_id"] == nights.arrears_message_id and record["link"].startswith("kafka://")


# --- raising and delivering ----------------------------------------------------------------------


def test_night_one_raises_every_case_once_on_kafka_by_email_and_to_the_webhook(nights, channels):
    ch = channels
    ch.night(N1)
    marks = kafka_marks(ch.bootstrap)
    assert update_alerts(N1)["raised"] == 5
    assert deliver_alerts()["pending"] == 0

    produced = kafka_since(ch.bootstrap, marks)
    assert sorted(m["case_key"] for _, m in produced) == sorted(nights.cases.values())
    for key, message in produced:
        check_message(message)
        assert key == message["alert_id"] and (message["event"], message["revision"]) == ("raised", 1)
    assert sorted(m["message_id"] for m in ch.webhook.received) == sorted(m["message_id"] for _, m in produced)

    mails = {mail["Message-ID"]: (to, mail) for to, mail in ch.inbox.messages}
    assert len(mails) == 5
    arrears = next(m for _, m in produced if m["case_key"] == nights.cases["arrears"])
    to, mail = mails[f"<{arrears['alert_id']}.1@gigshield.alerts>"]
    body = mail.get_body(("plain",)).get_content()
    assert to == [f"ldbzjc-{GAOQING}@example.org"]
    assert nights.employer["name"] in mail["Subject"] and "wage_arrears" in mail["Subject"]
    assert "Deadlines: accept by 2026-11-24; connect by 2026-11-25; feedback by 2026-11-27" in body
    assert f"/{nights.arrears_message_id}#" in body and "淄博市高青县劳动保障监察大队" in body
    attached = next(p for p in mail.iter_attachments() if p.get_content_type() == "application/json")
    assert json.loads(attached.get_content()) == arrears
    blacklist = next(m for _, m in produced if m["case_key"] == nights.cases["blacklist"])
    _, hunan = mails[f"<{blacklist['alert_id']}.1@gigshield.alerts>"]
    assert "none set by the jurisdiction's policy" in hunan.get_body(("plain",)).get_content()


def test_night_two_updates_the_open_case_closes_the_gone_one_and_sends_nothing_else(nights, channels):
    ch = channels
    ch.night(N1)
    update_alerts(N1)
    deliver_alerts()
    first = {m["case_key"]: m for m in ch.webhook.received}
    ch.night(N2)
    marks, mails_before = kafka_marks(ch.bootstrap), len(ch.inbox.messages)
    assert {k: v for k, v in update_alerts(N2).items() if k != "logical_date"} == {
        "raised": 0,
        "updated": 2,
        "closed": 1,
        "unchanged": 2,
    }
    deliver_alerts()

    produced = {m["case_key"]: m for _, m in kafka_since(ch.bootstrap, marks)}
    assert set(produced) == {nights.cases[c] for c in ("arrears", "complaint", "award")}
    arrears = produced[nights.cases["arrears"]]
    assert (arrears["alert_id"], arrears["revision"], arrears["event"]) == (
        first[nights.cases["arrears"]]["alert_id"],
        2,
        "updated",
    )
    assert arrears["workers_affected"] == 2 and len(arrears["evidence"]) == 2
    assert (arrears["first_raised_on"], arrears["accept_by"], arrears["feedback_by"]) == (
        "2026-11-24",
        "2026-11-24",
        "2026-11-27",
    )  # deadlines count from the night the alert was raised
    award = produced[nights.cases["award"]]
    assert (award["event"], award["status"], award["revision"]) == ("closed", "closed", 2)
    new_mails = [mail for _, mail in ch.inbox.messages[mails_before:]]
    assert len(new_mails) == 3
    update = next(m for m in new_mails if m["Message-ID"] == f"<{arrears['alert_id']}.2@gigshield.alerts>")
    assert update["In-Reply-To"] == f"<{arrears['alert_id']}.1@gigshield.alerts>"
    assert ch.query("SELECT count(*), count(DISTINCT case_key) FROM alerts.alert_state") == [(5, 5)]

    # The same night again: nothing changes and nothing is sent.
    marks, mails_before, hooks_before = kafka_marks(ch.bootstrap), len(ch.inbox.messages), ch.webhook.calls
    assert update_alerts(N2)["unchanged"] == 4
    assert deliver_alerts()["delivered"] == 0
    assert kafka_since(ch.bootstrap, marks) == [] and len(ch.inbox.messages) == mails_before
    assert ch.webhook.calls == hooks_before
    with pytest.raises(AlertStateAhead):
        update_alerts(N1)


def test_a_webhook_outage_is_retried_until_every_alert_is_delivered_in_order(nights, channels):
    ch = channels
    ch.night(N1)
    update_alerts(N1)
    ch.webhook.failures_left = 10**6  # down for the whole first night
    with pytest.raises(AlertDeliveryIncomplete, match="HTTP Error 503"):
        deliver_alerts()
    assert ch.webhook.received == [] and ch.webhook.calls == 5 * 3
    assert ch.query(
        "SELECT channel, status, min(attempts), max(attempts) FROM alerts.deliveries GROUP BY ALL ORDER BY channel"
    ) == [("email", "delivered", 1, 1), ("kafka", "delivered", 1, 1), ("webhook", "pending", 3, 3)]

    ch.night(N2)
    update_alerts(N2)
    ch.webhook.failures_left = 2  # back, after two more refusals
    assert deliver_alerts()["pending"] == 0
    sent = ch.query("SELECT message_id FROM alerts.alert_revisions")
    received = [m["message_id"] for m in ch.webhook.received]
    assert sorted(received) == sorted(m for (m,) in sent)  # every revision, once
    by_alert = collections.defaultdict(list)
    for message in ch.webhook.received:
        by_alert[message["alert_id"]].append(message["revision"])
    assert all(revisions == sorted(revisions) for revisions in by_alert.values())
    assert ch.query("SELECT max(attempts) FROM alerts.deliveries WHERE channel = 'webhook'") == [(3 + 3,)]


def test_a_message_breaking_the_contract_or_a_stale_mart_raises_nothing(nights, channels):
    ch = channels
    ch.night(N1)
    with duckdb.connect(str(ch.warehouse)) as con:
        con.execute(
            f"UPDATE {CASE_TABLE} SET enterprise_uscc = 'not-a-uscc' WHERE case_key = ?", [nights.cases["incident"]]
        )
    with pytest.raises(InvalidAlert, match="enterprise_uscc"):
        update_alerts(N1)
    with pytest.raises(CasesNotBuilt):
        update_alerts(N2)
    assert ch.query(
        "SELECT (SELECT count(*) FROM alerts.alert_state), (SELECT count(*) FROM alerts.deliveries), "
        "(SELECT count(*) FROM alerts.nights)"
    ) == [(0, 0, 0)]


# --- one delivery never stops another -------------------------------------------------------------

HOSTILE_NAME = "恶意企业\r\nBcc: x@y\u2028第二行\x85<script>alert(1)</script>\x0bend"


def test_a_name_with_line_breaks_and_markup_goes_out_everywhere_and_injects_nothing(nights, channels):
    ch = channels
    ch.night(N1)
    with duckdb.connect(str(ch.warehouse)) as con:
        con.execute(
            f"UPDATE {CASE_TABLE} SET enterprise_name = ? WHERE case_key = ?", [HOSTILE_NAME, nights.cases["arrears"]]
        )
    marks = kafka_marks(ch.bootstrap)
    assert update_alerts(N1)["raised"] == 5
    assert deliver_alerts()["pending"] == 0

    produced = {m["case_key"]: m for _, m in kafka_since(ch.bootstrap, marks)}
    arrears = produced[nights.cases["arrears"]]
    assert arrears["enterprise_name"] == HOSTILE_NAME  # the JSON carries the value as it is
    hooked = {m["case_key"]: m for m in ch.webhook.received}
    assert set(hooked) == set(produced) and hooked[nights.cases["arrears"]] == arrears

    assert len(ch.inbox.messages) == 5
    assert all(len(to) == 1 for to, _ in ch.inbox.messages)  # no Bcc recipient was injected
    to, mail = next(
        (to, m) for to, m in ch.inbox.messages if m["Message-ID"] == f"<{arrears['alert_id']}.1@gigshield.alerts>"
    )
    assert to == [f"ldbzjc-{GAOQING}@example.org"] and mail["Bcc"] is None
    subject = mail["Subject"]
    assert not any(c in subject for c in "\r\n\u2028\u2029\x85\x0b")
    assert "恶意企业 Bcc: x@y 第二行 <script>alert(1)</script> end" in subject  # the text, on one line
    body = mail.get_body(("plain",)).get_content()
    (line,) = [line for line in body.splitlines() if line.startswith("Enterprise: ")]
    assert "Bcc: x@y" in line and "<script>" in line and "end" in line
    assert not any(line.startswith(("Bcc", "第二行", "<script>")) for line in body.splitlines())
    attached = next(p for p in mail.iter_attachments() if p.get_content_type() == "application/json")
    assert json.loads(attached.get_content()) == arrears


def test_an_unexpected_error_in_one_delivery_is_recorded_and_every_other_delivery_goes_out(
    nights, channels, monkeypatch
):
    ch = channels
    ch.night(N1)
    update_alerts(N1)
    send = WebhookSender.send

    def send_but_one(self, destination, message):
        if message["case_key"] == nights.cases["blacklist"]:
            raise ValueError("cannot encode this one")
        return send(self, destination, message)

    monkeypatch.setattr(WebhookSender, "send", send_but_one)
    with pytest.raises(AlertDeliveryIncomplete, match="ValueError: cannot encode this one"):
        deliver_alerts()
    deliveries = ch.query(
        "SELECT r.message ->> 'case_key', d.channel, d.status, d.attempts, d.last_error "
        "FROM alerts.deliveries d JOIN alerts.alert_revisions r USING (message_id)"
    )
    assert [d for d in deliveries if d[2] == "pending"] == [
        (nights.cases["blacklist"], "webhook", "pending", 1, "ValueError: cannot encode this one")
    ]
    assert sum(d[2] == "delivered" for d in deliveries) == 5 * 3 - 1
    assert len(ch.webhook.received) == 4 and len(ch.inbox.messages) == 5

    monkeypatch.setattr(WebhookSender, "send", send)  # fixed: the next run delivers it
    assert deliver_alerts()["pending"] == 0
    assert {m["case_key"] for m in ch.webhook.received} == set(nights.cases.values())
