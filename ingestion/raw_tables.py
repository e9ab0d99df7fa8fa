"""The raw layer of the DuckDB warehouse: one table per feed plus the ingestion bookkeeping.

Raw tables hold each contract's fields with their contract types and the Kafka coordinates of
the message they came from. Bookkeeping tables live beside them so that a batch's rows and the
offsets that produced them commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import duckdb

from core.contracts import RAW_SCHEMA, Contract


class BatchStatus(StrEnum):
    """raw._batches.status, the one definition of the batch statuses: a committed batch is pending until
    inbound validation (expectations.inbound) releases or holds its night; an operator may accept a held
    night (expectations.holds). The table's CHECK, the dbt source's accepted_values and the dbt macro
    staged_batch_statuses (transform.sources_yaml) are generated from it."""

    PENDING = "pending"
    RELEASED = "released"
    HELD = "held"
    ACCEPTED = "accepted"


# The batches staging reads (dbt macro released_rows) and whose rows count as the feed's history.
STAGED_BATCH_STATUSES: tuple[BatchStatus, ...] = (BatchStatus.RELEASED, BatchStatus.ACCEPTED)


def sql_strings(values: Iterable[str]) -> str:
    """A parenthesised SQL list of string literals, e.g. ('a', 'b'), for `IN`."""
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


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
-- Every message ever consumed, by topic and message id (sha256:<hash> of the bytes when it could not be
-- loaded; <id>@sha256:<hash> when it reused a known id with other bytes), with the sha256 of its bytes:
-- redelivery is recognised, an id reused with other content is not mistaken for one. content_sha256 is
-- NULL for rows from before it was kept (and for tombstones).
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._messages (
    message_id VARCHAR NOT NULL, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL, cluster_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL,
    records INTEGER NOT NULL, loaded INTEGER NOT NULL, quarantined INTEGER NOT NULL,
    content_sha256 VARCHAR,
    PRIMARY KEY (topic, message_id));
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
    status VARCHAR NOT NULL DEFAULT '{BatchStatus.PENDING}' CHECK (status IN {sql_strings(BatchStatus)}),
    validation_id VARCHAR);
-- Offsets an operator accepted as lost (deleted by retention before they were loaded): see ingestion.loader.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._offset_gaps (
    cluster_id VARCHAR NOT NULL, topic VARCHAR NOT NULL, "partition" INTEGER NOT NULL,
    first_lost_offset BIGINT NOT NULL, last_lost_offset BIGINT NOT NULL, accepted_by VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cluster_id, topic, "partition", first_lost_offset));
-- One row per inbound validation of a feed's night: its verdict and the batch-level expectations that failed.
CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._validations (
    validation_id VARCHAR PRIMARY KEY, topic VARCHAR NOT NULL, logical_date DATE,
    records_validated INTEGER NOT NULL, quarantined INTEGER NOT NULL, status VARCHAR NOT NULL,
    failed_expectations VARCHAR[] NOT NULL, validated_at TIMESTAMPTZ NOT NULL);
"""


def raw_table_ddl(contract: Contract) -> str:
    columns = [f'"{f.name}" {f.physical_type}' for f in contract.fields]  # names checked by Contract
    columns += [f"{name} {sql_type}" for name, sql_type in METADATA_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {contract.qualified_table} (\n    " + ",\n    ".join(columns) + "\n)"


# Columns added to bookkeeping tables after their first release (ALTER TABLE ... ADD COLUMN IF NOT EXISTS).
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_batches", "reused_ids", "INTEGER NOT NULL DEFAULT 0"),
    ("_batches", "unsigned_accepted", "INTEGER NOT NULL DEFAULT 0"),
)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [RAW_SCHEMA, table],
        ).fetchall()
    ]


def _upgrade_messages(con: duckdb.DuckDBPyConnection) -> None:
    """raw._messages keyed by message_id alone (the first release) becomes keyed by (topic, message_id)
    with a content_sha256 column; old rows keep NULL there, which counts as a redelivery of their id."""
    columns = _columns(con, "_messages")
    if "content_sha256" in columns:
        return
    old = ", ".join(f'"{c}"' for c in columns)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"ALTER TABLE {RAW_SCHEMA}._messages RENAME TO _messages_v1")
        con.execute(BOOKKEEPING_DDL)  # the new _messages
        con.execute(f"INSERT INTO {RAW_SCHEMA}._messages ({old}) SELECT {old} FROM {RAW_SCHEMA}._messages_v1")
        con.execute(f"DROP TABLE {RAW_SCHEMA}._messages_v1")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create the raw schema, bookkeeping tables and one raw table per contract; upgrade bookkeeping
    tables of an earlier shape (idempotent)."""
    con.execute(BOOKKEEPING_DDL)
    _upgrade_messages(con)
    for table, column, sql_type in ADDED_COLUMNS:
        if column not in _columns(con, table):  # (DuckDB has no ADD COLUMN IF NOT EXISTS for NOT NULL columns)
            con.execute(f'ALTER TABLE {RAW_SCHEMA}."{table}" ADD COLUMN "{column}" {sql_type}')
    for contract in contracts:
        con.execute(raw_table_ddl(contract))
        # A compatible contract version adds optional fields: a warehouse loaded under the earlier version gets
        # them as nullable columns (the loader inserts by column name, so their position does not matter).
        present = set(_columns(con, contract.qualified_table.split(".")[-1].strip('"')))
        for field in contract.fields:
            if field.name not in present:
                con.execute(f'ALTER TABLE {contract.qualified_table} ADD COLUMN "{field.name}" {field.physical_type}')
