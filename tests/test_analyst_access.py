"""Analysts read the snapshot and nothing else: a hostile query cannot reach the warehouse or any file,
cannot turn the locks off, and a CSV export cannot smuggle a spreadsheet formula. Data files holding raw
identifiers are the owner's alone. Fast: a hand-made warehouse, no dbt (test_snapshots builds real nights)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.config import PROJECT_ROOT, Settings
from core.file_modes import restrict_file, restrict_sensitive_files
from orchestration import steps
from publication import snapshots
from publication.snapshots import ANALYST_CONFIG, connect, copy_night, csv_cell, snapshot_path

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 24)
HYPERLINK = '=HYPERLINK("http://x","y")'
NAMES = [HYPERLINK, "+86 cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "平台甲 ltd", "a=b"]
SECRET = "raw-secret-430121199001011234"


@pytest.fixture
def published(tmp_path) -> Settings:
    """A warehouse with a raw secret and a mart of hostile enterprise names, published as the current night."""
    settings = dataclasses.replace(
        Settings.from_env(), data_dir=tmp_path / "data", warehouse=tmp_path / "data" / "warehouse.duckdb"
    )
    settings.data_dir.mkdir()
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.people AS SELECT $s AS id_number", {"s": SECRET})
        con.execute(
            "CREATE SCHEMA marts; CREATE TABLE marts.dim_enterprise (enterprise_name VARCHAR,"
            " amount_owed DECIMAL(12, 2), workers INTEGER, ratio DOUBLE, listed_on DATE)"
        )
        con.executemany(
            "INSERT INTO marts.dim_enterprise VALUES (?, ?, ?, ?, ?)",
            [
                (name, Decimal("-3.50") if i == 0 else Decimal(i), -i, -0.25 * i, DAY if i % 2 else None)
                for i, name in enumerate(NAMES)
            ],
        )
    (settings.data_dir / "secret.csv").write_text(f"id\n{SECRET}\n", encoding="utf-8")
    folder = snapshots.snapshots_dir(settings)
    folder.mkdir()
    copy_night(settings.warehouse, snapshot_path(DAY, settings), DAY)
    snapshots._point_at_newest(folder)
    return settings


def analyst(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """`python -m publication.snapshots query ...` in an analyst's process; output decoded, line ends kept."""
    env = {**os.environ, "GIGSHIELD_DATA_DIR": str(settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "publication.snapshots", "query", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def hostile(settings: Settings) -> dict[str, tuple[str, str]]:
    """Queries an analyst must not be able to run, and the error each must end with."""
    out = settings.data_dir / "exfiltrated.csv"
    return {
        "attach the warehouse": (f"ATTACH '{settings.warehouse}' AS w", "disabled by configuration"),
        "attach it read-only": (f"ATTACH '{settings.warehouse}' AS w (READ_ONLY)", "disabled by configuration"),
        "read /etc/passwd": ("SELECT * FROM read_text('/etc/passwd')", "disabled by configuration"),
        "read a csv": (f"SELECT * FROM read_csv('{settings.data_dir / 'secret.csv'}')", "disabled by configuration"),
        "read the warehouse as blob": (f"SELECT * FROM read_blob('{settings.warehouse}')", "disabled by configuration"),
        "list files": (f"SELECT * FROM glob('{settings.data_dir}/*')", "disabled by configuration"),
        "copy to a file": (f"COPY (SELECT * FROM marts.dim_enterprise) TO '{out}'", "disabled by configuration"),
        "export the database": (f"EXPORT DATABASE '{settings.data_dir / 'dump'}'", "disabled by configuration"),
        "install an extension": ("INSTALL httpfs", "disabled by configuration"),
        "re-enable external access": ("SET enable_external_access = true", "configuration has been locked"),
        "unlock": ("SET lock_configuration = false", "configuration has been locked"),
        "reset": ("RESET enable_external_access", "configuration has been locked"),
        "turn autoload on": ("SET autoload_known_extensions = true", "configuration has been locked"),
    }


CASES = sorted(hostile(Settings.from_env()))


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_analyst_connection_reads_nothing_but_the_snapshot(published, case):
    sql, error = hostile(published)[case]
    with connect(settings=published) as con:
        with pytest.raises(duckdb.Error, match=error):
            con.execute(sql).fetchall()
        assert con.execute("SELECT count(*) FROM marts.dim_enterprise").fetchone()[0] == len(NAMES)  # still usable
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE list_contains(?, name)", [list(ANALYST_CONFIG)]
            ).fetchall()
        )
    assert settings == {name: str(value).lower() for name, value in ANALYST_CONFIG.items()}
    assert not (published.data_dir / "exfiltrated.csv").exists() and not (published.data_dir / "dump").exists()


@pytest.mark.parametrize("case", CASES)
def test_the_query_command_refuses_the_same_with_a_clear_error(published, case):
    sql, error = hostile(published)[case]
    done = analyst(published, sql)
    assert done.returncode != 0 and error in done.stderr, done.stderr[-2000:]
    assert SECRET not in done.stdout + done.stderr
    assert not (published.data_dir / "exfiltrated.csv").exists()


def test_the_snapshot_is_read_only_and_holds_no_raw_schema(published):
    snapshot = snapshot_path(DAY, published)
    assert snapshot.stat().st_mode & 0o777 == 0o444
    with connect(settings=published) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchone()[0] == 0
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM marts.dim_enterprise")


def test_csv_export_escapes_formulas_and_keeps_numbers(published):
    done = analyst(published, "SELECT * FROM marts.dim_enterprise ORDER BY workers DESC", "--csv")
    assert done.returncode == 0, done.stderr[-2000:]
    header, *rows = list(csv.reader(io.StringIO(done.stdout, newline="")))
    assert header == ["enterprise_name", "amount_owed", "workers", "ratio", "listed_on"]
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"'" + n if n[0] in "=+-@\t\r" else n for n in NAMES}
    assert by_name["'" + HYPERLINK] == ["'" + HYPERLINK, "-3.50", "0", "-0.0", ""]  # negative numbers stay numbers
    assert by_name["'-2+3"][1:] == ["2.00", "-2", "-0.5", ""] and by_name["'+86 cmd"][4] == DAY.isoformat()
    assert by_name["a=b"][0] == "a=b" and by_name["平台甲 ltd"][0] == "平台甲 ltd"  # only a leading trigger


def test_csv_cell_escapes_only_text():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "", "x-1")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\t=1",
        "'\r=1",
        "",
        "x-1",
    ]
    assert [csv_cell(v) for v in (-1, -2.5, Decimal("-3.50"), None, DAY, True)] == [
        -1,
        -2.5,
        Decimal("-3.50"),
        None,
        DAY,
        True,
    ]


def test_restrict_file_makes_the_warehouse_and_its_log_private(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    wal = tmp_path / "warehouse.duckdb.wal"
    for file in (warehouse, wal):
        file.write_bytes(b"x")
        file.chmod(0o644)
    assert restrict_file(warehouse) == [warehouse, wal]
    assert {f.stat().st_mode & 0o777 for f in (warehouse, wal)} == {0o600}
    assert restrict_file(warehouse) == [] and restrict_file(tmp_path / "absent.duckdb") == []


def test_the_data_folders_sensitive_files_are_private(tmp_path):
    settings = dataclasses.replace(Settings.from_env(), data_dir=tmp_path, warehouse=tmp_path / "warehouse.duckdb")
    files = [
        settings.warehouse,
        tmp_path / "manifests" / "2026-11-24.json",
        tmp_path / "logs" / "nightly.log",
        tmp_path / "operator_alerts.jsonl",
    ]
    public = tmp_path / "published" / "x.parquet"  # the share extracts are for the agencies: left alone
    for file in (*files, public):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("{}")
        file.chmod(0o644)
    assert sorted(restrict_sensitive_files(settings)) == sorted(files)
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600} and public.stat().st_mode & 0o777 == 0o644


def test_the_nightly_ingest_leaves_the_warehouse_private(broker, tmp_path):
    settings = dataclasses.replace(
        Settings.from_env(),
        data_dir=tmp_path,
        warehouse=tmp_path / "warehouse.duckdb",
        kafka_bootstrap=broker.bootstrap,
    )
    steps.ingest_feed("hrss.inspection_order.v1", DAY, settings)
    assert settings.warehouse.stat().st_mode & 0o777 == 0o600
    assert (
        not Path(str(settings.warehouse) + ".wal").exists()
        or Path(str(settings.warehouse) + ".wal").stat().st_mode & 0o777 == 0o600
    )
