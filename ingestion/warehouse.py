"""The raw layer of the DuckDB warehouse: one table per feed plus the ingestion bookkeeping.

Raw tables hold each contract's fields with their contract types and the Kafka coordinates of
the message they came from. Bookkeeping tables live beside them so that a batch's rows and the
offsets that produced them commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from ingestion.contracts import RAW_SCHEMA, Contract

# The Airflow pool (one slot) of every task that opens the warehouse: DuckDB lets one process at a time
# open a file for writing, so those tasks take turns whatever the executor's parallelism.
WAREHOUSE_POOL = "gigshield_warehouse"

# Kafka coordinates and envelope facts carried by every raw row (the evidence trail).
METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_message_id", "VARCHAR NOT NULL"),
    ("_record_index", "INTEGER NOT NULL"),
    ("_topic", "VARCHAR NOT NULL"),
    ("_partition", "INTEGER NOT NULL"),
    ("_offset", "BIGINT NOT NULL"),
    ("_source_agency", "VARCHAR"),
    ("_contract_version", "VARCHAR"),
    ("_produced_at", "TIMESTAMPTZ"),
    ("_batch_id", "VARCHAR NOT NULL"),
    ("_loaded_at", "TIMESTAMPTZ NOT NULL"),
)

BOOKKEEPING_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA};
-- Next offset to read per Kafka log. cluster_id scopes offsets to one broker's log.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._offsets (
    cluster_id VARCHAR NOT NULL, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL, batch_id VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cluster_id, topic, "partition"));
-- Every message ever consumed, by message id (sha256 of the bytes when it has none): redelivery is recognised.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._messages (
    message_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL, cluster_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL,
    records INTEGER NOT NULL, loaded INTEGER NOT NULL, quarantined INTEGER NOT NULL);
-- What could not be loaded, with why: never dropped.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._quarantine (
    topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL, "offset" BIGINT NOT NULL,
    message_id VARCHAR NOT NULL, record_index INTEGER, reason VARCHAR NOT NULL,
    payload BLOB NOT NULL, batch_id VARCHAR NOT NULL, quarantined_at TIMESTAMPTZ NOT NULL);
-- One row per committed batch: the reconciliation consumed = loaded + quarantined (+ redelivered).
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._batches (
    batch_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, cluster_id VARCHAR NOT NULL,
    logical_date DATE, messages INTEGER NOT NULL, redelivered_messages INTEGER NOT NULL,
    records INTEGER NOT NULL, loaded INTEGER NOT NULL, quarantined INTEGER NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL,
    -- pending until inbound validation (expectations.inbound) releases or holds it; an operator may
    -- accept a held batch (expectations.holds). Staging reads released and accepted batches only.
    status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'released', 'held', 'accepted')),
    validation_id VARCHAR);
-- One row per inbound validation of a feed's night: its verdict and the batch-level expectations that failed.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._validations (
    validation_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, logical_date DATE,
    records_validated INTEGER NOT NULL, quarantined INTEGER NOT NULL, status VARCHAR NOT NULL,
    failed_expectations VARCHAR[] NOT NULL, validated_at TIMESTAMPTZ NOT NULL);
"""


def raw_table_ddl(contract: Contract) -> str:
    columns = [f'"{f.name}" {f.physical_type}' for f in contract.fields]
    columns += [f"{name} {sql_type}" for name, sql_type in METADATA_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {contract.qualified_table} (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create the raw schema, bookkeeping tables and one raw table per contract (idempotent)."""
    con.execute(BOOKKEEPING_DDL)
    for contract in contracts:
        con.execute(raw_table_ddl(contract))


def rows_as_dicts(con: duckdb.DuckDBPyConnection, query: str, params: object = None) -> list[dict[str, Any]]:
    """A query's rows as {column: value}; `params` as duckdb takes them (a list, or a dict for $names)."""
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
