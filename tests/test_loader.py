"""Exactly-once ingestion against a real Kafka-protocol broker and real DuckDB files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from core.contracts import default_contracts
from devstack.broker import EmbeddedBroker
from ingestion.batch_load import BatchWriter
from ingestion.loader import ingest
from ingestion.raw_tables import ensure_raw_tables
from tests.support import create_topic, envelope, publish, sample_record

pytestmark = pytest.mark.integration

BASE = default_contracts()["hrss.wage_payment.v1"]


@pytest.fixture
def contract():
    """The wage-payment contract on a topic of the test's own."""
    return dataclasses.replace(BASE, topic=f"test.{uuid.uuid4().hex[:8]}.wage_payment.v1")


def good_messages(contract, n_messages: int, per_message: int, prefix: str = "m", first: int = 0) -> list[bytes]:
    return [
        envelope(
            contract, f"{prefix}{m}", [sample_record(contract, first + m * per_message + i) for i in range(per_message)]
        )
        for m in range(n_messages)
    ]


def table_counts(warehouse: Path, contract) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql, [contract.topic]).fetchone()[0]  # noqa: E731
        return {
            "raw": con.execute(f"SELECT count(*) FROM {contract.qualified_table}").fetchone()[0],
            "distinct_keys": con.execute(
                f'SELECT count(DISTINCT "{contract.key}") FROM {contract.qualified_table}'
            ).fetchone()[0],
            "quarantine": q("SELECT count(*) FROM raw._quarantine WHERE topic = ?"),
            "batch_loaded": q("SELECT coalesce(sum(loaded), 0) FROM raw._batches WHERE topic = ?"),
            "batch_quarantined": q("SELECT coalesce(sum(quarantined), 0) FROM raw._batches WHERE topic = ?"),
            "batch_records": q("SELECT coalesce(sum(records), 0) FROM raw._batches WHERE topic = ?"),
        }


def test_malformed_messages_are_quarantined_with_reasons_and_counts_reconcile(broker, contract, tmp_path):
    create_topic(broker.bootstrap, contract.topic)
    bad_records = [
        sample_record(contract, 9001, amount_due="abc"),
        sample_record(contract, 9002, payment_status="lost"),
        sample_record(contract, 9003, payment_id=None),
        sample_record(contract, 9004, due_date="2026-13-45"),
        42,
    ]
    values = good_messages(contract, 5, 100) + [
        envelope(contract, "mixed", [sample_record(contract, 8000), *bad_records]),
        b"garbage{",
        b"\xff\xfe\x00",
        envelope(contract, "other-topic", [sample_record(contract, 1)], contract="samr.enterprise.v1"),
        envelope(contract, "no-records", [], records="none"),
        envelope(contract, "", [sample_record(contract, 1)]),
        envelope(contract, "future", [sample_record(contract, 1)], contract_version="2.0.0"),
    ]
    publish(broker.bootstrap, contract.topic, values)
    warehouse = tmp_path / "wh.duckdb"

    (result,) = ingest(warehouse, [contract], broker.bootstrap)

    assert result.counts.messages == len(values)
    assert result.counts.loaded == 501
    assert result.counts.quarantined == 5 + 6  # five bad records, six bad messages
    assert result.counts.records == result.counts.loaded + result.counts.quarantined
    counts = table_counts(warehouse, contract)
    assert counts["raw"] == counts["batch_loaded"] == 501
    assert counts["quarantine"] == counts["batch_quarantined"] == 11
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reasons = dict(
            con.execute(
                "SELECT message_id || '#' || record_index, reason FROM raw._quarantine WHERE record_index IS NOT NULL"
            ).fetchall()
        )
        message_reasons = {
            r for (r,) in con.execute("SELECT reason FROM raw._quarantine WHERE record_index IS NULL").fetchall()
        }
        undecodable = con.execute("SELECT reason, payload FROM raw._quarantine WHERE reason LIKE '%UTF-8%'").fetchall()
    assert reasons["mixed#1"] == "amount_due: not a valid DECIMAL(14,2)"
    assert reasons["mixed#2"] == "payment_status: lost is not one of paid|partial|unpaid"
    assert reasons["mixed#3"] == "payment_id: required but missing"
    assert reasons["mixed#4"] == "due_date: not a valid DATE"
    assert "required but missing" in reasons["mixed#5"]  # 42 is not an object: nothing it requires is there
    assert "message is not valid JSON" in message_reasons
    assert f"envelope: contract samr.enterprise.v1 does not match topic {contract.topic}" in message_reasons
    assert "envelope: records is not an array" in message_reasons
    assert "envelope: message_id missing" in message_reasons
    assert f"envelope: contract_version 2.0.0 is not compatible with {contract.version}" in message_reasons
    assert undecodable == [("message is not valid UTF-8", b"\xff\xfe\x00")]


def test_rerun_loads_nothing_twice_and_resumes_from_stored_offsets(broker, contract, tmp_path):
    create_topic(broker.bootstrap, contract.topic)
    warehouse = tmp_path / "wh.duckdb"
    publish(broker.bootstrap, contract.topic, good_messages(contract, 20, 50, prefix="a"))
    (first,) = ingest(warehouse, [contract], broker.bootstrap)
    (again,) = ingest(warehouse, [contract], broker.bootstrap)
    assert (first.counts.loaded, again.counts.messages) == (1000, 0)

    publish(broker.bootstrap, contract.topic, good_messages(contract, 4, 50, prefix="b", first=1000))
    (later,) = ingest(warehouse, [contract], broker.bootstrap, max_batch_messages=3)
    assert later.counts.messages == 4 and later.counts.loaded == 200 and later.batches >= 2
    counts = table_counts(warehouse, contract)
    assert counts["raw"] == counts["distinct_keys"] == 1200


def test_redelivery_to_a_new_broker_is_recognised_by_message_id(contract, tmp_path):
    """The embedded broker forgets everything on restart; agencies resend. Nothing doubles."""
    warehouse = tmp_path / "wh.duckdb"
    values = good_messages(contract, 10, 30) + [b"not json"]
    for _ in range(2):
        with EmbeddedBroker() as fresh:
            create_topic(fresh.bootstrap, contract.topic)
            publish(fresh.bootstrap, contract.topic, values)
            (result,) = ingest(warehouse, [contract], fresh.bootstrap)
    assert result.counts.messages == 11 and result.counts.redelivered_messages == 11
    counts = table_counts(warehouse, contract)
    assert (counts["raw"], counts["distinct_keys"], counts["quarantine"]) == (300, 300, 1)


def test_a_failure_inside_the_batch_transaction_leaves_no_trace(broker, contract, tmp_path, monkeypatch):
    create_topic(broker.bootstrap, contract.topic)
    publish(broker.bootstrap, contract.topic, good_messages(contract, 6, 40) + [b"{bad"])
    warehouse = tmp_path / "wh.duckdb"

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash after raw rows and quarantine were written")

    monkeypatch.setattr(BatchWriter, "_advance_offsets", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(warehouse, [contract], broker.bootstrap)
    counts = table_counts(warehouse, contract)
    assert (counts["raw"], counts["quarantine"], counts["batch_records"]) == (0, 0, 0)

    monkeypatch.undo()
    (result,) = ingest(warehouse, [contract], broker.bootstrap)
    assert (result.counts.loaded, result.counts.quarantined) == (240, 1)


KILLABLE_LOADER = """
import sys, dataclasses, logging
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from pathlib import Path
from core.contracts import default_contracts
from ingestion.loader import ingest
contract = dataclasses.replace(default_contracts()["hrss.wage_payment.v1"], topic=sys.argv[3])
print("started", flush=True)
ingest(Path(sys.argv[1]), [contract], sys.argv[2], max_batch_messages=5)
print("finished", flush=True)
"""


def test_killing_the_loader_mid_run_loses_and_duplicates_nothing(broker, contract, tmp_path):
    create_topic(broker.bootstrap, contract.topic)
    n_messages, per_message = 120, 50
    publish(broker.bootstrap, contract.topic, good_messages(contract, n_messages, per_message))
    warehouse = tmp_path / "wh.duckdb"
    cmd = [sys.executable, "-c", KILLABLE_LOADER, str(warehouse), broker.bootstrap, contract.topic]

    total = n_messages * per_message
    progress_at_kills = []
    for _ in range(3):  # kill right after the third batch of each run commits: the fourth is in flight
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if ": batch 3 committed" in line:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        progress_at_kills.append(table_counts(warehouse, contract)["raw"])
    assert 0 < progress_at_kills[0] < progress_at_kills[1] < progress_at_kills[2] < total

    finished = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    counts = table_counts(warehouse, contract)
    assert counts["raw"] == counts["distinct_keys"] == counts["batch_loaded"] == total


def test_any_kafka_client_producing_a_conformant_message_gets_it_loaded(tmp_path):
    """A hand-written message from a plain client, signed with `cryptography`, per the README's example.
    On the feed's own topic, so on a broker of its own: other modules publish to the feeds' topics on the
    session's broker (tests/test_share_extracts.py), and the modules' order depends on the run."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from kafka import KafkaProducer

    contract = default_contracts()["hrss.wage_payment.v1"]
    record = sample_record(contract, 1)
    value = json.dumps(
        {
            "message_id": "external-1",
            "source_agency": "hrss",
            "contract": contract.topic,
            "contract_version": "1.0.0",
            "produced_at": "2026-11-22T10:00:00+08:00",
            "records": [record],
        }
    ).encode()
    # 人社's key (here its development key; an agency keeps its own secret and registers the public key).
    signing_key = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"gigshield-development-agency-key:hrss").digest()
    )
    headers = [("gigshield-signature", signing_key.sign(value)), ("gigshield-key-id", b"hrss-development-1")]
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap)  # no compression, no tuning
        producer.send(contract.topic, value, headers=headers).get(timeout=10)
        producer.close()
        (result,) = ingest(tmp_path / "wh.duckdb", [contract], broker.bootstrap)
    assert (result.counts.loaded, result.counts.quarantined) == (1, 0)


# --- hostile input (issue 11) ---------------------------------------------------------------------------

COMPLAINTS = default_contracts()["hrss.complaint_event.v1"]


def own(base, name: str):
    return dataclasses.replace(base, topic=f"test.{uuid.uuid4().hex[:8]}.{name}")


def quarantined(warehouse: Path, topic: str) -> list[tuple[str, int | None, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT message_id, record_index, reason FROM raw._quarantine WHERE topic = ? "
            "ORDER BY message_id, record_index",
            [topic],
        ).fetchall()


def test_message_ids_are_scoped_to_their_topic_and_a_reused_id_with_other_content_is_quarantined(broker, tmp_path):
    wages, other = own(BASE, "wage_payment.v1"), own(BASE, "wage_payment.v1")
    for c in (wages, other):
        create_topic(broker.bootstrap, c.topic, partitions=1)
    first = envelope(wages, "m1", [sample_record(wages, 1)])
    changed = envelope(wages, "m1", [sample_record(wages, 2)])  # the same id, other content
    publish(broker.bootstrap, wages.topic, [first, first, changed, b"", None])  # a resend within the batch too
    publish(broker.bootstrap, other.topic, [envelope(other, "m1", [sample_record(other, 1)])])
    warehouse = tmp_path / "wh.duckdb"

    (w1, o1) = ingest(warehouse, [wages, other], broker.bootstrap)
    assert (
        w1.counts.messages,
        w1.counts.redelivered_messages,
        w1.counts.loaded,
        w1.counts.quarantined,
        w1.counts.reused_ids,
    ) == (5, 1, 1, 3, 1)
    assert (o1.counts.loaded, o1.counts.redelivered_messages) == (1, 0)  # the same id on another topic: another message
    reasons = quarantined(warehouse, wages.topic)
    assert sorted(r for _, _, r in reasons) == [
        "empty message",
        "message id reused with different content",
        "tombstone (null value)",
    ]
    reused = next(mid for mid, _, r in reasons if r.startswith("message id reused"))
    assert reused.startswith("m1@sha256:")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            f"SELECT payment_id FROM {wages.qualified_table} WHERE _topic = ?", [wages.topic]
        ).fetchall() == [(f"{wages.entity}-1",)]  # the first content stays

    # The agency resends all of it: identical messages are redeliveries, even the reused one; empty
    # messages and tombstones are never taken for redeliveries.
    publish(broker.bootstrap, wages.topic, [first, changed, b"", None])
    (w2,) = ingest(warehouse, [wages], broker.bootstrap)
    assert (w2.counts.messages, w2.counts.redelivered_messages, w2.counts.quarantined, w2.counts.reused_ids) == (
        4,
        2,
        2,
        0,
    )
    assert len(quarantined(warehouse, wages.topic)) == 5
    counts = table_counts(warehouse, wages)
    assert counts["batch_records"] == counts["batch_loaded"] + counts["batch_quarantined"]
    assert counts["quarantine"] == counts["batch_quarantined"]


def test_an_old_message_log_is_upgraded_and_its_ids_still_count_as_redelivered(broker, tmp_path):
    contract = own(BASE, "wage_payment.v1")
    create_topic(broker.bootstrap, contract.topic, partitions=1)
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # the first release's shape: message_id alone is the key
        con.execute("""CREATE SCHEMA raw; CREATE TABLE raw._messages (
            message_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL,
            "offset" BIGINT NOT NULL, cluster_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL,
            records INTEGER NOT NULL, loaded INTEGER NOT NULL, quarantined INTEGER NOT NULL)""")
        con.execute("INSERT INTO raw._messages VALUES ('old-1', ?, 0, 0, 'c', 'b', 1, 1, 0)", [contract.topic])
        con.execute("""CREATE TABLE raw._batches (batch_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL,
            cluster_id VARCHAR NOT NULL, logical_date DATE, messages INTEGER NOT NULL,
            redelivered_messages INTEGER NOT NULL, records INTEGER NOT NULL, loaded INTEGER NOT NULL,
            quarantined INTEGER NOT NULL, committed_at TIMESTAMPTZ NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'pending', validation_id VARCHAR)""")
        for _ in range(2):  # idempotent
            ensure_raw_tables(con, [contract])
        key = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE schema_name = 'raw' "
            "AND table_name = '_messages' AND constraint_type = 'PRIMARY KEY'"
        ).fetchone()[0]
        assert key == ["topic", "message_id"]
        assert con.execute("SELECT content_sha256 FROM raw._messages WHERE message_id = 'old-1'").fetchone() == (None,)
    publish(
        broker.bootstrap,
        contract.topic,
        [
            envelope(contract, "old-1", [sample_record(contract, 1)]),
            envelope(contract, "new-1", [sample_record(contract, 2)]),
        ],
    )
    (result,) = ingest(warehouse, [contract], broker.bootstrap)
    assert (result.counts.redelivered_messages, result.counts.loaded, result.counts.reused_ids) == (1, 1, 0)


POISON = {  # field -> (value, the reason's words)
    "event_at": [
        ("2026-11-24T00:30:00", "timestamp without an offset"),
        ("infinity", "not a finite timestamp"),
        ("-infinity", "not a finite timestamp"),
        ("2026/11/24 00:30:00+08:00", "not an ISO-8601"),
        ("2026-11-24T25:30:00+08:00", "not a valid TIMESTAMPTZ"),
        ("1899-12-31T23:00:00Z", "outside 1900-01-01..2100-12-31"),
    ],
    "workers_involved": [(str(2**63), "integer out of range for BIGINT"), ("1.5", "not an integer")],
    "amount_claimed": [
        ("NaN", "not a finite number"),
        (float("inf"), "not a finite number"),
        (float("nan"), "not a finite number"),
    ],
}


def test_poison_values_are_quarantined_per_record_and_the_rest_of_the_message_loads(broker, tmp_path):
    complaints, wages = own(COMPLAINTS, "complaint_event.v1"), own(BASE, "wage_payment.v1")
    cases = [(f, v, why) for f, values in POISON.items() for v, why in values]
    good = sample_record(complaints, 0)
    bad = [sample_record(complaints, i + 1, **{f: v}) for i, (f, v, _) in enumerate(cases)]
    date_cases = [
        ("paid_date", "infinity", "not a finite date"),
        ("due_date", "-infinity", "not a finite date"),
        ("paid_date", "2026/11/30", "not a YYYY-MM-DD date"),
        ("paid_date", "20261130", "not a YYYY-MM-DD date"),
        ("due_date", "2101-01-01", "outside 1900-01-01..2100-12-31"),
        ("paid_date", "2026-02-30", "not a valid DATE"),
        ("includes_back_pay", "yes", "not a valid BOOLEAN"),
        ("amount_paid", 12.345, "more decimal places than DECIMAL(14,2) keeps"),
    ]
    wage_records = [sample_record(wages, 0)] + [
        sample_record(wages, i + 1, **{f: v}) for i, (f, v, _) in enumerate(date_cases)
    ]
    for c, records in ((complaints, [good, *bad]), (wages, wage_records)):
        create_topic(broker.bootstrap, c.topic)
        publish(broker.bootstrap, c.topic, [envelope(c, "poison", records)])
    warehouse = tmp_path / "wh.duckdb"

    results = ingest(warehouse, [complaints, wages], broker.bootstrap)
    assert [(r.counts.loaded, r.counts.quarantined) for r in results] == [(1, len(cases)), (1, len(date_cases))]
    for c, expected in ((complaints, cases), (wages, date_cases)):
        reasons = {index: reason for _, index, reason in quarantined(warehouse, c.topic)}
        for i, (field, _, why) in enumerate(expected):
            assert reasons[i + 1] == f"{field}: {why}" or reasons[i + 1].startswith(f"{field}: {why}"), (
                field,
                reasons[i + 1],
            )


CASE_EVENTS = default_contracts()["hrss.blacklist_case_event.v1"]


def test_a_field_named_like_the_loaders_own_columns_loads_as_data(broker, tmp_path):
    """The blacklist acts have a field `reason` (why a case ended): an act without one, an act with one and an
    act with a bad value are loaded, loaded and quarantined — the loader's own reason column is not the field."""
    acts = own(CASE_EVENTS, "blacklist_case_event.v1")
    without = sample_record(acts, 0, reason=None)
    delisted = sample_record(acts, 1, event_type="delisted", reason="early_removal")
    bad_date = sample_record(acts, 2, reason="expiry", event_date="2026/11/24")
    create_topic(broker.bootstrap, acts.topic)
    publish(broker.bootstrap, acts.topic, [envelope(acts, "acts", [without, delisted, bad_date])])
    warehouse = tmp_path / "wh.duckdb"

    (result,) = ingest(warehouse, [acts], broker.bootstrap)

    assert (result.counts.loaded, result.counts.quarantined) == (2, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute(f"SELECT event_id, reason FROM {acts.qualified_table} ORDER BY event_id").fetchall()
    assert loaded == [(without["event_id"], None), (delisted["event_id"], "early_removal")]
    assert [(i, why) for _, i, why in quarantined(warehouse, acts.topic)] == [(2, "event_date: not a YYYY-MM-DD date")]


def test_naive_timestamps_are_read_in_the_declared_zone_and_the_session_time_zone_does_not_matter(tmp_path):
    """The same messages loaded through connections in two time zones store the same instants."""
    from devstack.synthetic.agency_keys import sign_as
    from ingestion.batch_load import Message

    shanghai = dataclasses.replace(own(COMPLAINTS, "complaint_event.v1"), naive_timestamp_zone="Asia/Shanghai")
    records = [
        sample_record(shanghai, 1, event_at="2026-11-24T00:30:00"),  # naive: Beijing time, declared
        sample_record(shanghai, 2, event_at="2026-11-24T00:30:00Z"),
        sample_record(shanghai, 3, event_at="2026-11-24 08:30:00.25+08:00"),
    ]
    values = [envelope(shanghai, "tz", records, produced_at="2026-11-24T01:00:00+08:00")]
    messages = [Message(0, i, v, sign_as("hrss", v), None) for i, v in enumerate(values)]
    stored = {}
    for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        with duckdb.connect(str(tmp_path / f"{zone.replace('/', '_')}.duckdb")) as con:
            con.execute(f"SET TimeZone = '{zone}'")
            ensure_raw_tables(con, [shanghai])
            counts = BatchWriter(con, shanghai, "cluster").write(messages, "b1", None)
            assert counts.loaded == 3, quarantined
            stored[zone] = con.execute(f"""SELECT complaint_id, epoch_us(event_at), epoch_us(_produced_at)
                                           FROM {shanghai.qualified_table} ORDER BY event_id""").fetchall()
    assert stored["UTC"] == stored["Asia/Shanghai"] == stored["America/Los_Angeles"]
    instants = [dt.datetime.fromtimestamp(us / 1e6, dt.UTC) for _, us, _ in stored["UTC"]]
    assert instants == [
        dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 24, 0, 30, 0, 250000, tzinfo=dt.UTC),
    ]


def test_envelopes_with_duplicate_keys_are_quarantined(broker, tmp_path):
    contract = own(BASE, "wage_payment.v1")
    create_topic(broker.bootstrap, contract.topic)
    top = envelope(contract, "dup-top", [sample_record(contract, 1)])
    top = top[:-1] + b', "records": []}'  # DuckDB reads the first records, Python's json the last
    record = envelope(contract, "dup-record", [sample_record(contract, 2)]).replace(
        b'"payment_status": "paid"', b'"payment_status": "paid", "payment_status": "unpaid"'
    )
    assert b'"payment_status": "unpaid"' in record
    # a repeated key the contract does not name (every contract key present once: the loader's fast path)
    unknown = envelope(contract, "dup-unknown", [sample_record(contract, 4)]).replace(
        b'"payment_status": "paid"', b'"payment_status": "paid", "note": 1, "note": 2'
    )
    assert b'"note": 2' in unknown
    fine = envelope(contract, "fine", [sample_record(contract, 3)])
    publish(broker.bootstrap, contract.topic, [top, record, unknown, fine])
    (result,) = ingest(tmp_path / "wh.duckdb", [contract], broker.bootstrap)
    assert (result.counts.loaded, result.counts.quarantined) == (1, 3)
    assert {r for _, _, r in quarantined(tmp_path / "wh.duckdb", contract.topic)} == {
        "duplicate JSON keys in the envelope or a record"
    }


def test_offsets_lost_to_retention_fail_the_feed_unless_the_operator_accepts_the_gap(broker, tmp_path, monkeypatch):
    """Retention cannot be triggered on the in-memory broker: the log's beginning is moved past stored offsets."""
    from kafka import KafkaConsumer

    from ingestion.loader import OffsetsLostToRetention

    contract = own(BASE, "wage_payment.v1")
    create_topic(broker.bootstrap, contract.topic, partitions=1)
    warehouse = tmp_path / "wh.duckdb"
    publish(broker.bootstrap, contract.topic, good_messages(contract, 5, 1, prefix="a"))
    ingest(warehouse, [contract], broker.bootstrap)  # next offset 5
    for value in good_messages(contract, 5, 1, prefix="b", first=100):  # offsets 5..9, one record batch each
        publish(broker.bootstrap, contract.topic, [value])  # (Tansu's end offset is its last batch's base + 1)
    real = KafkaConsumer.beginning_offsets
    monkeypatch.setattr(
        KafkaConsumer,
        "beginning_offsets",
        lambda self, tps: {tp: 7 if tp.topic == contract.topic else o for tp, o in real(self, tps).items()},
    )

    with pytest.raises(OffsetsLostToRetention, match=rf"{contract.topic}\[0\] offsets 5..6"):
        ingest(warehouse, [contract], broker.bootstrap)
    assert table_counts(warehouse, contract)["raw"] == 5  # nothing loaded, nothing skipped silently

    monkeypatch.setenv("GIGSHIELD_ACCEPT_OFFSET_GAP", f"other.topic,{contract.topic}")
    (result,) = ingest(warehouse, [contract], broker.bootstrap)
    assert result.counts.loaded == 3  # offsets 7..9
    monkeypatch.delenv("GIGSHIELD_ACCEPT_OFFSET_GAP")
    (again,) = ingest(warehouse, [contract], broker.bootstrap)  # the gap is settled: no error, nothing new
    assert again.counts.messages == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        gaps = con.execute(
            'SELECT topic, "partition", first_lost_offset, last_lost_offset, accepted_by FROM raw._offset_gaps'
        ).fetchall()
    assert gaps == [(contract.topic, 0, 5, 6, f"GIGSHIELD_ACCEPT_OFFSET_GAP=other.topic,{contract.topic}")]


def test_ingest_feed_reports_reused_ids_to_the_operator(broker, tmp_path, monkeypatch, caplog):
    from core.config import Settings
    from orchestration import steps

    contract = own(BASE, "wage_payment.v1")
    create_topic(broker.bootstrap, contract.topic, partitions=1)
    publish(
        broker.bootstrap,
        contract.topic,
        [envelope(contract, "x", [sample_record(contract, 1)]), envelope(contract, "x", [sample_record(contract, 2)])],
    )
    monkeypatch.setattr(steps, "default_contracts", lambda: {contract.topic: contract})
    settings = Settings(broker.bootstrap, tmp_path, tmp_path / "wh.duckdb", "key", development=True)
    counts = steps.ingest_feed(contract.topic, dt.date(2026, 11, 22), settings)
    assert counts["reused_ids"] == 1 and counts["quarantined"] == 1 and counts["loaded"] == 1
    assert any("reused" in r.message and r.levelname == "WARNING" for r in caplog.records)
