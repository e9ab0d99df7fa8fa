"""The Great Expectations project beside the warehouse: suites, validation results, Data Docs.

A file-backed context (data/gx/) keeps every validation result, so the Data Docs site shows
each night's inbound and outbound checks. DataFrames are validated through one pandas
datasource; suites are re-registered from the contracts on every run, never edited here.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

DATASOURCE = "gigshield"
# Unexpected row indexes are what quarantine needs; COMPLETE returns them all.
RECORD_RESULT_FORMAT = {"result_format": "COMPLETE"}
SUMMARY_RESULT_FORMAT = {"result_format": "SUMMARY"}


def open_context(data_dir: Path) -> AbstractDataContext:
    """The file context under data_dir; one per folder and process (GX keeps a current project)."""
    return _context(data_dir.resolve())


@cache
def _context(data_dir: Path) -> AbstractDataContext:
    context = gx.get_context(mode="file", project_root_dir=str(data_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # DataFrame assets hold no data between runs, and those read back from the project's config
    # come without a context (MissingDataContextError): start each process with a fresh datasource.
    if any(s.name == DATASOURCE for s in context.data_sources.all().values()):
        context.data_sources.delete(DATASOURCE)
    context.data_sources.add_pandas(DATASOURCE)
    return context


def _naive_utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as naive UTC: GX's pandas type check knows datetime64, not tz-aware dtypes."""
    aware = [c for c, t in frame.dtypes.items() if isinstance(t, pd.DatetimeTZDtype)]
    if not aware:
        return frame
    return frame.assign(**{c: frame[c].dt.tz_convert("UTC").dt.tz_localize(None) for c in aware})


def validate_frame(context: AbstractDataContext, suite: ExpectationSuite, frame: pd.DataFrame, *,
                   run_name: str, parameters: dict[str, Any] | None = None,
                   result_format: dict[str, str] = SUMMARY_RESULT_FORMAT) -> ExpectationSuiteValidationResult:
    """Validate a DataFrame against a suite; the result is stored for Data Docs under `run_name`."""
    suite = context.suites.add_or_update(suite)
    source = context.data_sources.get(DATASOURCE)
    asset_name = suite.name
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(asset_name)
    batch = next((b for b in asset.batch_definitions if b.name == "frame"), None) \
        or asset.add_batch_definition_whole_dataframe("frame")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=suite))
    return definition.run(
        batch_parameters={"dataframe": _naive_utc(frame)},
        expectation_parameters=parameters or {},
        result_format=result_format,
        run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.timezone.utc)),
    )


def failed_expectations(result: ExpectationSuiteValidationResult) -> list[str]:
    from expectations.suites import expectation_label

    return [expectation_label(r.expectation_config) for r in result.results if not r.success]
