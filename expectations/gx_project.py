"""The Great Expectations project beside the warehouse: suites, validation results, Data Docs.

A file-backed context (data/gx/) keeps every validation result, so the Data Docs site shows
each night's inbound and outbound checks. DataFrames are validated through one pandas
datasource; suites are re-registered from the contracts on every run, never edited here.

Nothing identifying is stored: record suites run with result_format COMPLETE because quarantine
needs the unexpected rows, and the caller gets that result in memory, but the context's
validation results store is wrapped so that what it writes (and Data Docs render) is a summary:
counts and percentages, no unexpected values, row indexes or queries (`summary_only`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent import PandasDatasource

DATASOURCE = "gigshield"
# Unexpected row indexes are what quarantine needs; COMPLETE returns them all.
RECORD_RESULT_FORMAT = {"result_format": "COMPLETE"}
SUMMARY_RESULT_FORMAT = {"result_format": "SUMMARY"}
VALIDATIONS_DIR = ("gx", "uncommitted", "validations")

# What a stored expectation result may not keep: the failing values and where they are.
_VALUE_KEYS = frozenset(
    {
        "unexpected_list",
        "partial_unexpected_list",
        "partial_unexpected_counts",
        "unexpected_index_list",
        "partial_unexpected_index_list",
        "unexpected_index_query",
        "unexpected_rows",
        "unexpected_index_column_names",
    }
)
# Digit runs in exception messages and tracebacks (an identifier quoted by the code that raised).
_DIGIT_RUN = re.compile(r"\d{6,}[\dXx]*")
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}(\[[A-Za-z0-9_, :/+-]{1,24}\])?")


def open_context(data_dir: Path) -> AbstractDataContext:
    """The file context under data_dir; one per folder and process (GX keeps a current project)."""
    return _context(data_dir.resolve())


@cache
def _context(data_dir: Path) -> AbstractDataContext:
    context = gx.get_context(mode="file", project_root_dir=str(data_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    _store_summaries_only(context)
    # DataFrame assets hold no data between runs, and those read back from the project's config
    # come without a context (MissingDataContextError): start each process with a fresh datasource.
    if any(s.name == DATASOURCE for s in context.data_sources.all().values()):
        context.data_sources.delete(DATASOURCE)
    context.data_sources.add_pandas(DATASOURCE)
    return context


def _is_type_name(value: str) -> bool:
    """A dtype's name as GX reports it (int64, datetime64[us, UTC], str), not a data value."""
    if not _TYPE_NAME.fullmatch(value):
        return False
    try:
        pd.api.types.pandas_dtype(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_summary(value: Any) -> bool:
    """Numbers, booleans and type names, also nested: what a stored result may keep as observed."""
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return _is_type_name(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_summary(v) for k, v in value.items())
    return False


def _mask_digits(value: Any) -> Any:
    if isinstance(value, str):
        return _DIGIT_RUN.sub(lambda m: m.group()[:2] + "*" * (len(m.group()) - 2), value)
    if isinstance(value, dict):
        return {k: _mask_digits(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_digits(v) for v in value]
    return value


def summary_of(result: dict[str, Any] | None) -> dict[str, Any]:
    """An expectation's result without its values: counts and percentages stay."""
    kept = {}
    for key, value in (result or {}).items():
        if key in _VALUE_KEYS:
            continue
        if key in ("observed_value", "details") and not _is_summary(value):
            continue
        kept[key] = value
    return kept


def summary_only(result: ExpectationSuiteValidationResult) -> ExpectationSuiteValidationResult:
    """A copy of a suite's result fit to be stored and rendered; the given result is not changed."""
    scrubbed = copy.copy(result)
    scrubbed.results = []
    for r in result.results:
        r = copy.copy(r) if isinstance(r, ExpectationValidationResult) else r
        r.result = summary_of(r.result)
        r.exception_info = _mask_digits(r.exception_info)
        scrubbed.results.append(r)
    return scrubbed


def _store_summaries_only(context: AbstractDataContext) -> None:
    """Every result the context stores (ValidationDefinition.run, checkpoints) goes through
    store.set: wrap it once on the store instance, so only summaries reach files and Data Docs."""
    store = context.validation_results_store
    if getattr(store, "_gigshield_summaries_only", False):
        return
    original = store.set

    def set_summary(key: Any, value: Any, **kwargs: Any) -> Any:
        if isinstance(value, ExpectationSuiteValidationResult):
            value = summary_only(value)
        return original(key, value, **kwargs)

    # GX has no hook for this: the instance's method is replaced, and marked so it is wrapped only once.
    store.set = set_summary  # type: ignore[method-assign]
    store._gigshield_summaries_only = True  # type: ignore[attr-defined]


_SCRUBBED_MARK = ".summaries-only"  # results stored since the store was wrapped are summaries


def _scrub_json(doc: Any) -> Any:
    for r in doc.get("results") or [] if isinstance(doc, dict) else []:
        if isinstance(r, dict):
            r["result"] = summary_of(r.get("result"))
            r["exception_info"] = _mask_digits(r.get("exception_info"))
    return doc


def scrub_stored_results(data_dir: Path) -> int:
    """Rewrite as summaries the results stored before the store kept summaries only (older nights'
    files), once per project; returns how many files were rewritten."""
    folder = data_dir.resolve().joinpath(*VALIDATIONS_DIR)
    if not folder.is_dir() or (folder / _SCRUBBED_MARK).exists():
        return 0
    rewritten = 0
    for path in sorted(folder.rglob("*.json")):
        text = path.read_text(encoding="utf-8")
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        scrubbed = json.dumps(_scrub_json(doc), indent=2, ensure_ascii=False)
        if scrubbed != json.dumps(json.loads(text), indent=2, ensure_ascii=False):
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(scrubbed, encoding="utf-8")
            tmp.replace(path)
            rewritten += 1
    (folder / _SCRUBBED_MARK).write_text("stored validation results are summaries (expectations.gx_project)\n")
    return rewritten


def _naive_utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as naive UTC: GX's pandas type check knows datetime64, not tz-aware dtypes."""
    aware = [c for c, t in frame.dtypes.items() if isinstance(t, pd.DatetimeTZDtype)]
    if not aware:
        return frame
    return frame.assign(**{c: frame[c].dt.tz_convert("UTC").dt.tz_localize(None) for c in aware})


def validate_frame(
    context: AbstractDataContext,
    suite: ExpectationSuite,
    frame: pd.DataFrame,
    *,
    run_name: str,
    parameters: dict[str, Any] | None = None,
    result_format: dict[str, str] = SUMMARY_RESULT_FORMAT,
) -> ExpectationSuiteValidationResult:
    """Validate a DataFrame against a suite; the result is stored for Data Docs under `run_name`
    (as a summary; the caller gets it whole)."""
    definition = _validation_definition(context, suite)
    return definition.run(
        batch_parameters={"dataframe": _naive_utc(frame)},
        expectation_parameters=parameters or {},
        result_format=result_format,
        run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC)),
    )


SUITE_DIGESTS = ("uncommitted", "gigshield_suite_digests.json")  # under the GX root: suite name -> digest
_digests: dict[str, dict[str, str]] = {}  # GX root -> the digests file, read once per process


def _digest(suite: ExpectationSuite) -> str:
    """What a suite says (name, meta, expectations, not the ids GX assigns when it stores one), hashed."""
    expectations = [(type(e).__name__, {k: v for k, v in vars(e).items() if k != "id"}) for e in suite.expectations]
    return hashlib.sha256(repr([suite.name, suite.meta, expectations]).encode()).hexdigest()


def register_suite(context: AbstractDataContext, suite: ExpectationSuite) -> None:
    """Store the suite in the GX project (Data Docs render its page) unless the same suite is stored
    already. The digests of stored suites are kept beside them, so the night's tasks, fresh processes
    or not, do not rewrite every suite file (0.1-0.2 s a suite with GX's serialisation, issue 15)."""
    root = Path(str(context.root_directory))
    path = root.joinpath(*SUITE_DIGESTS)
    digests = _digests.setdefault(str(root), json.loads(path.read_text()) if path.exists() else {})
    digest = _digest(suite)
    if digests.get(suite.name) == digest:
        return
    context.suites.add_or_update(suite)
    digests[suite.name] = digest
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(digests, indent=1, sort_keys=True))
    tmp.replace(path)


_definitions: dict[tuple[int, str], tuple[str, gx.ValidationDefinition]] = {}


def _validation_definition(context: AbstractDataContext, suite: ExpectationSuite) -> gx.ValidationDefinition:
    """The suite's validation definition on the DataFrame asset, stored once per suite content in a process."""
    key, digest = (id(context), suite.name), _digest(suite)
    known = _definitions.get(key)
    if known is None or known[0] != digest:
        register_suite(context, suite)
        batch = _frame_batch_definition(context, suite.name)
        definition = gx.ValidationDefinition(name=suite.name, data=batch, suite=context.suites.get(suite.name))
        known = (digest, context.validation_definitions.add_or_update(definition))
        _definitions[key] = known
    return known[1]


def _frame_batch_definition(context: AbstractDataContext, asset_name: str):
    source = context.data_sources.get(DATASOURCE)
    assert isinstance(source, PandasDatasource)  # added by add_pandas (above)
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(asset_name)
    return next(
        (b for b in asset.batch_definitions if b.name == "frame"), None
    ) or asset.add_batch_definition_whole_dataframe("frame")


def probe_frame(
    context: AbstractDataContext,
    suite: ExpectationSuite,
    frame: pd.DataFrame,
    *,
    result_format: dict[str, str] = SUMMARY_RESULT_FORMAT,
) -> ExpectationSuiteValidationResult:
    """Validate a DataFrame without storing anything (no suite, definition or result is saved):
    for the many small runs that isolate a row an expectation raises on."""
    batch = _frame_batch_definition(context, "probe").get_batch(batch_parameters={"dataframe": _naive_utc(frame)})
    return batch.validate(suite, result_format=result_format)


def raised(result: ExpectationValidationResult) -> str | None:
    """Why an expectation could not be evaluated, or None if it was. GX reports an exception in
    the expectation as {"raised_exception": True, ...} and one in a metric it needs (where custom
    checks run) as {metric id: {"raised_exception": True, ...}}."""
    info = result.exception_info or {}
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "an exception")
    return None


def failed_expectations(result: ExpectationSuiteValidationResult) -> list[str]:
    from expectations.suites import expectation_label, result_config

    return [expectation_label(result_config(r)) for r in result.results if not r.success]
