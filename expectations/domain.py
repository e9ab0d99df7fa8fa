"""Great Expectations custom expectations for the rules generic ones cannot express.

Importing this module registers them with GX; suites name them by their snake_case names
(e.g. `expect_column_values_to_be_valid_uscc`), exactly like built-in expectations.

Only the pandas engine is implemented: inbound batches and outbound marts are validated as
DataFrames read from DuckDB (expectations.gx_project.validate_frame).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import ClassVar, Literal

import duckdb
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    multicolumn_condition_partial,
)
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from core.config import DBT_PROJECT_DIR

REGIONS_SEED = DBT_PROJECT_DIR / "seeds" / "ref_regions.csv"


def _valid_distinct(column: pd.Series, is_valid: Callable[[str], bool]) -> pd.Series:
    """Apply a Python check once per distinct value: identifiers repeat across many rows."""
    verdicts = {v: bool(is_valid(v)) for v in column.dropna().unique()}
    return column.map(verdicts).fillna(True).astype(bool)


# --- identifiers -----------------------------------------------------------------------------


_CANONICAL_RIC = re.compile(r"[0-9]{17}[0-9X]")


def valid_resident_id(number: str) -> bool:
    """stdnum's ric.is_valid, with its birth-place lookup (most of its time: ~0.7 ms a number)
    done once per region code and birth year instead of once per number. A number already in
    stdnum's compact form (nearly all) skips its cleaning, the rest go through stdnum whole."""
    if not _CANONICAL_RIC.fullmatch(number):
        return ric.is_valid(number)
    if number[-1] != ric.calc_check_digit(number):
        return False
    try:  # ric.get_birth_date's own check, without its second cleaning of the number
        year = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])).year
    except ValueError:
        return False
    return _birth_place_known(number[:6], year)


@cache
def _birth_place_known(region: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{region}{year:04d}01010000")  # the place's verdict reads only these digits
    except ValidationError:
        return False
    return True


def identifier_valid(check: str, value: str) -> bool:
    """The verdict of an identifier check ("uscc", "resident_id") on one value."""
    return uscc.is_valid(value) if check == "uscc" else valid_resident_id(value)


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: object) -> pd.Series:
        return _valid_distinct(column, lambda v: identifier_valid("uscc", v))


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Values are unified social credit codes with a correct GB 32100-2015 check character."""

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "identifier"], "contributors": ["gigshield"]}


class ColumnValuesValidResidentId(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_resident_id"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: object) -> pd.Series:
        return _valid_distinct(column, lambda v: identifier_valid("resident_id", v))


class ExpectColumnValuesToBeValidResidentId(ColumnMapExpectation):
    """Values are resident ID numbers with a valid birth date and GB 11643-1999 check digit."""

    map_metric = "column_values.valid_resident_id"
    success_keys = ("mostly",)
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "identifier", "pii"], "contributors": ["gigshield"]}


# --- reference data --------------------------------------------------------------------------


@cache
def jurisdiction_region_codes() -> frozenset[str]:
    """GB/T 2260 codes of the jurisdictions Gigshield serves (the dbt seed ref_regions)."""
    with REGIONS_SEED.open(encoding="utf-8") as f:
        return frozenset(row["region_code"] for row in csv.DictReader(f))


class ColumnValuesKnownRegionCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.known_region_code"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: object) -> pd.Series:
        return column.isin(jurisdiction_region_codes())


class ExpectColumnValuesToBeKnownRegionCode(ColumnMapExpectation):
    """Values are GB/T 2260 region codes of a jurisdiction in use (seed ref_regions)."""

    map_metric = "column_values.known_region_code"
    success_keys = ("mostly",)
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "reference"], "contributors": ["gigshield"]}


_registry_keys: dict[str, frozenset[str]] = {}


@contextmanager
def registries(keys: dict[str, frozenset[str]]) -> Iterator[None]:
    """Make registry key sets (e.g. every USCC in samr.enterprise.v1) visible to
    expect_column_values_to_reference_registry for the duration of a validation.
    Passed this way rather than as a kwarg so a million keys never enter a suite or its results."""
    previous = dict(_registry_keys)
    _registry_keys.update(keys)
    try:
        yield
    finally:
        _registry_keys.clear()
        _registry_keys.update(previous)


class ColumnValuesReferenceRegistry(ColumnMapMetricProvider):
    condition_metric_name = "column_values.reference_registry"
    condition_value_keys = ("registry",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, registry: str, **kwargs: object) -> pd.Series:
        if registry not in _registry_keys:
            raise LookupError(f"registry {registry!r} was not loaded for this validation")
        return column.isin(_registry_keys[registry])


class ExpectColumnValuesToReferenceRegistry(ColumnMapExpectation):
    """Values exist in another feed's key column, e.g. samr.enterprise.v1.uscc (referential integrity)."""

    registry: str
    map_metric = "column_values.reference_registry"
    success_keys = ("registry", "mostly")
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "reference"], "contributors": ["gigshield"]}


# --- relations between fields and records ----------------------------------------------------


class MulticolumnSatisfiesSqlRule(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.satisfy_sql_rule"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ("violation",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, violation: str, **kwargs: object) -> pd.Series:
        # DuckDB evaluates the contract's own SQL, so GX and `datacontract test` agree on NULLs
        # (a NULL condition is not a violation, as in COUNT(*) ... WHERE).
        rows = column_list.reset_index(drop=True).assign(_gs_row=range(len(column_list)))
        with duckdb.connect() as con:
            con.register("records", rows)
            bad = con.execute(f"SELECT coalesce(({violation}), false) FROM records ORDER BY _gs_row").fetchnumpy()
        return pd.Series(~next(iter(bad.values())).astype(bool), index=column_list.index)


class ExpectMulticolumnValuesToSatisfySqlRule(MulticolumnMapExpectation):
    """A contract's record-level SQL quality rule (`SELECT COUNT(*) FROM t WHERE <violation>`,
    mustBe 0) checked row by row, e.g. amount_paid ≤ amount_due unless the payment includes
    back pay: violation `amount_paid > amount_due AND NOT includes_back_pay`.
    column_list names the fields the condition reads."""

    # GX declares list[str]; a tuple is accepted too (pydantic validates against this wider annotation).
    column_list: tuple | list  # type: ignore[assignment]
    violation: str
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.satisfy_sql_rule"
    success_keys = ("violation", "mostly", "ignore_row_if")
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "consistency"], "contributors": ["gigshield"]}


class MulticolumnStagesInTimeOrder(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.stages_in_time_order"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ("stage_order",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, stage_order: list[str], **kwargs: object) -> pd.Series:
        frame = column_list.set_axis(["group", "stage", "at"], axis=1)
        frame = frame.assign(rank=frame["stage"].map({s: i for i, s in enumerate(stage_order)}))
        latest = frame.groupby(["group", "rank"], dropna=True)["at"].max().reset_index()
        latest = latest.sort_values(["group", "rank"])
        # The latest time any *earlier* stage of the same case happened.
        latest["earlier_max"] = latest.groupby("group")["at"].transform(lambda s: s.cummax().shift())
        merged = frame.merge(latest[["group", "rank", "earlier_max"]], on=["group", "rank"], how="left")
        ok = merged["earlier_max"].isna() | merged["at"].isna() | (merged["at"] >= merged["earlier_max"])
        return pd.Series(ok.to_numpy(), index=column_list.index)


class ExpectMulticolumnValuesToHaveStagesInTimeOrder(MulticolumnMapExpectation):
    """column_list = [case, stage, timestamp]: no stage of a case happens before an earlier
    stage of the same case (complaints: received ≤ accepted ≤ connected ≤ feedback ≤ closed).
    The later-stage record is the unexpected one."""

    column_list: tuple | list  # type: ignore[assignment]  # as above
    stage_order: list[str]
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.stages_in_time_order"
    success_keys = ("stage_order", "mostly", "ignore_row_if")
    library_metadata: ClassVar[dict] = {"tags": ["gigshield", "consistency"], "contributors": ["gigshield"]}
