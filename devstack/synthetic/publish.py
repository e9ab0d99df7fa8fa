"""Publish the synthetic agencies' feeds to Kafka, in envelopes signed by their agency, and record the ground truth.

Each message is sent by one agency (its envelope's source_agency) and signed with that agency's
development key (devstack.synthetic.agency_keys): complaints come from 人社 12333 or, when received
through the union, from 总工会 (`unions`); penalties from the authority that imposed them."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from kafka import KafkaProducer

from core.contracts import Contract, default_contracts
from devstack.synthetic.agency_keys import sign_as
from devstack.synthetic.feeds import Record, generate_day, stamp
from devstack.synthetic.malformed import malformed_message
from devstack.synthetic.manifest import Manifest
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from ingestion.kafka_topics import ensure_topics

MESSAGE_NAMESPACE = uuid.UUID("6f1c3c52-5a8e-4f4b-9a51-6b1d2f0c9e11")
KEY_FIELDS = (
    "payer_uscc",
    "employer_uscc",
    "enterprise_uscc",
    "respondent_uscc",
    "uscc",
    "holder_uscc",
    "order_id",  # a roster's lines: one order's statements in order on one partition
    "worker_id_number",
)


def producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="gigshield-agencies",
        compression_type="zstd",
        linger_ms=20,
        batch_size=4 << 20,
        max_request_size=64 << 20,
        acks=1,
    )


def message_id(topic: str, day: dt.date, seed: int, workers: int, seq: int) -> str:
    return str(uuid.uuid5(MESSAGE_NAMESPACE, f"{topic}:{day}:{seed}:{workers}:{seq}"))


def envelope(contract: Contract, day: dt.date, agency: str | None = None) -> dict[str, object]:
    return {
        "source_agency": agency or contract.agency,
        "contract": contract.topic,
        "contract_version": contract.version,
        "produced_at": stamp(day, 23, 30),
    }


def publisher(contract: Contract, record: Record) -> str:
    """The agency that sends a record: the contract's own, but for complaints the union receives
    and penalties other agencies impose."""
    if contract.topic.startswith("hrss.complaint_event.") and record.get("channel") == "union":
        return "unions"
    if contract.topic == "samr.penalty.v1":
        return str(record["authority"])
    return contract.agency


def chunks(records: list[Record], size: int) -> Iterator[list[Record]]:
    for i in range(0, len(records), size):
        yield records[i : i + size]


def by_publisher(contract: Contract, records: list[Record]) -> dict[str, list[Record]]:
    """The records each agency sends, in order (a message carries one agency's records)."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(publisher(contract, record), []).append(record)
    return groups


def partition_key(record: Record) -> bytes:
    return str(next((record[k] for k in KEY_FIELDS if record.get(k)), "")).encode()


def messages_for(
    contract: Contract,
    records: list[Record],
    day: dt.date,
    seed: int,
    workers: int,
    per_message: int,
    rates: Rates,
    manifest: Manifest,
) -> Iterator[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """(key, value, headers) of every message of one topic and day, malformed extras included, each
    signed by the agency that sends it."""
    seq = 0
    for agency, own in by_publisher(contract, records).items():
        base = envelope(contract, day, agency)
        for batch in chunks(own, per_message):
            mid = message_id(contract.topic, day, seed, workers, seq)
            seq += 1
            value = json.dumps(base | {"message_id": mid, "records": batch}, ensure_ascii=False).encode()
            yield partition_key(batch[0]), value, sign_as(agency, value)
    rng = random.Random(f"{seed}:malformed:{contract.topic}:{day}")
    expected = rates.malformed * len(records)  # a share of the records' worth, sent as extra messages
    for _ in range(int(expected) + (rng.random() < expected % 1)):
        template = records[rng.randrange(len(records))]
        agency = publisher(contract, template)
        bad = malformed_message(
            contract,
            envelope(contract, day, agency),
            template,
            message_id(contract.topic, day, seed, workers, seq),
            rng,
        )
        seq += 1
        manifest.add_malformed(bad)
        yield b"malformed", bad.value, sign_as(agency, bad.value)
    manifest.count(contract.topic, seq, len(records))


def publish_window(
    end_date: dt.date,
    days: int,
    workers: int,
    seed: int,
    bootstrap: str,
    manifest_path: Path | None = None,
    mode: str = "auto",
    records_per_message: int = 1000,
    rates: Rates = Rates(),
    on_day: Callable[[dt.date, int], None] | None = None,
) -> Manifest:
    """Publish `days` days of every feed ending on `end_date`; returns (and writes) the manifest.
    `on_day(day, records)` is called as each day is published (the runner's progress)."""
    contracts = default_contracts()
    world = build_world(seed, workers)
    start = end_date - dt.timedelta(days=days - 1)
    manifest = Manifest.start(seed=seed, workers=workers, start=start, end=end_date, rates=rates, mode=mode)
    ensure_topics(bootstrap, sorted(contracts), client_id="gigshield-agencies")
    kafka = producer(bootstrap)
    try:
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            output = generate_day(world, day, start, rates)
            manifest.add_day(output)
            for topic, contract in sorted(contracts.items()):
                bulk = mode == "bulk" or (mode == "auto" and contract.delivery == "bulk")
                per_message = records_per_message if bulk else 1
                for key, value, headers in messages_for(
                    contract, output.records.get(topic, []), day, seed, workers, per_message, rates, manifest
                ):
                    kafka.send(topic, value, key=key, headers=headers)
            kafka.flush()
            if on_day:
                on_day(day, sum(map(len, output.records.values())))
    finally:
        kafka.close()
    if manifest_path:
        manifest.write(manifest_path)
    return manifest
