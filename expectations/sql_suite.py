"""A GX suite evaluated in DuckDB: one aggregate SELECT per suite, its results recorded through GX.

Reading a night into pandas and letting GX scan it once per expectation cost more than loading
it (issue 15). Here each expectation becomes a SQL condition on the relation; one SELECT counts,
for every expectation at once, what GX's pandas engine counts (elements, missing, unexpected)
and, for a record suite, lists the unexpected row ids quarantine needs. The counts become GX
ExpectationValidationResults in a suite result stored in the context like any other (as a
summary, expectations.gx_project), so Data Docs render them unchanged.

What SQL does not decide:
- the identifier checks are stdnum's (expectations.domain), run once per distinct value in
  Python and joined back; a value the check raises on makes its rows "cannot be validated";
- column types and the column set are GX's own verdict, on a zero-row frame with the
  relation's columns: a pandas dtype follows from the DuckDB column type, not from the values.

`to_sql` returns None for an expectation it cannot express; callers then validate the suite
with GX on a DataFrame as before (expectations.gx_project.validate_frame).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import pyarrow as pa
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from pandas.api.types import is_object_dtype

from expectations import domain
from expectations.gx_project import DATASOURCE, _naive_utc, probe_frame, register_suite
from expectations.suites import STAGE_ORDER, expectation_label

# GX decides these from the frame's dtypes (see module doc).
SCHEMA_TYPES = frozenset({"expect_column_values_to_be_of_type", "expect_table_columns_to_match_set"})
_IDENTIFIER_CHECKS = {
    "expect_column_values_to_be_valid_uscc": "uscc",
    "expect_column_values_to_be_valid_resident_id": "resident_id",
}
_COMMON_KWARGS = frozenset({"column", "mostly", "batch_id"})


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


@dataclass(frozen=True)
class Condition:
    """An expectation in SQL: `unexpected` is true on a row GX's pandas engine counts as unexpected;
    `missing` (column map expectations) on a row GX leaves out as null; `window` holds window
    expressions the conditions read, computed in a subquery (uniqueness, stage order)."""

    unexpected: str
    missing: str | None
    window: tuple[tuple[str, str], ...] = ()
    aggregate: bool = False  # a table-level expectation: `unexpected` is an aggregate


def _column_map(column: str, bad: str, window: tuple[tuple[str, str], ...] = ()) -> Condition:
    c = _q(column)
    return Condition(f"({c} IS NOT NULL AND coalesce(({bad}), true))", f"{c} IS NULL", window)


def to_sql(config: ExpectationConfiguration, n: int, registries: dict[str, str], relation: str) -> Condition | None:
    """The SQL of expectation number n of a suite, or None if it has none here. Identifier verdicts
    are read from temp table _gs_ids<n>, region codes from _gs_regions (run_suite writes them);
    `registries` maps a registry to a relation of its keys (column v); `relation` is the one validated
    (uniqueness reads it whole)."""
    t, kw = config.type, config.kwargs
    extra = set(kw) - _COMMON_KWARGS
    column: str = kw.get("column") or ""
    c = _q(column)
    if t == "expect_column_values_to_not_be_null" and not extra:
        return Condition(f"{c} IS NULL", None)
    if t == "expect_column_values_to_match_regex" and extra == {"regex"}:
        return _column_map(column, f"NOT regexp_matches({c}, {_literal(kw['regex'])})")
    if t == "expect_column_values_to_be_in_set" and extra == {"value_set"}:
        values = [_literal(v) for v in kw["value_set"]]
        if None in values or not values:
            return None
        return _column_map(column, f"{c} NOT IN ({', '.join(v for v in values if v)})")
    if t == "expect_column_values_to_be_between" and extra <= {"min_value", "max_value", "strict_min", "strict_max"}:
        bounds = [(kw.get("min_value"), "<=" if kw.get("strict_min") else "<")]
        bounds.append((kw.get("max_value"), ">=" if kw.get("strict_max") else ">"))
        bounds = [(v, op) for v, op in bounds if v is not None]
        if not bounds or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v, _ in bounds):
            return None
        return _column_map(column, " OR ".join(f"{c} {op} {v!r}" for v, op in bounds))
    if t == "expect_column_values_to_be_unique" and not extra:
        return _column_map(column, f"{c} IN (SELECT {c} FROM {relation} GROUP BY 1 HAVING count(*) > 1)")
    if t in _IDENTIFIER_CHECKS and not extra:
        return _column_map(column, f"{c} IN (SELECT v FROM _gs_ids{n} WHERE NOT ok)")
    if t == "expect_column_values_to_be_known_region_code" and not extra:
        return _column_map(column, f"{c} NOT IN (SELECT v FROM _gs_regions)")
    if t == "expect_column_values_to_reference_registry" and extra == {"registry"} and kw["registry"] in registries:
        keys = registries[kw["registry"]]
        return _column_map(column, f"{c} NOT IN (SELECT v FROM {keys} WHERE v IS NOT NULL)")
    if t == "expect_multicolumn_values_to_satisfy_sql_rule" and extra <= {"column_list", "violation", "ignore_row_if"}:
        if kw.get("ignore_row_if", "never") != "never":
            return None
        # A NULL condition is not a violation, as in the contract's COUNT(*) ... WHERE (domain.py).
        return Condition(f"coalesce(({kw['violation']}), false)", None)
    if t == STAGE_ORDER and extra <= {"column_list", "stage_order", "ignore_row_if"}:
        if kw.get("ignore_row_if", "never") != "never":
            return None
        group, stage, at = (_q(x) for x in kw["column_list"])
        ranks = ", ".join(f"{_literal(s)}: {i}" for i, s in enumerate(kw["stage_order"]))
        rank = f"(MAP {{{ranks}}})[{stage}]"
        # The latest time of any earlier stage of the same case (domain.MulticolumnStagesInTimeOrder).
        earlier = (
            f"max({at}) OVER (PARTITION BY {group} ORDER BY {rank} NULLS LAST "
            "RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        )
        ok_rank = f"_r{n}"
        return Condition(
            f"coalesce({group} IS NOT NULL AND {ok_rank} IS NOT NULL AND {at} < _w{n}, false)",
            None,
            ((ok_rank, rank), (f"_w{n}", f"CASE WHEN {rank} IS NOT NULL THEN {earlier} END")),
        )
    if t == "expect_table_row_count_to_be_between" and extra <= {"min_value", "max_value"}:
        return Condition("", None, aggregate=True)
    return None


@dataclass
class SuiteRun:
    """A suite's GX result, and for record suites: row id -> failed labels / why it was not validated."""

    result: ExpectationSuiteValidationResult
    failed: dict[int, list[str]] = field(default_factory=dict)
    raised: dict[int, list[str]] = field(default_factory=dict)


def sql_translatable(suite: ExpectationSuite, registries: dict[str, str]) -> bool:
    """Whether run_suite can evaluate every expectation of the suite."""
    return all(
        e.configuration.type in SCHEMA_TYPES or to_sql(e.configuration, i, registries, relation="") is not None
        for i, e in enumerate(suite.expectations)
    )


def _identifier_verdicts(
    con: duckdb.DuckDBPyConnection, relation: str, check: str, column: str, table: str
) -> dict[str, str]:
    """Write the distinct values' verdicts to a temp table; returns value -> error for those the check raised on."""
    values = [
        v
        for (v,) in con.execute(
            f"SELECT DISTINCT {_q(column)} FROM {relation} WHERE {_q(column)} IS NOT NULL"
        ).fetchall()
    ]
    rows, errors = [], {}
    for v in values:
        try:
            rows.append((v, bool(domain.identifier_valid(check, v))))
        except Exception as exc:  # noqa: BLE001  (a value the check cannot judge; its rows are set aside)
            errors[v] = str(exc) or type(exc).__name__
            rows.append((v, True))
    verdicts = pa.table(
        {"v": pa.array([v for v, _ in rows], pa.string()), "ok": pa.array([ok for _, ok in rows], pa.bool_())}
    )
    con.register("_gs_verdicts", verdicts)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _gs_verdicts")
    con.unregister("_gs_verdicts")
    return errors


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _map_result(element: int, missing: int | None, unexpected: int) -> dict[str, Any]:
    """The counts GX's pandas engine reports for a map expectation (SUMMARY format, values left out)."""
    if missing is None:  # not_null and multicolumn rules: every row is an element
        return {
            "element_count": element,
            "unexpected_count": unexpected,
            "unexpected_percent": _percent(unexpected, element) or 0.0,
        }
    nonmissing = element - missing
    return {
        "element_count": element,
        "missing_count": missing,
        "missing_percent": _percent(missing, element) or 0.0,
        "unexpected_count": unexpected,
        "unexpected_percent": _percent(unexpected, nonmissing) or 0.0,
        "unexpected_percent_total": _percent(unexpected, element) or 0.0,
        "unexpected_percent_nonmissing": _percent(unexpected, nonmissing) or 0.0,
    }


def _success(config: ExpectationConfiguration, element: int, missing: int | None, unexpected: int) -> bool:
    judged = element - (missing or 0)
    if not judged:
        return True
    return (judged - unexpected) / judged >= config.kwargs.get("mostly", 1)


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _schema_results(
    context: AbstractDataContext, con: duckdb.DuckDBPyConnection, suite: ExpectationSuite, relation: str
) -> dict[int, ExpectationValidationResult]:
    """GX's verdicts on the column types and set, from the dtypes DuckDB gives the relation's columns.

    GX's own checks decide (ExpectColumnValuesToBeOfType._validate_pandas, the column set's _validate),
    without a validation run per suite (~1 s each, most of a small feed's validation). A VARCHAR column
    holds str values: DuckDB gives it a string dtype when it has values, object only on zero rows.
    Another object column (lists, JSON) is judged on its values: GX runs on a zero-row frame for it."""
    configs = [(i, e.configuration) for i, e in enumerate(suite.expectations) if e.configuration.type in SCHEMA_TYPES]
    if not configs:
        return {}
    empty = con.execute(f"SELECT * FROM {relation} LIMIT 0")
    duck = {d[0]: str(d[1]) for d in empty.description or []}
    frame = _naive_utc(empty.df())
    dtypes = {
        c: pd.StringDtype() if is_object_dtype(t) and duck[c] == "VARCHAR" else t for c, t in frame.dtypes.items()
    }
    results: dict[int, ExpectationValidationResult] = {}
    by_values = []
    for i, config in configs:
        impl: Any = config.to_domain_obj()
        if config.type == "expect_table_columns_to_match_set":
            verdict = impl._validate(metrics={"table.columns": list(frame.columns)})
        elif (dtype := dtypes.get(config.kwargs["column"])) is not None and not is_object_dtype(dtype):
            verdict = impl._validate_pandas(actual_column_type=dtype, expected_type=config.kwargs.get("type_"))
        else:  # a missing column or one GX judges value by value
            by_values.append((i, config))
            continue
        results[i] = ExpectationValidationResult(
            success=verdict["success"], expectation_config=config, result=verdict["result"]
        )
    if by_values:
        alone = ExpectationSuite(name=f"{suite.name}.schema", expectations=[c for _, c in by_values])
        results |= dict(zip((i for i, _ in by_values), probe_frame(context, alone, frame).results, strict=True))
    return results


def run_suite(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    suite: ExpectationSuite,
    relation: str,
    *,
    run_name: str,
    parameters: dict[str, Any] | None = None,
    registries: dict[str, str] | None = None,
    rows: str | None = None,
) -> SuiteRun:
    """Evaluate `suite` on `relation` (a table or a parenthesised SELECT) and store its result.

    registries: registry name -> SQL relation with its keys in column v. rows: for a record suite,
    the relation's row-id column; the relation's boolean `_pending` says which rows get verdicts
    (others are context only, e.g. a case's earlier records)."""
    parameters, registries = parameters or {}, registries or {}
    raised_values: dict[int, dict[str, str]] = {}
    configs = [e.configuration for e in suite.expectations]
    for i, config in enumerate(configs):
        check = _IDENTIFIER_CHECKS.get(config.type)
        if check:
            raised_values[i] = _identifier_verdicts(con, relation, check, config.kwargs["column"], f"_gs_ids{i}")
    if any(c.type == "expect_column_values_to_be_known_region_code" for c in configs):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _gs_regions AS SELECT unnest(?::VARCHAR[]) AS v",
            [sorted(domain.jurisdiction_region_codes())],
        )
    conditions = {i: to_sql(c, i, registries, relation) for i, c in enumerate(configs) if c.type not in SCHEMA_TYPES}
    if any(cond is None for cond in conditions.values()):
        raise ValueError(f"{suite.name}: an expectation has no SQL form (check sql_translatable first)")
    windows = [w for cond in conditions.values() if cond for w in cond.window]
    source = relation
    if windows:
        source = f"(SELECT *, {', '.join(f'{expr} AS {name}' for name, expr in windows)} FROM {relation})"
    # Each condition is evaluated once per row (flags), then counted and listed.
    flags, selects = [f"{rows}, _pending" if rows else "1 AS _one"], ["count(*)"]
    for i, cond in conditions.items():
        assert cond is not None
        if cond.aggregate:
            continue
        flags.append(f"({cond.missing}) AS _m{i}" if cond.missing else f"NULL::BOOLEAN AS _m{i}")
        flags.append(f"({cond.unexpected}) AS _u{i}")
        selects.append(f"count_if(_m{i})" if cond.missing else "NULL")
        selects.append(f"count_if(_u{i})")
        if rows:
            if raised_values.get(i):
                column = _q(configs[i].kwargs["column"])
                flags.append(f"CASE WHEN {column} IN (SELECT unnest(?::VARCHAR[])) THEN {column} END AS _e{i}")
                selects.append(f"list([{rows}::VARCHAR, _e{i}]) FILTER (WHERE _pending AND _e{i} IS NOT NULL)")
            else:
                selects.append("NULL")
    judged = [i for i, cond in conditions.items() if cond and not cond.aggregate]
    if rows and judged:  # failures are rare: one list of [row id, flag per expectation] of failing rows
        flagged = ", ".join(f"_u{i}::BIGINT" for i in judged)
        any_failed = " OR ".join(f"_u{i}" for i in judged)
        selects.append(f"list([{rows}, {flagged}]) FILTER (WHERE _pending AND ({any_failed}))")
    params = [list(raised_values[i]) for i in conditions if rows and raised_values.get(i)]
    row = con.execute(f"SELECT {', '.join(selects)} FROM (SELECT {', '.join(flags)} FROM {source})", params).fetchone()
    assert row is not None  # an aggregate query returns one row
    element, values = row[0], list(row[1:])
    failing: dict[int, list[int]] = {}  # expectation -> its failing rows
    for entry in (values.pop() if rows and judged else None) or []:
        for i, flag in zip(judged, entry[1:], strict=True):
            if flag:
                failing.setdefault(i, []).append(int(entry[0]))
    schema = _schema_results(context, con, suite, relation)
    run = SuiteRun(result=None)  # type: ignore[arg-type]  # set below
    results = []
    for i, config in enumerate(configs):
        if i in schema:
            results.append(schema[i])
            continue
        cond = conditions[i]
        assert cond is not None
        if cond.aggregate:
            low, high = (_resolve(config.kwargs.get(k), parameters) for k in ("min_value", "max_value"))
            ok = (low is None or element >= low) and (high is None or element <= high)
            results.append(
                ExpectationValidationResult(success=ok, expectation_config=config, result={"observed_value": element})
            )
            continue
        missing, unexpected = values.pop(0), values.pop(0)
        exception: dict[str, Any] = {"raised_exception": False, "exception_message": None, "exception_traceback": None}
        if rows:
            raising = values.pop(0)
            label = expectation_label(config)
            for r in failing.get(i, []):
                run.failed.setdefault(r, []).append(label)
            errors = raised_values.get(i, {})
            for r, value in raising or []:
                run.raised.setdefault(int(r), []).append(
                    f"{config.kwargs['column']}: {label} raised: {errors[value][:200]}"
                )
            if errors:
                exception = {
                    "raised_exception": True,
                    "exception_message": f"raised on {len(errors)} value(s)",
                    "exception_traceback": None,
                }
        results.append(
            ExpectationValidationResult(
                success=_success(config, element, missing, unexpected) and not exception["raised_exception"],
                expectation_config=config,
                result=_map_result(element, missing, unexpected),
                exception_info=exception,
            )
        )
    run.result = _store(context, suite, results, run_name, parameters)
    return run


def _store(
    context: AbstractDataContext,
    suite: ExpectationSuite,
    results: list[ExpectationValidationResult],
    run_name: str,
    parameters: dict[str, Any],
) -> ExpectationSuiteValidationResult:
    register_suite(context, suite)
    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    passed = sum(bool(r.success) for r in results)
    batch_id = f"{DATASOURCE}-{suite.name}"
    result = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite.name,
        suite_parameters=json.loads(json.dumps(parameters, default=str)),
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else None,
        },
        meta={
            "great_expectations_version": gx.__version__,
            "active_batch_definition": {
                "datasource_name": DATASOURCE,
                "data_connector_name": "fluent",
                "data_asset_name": suite.name,
                "batch_identifiers": {},
            },
            "batch_spec": {"batch_data": "DuckDB SQL (expectations.sql_suite)"},
            "batch_parameters": None,
            "checkpoint_id": None,
            "run_id": run_id,
            "validation_time": run_id.run_time,
        },
        batch_id=batch_id,
    )
    context.validation_results_store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=run_id,
            batch_identifier=batch_id,
        ),
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
    )
    return result
