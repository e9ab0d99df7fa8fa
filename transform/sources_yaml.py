"""Render the dbt sources for the raw tables from the contracts (one source of truth).

python -m transform.sources_yaml          write dbt_project/models/staging/_sources.yml
python -m transform.sources_yaml --check  exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from core.config import DBT_PROJECT_DIR
from core.contracts import RAW_SCHEMA, Contract, Field, default_contracts
from ingestion.raw_tables import METADATA_COLUMNS

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
HEADER = "# Generated from contracts/ by `python -m transform.sources_yaml`: do not edit by hand.\n"
METADATA_DOCS = {
    "_message_id": "Envelope message id (or sha256 of an undecodable message): the redelivery key.",
    "_record_index": "Position of the record in its message.",
    "_topic": "Kafka topic the message was read from.",
    "_partition": "Kafka partition.",
    "_offset": "Kafka offset of the message.",
    "_source_agency": "Agency named in the envelope.",
    "_contract_version": "Contract version named in the envelope.",
    "_produced_at": "When the agency produced the message.",
    "_batch_id": "Loader batch that committed the row.",
    "_loaded_at": "When the row was committed to the warehouse.",
}


def _column(field: Field) -> dict[str, object]:
    tests: list[object] = []
    if field.required:
        tests.append("not_null")
    if field.unique:
        # A key sent twice under two message ids is a data-quality finding, not a reason to stop the night.
        tests.append({"unique": {"config": {"severity": "warn"}}})
    if field.enum:
        tests.append({"accepted_values": {"arguments": {"values": list(field.enum)}}})
    column: dict[str, object] = {"name": field.name, "description": field.description, "data_type": field.physical_type}
    if field.pii:
        column["meta"] = {"pii": field.pii}
    if tests:
        column["data_tests"] = tests
    return column


def _table(contract: Contract) -> dict[str, object]:
    metadata = [
        {"name": name, "description": METADATA_DOCS[name], "data_type": sql_type.split()[0]}
        for name, sql_type in METADATA_COLUMNS
    ]
    return {
        "name": contract.table,
        "description": f"{contract.name}. {contract.description}",
        "meta": {"topic": contract.topic, "contract_version": contract.version, "delivery": contract.delivery},
        "loaded_at_field": "_loaded_at",
        "columns": [_column(f) for f in contract.fields] + metadata,
    }


BATCHES_TABLE = {
    "name": "_batches",
    "description": "Loader bookkeeping: one row per committed batch with its inbound-validation status "
    "(pending, released, held, accepted). Staging reads released and accepted batches only "
    "(macro released_rows).",
    "columns": [
        {"name": "batch_id", "data_tests": ["unique", "not_null"]},
        {
            "name": "status",
            "data_tests": [{"accepted_values": {"arguments": {"values": ["pending", "released", "held", "accepted"]}}}],
        },
    ],
}


def render_sources(contracts: Iterable[Contract]) -> str:
    sources = {
        "version": 2,
        "sources": [
            {
                "name": RAW_SCHEMA,
                "schema": RAW_SCHEMA,
                "description": "Agency feeds as loaded from Kafka, exactly once, one table per contract.",
                "tables": [_table(c) for c in sorted(contracts, key=lambda c: c.table)] + [BATCHES_TABLE],
            }
        ],
    }
    return HEADER + yaml.safe_dump(sources, sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", type=Path, default=SOURCES_FILE)
    args = parser.parse_args(argv)
    text = render_sources(default_contracts().values())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run python -m transform.sources_yaml", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
