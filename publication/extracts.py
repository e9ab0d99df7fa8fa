"""Publishing a dataset: it must pass its outbound contract (contracts/outbound/) first.

Each dataset is validated with GX against the suite generated from its contract. A dataset that
passes is written as Parquet to data/published/<dataset id>/<logical date>/ (written to a temp
file, then renamed: readers never see half a file). A dataset that fails is blocked: nothing is
written for it, the failed expectations are recorded, and PublicationBlocked is raised so the
task fails and the operator is alerted. Other datasets publish independently.

Every attempt is recorded in audit.publications (dataset, version, rows, checksum, status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.data_context import AbstractDataContext

from core.contracts import Contract
from core.warehouse import one_row
from expectations.gx_project import failed_expectations, validate_frame
from expectations.sql_suite import run_suite, sql_translatable
from expectations.suites import MIN_ROWS_PARAMETER, contract_expectations, suite

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
-- One row per publication attempt of an outbound dataset for a logical date.
CREATE TABLE IF NOT EXISTS audit.publications (
    dataset VARCHAR NOT NULL, version VARCHAR NOT NULL, logical_date DATE NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('published', 'blocked')), rows BIGINT NOT NULL,
    checksum VARCHAR, path VARCHAR, failed_expectations VARCHAR[] NOT NULL, recorded_at TIMESTAMPTZ NOT NULL);
"""


class PublicationBlocked(RuntimeError):
    """A dataset failed its outbound contract: it was not published."""


@dataclass
class PublicationResult:
    dataset: str
    logical_date: dt.date
    status: str
    rows: int
    path: str | None = None
    checksum: str | None = None
    failed_expectations: list[str] = field(default_factory=list)

    def raise_if_blocked(self) -> None:
        if self.status == "blocked":
            raise PublicationBlocked(
                f"{self.dataset} for {self.logical_date} violates its outbound contract and was not published: "
                + "; ".join(self.failed_expectations)
            )


@cache
def outbound_suite(contract: Contract) -> ExpectationSuite:
    """All of the contract's expectations in one suite: on the way out, any failure blocks.
    Built once per contract in a process (the exporter's work), registered in GX only when it changed."""
    return suite(f"{contract.topic}.outbound", contract_expectations(contract), contract, "outbound")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ident(name: str) -> str:
    """A SQL identifier, quoted (an embedded double quote is doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _relation(qualified: str) -> str:
    """schema.table, each part quoted."""
    return ".".join(_ident(part) for part in qualified.split("."))


def copy_to_parquet(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """COPY (query) TO target as zstd Parquet. The target is a bound parameter, never SQL text: a path
    with a quote in it stays a path (the pinned DuckDB binds COPY targets; tests/test_publication.py
    checks it, so an upgrade that could not would fail there rather than write elsewhere)."""
    con.execute(f"COPY ({query}) TO $target (FORMAT parquet, COMPRESSION zstd)", {"target": str(target)})


def publish_dataset(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    contract: Contract,
    logical_date: dt.date,
    published_dir: Path,
) -> PublicationResult:
    """Validate one outbound dataset and, if it passes, publish it (see module doc)."""
    columns = ", ".join(_ident(f.name) for f in contract.fields)
    query = f"SELECT {columns} FROM {_relation(contract.qualified_table)} ORDER BY {_ident(contract.key)}"
    suite, run_name = outbound_suite(contract), f"{contract.topic} {logical_date}"
    parameters = {MIN_ROWS_PARAMETER: contract.min_rows}
    relation = f"(SELECT {columns} FROM {_relation(contract.qualified_table)})"
    if sql_translatable(suite, {}):  # one DuckDB pass (expectations.sql_suite)
        validation = run_suite(con, context, suite, relation, run_name=run_name, parameters=parameters).result
    else:
        validation = validate_frame(context, suite, con.execute(query).df(), run_name=run_name, parameters=parameters)
    rows = one_row(con, f"SELECT count(*) FROM {relation}")[0]
    result = PublicationResult(
        contract.topic, logical_date, "blocked", rows, failed_expectations=failed_expectations(validation)
    )
    if validation.success:
        target = published_dir / contract.topic / logical_date.isoformat() / f"{contract.topic}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".parquet.partial")
        copy_to_parquet(con, query, partial)
        result.checksum = _sha256(partial)
        os.replace(partial, target)
        result.status, result.path = "published", str(target)
    con.execute(AUDIT_DDL)
    con.execute(
        "INSERT INTO audit.publications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            contract.topic,
            contract.version,
            logical_date,
            result.status,
            result.rows,
            result.checksum,
            result.path,
            result.failed_expectations,
            dt.datetime.now(dt.UTC),
        ],
    )
    return result
