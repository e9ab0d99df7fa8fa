"""The published models' dbt YAML is generated from the outbound contracts (transform.models_yaml)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml

from core.config import DBT_PROJECT_DIR
from core.contracts import outbound_contracts
from transform.models_yaml import PUBLISHED_FILES, main, model_entry, model_location, render_models_yaml

pytestmark = pytest.mark.unit

MODELS_DIR = DBT_PROJECT_DIR / "models"


def _published() -> dict[str, set[str]]:
    """Model name -> its contract's column names, for every outbound contract."""
    return {model_location(c)[1]: {f.name for f in c.fields} for c in outbound_contracts().values()}


def test_the_committed_yaml_is_what_the_outbound_contracts_generate():
    rendered = render_models_yaml(outbound_contracts().values())
    assert set(rendered) == set(PUBLISHED_FILES.values())
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m transform.models_yaml"
    assert main(["--check"]) == 0


def test_every_outbound_contract_describes_its_model_and_every_column():
    models = {
        m["name"]: m
        for path in PUBLISHED_FILES.values()
        for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    }
    assert {name: {c["name"] for c in m["columns"]} for name, m in models.items()} == _published()
    for contract in outbound_contracts().values():
        model = models[model_location(contract)[1]]
        assert contract.topic in model["description"] and contract.description in model["description"]
        for field, column in zip(contract.fields, model["columns"], strict=True):
            assert column["description"] == field.description and field.description
            tests = column.get("data_tests", [])
            assert ("not_null" in tests) == field.required
            assert ("unique" in tests) == field.unique


def _modified(contract, change):
    """An in-memory copy of the contract with its ODCS document changed, re-read into a Contract."""
    doc = copy.deepcopy(contract.odcs())
    change(doc.schema_[0].properties)
    from core.contracts import Field  # the same reading the loader does

    fields = tuple(Field.from_odcs(p) for p in doc.schema_[0].properties)
    return dataclasses.replace(contract, fields=fields, document=doc)


def test_a_changed_description_and_enum_in_the_contract_change_the_generated_yaml():
    contract = outbound_contracts()["gigshield.share.nhsa.insurance_findings.v1"]

    def change(props):
        kind = next(p for p in props if p.name == "finding_kind")
        kind.description = "Which rule found it."
        enum = next(q for q in kind.quality if q.metric == "invalidValues")
        enum.arguments = {"validValues": [*enum.arguments["validValues"], "late_injury_cover"]}

    before, after = model_entry(contract), model_entry(_modified(contract, change))
    column = next(c for c in after["columns"] if c["name"] == "finding_kind")
    assert column["description"] == "Which rule found it."
    kinds = [*(contract.field("finding_kind").enum or ()), "late_injury_cover"]  # the contract's, one added
    assert {"accepted_values": {"arguments": {"values": kinds}}} in column["data_tests"]
    assert [c for c in before["columns"] if c["name"] != "finding_kind"] == [
        c for c in after["columns"] if c["name"] != "finding_kind"
    ]
    text = render_models_yaml([_modified(contract, change)])[PUBLISHED_FILES["share"]]
    assert "Which rule found it." in text and "late_injury_cover" in text


def test_contract_relationships_and_dbt_tests_become_dbt_tests():
    contract = outbound_contracts()["gigshield.fct_wage_payments.v1"]
    payer = next(c for c in model_entry(contract)["columns"] if c["name"] == "payer_uscc")
    assert {
        "relationships": {"arguments": {"to": "ref('dim_enterprise')", "field": "uscc"}, "config": {"severity": "warn"}}
    } in payer["data_tests"]

    def add_dbt_test(props):
        from open_data_contract_standard.model import CustomProperty

        amount = next(p for p in props if p.name == "amount_due")
        amount.customProperties = [
            CustomProperty(property="dbtTests", value=[{"dbt_utils.accepted_range": {"arguments": {"min_value": 0}}}])
        ]

    amount = next(c for c in model_entry(_modified(contract, add_dbt_test))["columns"] if c["name"] == "amount_due")
    assert amount["data_tests"] == ["not_null", {"dbt_utils.accepted_range": {"arguments": {"min_value": 0}}}]


def _described_models(path: Path) -> list[dict]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [m for m in doc.get("models") or [] if isinstance(m, dict)]


def test_no_published_model_or_column_is_described_outside_the_generated_files():
    published = _published()
    generated = {p.resolve() for p in PUBLISHED_FILES.values()}
    elsewhere = []
    for path in sorted(MODELS_DIR.rglob("*.yml")) + sorted(MODELS_DIR.rglob("*.yaml")):
        if path.resolve() in generated:
            continue
        for model in _described_models(path):
            if model.get("name") in published:
                columns = [c.get("name") for c in model.get("columns") or []]
                elsewhere.append(f"{path.relative_to(DBT_PROJECT_DIR)}: {model['name']} {columns}")
    assert elsewhere == []


@pytest.mark.parametrize("schema", sorted(PUBLISHED_FILES))
def test_the_generated_files_say_they_are_generated(schema):
    assert "do not edit" in PUBLISHED_FILES[schema].read_text(encoding="utf-8").splitlines()[0]
