"""The DuckDB warehouse file, whoever opens it: one writer at a time, and the two ways code here reads rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the helpers take a connection: importing DuckDB is the caller's (the DAG file imports the pool)
    import duckdb

# The Airflow pool (one slot) of every task that opens the warehouse: DuckDB lets one process at a time
# open a file for writing, so those tasks take turns whatever the executor's parallelism.
WAREHOUSE_POOL = "gigshield_warehouse"


def one_row(con: duckdb.DuckDBPyConnection, query: str, params: object = None) -> tuple[Any, ...]:
    """The row of a query that returns exactly one (an aggregate, or a row that must exist); `params` as duckdb
    takes them. A LookupError if there is none."""
    row = con.execute(query, params or []).fetchone()
    if row is None:
        raise LookupError(f"no row for: {query}")
    return row


def rows_as_dicts(con: duckdb.DuckDBPyConnection, query: str, params: object = None) -> list[dict[str, Any]]:
    """A query's rows as {column: value}; `params` as duckdb takes them (a list, or a dict for $names)."""
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
