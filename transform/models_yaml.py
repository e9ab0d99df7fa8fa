"""Render the dbt model YAML of the published models from the outbound contracts (one source of truth).

    python -m transform.models_yaml          write the generated files (below)
    python -m transform.models_yaml --check  exit 1 if a committed file is stale

Every outbound contract (contracts/outbound/) names the model it publishes by its schema object's
physicalName `<schema>.<model>`; the model is described in the generated file of that schema:

    marts.<model>    dbt_project/models/marts/_marts__published.yml
    share.<model>    dbt_project/models/marts/share/_share__published.yml

Those models must not be described in any other YAML file (dbt allows one patch per model); the models
without an outbound contract stay in the hand-written _marts__models.yml (every share model has one).

What the contract says becomes, per model:

* description: the schema object's description, the contract's purpose and the contract id;
  meta: contract id and version;
* per property, in contract order: name, description, data_type (physicalType), meta.classification
  when classified, and data_tests, in this order:
  - `not_null` when required;
  - `unique` when primaryKey or unique;
  - `accepted_values` with the validValues of an `invalidValues` quality rule;
  - `is_pseudonym` (tests/generic/is_pseudonym.sql) when logicalTypeOptions.pattern is the pseudonym
    pattern ^[0-9a-f]{64}$;
  - `relationships` for each ODCS relationship of the property (`type: foreignKey`,
    `to: <model>.<column>`, a dbt model or seed): `{to: ref('<model>'), field: <column>}`; a
    relationship's customProperty `severity` (warn / error) becomes the test's config.severity;
  - then, verbatim, the entries of the property's customProperty `dbtTests`: a list of dbt data test
    configs exactly as they would be written under `data_tests:` (a name, or a one-key mapping of the
    test name to its arguments / config). Use it for a dbt check the contract has no standard way to say.
* a customProperty `dbtTests` on the schema object likewise becomes model-level data_tests.

Tests at the default severity (error) fail the night's `dbt build`, as the hand-written ones did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from core.config import DBT_PROJECT_DIR
from core.contracts import Contract, outbound_contracts
from transform.generated_files import write_or_check

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
PUBLISHED_FILES: dict[str, Path] = {
    "marts": MARTS_DIR / "_marts__published.yml",
    "share": MARTS_DIR / "share" / "_share__published.yml",
}
HEADER = (
    "# Generated from contracts/outbound by `python -m transform.models_yaml` — do not edit.\n"
    "# Change the outbound contract instead (descriptions, tests: see the generator's docstring).\n"
)
# What a reader of a generated file should know about its models.
PREAMBLES: dict[str, str] = {
    "marts": "",
    "share": (
        "# Per-agency extracts: one model per recipient agency, each published nightly under its own outbound\n"
        "# contract contracts/outbound/gigshield.share.<agency>.<dataset>.v1.odcs.yaml (schema `share`).\n"
        "# Worker-level extracts carry a pseudonym salted per recipient (macro recipient_pseudonym); only\n"
        "# recorded listing decisions list, and a listed person is named only as the decision lists and\n"
        "# publishes them (macro decided_listings, fct_blacklist_listed_persons), never from dim_enterprise.\n"
    ),
}
PSEUDONYM_PATTERN = "^[0-9a-f]{64}$"
DBT_TESTS = "dbtTests"


def _custom(props: Any) -> dict[str, Any]:
    return {p.property: p.value for p in props or [] if p.property}


def model_location(contract: Contract) -> tuple[str, str]:
    """(schema, model name) of the model an outbound contract publishes (physicalName schema.model)."""
    schema, _, model = contract.table.rpartition(".")
    if schema not in PUBLISHED_FILES:
        raise ValueError(
            f"{contract.path.name}: physicalName {contract.table!r} is not in {' or '.join(sorted(PUBLISHED_FILES))}"
        )
    return schema, model


def _dbt_tests(custom_properties: Any, where: str) -> list[Any]:
    tests = _custom(custom_properties).get(DBT_TESTS) or []
    if not isinstance(tests, list) or not all(
        isinstance(t, str) or (isinstance(t, dict) and len(t) == 1) for t in tests
    ):
        raise ValueError(
            f"{where}: {DBT_TESTS} is a list of dbt data tests (a name or a one-key mapping), got {tests!r}"
        )
    return list(tests)


def _relationship_tests(prop: Any, where: str) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for rel in prop.relationships or []:
        if (rel.type or "foreignKey") != "foreignKey" or not isinstance(rel.to, str) or rel.to.count(".") != 1:
            raise ValueError(f"{where}: a relationship is a foreignKey to '<model>.<column>', got {rel!r}")
        model, column = rel.to.split(".")
        test: dict[str, Any] = {"arguments": {"to": f"ref('{model}')", "field": column}}
        severity = _custom(rel.customProperties).get("severity")
        if severity is not None:
            if severity not in ("warn", "error"):
                raise ValueError(f"{where}: relationship severity is warn or error, got {severity!r}")
            test["config"] = {"severity": severity}
        tests.append({"relationships": test})
    return tests


def _column(contract: Contract, prop: Any) -> dict[str, Any]:
    field = contract.field(prop.name)
    where = f"{contract.path.name} {field.name}"
    tests: list[Any] = []
    if field.required:
        tests.append("not_null")
    if field.unique:
        tests.append("unique")
    if field.enum:
        tests.append({"accepted_values": {"arguments": {"values": list(field.enum)}}})
    if field.pattern == PSEUDONYM_PATTERN:
        tests.append("is_pseudonym")
    tests += _relationship_tests(prop, where)
    tests += _dbt_tests(prop.customProperties, where)
    column: dict[str, Any] = {
        "name": field.name,
        "description": field.description,
        "data_type": field.physical_type.lower(),
    }
    if field.classification:
        column["meta"] = {"classification": field.classification}
    if tests:
        column["data_tests"] = tests
    return column


def model_entry(contract: Contract) -> dict[str, Any]:
    """The dbt model YAML (one entry of `models:`) of the model an outbound contract publishes."""
    _, name = model_location(contract)
    obj = contract.odcs().schema_[0]  # type: ignore[index]
    summary = (obj.description or "").strip()
    description = " ".join(
        part
        for part in (
            summary if summary.endswith(".") or not summary else summary + ".",
            contract.description,
            f"Published under the outbound contract {contract.topic} (contracts/outbound/).",
        )
        if part
    )
    model: dict[str, Any] = {
        "name": name,
        "description": description,
        "meta": {"outbound_contract": contract.topic, "contract_version": contract.version},
    }
    model_tests = _dbt_tests(obj.customProperties, contract.path.name)
    if model_tests:
        model["data_tests"] = model_tests
    model["columns"] = [_column(contract, p) for p in obj.properties or []]
    return model


def render_models_yaml(contracts: Iterable[Contract]) -> dict[Path, str]:
    """The text of each generated file, by path (every file in PUBLISHED_FILES, empty ones included)."""
    by_schema: dict[str, list[dict[str, Any]]] = {schema: [] for schema in PUBLISHED_FILES}
    for contract in sorted(contracts, key=lambda c: model_location(c)[1]):
        by_schema[model_location(contract)[0]].append(model_entry(contract))
    return {
        PUBLISHED_FILES[schema]: HEADER
        + PREAMBLES[schema]
        + yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, allow_unicode=True, width=120)
        for schema, models in by_schema.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    rendered = render_models_yaml(outbound_contracts().values())
    return write_or_check(rendered, args.check, "python -m transform.models_yaml")


if __name__ == "__main__":
    sys.exit(main())
