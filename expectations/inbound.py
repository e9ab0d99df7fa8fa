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

No value stops a night. A record validation cannot evaluate is quarantined with the reason
`cannot be validated: <column>: <why>`, and the rest is validated as usual:
- values the DataFrame cannot hold (dates and timestamps outside pandas' datetime64[ns] range
  1677-09-22..2262-04-11 or infinite, decimals beyond float64's exact digits) are picked out in
  SQL before the frame is read; anything else that fails the conversion is found by reading
  the rows in halves down to the row and column;
- an expectation that raises (GX reports it in exception_info) is run again, alone and unstored,
  on halves of the frame (whole cases for cross-record rules) until the rows it raises on are
  isolated; the others get its verdict as usual. After ISOLATION_PROBES runs the rows still not
  isolated are quarantined with the expectation's name.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import statistics
import uuid
from dataclasses import dataclass, field
from functools import cache

import duckdb
import numpy as np
import pandas as pd
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import ExpectationValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from core.contracts import RAW_SCHEMA, Contract
from core.warehouse import one_row
from expectations.domain import registries
from expectations.gx_project import (
    RECORD_RESULT_FORMAT,
    _naive_utc,
    failed_expectations,
    probe_frame,
    raised,
    validate_frame,
)
from expectations.sql_suite import run_suite, sql_translatable
from expectations.suites import MIN_ROWS_PARAMETER, FeedSuites, expectation_label, feed_suites, result_config
from ingestion.raw_tables import STAGED_BATCH_STATUSES, BatchStatus, sql_strings

ROW_ID = "_row"  # the raw table's rowid, index of the validated frame
VOLUME_HISTORY_NIGHTS = 7  # median of the last week's nights is the volume baseline
VOLUME_MIN_HISTORY = 3  # fewer nights than this: no baseline yet, only the contract's rowCount applies
CANNOT_VALIDATE = "cannot be validated"
# pandas' datetime64[ns] range (1677-09-21 00:12:43 .. 2262-04-11 23:47:16), in whole days.
FIRST_DAY, LAST_DAY = "1677-09-22", "2262-04-11"
FLOAT_EXACT_DIGITS = 15  # a decimal with more significant digits is not exact as float64
ISOLATION_PROBES = 200  # unstored GX runs per raising expectation to isolate the rows it raises on
_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC)\((\d+)\s*,\s*(\d+)\)")

log = logging.getLogger(__name__)


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
    status: str = BatchStatus.RELEASED.value
    failed_batch_expectations: list[str] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)

    def raise_if_held(self) -> None:
        if self.status == BatchStatus.HELD:
            raise InboundValidationFailed(
                f"{self.topic} night {self.logical_date}: batch-level expectations failed "
                f"({'; '.join(self.failed_batch_expectations)}); its batches are held in raw, "
                f"inspect with `python -m expectations.holds list`, accept with "
                f"`python -m expectations.holds accept {self.topic} {self.logical_date} --reason ...`"
            )


@cache
def _suites(contract: Contract) -> FeedSuites:
    return feed_suites(contract)


def _fields(contract: Contract) -> str:
    return ", ".join(f'"{f.name}"' for f in contract.fields)


def _guards(contract: Contract) -> list[tuple[str, str]]:
    """(column, SQL expression: why its value cannot go into the validated frame, else NULL)."""
    guards = []
    for f in contract.fields:
        column, kind = f'"{f.name}"', f.physical_type.upper()
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            literal = "DATE" if kind == "DATE" else "TIMESTAMPTZ"
            lo, hi = (
                (f"{literal} '{FIRST_DAY}'", f"{literal} '{LAST_DAY}'")
                if literal == "DATE"
                else (f"{literal} '{FIRST_DAY} 00:00:00+00'", f"{literal} '{LAST_DAY} 00:00:00+00'")
            )
            noun = "date" if kind == "DATE" else "timestamp"
            guards.append(
                (
                    f.name,
                    f"CASE WHEN NOT isfinite({column}) THEN 'not a finite {noun}' "
                    f"WHEN {column} < {lo} OR {column} > {hi} "
                    f"THEN '{noun} outside {FIRST_DAY}..{LAST_DAY}' END",
                )
            )
        elif kind in ("DOUBLE", "FLOAT", "REAL"):
            guards.append((f.name, f"CASE WHEN NOT isfinite({column}) THEN 'not a finite number' END"))
        elif (decimal := _DECIMAL.fullmatch(kind)) and int(decimal[1]) > FLOAT_EXACT_DIGITS:
            digits = FLOAT_EXACT_DIGITS - int(decimal[2])
            guards.append(
                (
                    f.name,
                    f"CASE WHEN abs({column}) >= 1e{digits} "
                    f"THEN 'decimal of more than {FLOAT_EXACT_DIGITS} digits' END",
                )
            )
    return guards


def _why_not(contract: Contract) -> str:
    """SQL: why a row cannot be validated ('<column>: <why>; ...'), NULL if it can."""
    guards = _guards(contract)
    if not guards:
        return "NULL::VARCHAR"
    return "NULLIF(concat_ws('; ', " + ", ".join(f"'{c}: ' || ({e})" for c, e in guards) + "), '')"


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> pd.DataFrame:
    frame = con.execute(sql, params).df()
    # Unnamed: GX reports unexpected rows of an unnamed index vectorised, of a named one row by row.
    return _naive_utc(frame.set_index(ROW_ID).rename_axis(None))


def _unreadable(con: duckdb.DuckDBPyConnection, contract: Contract, row: int) -> str:
    """'<column>: <error>' for a row whose conversion to a frame fails."""
    for f in contract.fields:
        try:
            _read(con, f'SELECT rowid AS {ROW_ID}, "{f.name}" FROM {contract.qualified_table} WHERE rowid = ?', [row])
        except Exception as exc:  # noqa: BLE001 (whatever the conversion raises is the reason)
            return f"{f.name}: {type(exc).__name__}: {str(exc)[:200]}"
    return "row: cannot be read into a frame"


def _frame(
    con: duckdb.DuckDBPyConnection, contract: Contract, where: str, params: list[object]
) -> tuple[pd.DataFrame, dict[int, str]]:
    """The rows as a frame indexed by row id, and the rows that cannot be in it: row id -> why."""
    why = _why_not(contract)
    table = contract.qualified_table
    unfit = {
        int(row): reason
        for row, reason in con.execute(
            f"SELECT rowid, {why} FROM {table} WHERE ({where}) AND {why} IS NOT NULL", params
        ).fetchall()
    }
    select = f"SELECT rowid AS {ROW_ID}, {_fields(contract)} FROM {table} WHERE ({where}) AND {why} IS NULL"
    try:
        return _read(con, select, params), unfit
    except Exception:  # a value the guards do not know: find its rows by halves
        log.warning("%s: rows that cannot be read into a frame, isolating them", contract.topic, exc_info=True)
    rows = [
        r
        for (r,) in con.execute(
            f"SELECT rowid FROM {table} WHERE ({where}) AND {why} IS NULL ORDER BY rowid", params
        ).fetchall()
    ]
    frames: list[pd.DataFrame] = []

    def read(ids: list[int]) -> None:
        try:
            frames.append(_read(con, f"{select} AND rowid BETWEEN {ids[0]} AND {ids[-1]}", params))
        except Exception:  # noqa: BLE001
            if len(ids) == 1:
                unfit[ids[0]] = _unreadable(con, contract, ids[0])
            else:
                read(ids[: len(ids) // 2])
                read(ids[len(ids) // 2 :])

    if rows:
        read(rows)
    frame = pd.concat(frames) if frames else _read(con, f"{select} AND false", params)
    return frame, unfit


def _registry_keys(
    con: duckdb.DuckDBPyConnection, contract: Contract, contracts: dict[str, Contract]
) -> dict[str, frozenset[str]]:
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
    released_before = one_row(
        con,
        f"""SELECT coalesce(sum(loaded), 0) FROM {RAW_SCHEMA}._batches WHERE topic = ?
            AND status IN {sql_strings(STAGED_BATCH_STATUSES)} AND logical_date IS DISTINCT FROM ?""",
        [contract.topic, logical_date],
    )[0]
    floor = max(0, contract.min_rows - released_before)
    if contract.min_volume_ratio is None or logical_date is None:
        return floor
    history = [
        r[0]
        for r in con.execute(
            f"""SELECT sum(loaded) FROM {RAW_SCHEMA}._batches
            WHERE topic = ? AND logical_date < ? GROUP BY logical_date
            ORDER BY logical_date DESC LIMIT {VOLUME_HISTORY_NIGHTS}""",
            [contract.topic, logical_date],
        ).fetchall()
    ]
    if len(history) < VOLUME_MIN_HISTORY:
        return floor
    return max(floor, math.ceil(contract.min_volume_ratio * statistics.median(history)))


def _operator_accepted(con: duckdb.DuckDBPyConnection, contract: Contract, logical_date: dt.date | None) -> bool:
    return one_row(
        con,
        f"SELECT count(*) > 0 FROM {RAW_SCHEMA}._batches WHERE topic = ? AND status = '{BatchStatus.ACCEPTED}' "
        "AND logical_date IS NOT DISTINCT FROM ?",
        [contract.topic, logical_date],
    )[0]


@dataclass
class RecordVerdicts:
    """Row id -> failed record-level expectations, and row id -> why it cannot be validated."""

    failed: dict[int, list[str]] = field(default_factory=dict)
    unvalidated: dict[int, list[str]] = field(default_factory=dict)

    def rows(self) -> set[int]:
        return set(self.failed) | set(self.unvalidated)

    def reason(self, row: int) -> str:
        parts = []
        if row in self.unvalidated:
            parts.append(f"{CANNOT_VALIDATE}: " + "; ".join(self.unvalidated[row]))
        if row in self.failed:
            parts.append("expectations failed: " + "; ".join(self.failed[row]))
        return "; ".join(parts)

    def labels(self, row: int) -> list[str]:
        """What quarantine_reasons counts: expectation labels and `cannot be validated: <column>`."""
        return [
            f"{CANNOT_VALIDATE}: {why.split(':', 1)[0]}" for why in self.unvalidated.get(row, [])
        ] + self.failed.get(row, [])


def _units(frame: pd.DataFrame, context_key: str | None) -> list[np.ndarray]:
    """Parts a frame can be split into without changing a record's verdict: single rows, or the
    whole case (context_key) when a rule compares a case's records."""
    if context_key is None or context_key not in frame.columns:
        return [np.array([i]) for i in frame.index]
    keyed = frame[context_key]
    units = [np.asarray(ix) for ix in frame.groupby(keyed, dropna=True, sort=False).groups.values()]
    return units + [np.array([i]) for i in frame.index[keyed.isna()]]


def _isolate(
    context: AbstractDataContext,
    contract: Contract,
    config: ExpectationConfiguration,
    frame: pd.DataFrame,
    pending: set,
    verdicts: RecordVerdicts,
    known_to_raise: str | None,
) -> None:
    """Run one expectation alone on parts of the frame: the rows it fails get its label, the rows of
    the smallest parts it still raises on cannot be validated."""
    label = expectation_label(config)
    columns = label[label.index("(") + 1 : -1] if "(" in label else "table"
    alone = ExpectationSuite(name=f"{contract.topic}.records.isolate", expectations=[config])
    budget = [ISOLATION_PROBES]

    def unvalidated(rows: np.ndarray, error: str, isolated: bool) -> None:
        note = "" if isolated else f" (not isolated further, among {len(rows)} rows)"
        for row in rows:
            if row in pending:
                verdicts.unvalidated.setdefault(int(row), []).append(f"{columns}: {label} raised: {error}{note}")

    def probe(units: list[np.ndarray], error: str | None) -> None:
        rows = np.concatenate(units)
        if error is None:
            budget[0] -= 1
            try:
                (r,) = probe_frame(context, alone, frame.loc[rows], result_format=RECORD_RESULT_FORMAT).results
                error = raised(r)
            except Exception as exc:  # noqa: BLE001
                r, error = None, f"{type(exc).__name__}: {exc}"
            if error is None:
                assert r is not None  # the probe ran
                if not r.success:
                    for row in r.result.get("unexpected_index_list") or []:
                        if row in pending:
                            verdicts.failed.setdefault(int(row), []).append(label)
                return
        if len(units) == 1 or budget[0] <= 0:
            unvalidated(rows, error[:200], isolated=len(units) == 1)
            return
        probe(units[: len(units) // 2], None)
        probe(units[len(units) // 2 :], None)

    probe(_units(frame, _suites(contract).context_key), known_to_raise)


def _record_failures(
    context: AbstractDataContext, contract: Contract, frame: pd.DataFrame, pending_rows: pd.Index, run_name: str
) -> RecordVerdicts:
    """Verdicts of the record-level suite, for the pending rows only."""
    suite = _suites(contract).records
    pending = set(pending_rows)
    verdicts = RecordVerdicts()
    outcomes: list[tuple[ExpectationConfiguration, ExpectationValidationResult | None]]
    try:
        outcomes = [
            (result_config(r), r)
            for r in validate_frame(
                context, suite, frame, run_name=run_name, result_format=RECORD_RESULT_FORMAT
            ).results
        ]
    except Exception:  # the suite as a whole did not run: each expectation alone
        log.warning(
            "%s: the records suite raised, validating expectation by expectation", contract.topic, exc_info=True
        )
        outcomes = [(e.configuration, None) for e in suite.expectations]
    for config, r in outcomes:
        if r is None:
            _isolate(context, contract, config, frame, pending, verdicts, None)
        elif error := raised(r):
            log.warning(
                "%s: %s raised (%s); isolating the records it raises on",
                contract.topic,
                expectation_label(config),
                error[:200],
            )
            _isolate(context, contract, config, frame, pending, verdicts, error)
        elif not r.success:
            label = expectation_label(config)
            for row in r.result.get("unexpected_index_list") or []:
                if row in pending:
                    verdicts.failed.setdefault(int(row), []).append(label)
    return verdicts


def _quarantine(con: duckdb.DuckDBPyConnection, contract: Contract, verdicts: RecordVerdicts, now: dt.datetime) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _gs_failed (row_id BIGINT, reason VARCHAR)")
    con.executemany(
        "INSERT INTO _gs_failed VALUES (?, ?)", [(row, verdicts.reason(row)) for row in sorted(verdicts.rows())]
    )
    struct = ", ".join(f"'{f.name}': \"{f.name}\"" for f in contract.fields)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _gs_failed_rows AS
        SELECT t._topic, t._partition, t._offset, t._message_id, t._record_index, f.reason,
               encode(to_json({{{struct}}})::VARCHAR) AS payload, t._batch_id
        FROM {contract.qualified_table} t JOIN _gs_failed f ON t.rowid = f.row_id""")
    con.execute(
        f"""INSERT INTO {RAW_SCHEMA}._quarantine
        SELECT _topic, _partition, _offset, _message_id, _record_index, reason, payload, _batch_id, ?
        FROM _gs_failed_rows""",
        [now],
    )
    con.execute(f"DELETE FROM {contract.qualified_table} WHERE rowid IN (SELECT row_id FROM _gs_failed)")
    # raw._messages is keyed by (topic, message_id): a message id is scoped to its topic (ingestion.batch_load).
    for table, key, column in (("_batches", "batch_id", "_batch_id"), ("_messages", "message_id", "_message_id")):
        topic = "AND b.topic = q.t" if table == "_messages" else ""
        con.execute(f"""
            UPDATE {RAW_SCHEMA}.{table} AS b SET loaded = b.loaded - q.n, quarantined = b.quarantined + q.n
            FROM (SELECT {column} AS k, _topic AS t, count(*) AS n FROM _gs_failed_rows GROUP BY 1, 2) q
            WHERE b.{key} = q.k {topic}""")


def _registry_relations(contract: Contract, contracts: dict[str, Contract]) -> dict[str, str]:
    """Registry name -> SQL relation of its keys (column v), for the SQL suites."""
    relations = {}
    for ref in {f.references for f in contract.fields if f.references}:
        topic, column = ref.rsplit(".", 1)
        relations[ref] = f'(SELECT DISTINCT "{column}" AS v FROM {contracts[topic].qualified_table})'
    return relations


def _inline(sql: str, params: list[object]) -> str:
    """sql with its $1, $2, ... replaced by literals: a view cannot take parameters, and the suites'
    queries read the rows through views (a temp table would copy the night first)."""
    for n in range(len(params), 0, -1):
        value = params[n - 1]
        if value is None:
            literal = "NULL"
        elif isinstance(value, dt.date):
            literal = f"DATE '{value.isoformat()}'"
        elif isinstance(value, str):
            literal = sql_strings([value])[1:-1]
        else:
            raise TypeError(f"no literal for {value!r}")
        sql = sql.replace(f"${n}", literal)
    return sql


def _unfit(con: duckdb.DuckDBPyConnection, contract: Contract, where: str, params: list[object]) -> dict[int, str]:
    """Row id -> why it cannot be validated (the guards), for the rows matching `where`."""
    why = _why_not(contract)
    return {
        int(row): reason
        for row, reason in con.execute(
            f"SELECT rowid, {why} FROM {contract.qualified_table} WHERE ({where}) AND {why} IS NOT NULL", params
        ).fetchall()
    }


def _pandas_record_verdicts(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    contracts: dict[str, Contract],
    batches: str,
    run_name: str,
) -> tuple[RecordVerdicts, dict[int, str]]:
    """The records suite run by GX on a DataFrame (a suite with an expectation sql_suite cannot
    express, or whose SQL raised): verdicts of the pending rows, and the rows a frame cannot hold."""
    with registries(_registry_keys(con, contract, contracts)):
        pending, unfit = _frame(con, contract, f"_batch_id IN ({batches})", [contract.topic])
        if not len(pending):
            return RecordVerdicts(), unfit
        frame = pending
        if key := _suites(contract).context_key:  # earlier records of the same cases, validated on earlier nights
            earlier, _ = _frame(
                con,
                contract,
                f'_batch_id NOT IN ({batches}) AND "{key}" IN '
                f'(SELECT "{key}" FROM {contract.qualified_table} WHERE _batch_id IN ({batches}))',
                [contract.topic],
            )
            frame = pd.concat([pending, earlier])
        return _record_failures(context, contract, frame, pending.index, run_name), unfit


def _sql_record_verdicts(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    contracts: dict[str, Contract],
    batches: str,
    run_name: str,
    use_sql: bool,
) -> tuple[RecordVerdicts, dict[int, str]] | None:
    """The records suite in one DuckDB pass (expectations.sql_suite), or None when it cannot run there."""
    suite, registry = _suites(contract).records, _registry_relations(contract, contracts)
    if not use_sql or not sql_translatable(suite, registry):
        return None
    unfit = _unfit(con, contract, f"_batch_id IN ({batches})", [contract.topic])
    why, table = _why_not(contract), contract.qualified_table
    rows = (
        f"SELECT rowid AS {ROW_ID}, {{pending}} AS _pending, {_fields(contract)} FROM {table} WHERE {why} IS NULL AND "
    )
    select = rows.format(pending="true") + f"_batch_id IN ({batches})"
    if key := _suites(contract).context_key:  # earlier records of the same cases, validated on earlier nights
        same_cases = f'"{key}" IN (SELECT "{key}" FROM {table} WHERE _batch_id IN ({batches}))'
        select += " UNION ALL " + rows.format(pending="false") + f"_batch_id NOT IN ({batches}) AND {same_cases}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _gs_records AS {_inline(select, [contract.topic])}")
    if not one_row(con, "SELECT count(*) FILTER (WHERE _pending) FROM _gs_records")[0]:
        return RecordVerdicts(), unfit
    try:
        run = run_suite(con, context, suite, "_gs_records", run_name=run_name, registries=registry, rows=ROW_ID)
    except duckdb.Error as exc:
        raise _SqlRaised(suite.name) from exc
    return RecordVerdicts(failed=run.failed, unvalidated=run.raised), unfit


def _batch_failures(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    contracts: dict[str, Contract],
    night: str,
    params: list[object],
    run_name: str,
    min_rows: int,
    use_sql: bool,
) -> list[str]:
    """Failed batch-level expectations of the night's rows (temp view _gs_night); [] if it passes."""
    suite, registry = _suites(contract).batch, _registry_relations(contract, contracts)
    parameters = {MIN_ROWS_PARAMETER: min_rows}
    if use_sql and sql_translatable(suite, registry):
        try:
            run = run_suite(
                con, context, suite, "_gs_night", run_name=run_name, parameters=parameters, registries=registry
            )
        except duckdb.Error as exc:
            raise _SqlRaised(suite.name) from exc
        return failed_expectations(run.result)
    with registries(_registry_keys(con, contract, contracts)):
        night_frame, _ = _frame(con, contract, f"_batch_id IN ({night})", params)
        return failed_expectations(
            validate_frame(context, suite, night_frame, run_name=run_name, parameters=parameters)
        )


class _SqlRaised(Exception):
    """A suite's SQL raised on some value; DuckDB aborts the transaction, so the night is judged
    again from the start with GX on DataFrames, which isolates the values an expectation raises on."""


def validate_feed(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    contracts: dict[str, Contract],
    logical_date: dt.date | None,
) -> InboundResult:
    """Validate the feed's pending batches and settle the night's verdict (see module doc)."""
    for use_sql in (True, False):
        con.execute("BEGIN TRANSACTION")
        try:
            result = _judge(con, context, contract, contracts, logical_date, use_sql)
            con.execute("COMMIT")
            return result
        except _SqlRaised:
            con.execute("ROLLBACK")
            log.warning("%s: a suite raised in SQL, validating with GX on DataFrames", contract.topic, exc_info=True)
        except BaseException:
            con.execute("ROLLBACK")
            raise
    raise AssertionError("unreachable: the DataFrame pass does not raise _SqlRaised")


def _judge(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    contracts: dict[str, Contract],
    logical_date: dt.date | None,
    use_sql: bool,
) -> InboundResult:
    """validate_feed's work, inside its transaction."""
    result = InboundResult(contract.topic, logical_date, uuid.uuid4().hex)
    run_name = f"{contract.topic} {logical_date or 'undated'}"
    now = dt.datetime.now(dt.UTC)
    batches = f"SELECT batch_id FROM {RAW_SCHEMA}._batches WHERE topic = $1 AND status = '{BatchStatus.PENDING}'"
    # The night: its batches not yet judged, plus those judged before (a rerun reaches the same
    # verdict); batches an operator accepted are settled and not judged again.
    night = (
        f"SELECT batch_id FROM {RAW_SCHEMA}._batches WHERE topic = $1 AND (status = '{BatchStatus.PENDING}' "
        f"OR (logical_date IS NOT DISTINCT FROM $2 AND status <> '{BatchStatus.ACCEPTED}'))"
    )
    result.records_validated = one_row(
        con, f"SELECT count(*) FROM {contract.qualified_table} WHERE _batch_id IN ({batches})", [contract.topic]
    )[0]
    found, unfit = _sql_record_verdicts(
        con, context, contract, contracts, batches, run_name, use_sql
    ) or _pandas_record_verdicts(con, context, contract, contracts, batches, run_name)
    verdicts = RecordVerdicts(unvalidated={row: [why] for row, why in unfit.items()})
    verdicts.failed.update(found.failed)
    for row, whys in found.unvalidated.items():
        verdicts.unvalidated.setdefault(row, []).extend(whys)
    if verdicts.rows():
        _quarantine(con, contract, verdicts, now)
        result.quarantined = len(verdicts.rows())
        for row in verdicts.rows():
            for label in verdicts.labels(row):
                result.quarantine_reasons[label] = result.quarantine_reasons.get(label, 0) + 1
    # Rows of batches judged before are all fit (unfit ones were quarantined then).
    night_params: list[object] = [contract.topic, logical_date]
    night_rows = f"SELECT {_fields(contract)} FROM {contract.qualified_table} WHERE _batch_id IN ({night})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _gs_night AS {_inline(night_rows, night_params)}")
    result.night_rows = one_row(con, "SELECT count(*) FROM _gs_night")[0]
    if not result.night_rows and _operator_accepted(con, contract, logical_date):
        result.status = BatchStatus.ACCEPTED.value  # nothing new since the operator accepted the night
    else:
        result.failed_batch_expectations = _batch_failures(
            con,
            context,
            contract,
            contracts,
            night,
            night_params,
            run_name,
            _min_rows(con, contract, logical_date),
            use_sql,
        )
        result.status = (BatchStatus.HELD if result.failed_batch_expectations else BatchStatus.RELEASED).value
        con.execute(
            f"""UPDATE {RAW_SCHEMA}._batches SET status = $3, validation_id = $4
                        WHERE batch_id IN ({night})""",
            [contract.topic, logical_date, result.status, result.validation_id],
        )
    con.execute("DROP VIEW IF EXISTS _gs_records; DROP VIEW IF EXISTS _gs_night")
    con.execute(
        f"INSERT INTO {RAW_SCHEMA}._validations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.validation_id,
            contract.topic,
            logical_date,
            result.records_validated,
            result.quarantined,
            result.status,
            result.failed_batch_expectations,
            now,
        ],
    )
    return result
