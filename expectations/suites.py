"""Great Expectations suites generated from the ODCS contracts: nothing here restates a schema.

datacontract-cli's exporter turns a contract's properties and its `great-expectations` quality
rules into expectations (types, required, unique, patterns, ranges, enums, cross-field rules).
This module adds what the exporter does not read: the domain checks named by a property's
`check` / `references` custom properties, record-level `sql` quality rules, `nullValues`
thresholds and the volume floor (`rowCount`, `minVolumeRatio`). It also corrects one thing the
exporter gets wrong for us: its pandas types come from the logical type only (integer → int32),
while raw tables use the physical type (BIGINT → int64).

Each feed gets two suites, because they act differently on failure:
- `<topic>.records`: row-wise (map) expectations that must hold for every record — a record
  that fails one is quarantined with the expectation's name, the rest of the batch loads;
- `<topic>.batch`: expectations about the night's data as a whole (volume, null rates,
  reference match rate, column types) — a failure holds the whole night's batches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from datacontract.export.great_expectations_exporter import to_great_expectations
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import ExpectationValidationResult
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.registry import get_expectation_impl

import expectations.domain  # noqa: F401  (registers the custom expectations)
from core.contracts import Contract

CHECK_EXPECTATIONS = {
    "uscc": "expect_column_values_to_be_valid_uscc",
    "ric": "expect_column_values_to_be_valid_resident_id",
    "region": "expect_column_values_to_be_known_region_code",
}
# Pandas dtypes of DuckDB integer columns (nullable or not, their dtype's scalar type is the same).
_INTEGER_DTYPES = {"TINYINT": "int8", "SMALLINT": "int16", "INTEGER": "int32", "BIGINT": "int64"}
MIN_ROWS_PARAMETER = "min_rows"
STAGE_ORDER = "expect_multicolumn_values_to_have_stages_in_time_order"
# Schema conformance of the frame, not a property of single records.
_BATCH_LEVEL_TYPES = {"expect_column_values_to_be_of_type", "expect_table_columns_to_match_set"}


@dataclass(frozen=True)
class FeedSuites:
    records: ExpectationSuite
    batch: ExpectationSuite
    # Column grouping records of one case whose earlier records must be validated alongside.
    context_key: str | None = None


def _expectation(type_: str, kwargs: dict[str, Any], description: str, contract: Contract) -> dict[str, Any]:
    return {
        "type": type_,
        "kwargs": kwargs,
        "description": description,
        "meta": {"contract_id": contract.topic, "origin": "gigshield"},
    }


def _domain_expectations(contract: Contract) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rule in contract.sql_rules:
        out.append(
            _expectation(
                "expect_multicolumn_values_to_satisfy_sql_rule",
                {"column_list": list(rule.columns), "violation": rule.violation},
                rule.description,
                contract,
            )
        )
    for f in contract.fields:
        if f.check:
            out.append(
                _expectation(
                    CHECK_EXPECTATIONS[f.check], {"column": f.name}, f"{f.name} passes the {f.check} check", contract
                )
            )
        if f.references and contract.min_reference_match_rate is not None:
            out.append(
                _expectation(
                    "expect_column_values_to_reference_registry",
                    {"column": f.name, "registry": f.references, "mostly": contract.min_reference_match_rate},
                    f"{f.name} exists in {f.references} (at least {contract.min_reference_match_rate:.0%})",
                    contract,
                )
            )
        if f.max_null_percent is not None:
            out.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    {"column": f.name, "mostly": 1 - f.max_null_percent / 100},
                    f"{f.name} is null in less than {f.max_null_percent:g}% of the night's records",
                    contract,
                )
            )
    if contract.min_rows or contract.min_volume_ratio:
        out.append(
            _expectation(
                "expect_table_row_count_to_be_between",
                {"min_value": {"$PARAMETER": MIN_ROWS_PARAMETER}},
                "the night's volume is not far below recent nights (minVolumeRatio) and the feed meets rowCount",
                contract,
            )
        )
    return out


def contract_expectations(contract: Contract) -> list[dict[str, Any]]:
    """Every expectation the contract implies, as GX expectation dicts."""
    odcs = contract.odcs()
    schema = (odcs.schema_[0].name if odcs.schema_ else None) or contract.entity
    exported = json.loads(to_great_expectations(odcs, schema, engine="pandas"))["expectations"]
    for e in exported:
        if e["type"] == "expect_column_values_to_be_of_type":
            physical = contract.field(e["kwargs"]["column"]).physical_type
            e["kwargs"]["type_"] = _INTEGER_DTYPES.get(physical, e["kwargs"]["type_"])
    return exported + _domain_expectations(contract)


def is_record_level(expectation: dict[str, Any]) -> bool:
    """Row-wise and without a tolerance: a failing row is itself the problem."""
    if expectation["type"] in _BATCH_LEVEL_TYPES or expectation["kwargs"].get("mostly", 1) < 1:
        return False
    impl = get_expectation_impl(expectation["type"])
    return issubclass(impl, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))


def result_config(result: ExpectationValidationResult) -> ExpectationConfiguration:
    """The expectation a result is for (GX types it optional; every result of a suite run has it)."""
    if result.expectation_config is None:
        raise ValueError(f"a validation result without its expectation: {result}")
    return result.expectation_config


def expectation_label(config: ExpectationConfiguration) -> str:
    """Name and columns of an expectation, as written into quarantine reasons."""
    kwargs = config.kwargs
    columns = (
        kwargs.get("column")
        or ",".join(kwargs.get("column_list") or [])
        or ",".join(c for c in (kwargs.get("column_A"), kwargs.get("column_B")) if c)
    )
    return f"{config.type}({columns})" if columns else config.type


def suite(name: str, expectations: list[dict[str, Any]], contract: Contract, level: str) -> ExpectationSuite:
    return ExpectationSuite(
        name=name,
        expectations=[ExpectationConfiguration(**e) for e in expectations],
        meta={
            "contract_id": contract.topic,
            "contract_version": contract.version,
            "level": level,
            "generated_from": contract.path.name,
        },
    )


def feed_suites(contract: Contract) -> FeedSuites:
    expectations = contract_expectations(contract)
    records = [e for e in expectations if is_record_level(e)]
    batch = [e for e in expectations if not is_record_level(e)]
    context_key = next((e["kwargs"]["column_list"][0] for e in records if e["type"] == STAGE_ORDER), None)
    return FeedSuites(
        records=suite(f"{contract.topic}.records", records, contract, "records"),
        batch=suite(f"{contract.topic}.batch", batch, contract, "batch"),
        context_key=context_key,
    )
