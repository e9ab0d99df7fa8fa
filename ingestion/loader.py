"""Drain agency topics into the DuckDB warehouse exactly once.

Each topic is read by manual partition assignment (no consumer group: offsets live in the
warehouse beside the rows they produced, committed in the same transaction). A run drains
each partition up to the end offset it saw when it started, so a nightly run is finite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from core.contracts import RAW_SCHEMA, Contract
from ingestion.batch_load import EMPTY, BatchCounts, BatchWriter, Message, arrow_batch
from ingestion.kafka_security import kafka_client_options
from ingestion.raw_tables import ensure_raw_tables
from ingestion.signing import MessageVerifier

log = logging.getLogger(__name__)
T = TypeVar("T")

# A batch closes at whichever comes first; both bound the memory one batch holds.
DEFAULT_BATCH_BYTES = 64 << 20
DEFAULT_BATCH_MESSAGES = 50_000
BOOTSTRAP_TIMEOUT_MS = 15_000  # an unreachable broker fails the task (Airflow retries it) instead of hanging
# Topics (comma-separated) whose offsets lost to retention the operator accepts: recorded, then skipped.
ACCEPT_OFFSET_GAP_ENV = "GIGSHIELD_ACCEPT_OFFSET_GAP"


@dataclass
class TopicResult:
    topic: str
    counts: BatchCounts = EMPTY
    batches: int = 0
    end_offsets: dict[int, int] = field(default_factory=dict)


def cluster_id(bootstrap: str) -> str:
    """The Kafka cluster id: offsets are only meaningful within one cluster's log."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="gigshield-loader",
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        **kafka_client_options(),
    )
    try:
        return str(admin.describe_cluster()["cluster_id"])
    finally:
        admin.close()


def _consumer(bootstrap: str) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="gigshield-loader",
        group_id=None,
        enable_auto_commit=False,
        fetch_max_bytes=64 << 20,
        max_partition_fetch_bytes=16 << 20,
        fetch_max_wait_ms=100,
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        **kafka_client_options(),
    )


def stored_offsets(con: duckdb.DuckDBPyConnection, cluster: str, topic: str) -> dict[int, int]:
    rows = con.execute(
        f'SELECT "partition", next_offset FROM {RAW_SCHEMA}._offsets WHERE cluster_id = ? AND topic = ?',
        [cluster, topic],
    ).fetchall()
    return dict(rows)


class StalledPartition(RuntimeError):
    """A partition stopped delivering before reaching the end offset the run started with."""


@dataclass(frozen=True)
class OffsetGap:
    topic: str
    partition: int
    first_lost: int
    last_lost: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] offsets {self.first_lost}..{self.last_lost}"


class OffsetsLostToRetention(RuntimeError):
    """Messages were deleted by Kafka retention before they were loaded: the feed fails until the operator
    has the agency resend them, or accepts the loss (GIGSHIELD_ACCEPT_OFFSET_GAP=<topic>)."""

    def __init__(self, gaps: list[OffsetGap]) -> None:
        self.gaps = gaps
        topics = ",".join(sorted({g.topic for g in gaps}))
        super().__init__(
            "offsets lost to retention before they were loaded: "
            + "; ".join(map(str, gaps))
            + f". Ask the agency to resend them, or accept the loss with {ACCEPT_OFFSET_GAP_ENV}={topics} "
            f"(recorded in {RAW_SCHEMA}._offset_gaps)."
        )


def gap_accepted(topic: str, accept: bool | None = None) -> bool:
    """Whether the operator accepts lost offsets on the topic: the argument, else GIGSHIELD_ACCEPT_OFFSET_GAP."""
    if accept is not None:
        return accept
    return topic in {t.strip() for t in os.environ.get(ACCEPT_OFFSET_GAP_ENV, "").split(",")}


def _record_gaps(con: duckdb.DuckDBPyConnection, cluster: str, gaps: list[OffsetGap], accepted_by: str) -> None:
    """Record accepted gaps and move the stored offsets past them, in one transaction."""
    now = dt.datetime.now(dt.UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        for g in gaps:
            con.execute(
                f"""INSERT INTO {RAW_SCHEMA}._offset_gaps VALUES (?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT DO NOTHING""",
                [cluster, g.topic, g.partition, g.first_lost, g.last_lost, accepted_by, now],
            )
            con.execute(
                f"""UPDATE {RAW_SCHEMA}._offsets SET next_offset = ?, updated_at = ?
                            WHERE cluster_id = ? AND topic = ? AND "partition" = ? AND next_offset < ?""",
                [g.last_lost + 1, now, cluster, g.topic, g.partition, g.last_lost + 1],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _batches(
    consumer: KafkaConsumer,
    end: dict[TopicPartition, int],
    max_bytes: int,
    max_messages: int,
    idle_timeout_s: float = 60.0,
) -> Iterator[list[Message]]:
    """Poll until every partition has reached its end offset; yield bounded batches."""
    pending = {tp for tp, offset in end.items() if consumer.position(tp) < offset}
    batch: list[Message] = []
    size = 0
    last_data = time.monotonic()
    while pending:
        polled = consumer.poll(timeout_ms=500, max_records=max_messages)
        for records in polled.values():
            last_data = time.monotonic()
            for r in records:
                batch.append(Message(r.partition, r.offset, r.value, r.headers, r.timestamp))
                size += len(r.value or b"")
        pending = {tp for tp in pending if consumer.position(tp) < end[tp]}
        if pending and time.monotonic() - last_data > idle_timeout_s:
            stuck = ", ".join(f"{tp.topic}[{tp.partition}] at {consumer.position(tp)} < {end[tp]}" for tp in pending)
            raise StalledPartition(f"no data for {idle_timeout_s:.0f} s: {stuck}")
        if batch and (size >= max_bytes or len(batch) >= max_messages or not pending):
            yield batch
            batch, size = [], 0


def _prefetched(batches: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Fetch (and prepare) the next batches from Kafka in a thread while DuckDB writes the current one."""
    done = object()
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def pump() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                handoff.put(batch)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consuming thread
            failure.append(exc)
        finally:
            handoff.put(done)

    thread = threading.Thread(target=pump, name="kafka-prefetch", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not done:
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock the pump if the consumer of batches gave up early
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        thread.join()
    if failure:
        raise failure[0]


def ingest_topic(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    bootstrap: str,
    cluster: str,
    logical_date: dt.date | None = None,
    *,
    max_batch_bytes: int = DEFAULT_BATCH_BYTES,
    max_batch_messages: int = DEFAULT_BATCH_MESSAGES,
    accept_offset_gap: bool | None = None,
    verifier: MessageVerifier | None = None,
) -> TopicResult:
    """Load every message of one topic up to its current end offsets.

    Raises OffsetsLostToRetention, before loading anything, when a stored offset is below the start
    of its partition's log (retention deleted messages that were never loaded), unless the loss is
    accepted (`accept_offset_gap`, default: the topic is listed in GIGSHIELD_ACCEPT_OFFSET_GAP)."""
    result = TopicResult(contract.topic)
    consumer = _consumer(bootstrap)
    try:
        partitions = consumer.partitions_for_topic(contract.topic)
        if not partitions:
            log.info("%s: topic does not exist yet, nothing to load", contract.topic)
            return result
        tps = [TopicPartition(contract.topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        stored = stored_offsets(con, cluster, contract.topic)
        beginning = consumer.beginning_offsets(tps)
        gaps = [
            OffsetGap(tp.topic, tp.partition, stored[tp.partition], beginning[tp] - 1)
            for tp in tps
            if stored.get(tp.partition, beginning[tp]) < beginning[tp]
        ]
        if gaps:
            if not gap_accepted(contract.topic, accept_offset_gap):
                raise OffsetsLostToRetention(gaps)
            by = "argument" if accept_offset_gap else f"{ACCEPT_OFFSET_GAP_ENV}={os.environ.get(ACCEPT_OFFSET_GAP_ENV)}"
            _record_gaps(con, cluster, gaps, by)
            for g in gaps:
                log.warning("%s: accepted as lost to retention (%s), recorded in %s._offset_gaps", g, by, RAW_SCHEMA)
        for tp in tps:
            consumer.seek(tp, max(stored.get(tp.partition, beginning[tp]), beginning[tp]))
        end = consumer.end_offsets(tps)
        result.end_offsets = {tp.partition: o for tp, o in end.items()}
        writer = BatchWriter(con, contract, cluster, verifier)
        # Signatures are verified and the Arrow columns built in the Kafka thread, beside DuckDB's writes.
        prepared = (
            (batch, arrow_batch(batch, writer.verify))
            for batch in _batches(consumer, end, max_batch_bytes, max_batch_messages)
        )
        for batch, table in _prefetched(prepared):
            counts = writer.write(batch, batch_id=uuid.uuid4().hex, logical_date=logical_date, table=table)
            result.counts += counts
            result.batches += 1
            log.info("%s: batch %d committed: %s", contract.topic, result.batches, counts)
    finally:
        consumer.close()
    return result


def ingest(
    warehouse: Path,
    contracts: Iterable[Contract],
    bootstrap: str,
    logical_date: dt.date | None = None,
    *,
    accept_offset_gap: bool | None = None,
    **batch_limits: int,
) -> list[TopicResult]:
    """Load the given feeds into the warehouse file; the nightly job calls this once per feed."""
    contracts = list(contracts)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    cluster = cluster_id(bootstrap)
    verifier = MessageVerifier()  # the agencies' keys, read once per run
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, contracts)
        return [
            ingest_topic(
                con,
                c,
                bootstrap,
                cluster,
                logical_date,
                accept_offset_gap=accept_offset_gap,
                verifier=verifier,
                **batch_limits,
            )
            for c in contracts
        ]
