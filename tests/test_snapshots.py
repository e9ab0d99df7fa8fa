"""Analyst snapshots: a night published read-only and swapped in atomically, so analysts query it in
their own processes while the nightly job holds the warehouse, and never see a half-built night."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.config import PROJECT_ROOT, Settings
from core.contracts import default_contracts
from ingestion.pseudonyms import pseudonym
from orchestration.alert_steps import update_alerts
from publication import snapshots
from publication.snapshots import copy_night, current_snapshot, example_queries, publish_snapshot, snapshot_path
from tests.support import AS_OF, TEST_PSEUDONYM_KEY, copy_built_night, stand_in_dbt_docs

pytestmark = pytest.mark.integration

NEXT = AS_OF + dt.timedelta(days=1)
# Personal information the contracts mark restricted, less the names a listing publishes (人社部令第45号): the
# legal representative's, and a listed person's name as the decision publishes it (published_name).
RAW_IDENTIFIERS = {
    f.name for c in default_contracts().values() for f in c.fields if f.classification == "restricted"
} - {"legal_rep_name", "published_name"}
# An analyst's process that keeps opening current.duckdb while a night is published, and reports
# which night each open found and whether it was whole (every relation the night announced).
READER = r"""
import collections, json, pathlib, sys, duckdb
link, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
seen, errors = collections.Counter(), []
while True:
    last = stop.exists()
    try:
        with duckdb.connect(str(link), read_only=True) as con:
            night = "SELECT CAST(logical_date AS VARCHAR), relations FROM snapshot_night"
            day, announced = con.execute(night).fetchone()
            present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name <> 'main'").fetchone()[0]
            seen[f"{day} {'whole' if present == announced else 'partial'}"] += 1
    except Exception as error:
        errors.append(repr(error))
    if last:
        break
print(json.dumps({"seen": seen, "errors": errors[:5]}))
"""


@pytest.fixture(scope="module")
def night(built_night, tmp_path_factory) -> Settings:
    """A copy of the session's built night (the tests write to its warehouse)."""
    with pytest.MonkeyPatch.context() as mp:
        yield copy_built_night(built_night, tmp_path_factory.mktemp("night"), mp)


@pytest.fixture
def analysts(night, tmp_path) -> Settings:
    """The built night's warehouse with a snapshot folder of the test's own."""
    return dataclasses.replace(night, data_dir=tmp_path)


def analyst(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """A command in an analyst's own process."""
    env = {**os.environ, "GIGSHIELD_DATA_DIR": str(settings.data_dir)}
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def as_csv(rows: list[tuple]) -> list[list[str]]:
    return [["" if value is None else str(value) for value in row] for row in rows]


def fingerprint(path: Path) -> dict[str, tuple[str | None, str]]:
    """Per table of a DuckDB file: its description and a digest of its rows."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name, comment FROM duckdb_tables() ORDER BY 1, 2").fetchall()
        return {
            f"{schema}.{name}": (
                comment,
                con.execute(
                    "SELECT md5(coalesce(string_agg(CAST(r AS VARCHAR), chr(10) ORDER BY CAST(r AS VARCHAR)), ''))"
                    f' FROM "{schema}"."{name}" AS r'
                ).fetchone()[0],
            )
            for schema, name, comment in tables
        }


def raw_identifier_values(warehouse: Path) -> set[str]:
    """Every ID number, phone and bank account in the warehouse's raw schema (names of two or three
    characters are left out: they can occur by chance inside an enterprise's name)."""
    with duckdb.connect(str(warehouse)) as con:  # as the other checks: dbt (in-process) may hold it open
        columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'raw'"
            " AND list_contains(?, column_name)",
            [sorted(RAW_IDENTIFIERS)],
        ).fetchall()
        values = {
            value
            for table, column in columns
            for (value,) in con.execute(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) AS v FROM raw."{table}" WHERE length(v) >= 8'
            ).fetchall()
        }
    assert values, "the night has no raw identifiers to look for"
    return values


def test_an_analyst_queries_the_published_night_while_the_nightly_run_writes(analysts, monkeypatch):
    monkeypatch.setattr(snapshots, "render_dbt_docs", stand_in_dbt_docs)  # not this test's subject
    publish_snapshot(AS_OF, analysts)
    writer = duckdb.connect(str(analysts.warehouse))
    expected = {
        name: [list(r.columns)] + as_csv(r.fetchall())
        for name, sql in example_queries().items()
        for r in [writer.sql(sql)]
    }
    assert {"blacklist_by_region", "arrears_by_platform", "sla_breaches"} <= set(expected)
    assert (
        len(expected["blacklist_by_region"]) > 2 and len(expected["arrears_by_platform"]) > 2
    )  # the night has answers

    writer.begin()  # the next night half-built: this process holds the warehouse's write lock
    writer.execute("DELETE FROM marts.fct_blacklist_cases")
    writer.execute("CREATE TABLE marts.half_built AS SELECT 1 AS n")
    try:
        locked_out = analyst(
            analysts, "-c", f"import duckdb; duckdb.connect({str(analysts.warehouse)!r}, read_only=True)"
        )
        assert locked_out.returncode != 0 and "lock" in locked_out.stderr.lower()  # the warehouse is not for analysts

        for name, rows in expected.items():
            done = analyst(analysts, "-m", "publication.snapshots", "query", name, "--csv")
            assert done.returncode == 0, done.stderr[-2000:]
            assert list(csv.reader(io.StringIO(done.stdout))) == rows, name
        path = analyst(analysts, "-m", "publication.snapshots", "path")
        assert path.stdout.strip() == str(snapshot_path(AS_OF, analysts))
    finally:
        writer.rollback()
        writer.close()


def test_a_half_built_night_is_never_visible_and_old_nights_retire(analysts, monkeypatch):
    monkeypatch.setattr(snapshots, "render_dbt_docs", stand_in_dbt_docs)  # not this test's subject
    publish_snapshot(AS_OF, analysts)
    folder = current_snapshot(analysts).parent
    with duckdb.connect(str(analysts.warehouse)) as con:  # a night that breaks half-way through the copy
        con.execute("CREATE VIEW marts.zz_broken AS SELECT CAST('not a number' AS INTEGER) AS n")
    try:
        with pytest.raises(duckdb.ConversionException):
            publish_snapshot(NEXT, analysts)
    finally:
        with duckdb.connect(str(analysts.warehouse)) as con:
            con.execute("DROP VIEW marts.zz_broken")
    assert current_snapshot(analysts) == snapshot_path(AS_OF, analysts)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}{suffix}" for stem in (AS_OF, "current") for suffix in (".duckdb", ".dbt-docs.html")
    )

    stop = folder.parent / "stop-reading"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(folder / "current.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        published = publish_snapshot(NEXT, analysts, keep=1)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    report = json.loads(out or "{}")
    assert report.get("errors") == [], err[-2000:] or report
    assert set(report["seen"]) <= {f"{AS_OF} whole", f"{NEXT} whole"} and f"{NEXT} whole" in report["seen"]
    assert current_snapshot(analysts) == snapshot_path(NEXT, analysts)
    assert published["removed"] == [] and snapshot_path(AS_OF, analysts).exists()  # it was current until now

    again = publish_snapshot(NEXT, analysts, keep=1)  # the next publication retires it
    assert again["removed"] == [str(folder / f"{AS_OF}{suffix}") for suffix in (".duckdb", ".dbt-docs.html")]
    assert current_snapshot(analysts) == snapshot_path(NEXT, analysts)


def test_a_rerun_publishes_the_same_night_without_raw_identifiers_and_with_its_docs(analysts, tmp_path):
    copy_night(analysts.warehouse, tmp_path / "no-alerts.duckdb", AS_OF)  # a night before alerts were ever raised
    assert not any(table.startswith("alerts.") for table in fingerprint(tmp_path / "no-alerts.duckdb"))
    update_alerts(AS_OF, analysts)  # from now on the outbox comes along

    first = publish_snapshot(AS_OF, analysts)
    before = fingerprint(Path(first["snapshot"]))
    again = publish_snapshot(AS_OF, analysts)
    assert fingerprint(Path(again["snapshot"])) == before and again["relations"] == first["relations"]

    with duckdb.connect(str(analysts.warehouse)) as con:
        kept = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL"
                " SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
            if schema != "raw"
        }
    withheld = {"alerts.deliveries", "alerts.nights"}  # delivery bookkeeping, rewritten by a rerun of the night
    assert set(before) == (kept - withheld) | {"main.snapshot_night"}  # every other relation but the raw schema
    assert "intermediate.int_hrss__wage_arrears" in before  # a view, frozen as a table of the night
    assert "alerts.alert_revisions" in before  # the deadlines sent, for the inspector's page
    assert before["marts.fct_blacklist_cases"][0]  # dbt's descriptions come along
    with duckdb.connect(again["snapshot"], read_only=True) as con:
        personal = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE list_contains(?, column_name)",
            [sorted(RAW_IDENTIFIERS)],
        ).fetchall()
        assert con.execute("SELECT logical_date FROM snapshot_night").fetchone()[0] == AS_OF
        messages = "\n".join(
            m for (m,) in con.execute("SELECT CAST(message AS VARCHAR) FROM alerts.alert_revisions").fetchall()
        )
    assert personal == []  # raw identifiers stay in the warehouse (PIPL)
    assert messages and not [v for v in raw_identifier_values(analysts.warehouse) if v in messages]  # in no message
    assert Path(again["snapshot"]).stat().st_mode & 0o222 == 0  # read-only

    docs = Path(again["docs"]).read_text(encoding="utf-8")
    assert "fct_blacklist_cases" in docs and "case_status" in docs
    assert Path(again["current"]).with_suffix(".dbt-docs.html").resolve() == Path(again["docs"])
    assert Path(again["docs"]).stat().st_mode & 0o777 == 0o444


def test_the_pseudonym_key_is_in_no_dbt_artifact_and_the_docs_carry_no_compiled_code(night, analysts):
    """dbt computes pseudonyms with gs_pseudonym (transform.pseudonym_plugin): the key stays in the
    environment, out of compiled SQL, run SQL, manifest, run results, partial-parse state, logs and docs."""
    published = publish_snapshot(AS_OF, analysts)  # `dbt docs generate --no-compile` on the night's parse
    key = TEST_PSEUDONYM_KEY.encode()
    artifacts = [
        p for tree in (night.data_dir / "dbt", analysts.data_dir / "dbt") for p in tree.rglob("*") if p.is_file()
    ]
    names = {p.name for p in artifacts}
    assert {
        "manifest.json",
        "run_results.json",
        "partial_parse.msgpack",
        "catalog.json",
        "dbt.log",
        "stg_hrss__wage_payments.sql",
    } <= names  # the places looked in (the docs compile nothing: compiled and run SQL are the night's build's)
    assert {"compiled", "run"} <= {part for p in artifacts for part in p.parts}
    assert [str(p) for p in artifacts if key in p.read_bytes()] == []
    compiled = next(p for p in artifacts if p.name == "stg_hrss__wage_payments.sql" and "compiled" in p.parts)
    assert "gs_pseudonym(cast(worker_id_number as varchar))" in compiled.read_text(encoding="utf-8")

    docs = Path(published["docs"]).read_bytes()
    assert key not in docs
    html = docs.decode("utf-8")
    assert "fct_blacklist_cases" in html and "pseudonymise('worker_id_number')" in html  # sources stay
    assert '"compiled_code"' not in html and '"compiled_sql"' not in html
    assert "gs_pseudonym(cast(worker_id_number as varchar))" not in html  # no compiled SQL at all
    assert '"send_anonymous_usage_stats": false' in html  # the project's flag: no dbt telemetry

    with duckdb.connect(str(night.warehouse)) as con:  # the warehouse's pseudonyms are HMAC-SHA256 of the raw IDs
        views = "\n".join(sql for (sql,) in con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall())
        pairs = con.execute(
            "SELECT r.worker_id_number, s.worker_key FROM staging.stg_hrss__wage_payments s"
            " JOIN raw.hrss__wage_payment r ON r._message_id = s.message_id AND r._record_index = s.record_index"
        ).fetchall()
    assert TEST_PSEUDONYM_KEY not in views and "gs_pseudonym" not in views
    assert pairs and all(worker_key == pseudonym(id_number, key) for id_number, worker_key in pairs)
