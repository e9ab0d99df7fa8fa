"""Write one batch of Kafka messages into the warehouse in a single transaction.

The batch's raw rows, its quarantined messages and records, the message log that recognises
redelivery, and the partitions' next offsets commit together or not at all: a crash anywhere
leaves the warehouse exactly as it was before the batch, and the next run reads the batch again.

Messages are known by (topic, message id) with the sha256 of their bytes: the same id with the same
bytes is a redelivery (skipped, counted); the same id with other bytes is quarantined ("message id
reused with different content", counted in `reused_ids` for the operator). A message that cannot be
loaded is known by the sha256 of its bytes instead, except empty messages and tombstones, which are
quarantined each time they are consumed. Each message's signature is verified in Python
(ingestion.signing) as the batch is turned into Arrow columns; everything else is SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import duckdb
import pyarrow as pa

from core.contracts import RAW_SCHEMA, Contract
from ingestion.raw_tables import METADATA_COLUMNS
from ingestion.record_sql import (
    RECORD_REASON,
    envelope_json_type,
    keys_sound_sql,
    message_reason_sql,
    strict_envelope_sql,
    typed_record_sql,
)
from ingestion.signing import MessageVerifier

log = logging.getLogger(__name__)

REUSED_ID = "message id reused with different content"


class Message(NamedTuple):
    partition: int
    offset: int
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    timestamp_ms: int | None = None  # the Kafka record timestamp: the day a signing key must be valid on


@dataclass(frozen=True)
class BatchCounts:
    """Reconciliation of one batch: records == loaded + quarantined for the messages not seen before."""

    messages: int
    redelivered_messages: int
    records: int
    loaded: int
    quarantined: int
    reused_ids: int = 0  # quarantined messages whose id was already used with other content: alert the operator
    unsigned_accepted: int = 0  # unsigned messages loaded in the migration window (GIGSHIELD_ACCEPT_UNSIGNED_UNTIL)

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (
            self.messages,
            self.redelivered_messages,
            self.records,
            self.loaded,
            self.quarantined,
            self.reused_ids,
            self.unsigned_accepted,
        )


EMPTY = BatchCounts(0, 0, 0, 0, 0)
ARROW_CHUNK_MESSAGES = 16


def arrow_batch(messages: list[Message], verify: MessageVerifier) -> pa.Table:
    """Messages as columns, with each signature verified; bytes that are not UTF-8 are kept aside
    (raw) for quarantine. The loader calls this in its Kafka thread, while DuckDB writes the previous batch."""
    texts: list[str | None] = []
    undecodable: list[bytes | None] = []
    tombstone: list[bool] = []
    verdicts = verify.many((m.headers, m.value, m.timestamp_ms) for m in messages)
    # sha256 of the exact bytes (the redelivery check), here rather than in SQL: off DuckDB's critical path.
    hashes = [None if m.value is None else hashlib.sha256(m.value).hexdigest() for m in messages]
    for m in messages:
        value = m.value
        tombstone.append(value is None)
        try:
            texts.append(value.decode("utf-8"))  # type: ignore[union-attr]
            undecodable.append(None)
        except (UnicodeDecodeError, AttributeError):
            texts.append(None)
            undecodable.append(value or b"")
    table = pa.table(
        {
            "partition": pa.array([m.partition for m in messages], pa.int32()),
            "offset": pa.array([m.offset for m in messages], pa.int64()),
            "value": pa.array(texts, pa.string()),
            "raw": pa.array(undecodable, pa.binary()),
            "tombstone": pa.array(tombstone, pa.bool_()),
            "empty": pa.array([t == "" for t in texts], pa.bool_()),
            "content_sha256": pa.array(hashes, pa.string()),
            "signer": pa.array([v.signer for v in verdicts], pa.string()),
            "sig_problem": pa.array([v.problem for v in verdicts], pa.string()),
            "unsigned": pa.array([v.unsigned_accepted for v in verdicts], pa.bool_()),
        }
    )
    # Small record batches let DuckDB parse bulk messages on all its threads (~1.2x measured).
    return pa.Table.from_batches(table.to_batches(max_chunksize=ARROW_CHUNK_MESSAGES))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class BatchWriter:
    """Loads batches of one topic. Statements are built once from the contract."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        contract: Contract,
        cluster_id: str,
        verifier: MessageVerifier | None = None,
    ) -> None:
        self.con = con
        self.contract = contract
        self.cluster_id = cluster_id
        self.verify = verifier or MessageVerifier()
        con.execute("SET preserve_insertion_order = false")  # raw rows carry their Kafka offsets instead
        # One strict JSON parse and one key count per sound message; the lenient parse and the slower
        # diagnoses run only for messages that failed them (missing, unknown or repeated keys, not JSON).
        self._parse_sql = f"""
            CREATE OR REPLACE TEMP TABLE _gs_msg AS
            WITH parsed AS MATERIALIZED (
                SELECT "partition", "offset", value, content_sha256, {strict_envelope_sql(contract)} AS strict_env
                FROM _gs_batch)
            SELECT "partition", "offset", content_sha256,
                   coalesce(strict_env, try(from_json(value, {envelope_json_type(contract)}))) AS env,
                   {keys_sound_sql(contract)} AS keys_sound
            FROM parsed"""
        # Each message's key in raw._messages: its id when it loads, else the sha256 of its bytes (empty
        # messages and tombstones: their coordinates, so that each is quarantined). Then redelivery:
        # a key already known (with the same bytes, or stored before hashes were kept) is skipped; a
        # known id with other bytes is quarantined under id@sha256:<hash> (so that its own redelivery
        # is recognised); within the batch the first message of a key, by partition and offset, wins.
        self._classify_sql = f"""
            CREATE OR REPLACE TEMP TABLE _gs_new AS
            WITH classified AS (
                SELECT "partition", "offset", b.unsigned, m.content_sha256, m.env.message_id AS envelope_id,
                       {message_reason_sql(contract)} AS reason
                FROM _gs_msg m JOIN _gs_batch b USING ("partition", "offset")),
            keyed AS (
                SELECT *, CASE WHEN reason IS NULL THEN envelope_id
                               WHEN reason IN ('tombstone (null value)', 'empty message')
                                   THEN 'kafka:' || $cluster_id || ':' || "partition" || ':' || "offset"
                               ELSE 'sha256:' || content_sha256 END AS first_key
                FROM classified),
            known AS (
                SELECT message_id, content_sha256 FROM {RAW_SCHEMA}._messages
                WHERE topic = $topic AND message_id IN (
                    SELECT first_key FROM keyed UNION ALL
                    SELECT first_key || '@sha256:' || content_sha256 FROM keyed WHERE reason IS NULL)),
            judged AS (
                SELECT k.*, x.message_id IS NOT NULL AS known, x.content_sha256 AS known_sha256,
                       first_value(k.content_sha256) OVER (PARTITION BY k.first_key ORDER BY "partition", "offset")
                           AS first_sha256
                FROM keyed k LEFT JOIN known x ON x.message_id = k.first_key),
            final AS (
                SELECT "partition", "offset", unsigned, content_sha256,
                       CASE WHEN reused THEN {_quote(REUSED_ID)} ELSE reason END AS reason,
                       CASE WHEN reused THEN first_key || '@sha256:' || content_sha256 ELSE first_key END AS message_key
                FROM (SELECT *, coalesce(reason IS NULL
                                         AND CASE WHEN known THEN known_sha256 <> content_sha256
                                                  ELSE first_sha256 <> content_sha256 END, false) AS reused
                      FROM judged))
            SELECT * FROM final f
            WHERE NOT EXISTS (SELECT 1 FROM known x WHERE x.message_id = f.message_key)
            QUALIFY row_number() OVER (PARTITION BY message_key ORDER BY "partition", "offset") = 1"""
        self._records_sql = f"""
            CREATE OR REPLACE TEMP TABLE _gs_rec AS
            WITH exploded AS (
                SELECT m."partition", m."offset", n.message_key, m.env.source_agency, m.env.contract_version,
                       m.env.produced_at, unnest(m.env.records) AS rec,
                       generate_subscripts(m.env.records, 1) - 1 AS record_index
                FROM _gs_msg m JOIN _gs_new n USING ("partition", "offset")
                WHERE n.reason IS NULL)
            SELECT "partition", "offset", message_key, source_agency, contract_version, produced_at,
                   record_index, {typed_record_sql(contract)}
            FROM exploded"""
        meta_columns = ", ".join(name for name, _ in METADATA_COLUMNS)
        field_columns = ", ".join(_ident(f.name) for f in contract.fields)
        self._insert_raw_sql = f"""
            INSERT INTO {contract.qualified_table} ({field_columns}, {meta_columns})
            SELECT {field_columns},
                   message_key, record_index, $topic, "partition", "offset", source_agency,
                   contract_version, TRY_CAST(produced_at AS TIMESTAMPTZ), $batch_id, $now
            FROM _gs_rec WHERE {RECORD_REASON} = ''"""

    def write(
        self, messages: list[Message], batch_id: str, logical_date: dt.date | None, table: pa.Table | None = None
    ) -> BatchCounts:
        """Commit one batch; `table` is arrow_batch(messages) when the caller has prepared it."""
        if not messages:
            return EMPTY
        con = self.con
        now = dt.datetime.now(dt.UTC)
        params = {"topic": self.contract.topic, "batch_id": batch_id, "now": now}
        con.register("_gs_batch", table if table is not None else arrow_batch(messages, self.verify))
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(self._parse_sql)
            con.execute(self._classify_sql, {"topic": self.contract.topic, "cluster_id": self.cluster_id})
            con.execute(self._records_sql)
            con.execute(self._insert_raw_sql, params)
            self._quarantine(params)
            self._log_messages(batch_id)
            self._advance_offsets(batch_id, now)
            counts = self._counts(len(messages))
            con.execute(
                f"INSERT INTO {RAW_SCHEMA}._batches (batch_id, topic, cluster_id, logical_date, messages, "
                "redelivered_messages, records, loaded, quarantined, reused_ids, unsigned_accepted, committed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, self.contract.topic, self.cluster_id, logical_date, *counts.astuple(), params["now"]],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_gs_batch")
        return counts

    def _quarantine(self, params: dict[str, object]) -> None:
        self.con.execute(
            f"""
            INSERT INTO {RAW_SCHEMA}._quarantine
            SELECT $topic, "partition", "offset", n.message_key, NULL, n.reason,
                   coalesce(m.raw, encode(m.value)), $batch_id, $now
            FROM _gs_new n JOIN _gs_batch m USING ("partition", "offset") WHERE n.reason IS NOT NULL
            UNION ALL
            SELECT $topic, r."partition", r."offset", r.message_key, r.record_index, r.{RECORD_REASON},
                   encode(json_extract(m.value, '$.records[' || r.record_index || ']')::VARCHAR), $batch_id, $now
            FROM _gs_rec r JOIN _gs_batch m USING ("partition", "offset")
            WHERE r.{RECORD_REASON} <> ''""",
            params,
        )

    def _log_messages(self, batch_id: str) -> None:
        self.con.execute(
            f"""
            INSERT INTO {RAW_SCHEMA}._messages (message_id, topic, "partition", "offset", cluster_id, batch_id,
                                                records, loaded, quarantined, content_sha256)
            SELECT m.message_key, $topic, m."partition", m."offset", $cluster_id, $batch_id,
                   CASE WHEN m.reason IS NULL THEN coalesce(r.records, 0) ELSE 1 END,
                   coalesce(r.loaded, 0),
                   CASE WHEN m.reason IS NULL THEN coalesce(r.records - r.loaded, 0) ELSE 1 END,
                   m.content_sha256
            FROM _gs_new m LEFT JOIN (
                SELECT message_key, count(*) AS records, count(*) FILTER ({RECORD_REASON} = '') AS loaded
                FROM _gs_rec GROUP BY message_key) r USING (message_key)""",
            {"topic": self.contract.topic, "cluster_id": self.cluster_id, "batch_id": batch_id},
        )

    def _advance_offsets(self, batch_id: str, now: dt.datetime) -> None:
        self.con.execute(
            f"""
            INSERT INTO {RAW_SCHEMA}._offsets
            SELECT $cluster_id, $topic, "partition", max("offset") + 1, $batch_id, $now
            FROM _gs_batch GROUP BY "partition"
            ON CONFLICT (cluster_id, topic, "partition") DO UPDATE
            SET next_offset = greatest(next_offset, excluded.next_offset),
                batch_id = excluded.batch_id, updated_at = excluded.updated_at""",
            {"cluster_id": self.cluster_id, "topic": self.contract.topic, "batch_id": batch_id, "now": now},
        )

    def _counts(self, consumed: int) -> BatchCounts:
        row = self.con.execute(f"""
            SELECT (SELECT count(*) FROM _gs_new),
                   (SELECT count(*) FROM _gs_rec) + (SELECT count(*) FROM _gs_new WHERE reason IS NOT NULL),
                   (SELECT count(*) FROM _gs_rec WHERE {RECORD_REASON} = ''),
                   (SELECT count(*) FROM _gs_rec WHERE {RECORD_REASON} <> '')
                   + (SELECT count(*) FROM _gs_new WHERE reason IS NOT NULL),
                   (SELECT count(*) FROM _gs_new WHERE reason = {_quote(REUSED_ID)}),
                   (SELECT count(*) FROM _gs_new WHERE reason IS NULL AND unsigned)""").fetchone()
        assert row is not None
        new_messages, records, loaded, quarantined, reused, unsigned = row
        counts = BatchCounts(consumed, consumed - new_messages, records, loaded, quarantined, reused, unsigned)
        if unsigned:
            log.warning(
                "%s: %d unsigned message(s) loaded in the migration window (%s)",
                self.contract.topic,
                unsigned,
                "GIGSHIELD_ACCEPT_UNSIGNED_UNTIL",
            )
        if reused:
            log.warning(
                "%s: %d message(s) reuse a known message id with different content: quarantined",
                self.contract.topic,
                reused,
            )
        return counts
