"""Drain agency topics into the DuckDB warehouse exactly once.

Each topic is read by manual partition assignment (no consumer group: offsets live in the
warehouse beside the rows they produced, committed in the same transaction). A run drains
each partition up to the end offset it saw when it started, so a nightly run is finite.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from ingestion.batch_load import EMPTY, BatchCounts, BatchWriter, Message
from ingestion.contracts import RAW_SCHEMA, Contract
from ingestion.warehouse import ensure_raw_tables

log = logging.getLogger(__name__)

# A batch closes at whichever comes first; both bound the memory one batch holds.
DEFAULT_BATCH_BYTES = 64 << 20
DEFAULT_BATCH_MESSAGES = 50_000
BOOTSTRAP_TIMEOUT_MS = 15_000  # an unreachable broker fails the task (Airflow retries it) instead of hanging


@dataclass
class TopicResult:
    topic: str
    counts: BatchCounts = EMPTY
    batches: int = 0
    end_offsets: dict[int, int] = field(default_factory=dict)


def cluster_id(bootstrap: str) -> str:
    """The Kafka cluster id: offsets are only meaningful within one cluster's log."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="gigshield-loader",
                             bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS)
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
    )


def stored_offsets(con: duckdb.DuckDBPyConnection, cluster: str, topic: str) -> dict[int, int]:
    rows = con.execute(
        f'SELECT "partition", next_offset FROM {RAW_SCHEMA}._offsets WHERE cluster_id = ? AND topic = ?',
        [cluster, topic],
    ).fetchall()
    return dict(rows)


class StalledPartition(RuntimeError):
    """A partition stopped delivering before reaching the end offset the run started with."""


def _batches(consumer: KafkaConsumer, end: dict[TopicPartition, int], max_bytes: int,
             max_messages: int, idle_timeout_s: float = 60.0) -> Iterator[list[Message]]:
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
                batch.append(Message(r.partition, r.offset, r.value))
                size += len(r.value or b"")
        pending = {tp for tp in pending if consumer.position(tp) < end[tp]}
        if pending and time.monotonic() - last_data > idle_timeout_s:
            stuck = ", ".join(f"{tp.topic}[{tp.partition}] at {consumer.position(tp)} < {end[tp]}" for tp in pending)
            raise StalledPartition(f"no data for {idle_timeout_s:.0f} s: {stuck}")
        if batch and (size >= max_bytes or len(batch) >= max_messages or not pending):
            yield batch
            batch, size = [], 0


def _prefetched(batches: Iterator[list[Message]], depth: int = 2) -> Iterator[list[Message]]:
    """Fetch the next batches from Kafka in a thread while DuckDB writes the current one."""
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
        except BaseException as exc:  # re-raised in the consuming thread
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
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
    if failure:
        raise failure[0]


def ingest_topic(con: duckdb.DuckDBPyConnection, contract: Contract, bootstrap: str, cluster: str,
                 logical_date: dt.date | None = None, *, max_batch_bytes: int = DEFAULT_BATCH_BYTES,
                 max_batch_messages: int = DEFAULT_BATCH_MESSAGES) -> TopicResult:
    """Load every message of one topic up to its current end offsets."""
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
        for tp in tps:
            start = stored.get(tp.partition, beginning[tp])
            if start < beginning[tp]:
                log.warning("%s[%d]: offsets %d..%d were deleted by retention before loading",
                            tp.topic, tp.partition, start, beginning[tp] - 1)
                start = beginning[tp]
            consumer.seek(tp, start)
        end = consumer.end_offsets(tps)
        result.end_offsets = {tp.partition: o for tp, o in end.items()}
        writer = BatchWriter(con, contract, cluster)
        for batch in _prefetched(_batches(consumer, end, max_batch_bytes, max_batch_messages)):
            counts = writer.write(batch, batch_id=uuid.uuid4().hex, logical_date=logical_date)
            result.counts += counts
            result.batches += 1
            log.info("%s: batch %d committed: %s", contract.topic, result.batches, counts)
    finally:
        consumer.close()
    return result


def ingest(warehouse: Path, contracts: Iterable[Contract], bootstrap: str,
           logical_date: dt.date | None = None, **batch_limits: int) -> list[TopicResult]:
    """Load the given feeds into the warehouse file; the nightly job calls this once per feed."""
    contracts = list(contracts)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    cluster = cluster_id(bootstrap)
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, contracts)
        return [ingest_topic(con, c, bootstrap, cluster, logical_date, **batch_limits) for c in contracts]
