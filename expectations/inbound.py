"""Inbound validation: each feed's newly loaded batches meet their contract before staging sees them.

The loader has already parsed every record against the contract's structure. Here GX checks
what structure cannot: check digits, reference data, cross-field and cross-record rules, and
the night's data as a whole. In one DuckDB transaction:

1. records failing a record-level expectation move from the raw table to raw._quarantine with
   the failed expectations' names (batch and message counts are corrected: consumed = loaded +
   quarantined still holds);
2. the night's remaining rows are checked against the batch-level suite; a failure marks the
   night's batches `held` (kept in raw, invisible to staging) and the caller raises, so the
   task fails and the operator is alerted. Passing releases them (`released`).

Rerunning for the same night re-evaluates the same rows and reaches the same verdict.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import uuid
from dataclasses import dataclass, field
from functools import cache

import duckdb
import pandas as pd
from great_expectations.data_context import AbstractDataContext

from expectations.domain import registries
from expectations.gx_project import RECORD_RESULT_FORMAT, failed_expectations, validate_frame
from expectations.suites import MIN_ROWS_PARAMETER, FeedSuites, expectation_label, feed_suites
from ingestion.contracts import RAW_SCHEMA, Contract

ROW_ID = "_row"  # the raw table's rowid, index of the validated frame
VOLUME_HISTORY_NIGHTS = 7  # median of the last week's nights is the volume baseline
VOLUME_MIN_HISTORY = 3  # fewer nights than this: no baseline yet, only the contract's rowCount applies


class InboundValidationFailed(RuntimeError):
    """A feed's night failed a batch-level expectation: its batches are held, not lost."""


@dataclass
class InboundResult:
    topic: str
    logical_date: dt.date | None
    validation_id: str
    records_validated: int = 0
    quarantined: int = 0
    night_rows: int = 0
    status: str = "released"
    failed_batch_expectations: list[str] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def raise_if_held(self) -> None:
        if self.status == "held":
            raise InboundValidationFailed(
                f"{self.topic} night {self.logical_date}: batch-level expectations failed "
                f"({'; '.join(self.failed_batch_expectations)}); its batches are held in raw, "
                f"inspect with `python -m expectations.holds list`, accept with "
                f"`python -m expectations.holds accept {self.topic} {self.logical_date} --reason ...`")


@cache
def _suites(contract: Contract) -> FeedSuites:
    return feed_suites(contract)


def _fields(contract: Contract) -> str:
    return ", ".join(f'"{f.name}"' for f in contract.fields)


def _frame(con: duckdb.DuckDBPyConnection, contract: Contract, where: str, params: list[object]) -> pd.DataFrame:
    frame = con.execute(
        f"SELECT rowid AS {ROW_ID}, {_fields(contract)} FROM {contract.qualified_table} WHERE {where}", params).df()
    # Unnamed: GX reports unexpected rows of an unnamed index vectorised, of a named one row by row.
    return frame.set_index(ROW_ID).rename_axis(None)


def _registry_keys(con: duckdb.DuckDBPyConnection, contract: Contract, contracts: dict[str, Contract]) -> dict[str, frozenset[str]]:
    keys: dict[str, frozenset[str]] = {}
    for ref in {f.references for f in contract.fields if f.references}:
        topic, column = ref.rsplit(".", 1)
        target = contracts[topic]
        rows = con.execute(f'SELECT DISTINCT "{column}" FROM {target.qualified_table}').fetchall()
        keys[ref] = frozenset(r[0] for r in rows)
    return keys


def _min_rows(con: duckdb.DuckDBPyConnection, contract: Contract, logical_date: dt.date | None) -> int:
    """The fewest rows the night may have.

    rowCount is a rule on the feed as a whole (an event feed may be quiet for a night): the
    night must bring what the released earlier nights lack. minVolumeRatio is a rule on the
    night: at least that share of the median of recent nights."""
    released_before = con.execute(
        f"""SELECT coalesce(sum(loaded), 0) FROM {RAW_SCHEMA}._batches WHERE topic = ?
            AND status IN ('released', 'accepted') AND logical_date IS DISTINCT FROM ?""",
        [contract.topic, logical_date]).fetchone()[0]
    floor = max(0, contract.min_rows - released_before)
    if contract.min_volume_ratio is None or logical_date is None:
        return floor
    history = [r[0] for r in con.execute(
        f"""SELECT sum(loaded) FROM {RAW_SCHEMA}._batches
            WHERE topic = ? AND logical_date < ? GROUP BY logical_date
            ORDER BY logical_date DESC LIMIT {VOLUME_HISTORY_NIGHTS}""",
        [contract.topic, logical_date]).fetchall()]
    if len(history) < VOLUME_MIN_HISTORY:
        return floor
    return max(floor, math.ceil(contract.min_volume_ratio * statistics.median(history)))


def _operator_accepted(con: duckdb.DuckDBPyConnection, contract: Contract, logical_date: dt.date | None) -> bool:
    return con.execute(f"SELECT count(*) > 0 FROM {RAW_SCHEMA}._batches WHERE topic = ? AND status = 'accepted' "
                       "AND logical_date IS NOT DISTINCT FROM ?", [contract.topic, logical_date]).fetchone()[0]


def _record_failures(context: AbstractDataContext, contract: Contract, frame: pd.DataFrame,
                     pending_rows: pd.Index, run_name: str) -> dict[int, list[str]]:
    """Row id -> failed record-level expectations, for the pending rows only."""
    result = validate_frame(context, _suites(contract).records, frame, run_name=run_name,
                            result_format=RECORD_RESULT_FORMAT)
    failures: dict[int, list[str]] = {}
    pending = set(pending_rows)
    for r in result.results:
        if r.success:
            continue
        if r.exception_info.get("raised_exception"):
            raise RuntimeError(f"{contract.topic}: expectation {r.expectation_config.type} raised: "
                               f"{r.exception_info.get('exception_message')}")
        label = expectation_label(r.expectation_config)
        for row in r.result.get("unexpected_index_list") or []:
            if row in pending:
                failures.setdefault(int(row), []).append(label)
    return failures


def _quarantine(con: duckdb.DuckDBPyConnection, contract: Contract, failures: dict[int, list[str]],
                now: dt.datetime) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _gs_failed (row_id BIGINT, reason VARCHAR)")
    con.executemany("INSERT INTO _gs_failed VALUES (?, ?)",
                    [(row, "expectations failed: " + "; ".join(labels)) for row, labels in failures.items()])
    struct = ", ".join(f"'{f.name}': \"{f.name}\"" for f in contract.fields)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _gs_failed_rows AS
        SELECT t._topic, t._partition, t._offset, t._message_id, t._record_index, f.reason,
               encode(to_json({{{struct}}})::VARCHAR) AS payload, t._batch_id
        FROM {contract.qualified_table} t JOIN _gs_failed f ON t.rowid = f.row_id""")
    con.execute(f"""INSERT INTO {RAW_SCHEMA}._quarantine
        SELECT _topic, _partition, _offset, _message_id, _record_index, reason, payload, _batch_id, ?
        FROM _gs_failed_rows""", [now])
    con.execute(f"DELETE FROM {contract.qualified_table} WHERE rowid IN (SELECT row_id FROM _gs_failed)")
    for table, key, column in (("_batches", "batch_id", "_batch_id"), ("_messages", "message_id", "_message_id")):
        con.execute(f"""
            UPDATE {RAW_SCHEMA}.{table} AS b SET loaded = b.loaded - q.n, quarantined = b.quarantined + q.n
            FROM (SELECT {column} AS k, count(*) AS n FROM _gs_failed_rows GROUP BY 1) q
            WHERE b.{key} = q.k""")


def validate_feed(con: duckdb.DuckDBPyConnection, context: AbstractDataContext, contract: Contract,
                  contracts: dict[str, Contract], logical_date: dt.date | None) -> InboundResult:
    """Validate the feed's pending batches and settle the night's verdict (see module doc)."""
    result = InboundResult(contract.topic, logical_date, uuid.uuid4().hex)
    suites = _suites(contract)
    run_name = f"{contract.topic} {logical_date or 'undated'}"
    now = dt.datetime.now(dt.timezone.utc)
    batches = f"SELECT batch_id FROM {RAW_SCHEMA}._batches WHERE topic = $1 AND status = 'pending'"
    # The night: its batches not yet judged, plus those judged before (a rerun reaches the same
    # verdict); batches an operator accepted are settled and not judged again.
    night = (f"SELECT batch_id FROM {RAW_SCHEMA}._batches WHERE topic = $1 AND (status = 'pending' "
             f"OR (logical_date IS NOT DISTINCT FROM $2 AND status <> 'accepted'))")
    con.execute("BEGIN TRANSACTION")
    try:
        with registries(_registry_keys(con, contract, contracts)):
            pending = _frame(con, contract, f"_batch_id IN ({batches})", [contract.topic])
            result.records_validated = len(pending)
            if len(pending):
                frame = pending
                if suites.context_key:  # earlier records of the same cases, validated on earlier nights
                    key = suites.context_key
                    earlier = _frame(con, contract, f'_batch_id NOT IN ({batches}) AND "{key}" IN '
                                     f'(SELECT "{key}" FROM {contract.qualified_table} WHERE _batch_id IN ({batches}))',
                                     [contract.topic])
                    frame = pd.concat([pending, earlier])
                failures = _record_failures(context, contract, frame, pending.index, run_name)
                if failures:
                    _quarantine(con, contract, failures, now)
                    result.quarantined = len(failures)
                    for labels in failures.values():
                        for label in labels:
                            result.quarantine_reasons[label] = result.quarantine_reasons.get(label, 0) + 1
            night_frame = _frame(con, contract, f"_batch_id IN ({night})", [contract.topic, logical_date])
            result.night_rows = len(night_frame)
            if not len(night_frame) and _operator_accepted(con, contract, logical_date):
                result.status = "accepted"  # nothing new since the operator accepted the night
            else:
                batch_result = validate_frame(
                    context, suites.batch, night_frame, run_name=run_name,
                    parameters={MIN_ROWS_PARAMETER: _min_rows(con, contract, logical_date)})
                result.failed_batch_expectations = failed_expectations(batch_result)
                result.status = "released" if batch_result.success else "held"
                con.execute(f"""UPDATE {RAW_SCHEMA}._batches SET status = $3, validation_id = $4
                                WHERE batch_id IN ({night})""",
                            [contract.topic, logical_date, result.status, result.validation_id])
        con.execute(f"INSERT INTO {RAW_SCHEMA}._validations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [result.validation_id, contract.topic, logical_date, result.records_validated,
                     result.quarantined, result.status, result.failed_batch_expectations, now])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result
