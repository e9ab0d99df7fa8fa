"""The nightly agency sync's steps, as plain functions: the Airflow DAG calls them, tests call them too."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict
from pathlib import Path

import duckdb

from ingestion.config import DBT_PROJECT_DIR, Settings
from ingestion.contracts import RAW_SCHEMA, default_contracts
from ingestion.loader import ingest

log = logging.getLogger(__name__)

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def data_date(logical_date: dt.datetime) -> dt.date:
    """The agency day a run covers: the logical date's calendar day in Beijing time."""
    return logical_date.astimezone(SHANGHAI).date()


def feed_topics() -> list[str]:
    return sorted(default_contracts())


def ingest_feed(topic: str, day: dt.date, settings: Settings | None = None) -> dict[str, int]:
    """Drain one feed's topic into the warehouse; returns the batch reconciliation counts."""
    settings = settings or Settings.from_env()
    (result,) = ingest(settings.warehouse, [default_contracts()[topic]], settings.kafka_bootstrap, day)
    counts = asdict(result.counts)
    log.info("%s for %s: %s", topic, day, counts)
    return counts


def dbt_build(settings: Settings | None = None, select: str | None = None) -> None:
    """`dbt build` of the project against the warehouse; raises if any model or test fails."""
    from dbt.cli.main import dbtRunner  # heavy import: only when the step runs

    settings = settings or Settings.from_env()
    os.environ["GIGSHIELD_WAREHOUSE"] = str(settings.warehouse)
    os.environ.setdefault("GIGSHIELD_PSEUDONYM_KEY", settings.pseudonym_key)
    work = settings.data_dir / "dbt"
    args = ["build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    if select:
        args += ["--select", select]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt build failed: {result.exception or 'see ' + str(work / 'logs')}")


def feed_summary(warehouse: Path) -> list[tuple[str, int, int, int]]:
    """Per feed: rows loaded in total, records quarantined in total, messages redelivered and skipped."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = []
        for topic, contract in sorted(default_contracts().items()):
            loaded = con.execute(f"SELECT count(*) FROM {contract.qualified_table}").fetchone()[0]
            quarantined, redelivered = con.execute(
                f"SELECT (SELECT count(*) FROM {RAW_SCHEMA}._quarantine WHERE topic = $t),"
                f" (SELECT coalesce(sum(redelivered_messages), 0) FROM {RAW_SCHEMA}._batches WHERE topic = $t)",
                {"t": topic}).fetchone()
            rows.append((topic, loaded, quarantined, redelivered))
        return rows
