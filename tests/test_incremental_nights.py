"""Nights built one after another, incremental models adding each night's batches, give the same models as a
full refresh of the same warehouse on the last night: every mart, share extract and incremental model, row for
row. The nights cover snapshot days (employment ledger, enrolments and wage states restated on the 1st) and
days between them (service time only), with the generator's injected violations, so that every incremental
branch (staging's new batches, the engagements and pay periods re-ranked, the workers regrouped, the
service-day rules) runs on nights that change what it reads and on nights that do not."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import duckdb
import pytest

from devstack.synthetic.warehouse_nights import NightLoader
from tests.support import checkpoint, night_settings
from transform import dbt_runner

# four dbt builds of a night (four layers each) on two busy cores
pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]

SEED, WORKERS = 40, 200
# 10-31 starts the window (a snapshot day), 11-01 restates the monthly feeds, 11-02 has service time only.
NIGHTS = (dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2))
SCHEMAS = ("staging", "intermediate", "marts")
# The night that staged a row, and the batch it came from, are the only columns a full refresh sets otherwise.
STAGING_COLUMNS = {"staged_on", "batch_id"}


def tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table the build made (views are recomputed on read: nothing to compare)."""
    return con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
        f"AND schema_name IN {SCHEMAS} ORDER BY 1, 2"
    ).fetchall()


def differences(incremental: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, int]:
    """Rows of the incrementally built table missing from the full refresh's (attached as `refreshed`), and the
    reverse, compared as multisets on every column but STAGING_COLUMNS."""
    columns = [
        c
        for (c,) in incremental.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, table],
        ).fetchall()
        if c not in STAGING_COLUMNS
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    mine, theirs = f'"{schema}"."{table}"', f'refreshed."{schema}"."{table}"'
    counts = []
    for left, right in ((mine, theirs), (theirs, mine)):
        query = f"SELECT count(*) FROM (SELECT {select} FROM {left} EXCEPT ALL SELECT {select} FROM {right})"
        counts.append(incremental.execute(query).fetchone()[0])  # type: ignore[index]
    return counts[0], counts[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[tuple[str, str]]]]:
    """The nights built incrementally in one warehouse, a copy of it refreshed in full on the last night; a
    connection to the incremental one with the full one attached as `refreshed`, and the tables built."""
    incremental, full = tmp_path_factory.mktemp("incremental"), tmp_path_factory.mktemp("full")
    loader = NightLoader(WORKERS, SEED, NIGHTS[0])
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = night_settings(incremental, monkeypatch)
        for night in NIGHTS:
            loader.load(settings.warehouse, night)
            dbt_runner.build_night(settings, as_of=night)
        checkpoint(settings.warehouse)
        shutil.copyfile(settings.warehouse, full / "warehouse.duckdb")
        dbt_runner.build_night(night_settings(full, monkeypatch), as_of=NIGHTS[-1], full_refresh=True)
        # dbt-duckdb keeps the refreshed warehouse open in this process, and DuckDB attaches no file twice:
        # the comparison reads a copy of it
        checkpoint(full / "warehouse.duckdb")
        shutil.copyfile(full / "warehouse.duckdb", full / "refreshed.duckdb")
    con = duckdb.connect(str(incremental / "warehouse.duckdb"))
    con.execute(f"ATTACH '{full / 'refreshed.duckdb'}' AS refreshed (READ_ONLY)")
    yield con, tables(con)
    con.close()


def test_the_comparison_is_not_vacuous(built):
    con, built_tables = built
    assert ("marts", "fct_enterprise_credit") in built_tables and ("marts", "dim_worker") in built_tables
    assert ("intermediate", "int_hrss__engagements") in built_tables
    for table in ("marts.dim_worker", "marts.fct_wage_payments", "intermediate.int_credit__findings"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    # every night staged rows into an incremental model built on the nights before it
    (nights,) = con.execute("SELECT count(DISTINCT staged_on) FROM staging.stg_hrss__service_time").fetchone()
    assert nights == len(NIGHTS)


def test_incremental_nights_build_what_a_full_refresh_builds(built):
    con, built_tables = built
    full_tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'refreshed' "
        f"AND schema_name IN {SCHEMAS} ORDER BY 1, 2"
    ).fetchall()
    assert full_tables == built_tables
    different = {f"{s}.{t}": d for s, t in built_tables if (d := differences(con, s, t)) != (0, 0)}
    assert different == {}, "(rows only in the incremental build, only in the full refresh)"
