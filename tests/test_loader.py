"""Exactly-once ingestion against a real Kafka-protocol broker and real DuckDB files."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from ingestion.batch_load import BatchWriter
from ingestion.broker import EmbeddedBroker
from ingestion.config import PROJECT_ROOT
from ingestion.contracts import default_contracts
from ingestion.loader import ingest
from tests.conftest import create_topic, envelope, publish, sample_record

BASE = default_contracts()["hrss.wage_payment.v1"]


@pytest.fixture
def contract():
    """The wage-payment contract on a topic of the test's own."""
    return dataclasses.replace(BASE, topic=f"test.{uuid.uuid4().hex[:8]}.wage_payment.v1")


def good_messages(contract, n_messages: int, per_message: int, prefix: str = "m", first: int = 0) -> list[bytes]:
    return [
        envelope(contract, f"{prefix}{m}",
                 [sample_record(contract, first + m * per_message + i) for i in range(per_message)])
        for m in range(n_messages)
    ]


def table_counts(warehouse: Path, contract) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        q = lambda sql: con.execute(sql, [contract.topic]).fetchone()[0]  # noqa: E731
        return {
            "raw": con.execute(f"SELECT count(*) FROM {contract.qualified_table}").fetchone()[0],
            "distinct_keys": con.execute(
                f'SELECT count(DISTINCT "{contract.key}") FROM {contract.qualified_table}').fetchone()[0],
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
        reasons = dict(con.execute(
            "SELECT message_id || '#' || record_index, reason FROM raw._quarantine WHERE record_index IS NOT NULL"
        ).fetchall())
        message_reasons = {r for (r,) in con.execute("SELECT reason FROM raw._quarantine WHERE record_index IS NULL").fetchall()}
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
    assert "envelope: contract_version 2.0.0 is not compatible with 1.0.0" in message_reasons
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
from ingestion.contracts import default_contracts
from ingestion.loader import ingest
contract = dataclasses.replace(default_contracts()["hrss.wage_payment.v1"], topic=sys.argv[3])
print("started", flush=True)
ingest(Path(sys.argv[1]), [contract], sys.argv[2], max_batch_messages=5)
print("finished", flush=True)
"""


def test_killing_the_loader_mid_run_loses_and_duplicates_nothing(broker, contract, tmp_path):
    create_topic(broker.bootstrap, contract.topic)
    n_messages, per_message = 120, 200
    publish(broker.bootstrap, contract.topic, good_messages(contract, n_messages, per_message))
    warehouse = tmp_path / "wh.duckdb"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    cmd = [sys.executable, "-c", KILLABLE_LOADER, str(warehouse), broker.bootstrap, contract.topic]

    total = n_messages * per_message
    progress_at_kills = []
    for _ in range(3):  # kill right after the third batch of each run commits: the fourth is in flight
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if ": batch 3 committed" in line:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        progress_at_kills.append(table_counts(warehouse, contract)["raw"])
    assert 0 < progress_at_kills[0] < progress_at_kills[1] < progress_at_kills[2] < total

    finished = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    counts = table_counts(warehouse, contract)
    assert counts["raw"] == counts["distinct_keys"] == counts["batch_loaded"] == total


def test_any_kafka_client_producing_a_conformant_message_gets_it_loaded(broker, tmp_path):
    """A hand-written message from a plain client, per the contract and the README's envelope."""
    from kafka import KafkaProducer

    contract = default_contracts()["hrss.wage_payment.v1"]
    record = sample_record(contract, 1)
    value = json.dumps({
        "message_id": "external-1", "source_agency": "hrss", "contract": contract.topic,
        "contract_version": "1.0.0", "produced_at": "2026-11-22T10:00:00+08:00", "records": [record],
    }).encode()
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)  # no compression, no tuning
    producer.send(contract.topic, value).get(timeout=10)
    producer.close()
    (result,) = ingest(tmp_path / "wh.duckdb", [contract], broker.bootstrap)
    assert (result.counts.loaded, result.counts.quarantined) == (1, 0)
