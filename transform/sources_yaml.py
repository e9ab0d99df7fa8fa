"""Render the dbt sources for the raw tables from the contracts (one source of truth), and the batch
statuses staging reads from ingestion.raw_tables.BatchStatus (the one list of raw._batches statuses).

python -m transform.sources_yaml          write dbt_project/models/staging/_sources.yml and
                                          dbt_project/macros/staged_batch_statuses.sql
python -m transform.sources_yaml --check  exit 1 if a committed file is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from core.config import DBT_PROJECT_DIR
from core.contracts import RAW_SCHEMA, Contract, Field, default_contracts
from ingestion.raw_tables import METADATA_COLUMNS, STAGED_BATCH_STATUSES, BatchStatus, sql_strings
from transform.generated_files import write_or_check

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
STATUSES_MACRO_FILE = DBT_PROJECT_DIR / "macros" / "staged_batch_statuses.sql"
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
    f"({', '.join(BatchStatus)}). Staging reads {' and '.join(STAGED_BATCH_STATUSES)} batches only "
    "(macro released_rows).",
    "columns": [
        {"name": "batch_id", "data_tests": ["unique", "not_null"]},
        {
            "name": "status",
            "data_tests": [{"accepted_values": {"arguments": {"values": [s.value for s in BatchStatus]}}}],
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


def render_statuses_macro() -> str:
    """The dbt macro staged_batch_statuses: the SQL list of the statuses whose batches staging reads."""
    return (
        "{#- Generated from ingestion.raw_tables.STAGED_BATCH_STATUSES by `python -m transform.sources_yaml`:\n"
        "    do not edit by hand. The raw._batches statuses whose rows staging reads (macro released_rows),\n"
        "    as a SQL list for `status in ...`. -#}\n"
        "{% macro staged_batch_statuses() -%}\n"
        f"    {sql_strings(STAGED_BATCH_STATUSES)}\n"
        "{%- endmacro %}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", type=Path, default=SOURCES_FILE, help="the sources YAML (default: %(default)s)")
    args = parser.parse_args(argv)
    rendered = {args.out: render_sources(default_contracts().values()), STATUSES_MACRO_FILE: render_statuses_macro()}
    return write_or_check(rendered, args.check, "python -m transform.sources_yaml")


if __name__ == "__main__":
    sys.exit(main())
