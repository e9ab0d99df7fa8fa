"""Read-only analyst snapshots: one DuckDB file per successful night, swapped in atomically.

DuckDB lets one process write a file, and while it writes nobody else can open it, not even to read.
Analysts therefore never open the warehouse. After a night succeeds, publish_snapshot copies the
analyst schemas into a new file, renders the dbt docs of that night, renames both into
data/snapshots/<date>.duckdb and <date>.dbt-docs.html, and only then moves the `current.duckdb` link.
An analyst opening current.duckdb gets the previous complete night or the new complete night, never a
half-built one; an analyst who has a snapshot open keeps the night they opened until they reconnect.

The raw schema (resident IDs, phones, bank accounts, workers' names) stays behind: PIPL keeps raw
identifiers at the edge. The alert outbox (schema alerts) comes along once a night has raised alerts:
its messages carry the cases of marts.fct_inspectorate_alerts (enterprises, counts, evidence links),
no worker, and the inspector's page shows their deadlines. Its delivery bookkeeping stays behind.
Views are copied as tables, so a snapshot answers as of its night for ever and needs nothing but itself
(no pseudonym key, no `current_date` fallback at query time).

An analyst's connection (connect(), the `query` command) reads the snapshot and nothing else: it is
read-only, DuckDB's external access is off (no ATTACH of the warehouse, no read_text/read_csv of files,
no COPY ... TO, no extension installed or autoloaded) and the configuration is locked, so a query cannot
turn any of it back on. The docs carry the models' source and descriptions, not their compiled SQL.
CSV output escapes text cells a spreadsheet would run as a formula (OWASP: leading = + - @ tab CR).

    python -m publication.snapshots path                      the current snapshot's file
    python -m publication.snapshots query blacklist_by_region one of analyst_queries/*.sql (or a file, or SQL)
    python -m publication.snapshots publish --date 2026-11-24 what the nightly DAG runs after a good night
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path

import duckdb

from core.config import PROJECT_ROOT, Settings
from core.warehouse import one_row
from transform.dbt_runner import generate_docs

# everything but raw (share: the per-agency extracts as built, which are published anyway)
ANALYST_SCHEMAS = ("staging", "intermediate", "marts", "share", "reference", "audit", "alerts")
# Where each alert went (a webhook URL may carry a token), attempts and errors, and the wall-clock time a
# night was raised (a rerun of the night rewrites it): operations' business, not the night's data.
WITHHELD = ("alerts.deliveries", "alerts.nights")
KEEP_NIGHTS = 14
CURRENT = "current"
SNAPSHOT_SUFFIX = ".duckdb"
DOCS_SUFFIX = ".dbt-docs.html"
NIGHT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})" + re.escape(SNAPSHOT_SUFFIX) + "$")
ANALYST_QUERIES_DIR = PROJECT_ROOT / "analyst_queries"
# An analyst's connection: the snapshot only. Given at connect time, so no query can change them.
ANALYST_CONFIG = {
    "enable_external_access": False,  # no ATTACH, no file/URL reads or writes (read_*, COPY, EXPORT), no INSTALL
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,  # last: SET/RESET of any option fails from here on
}
# dbt's manifest keys holding SQL as run (compiled; ephemeral CTEs): not for the analysts' docs.
COMPILED_KEYS = ("compiled_code", "compiled_sql")
DOCS_PLACEHOLDERS = {"manifest.json": '"MANIFEST.JSON INLINE DATA"', "catalog.json": '"CATALOG.JSON INLINE DATA"'}
# Text a spreadsheet would read as a formula (OWASP CSV injection): prefixed with a single quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def snapshots_dir(settings: Settings) -> Path:
    return settings.paths.snapshots


def snapshot_path(day: dt.date, settings: Settings) -> Path:
    return snapshots_dir(settings) / f"{day.isoformat()}{SNAPSHOT_SUFFIX}"


def publish_snapshot(day: dt.date, settings: Settings | None = None, keep: int = KEEP_NIGHTS) -> dict[str, object]:
    """Publish the warehouse's night `day` to analysts; rerunning a day replaces its snapshot with the
    same content. `current` always names the newest night published; only the newest `keep` are kept."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1 (the night being published), got {keep}")
    settings = settings or Settings.from_env()
    folder = snapshots_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = snapshot_path(day, settings)
    docs = snapshot.with_name(f"{day.isoformat()}{DOCS_SUFFIX}")
    staged = {final: final.with_name(f".{final.name}.partial") for final in (snapshot, docs)}
    try:
        relations = copy_night(settings.warehouse, staged[snapshot], day)
        render_dbt_docs(settings, day, staged[docs])
        staged[docs].chmod(0o444)
        for final, partial in staged.items():  # complete files only ever appear under their final names
            os.replace(partial, final)
    finally:
        for partial in staged.values():
            for leftover in (partial, partial.with_name(partial.name + ".wal")):
                leftover.unlink(missing_ok=True)
    previous = _current_night(folder)
    current = _point_at_newest(folder)
    removed = _prune(folder, keep, spare=previous)
    return {
        "logical_date": day.isoformat(),
        "snapshot": str(snapshot),
        "docs": str(docs),
        "relations": relations,
        "current": str(current),
        "removed": [str(p) for p in removed],
    }


def copy_night(warehouse: Path, target: Path, day: dt.date) -> int:
    """Copy every table and view of the analyst schemas (less WITHHELD) into a new DuckDB file, in one
    transaction (a consistent read of the warehouse), with dbt's table and column descriptions; returns
    the number of relations. The file is made read-only."""
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: build a night before publishing it")
    target.unlink(missing_ok=True)
    with duckdb.connect(str(warehouse)) as con:  # the DAG's writer has finished: this step is the only user
        source = _ident(one_row(con, "SELECT current_database()")[0])
        con.execute(f"ATTACH {_literal(str(target))} AS snapshot")
        try:
            con.begin()
            relations = [
                r
                for r in con.execute(
                    "SELECT schema_name, table_name, comment FROM duckdb_tables()"
                    " WHERE database_name = current_database() AND list_contains($s, schema_name)"
                    " UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views()"
                    " WHERE database_name = current_database() AND list_contains($s, schema_name) AND NOT internal"
                    " ORDER BY 1, 2",
                    {"s": list(ANALYST_SCHEMAS)},
                ).fetchall()
                if ".".join(r[:2]) not in WITHHELD
            ]
            columns = [
                c
                for c in con.execute(
                    "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns()"
                    " WHERE database_name = current_database() AND list_contains($s, schema_name)"
                    " AND comment IS NOT NULL AND comment <> ''",
                    {"s": list(ANALYST_SCHEMAS)},
                ).fetchall()
                if ".".join(c[:2]) not in WITHHELD
            ]
            for schema in sorted({schema for schema, *_ in relations}):
                con.execute(f"CREATE SCHEMA snapshot.{_ident(schema)}")
            for schema, name, comment in relations:
                relation = f"{_ident(schema)}.{_ident(name)}"
                con.execute(f"CREATE TABLE snapshot.{relation} AS FROM {source}.{relation}")
                if comment:
                    con.execute(f"COMMENT ON TABLE snapshot.{relation} IS {_literal(comment)}")
            for schema, name, column, comment in columns:
                con.execute(
                    f"COMMENT ON COLUMN snapshot.{_ident(schema)}.{_ident(name)}.{_ident(column)}"
                    f" IS {_literal(comment)}"
                )
            con.execute(
                "CREATE TABLE snapshot.main.snapshot_night AS SELECT CAST($d AS DATE) AS logical_date,"
                " CAST($n AS INTEGER) AS relations",
                {"d": day, "n": len(relations)},
            )
            con.execute(
                "COMMENT ON TABLE snapshot.main.snapshot_night IS"
                " 'The night (logical date) this snapshot holds, published by publication/snapshots.py.'"
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.execute("DETACH snapshot")  # checkpoints and closes the file
    target.chmod(0o444)
    return len(relations)


def render_dbt_docs(settings: Settings, day: dt.date, out: Path) -> Path:
    """The night's dbt docs as one file, as `dbt docs generate --static` makes it (manifest and catalog
    inlined into index.html) but with every node's compiled SQL taken out of the manifest first."""
    target = generate_docs(settings, as_of=day)
    manifest = without_compiled_code(json.loads((target / "manifest.json").read_text(encoding="utf-8")))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    html = (target / "index.html").read_text(encoding="utf-8")
    for name, data in (("manifest.json", manifest), ("catalog.json", catalog)):
        placeholder = DOCS_PLACEHOLDERS[name]
        if placeholder not in html:
            raise RuntimeError(f"dbt's docs index.html has no {placeholder} to inline {name} into (dbt changed?)")
        html = html.replace(placeholder, _inline_json(data))
    out.write_text(html, encoding="utf-8")
    return out


def without_compiled_code(manifest: dict) -> dict:
    """The manifest with no compiled SQL: compiled_code/compiled_sql dropped and ephemeral CTEs emptied in
    every node (models, tests, seeds, snapshots, analyses, unit tests, ...). Source (raw_code) stays."""
    for section in manifest.values():
        if not isinstance(section, dict):
            continue
        for node in section.values():
            if isinstance(node, dict) and ("resource_type" in node or "unique_id" in node):
                for key in COMPILED_KEYS:
                    node.pop(key, None)
                if "extra_ctes" in node:
                    node["extra_ctes"] = []
    return manifest


def _inline_json(data: object) -> str:
    """JSON to put inside an HTML <script>: `</` escaped so no text in it (a description) can close the script."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _point_at_newest(folder: Path) -> Path:
    """Swap the `current` links to the newest night in the folder (a new link renamed over the old one)."""
    newest = max(_nights(folder))
    for suffix in (SNAPSHOT_SUFFIX, DOCS_SUFFIX):
        link = folder / f"{CURRENT}{suffix}"
        fresh = folder / f".{link.name}.{os.getpid()}.link"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(f"{newest.isoformat()}{suffix}")  # relative: the folder can move
        os.replace(fresh, link)
    return folder / f"{CURRENT}{SNAPSHOT_SUFFIX}"


def _nights(folder: Path) -> list[dt.date]:
    return sorted(dt.date.fromisoformat(m.group(1)) for p in folder.iterdir() if (m := NIGHT_NAME.match(p.name)))


def _current_night(folder: Path) -> dt.date | None:
    link = folder / f"{CURRENT}{SNAPSHOT_SUFFIX}"
    match = NIGHT_NAME.match(os.readlink(link)) if link.is_symlink() else None
    return dt.date.fromisoformat(match.group(1)) if match else None


def _prune(folder: Path, keep: int, spare: dt.date | None) -> list[Path]:
    """Remove all but the newest `keep` nights, sparing the night that was current until this swap: an
    analyst may have just resolved the link to it and be opening it (it goes at the next publication)."""
    removed = []
    for night in [n for n in _nights(folder)[:-keep] if n != spare]:
        for suffix in (SNAPSHOT_SUFFIX, DOCS_SUFFIX):
            old = folder / f"{night.isoformat()}{suffix}"
            if old.exists():
                old.unlink()
                removed.append(old)
    return removed


def current_snapshot(settings: Settings | None = None) -> Path:
    """The file of the newest published night (the target of current.duckdb)."""
    settings = settings or Settings.from_env()
    link = snapshots_dir(settings) / f"{CURRENT}{SNAPSHOT_SUFFIX}"
    if not link.exists():
        raise FileNotFoundError(
            f"no snapshot published under {link.parent} yet: a successful night publishes one "
            "(python -m publication.snapshots publish --date YYYY-MM-DD)"
        )
    return link.resolve()


def connect(day: dt.date | None = None, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot, or to the night `day` if it is still kept."""
    settings = settings or Settings.from_env()
    path = snapshot_path(day, settings) if day else current_snapshot(settings)
    if not path.exists():
        raise FileNotFoundError(f"no snapshot of {day} under {path.parent} (kept: the newest {KEEP_NIGHTS} nights)")
    return duckdb.connect(str(path), read_only=True, config=dict(ANALYST_CONFIG))


def example_queries() -> dict[str, str]:
    """The analysts' example queries, by name (analyst_queries/<name>.sql)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(ANALYST_QUERIES_DIR.glob("*.sql"))}


def resolve_query(query: str) -> str:
    """An example's name, a .sql file, or SQL text."""
    examples = example_queries()
    if query in examples:
        return examples[query]
    if query.endswith(".sql"):
        path = Path(query)
        if not path.is_file():
            raise FileNotFoundError(f"no query file {path}; examples: {', '.join(examples)}")
        return path.read_text(encoding="utf-8")
    return query


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text that a spreadsheet would take for a formula gets a leading single quote
    (OWASP CSV injection guidance); numbers, dates and NULLs are left as they are (-3 is a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m publication.snapshots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("path", help="print the current snapshot's file")
    publish = commands.add_parser("publish", help="publish the warehouse's night (after a successful run)")
    publish.add_argument("--date", type=dt.date.fromisoformat, required=True, help="the night's logical date")
    query = commands.add_parser("query", help="run a query against a snapshot, read-only")
    query.add_argument("query", help=f"an example ({', '.join(example_queries())}), a .sql file, or SQL text")
    query.add_argument("--date", type=dt.date.fromisoformat, help="a kept night instead of the current one")
    query.add_argument(
        "--csv",
        action="store_true",
        help="CSV with a header row instead of a table (RFC 4180;"
        " text starting with = + - @ tab or CR gets a leading ' so spreadsheets do not run it)",
    )
    args = parser.parse_args(argv)

    if args.command == "path":
        print(current_snapshot())
    elif args.command == "publish":
        print(publish_snapshot(args.date))
    else:
        with connect(args.date) as con:
            try:
                result = con.sql(resolve_query(args.query))
            except duckdb.Error as refused:  # a bad query, or one the locked connection refuses: no traceback
                raise SystemExit(f"query failed: {type(refused).__name__}: {refused}") from None
            if args.csv:
                # RFC 4180 line ends: the writer then quotes every cell holding a CR or LF, so no cell can
                # start a row of its own
                out = csv.writer(sys.stdout, lineterminator="\r\n")
                out.writerow([csv_cell(name) for name in result.columns])
                out.writerows([csv_cell(value) for value in row] for row in result.fetchall())
            else:
                result.show(max_rows=200)


if __name__ == "__main__":
    main()
