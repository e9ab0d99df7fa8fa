"""The synthetic agencies' nights written straight into a warehouse by the loader's batch writer, as released
batches (as inbound validation would release them): the Kafka hop and validation are left out. For the
benchmark of the dbt build (bench/dbt_incremental) and the tests that build nights one after another."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from pathlib import Path

import duckdb

from core.contracts import Contract, default_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.manifest import Manifest
from devstack.synthetic.publish import messages_for
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from ingestion.batch_load import BatchWriter, Message
from ingestion.raw_tables import BatchStatus, ensure_raw_tables

MESSAGES_PER_BATCH = 200
RATES = Rates(malformed=0.0)  # every record loads: nothing quarantined


class NightLoader:
    """Writes the generator's records for whole nights of a world (seed, workers) into a warehouse, as released
    batches; the world's window starts on first_day (its first snapshot day)."""

    def __init__(self, workers: int, seed: int, first_day: dt.date, rates: Rates = RATES) -> None:
        self.world = build_world(seed, workers)
        self.workers, self.seed, self.first_day, self.rates = workers, seed, first_day, rates
        self.contracts = default_contracts()
        self.offsets: Counter[str] = Counter()

    def load(self, warehouse: Path, day: dt.date) -> int:
        output = generate_day(self.world, day, self.first_day, self.rates)
        manifest = Manifest.start(
            seed=self.seed, workers=self.workers, start=day, end=day, rates=self.rates, mode="bench"
        )
        records = 0
        with duckdb.connect(str(warehouse)) as con:
            ensure_raw_tables(con, self.contracts.values())
            for topic, contract in sorted(self.contracts.items()):
                rows = output.records.get(topic, [])
                per_message = 1000 if contract.delivery == "bulk" else 1
                messages = [
                    Message(0, self._next_offset(topic), value, headers)
                    for _, value, headers in messages_for(
                        contract, rows, day, self.seed, self.workers, per_message, self.rates, manifest
                    )
                ]
                records += self._write(con, contract, messages, day)
            con.execute(
                "UPDATE raw._batches SET status = ? WHERE status = ?", [BatchStatus.RELEASED, BatchStatus.PENDING]
            )
        return records

    def _next_offset(self, topic: str) -> int:
        self.offsets[topic] += 1
        return self.offsets[topic] - 1

    @staticmethod
    def _write(con: duckdb.DuckDBPyConnection, contract: Contract, messages: list[Message], day: dt.date) -> int:
        writer = BatchWriter(con, contract, cluster_id="bench")
        loaded = 0
        for i in range(0, len(messages), MESSAGES_PER_BATCH):
            loaded += writer.write(messages[i : i + MESSAGES_PER_BATCH], f"bench-{uuid.uuid4().hex}", day).loaded
        return loaded
