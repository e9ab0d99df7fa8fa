"""Shared fixtures: a real embedded Kafka-protocol broker and helpers to publish contract envelopes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from expectations.gx_project import open_context
from expectations.inbound import InboundResult, validate_feed
from ingestion.airflow_home import NO_TELEMETRY
from ingestion.broker import EmbeddedBroker
from ingestion.contracts import Contract, default_contracts
from ingestion.loader import ingest
from ingestion.synthetic.agency_keys import AGENCIES, sign_as

# The tests run the embedded stack in development mode (the synthetic agencies' signing keys are
# trusted), with a strong pseudonym key of their own so that scans for the key mean something.
os.environ["GIGSHIELD_ENV"] = "development"
TEST_PSEUDONYM_KEY = os.environ.setdefault("GIGSHIELD_PSEUDONYM_KEY", "gs-test-" + secrets.token_hex(24))
os.environ.update(NO_TELEMETRY)  # no telemetry from the tests' dbt, cosmos and Airflow either

SAMPLE_BY_TYPE: dict[str, Any] = {
    "string": "sample", "integer": 1, "number": 12.5, "boolean": True,
    "date": "2026-11-22", "timestamp": "2026-11-22T09:30:00+08:00",
}


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log") as b:
        yield b


def sample_record(contract: Contract, i: int, **overrides: Any) -> dict[str, Any]:
    """A record that parses against the contract: type-correct values, first enum value, unique key."""
    record = {f.name: (f.enum[0] if f.enum else SAMPLE_BY_TYPE[f.logical_type]) for f in contract.fields}
    record[contract.key] = f"{contract.entity}-{i}"
    record.update(overrides)
    return record


def envelope(contract: Contract, message_id: str, records: list[Any], /, **envelope_overrides: Any) -> bytes:
    env = {
        "message_id": message_id, "source_agency": contract.agency, "contract": contract.topic,
        "contract_version": contract.version, "produced_at": dt.datetime(2026, 11, 22, 2).isoformat() + "+08:00",
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
    producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="zstd", linger_ms=5,
                             max_request_size=32 << 20)
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
    messages = [json.dumps({
        "message_id": f"{contract.topic}:{day}:{uuid.uuid4().hex}", "source_agency": contract.agency,
        "contract": contract.topic, "contract_version": contract.version,
        "produced_at": f"{day + dt.timedelta(days=1)}T01:00:00+08:00", "records": records[i:i + batch],
    }, ensure_ascii=False).encode() for i in range(0, len(records), batch)]
    publish(broker.bootstrap, contract.topic, messages, signer=contract.agency)


def own_feeds() -> dict[str, Contract]:
    """Every feed on topics of the caller's own (same raw tables, so references between feeds resolve)."""
    run = uuid.uuid4().hex[:8]
    return {t: dataclasses.replace(c, topic=f"test.{run}.{t}") for t, c in default_contracts().items()}


@pytest.fixture
def feeds() -> dict[str, Contract]:
    return own_feeds()


def load_and_validate(broker, warehouse: Path, gx_dir: Path, feeds: dict[str, Contract], topic: str,
                      records: list[dict], day: dt.date) -> InboundResult:
    """Publish records as an agency would, ingest them and run inbound validation for the day."""
    send(broker, feeds[topic], records, day)
    ingest(warehouse, [feeds[topic]], broker.bootstrap, day)
    with duckdb.connect(str(warehouse)) as con:
        return validate_feed(con, open_context(gx_dir), feeds[topic], feeds, day)
