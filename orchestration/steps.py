"""The nightly agency sync's steps, as plain functions: the Airflow DAG calls them, tests call them too.

The module imports little (no DuckDB, Kafka client or contract parsing at import): the DAG's first
tasks (list_feeds, list_datasets) import it for a list of file names; each step imports what it uses."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from pathlib import Path

from alerts.operator import notify_operator_of_data
from core.config import BEIJING, INBOUND_CONTRACTS_DIR, OUTBOUND_CONTRACTS_DIR, Settings
from core.contracts import RAW_SCHEMA, contract_ids, default_contracts, outbound_contracts
from core.file_modes import restrict_sensitive_files
from core.warehouse import one_row

log = logging.getLogger(__name__)


def data_date(logical_date: dt.datetime) -> dt.date:
    """The agency day a run covers: the logical date's calendar day in Beijing time."""
    return logical_date.astimezone(BEIJING).date()


def feed_topics() -> list[str]:
    return contract_ids(INBOUND_CONTRACTS_DIR)


def ingest_feed(topic: str, day: dt.date, settings: Settings | None = None) -> dict[str, int]:
    """Drain one feed's topic into the warehouse; returns the batch reconciliation counts, with
    `reused_ids` (messages quarantined for reusing a known id with other content: the agency must be
    told) and `unsigned_accepted` (unsigned messages loaded in the migration window), both warned about.
    Raises ingestion.loader.OffsetsLostToRetention when retention deleted messages before they were loaded."""
    from ingestion.loader import ingest

    settings = settings or Settings.from_env()
    (result,) = ingest(settings.warehouse, [default_contracts()[topic]], settings.kafka_bootstrap, day)
    restrict_sensitive_files(settings)  # the warehouse holds raw identifiers: 0600 (core.file_modes)
    counts = asdict(result.counts)
    log.info("%s for %s: %s", topic, day, counts)
    if counts["reused_ids"]:
        notify_operator_of_data(
            "message_id_reused",
            topic,
            day,
            f"{counts['reused_ids']} message(s) reused a known "
            "message id with different content and were quarantined (raw._quarantine): "
            "ask the agency why",
        )
    if counts["unsigned_accepted"]:
        log.warning(
            "%s for %s: %d unsigned message(s) loaded under GIGSHIELD_ACCEPT_UNSIGNED_UNTIL",
            topic,
            day,
            counts["unsigned_accepted"],
        )
    return counts


def validate_inbound(topic: str, day: dt.date, settings: Settings | None = None) -> dict[str, object]:
    """Inbound validation of one feed's night (expectations.inbound); raises if the night is held."""
    import duckdb

    from expectations.gx_project import open_context
    from expectations.inbound import validate_feed as validate
    from ingestion.raw_tables import ensure_raw_tables

    settings = settings or Settings.from_env()
    contracts = default_contracts()
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_raw_tables(con, contracts.values())
        result = validate(con, open_context(settings.data_dir), contracts[topic], contracts, day)
    log.info("%s for %s: %s", topic, day, result)
    result.raise_if_held()
    return {**asdict(result), "logical_date": day.isoformat()}


def outbound_datasets() -> list[str]:
    return contract_ids(OUTBOUND_CONTRACTS_DIR)


def publish_extract(dataset: str, day: dt.date, settings: Settings | None = None) -> dict[str, object]:
    """Validate one mart against its outbound contract and publish it; raises if it is blocked."""
    import duckdb

    from expectations.gx_project import open_context
    from publication.extracts import publish_dataset as publish

    settings = settings or Settings.from_env()
    with duckdb.connect(str(settings.warehouse)) as con:
        result = publish(
            con, open_context(settings.data_dir), outbound_contracts()[dataset], day, settings.paths.published
        )
    log.info("%s for %s: %s", dataset, day, result)
    result.raise_if_blocked()
    return {**asdict(result), "logical_date": day.isoformat()}


class ExtractLeak(RuntimeError):
    """A published extract holds a raw personal identifier or a column outside its contract."""


def scan_extracts(day: dt.date, settings: Settings | None = None) -> dict[str, int]:
    """Scan the night's published extracts (publication.identifier_scan); raises if anything is found."""
    from publication.identifier_scan import parquet_files, scan

    settings = settings or Settings.from_env()
    files = parquet_files(settings.paths.published.glob(f"*/{day.isoformat()}"))
    findings = scan(files)
    if findings:
        raise ExtractLeak(f"{len(findings)} finding(s) in the extracts of {day}: " + "; ".join(map(str, findings)))
    log.info("%d extract(s) of %s scanned: no raw identifier, no out-of-contract column", len(files), day)
    return {"extracts": len(files), "findings": 0}


def render_docs(settings: Settings | None = None) -> dict[str, str]:
    """GX Data Docs and the contract catalog, next to the warehouse."""
    from publication.data_docs import build_contract_catalog, build_data_docs

    settings = settings or Settings.from_env()
    return {
        "data_docs": str(build_data_docs(settings.data_dir)),
        "contract_catalog": str(build_contract_catalog(settings.paths.contract_catalog)),
    }


def feed_summary(warehouse: Path, day: dt.date) -> list[tuple[str, int, int, int, str]]:
    """Per feed: rows loaded and records quarantined in total, messages redelivered, and the
    inbound-validation status of the day's batches (released, held, accepted; '-' if none)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = []
        for topic, contract in sorted(default_contracts().items()):
            loaded = one_row(con, f"SELECT count(*) FROM {contract.qualified_table}")[0]
            quarantined, redelivered, status = one_row(
                con,
                f"SELECT (SELECT count(*) FROM {RAW_SCHEMA}._quarantine WHERE topic = $t),"
                f" (SELECT coalesce(sum(redelivered_messages), 0) FROM {RAW_SCHEMA}._batches WHERE topic = $t),"
                f" (SELECT coalesce(string_agg(DISTINCT status, ','), '-') FROM {RAW_SCHEMA}._batches"
                f"  WHERE topic = $t AND logical_date = $d)",
                {"t": topic, "d": day},
            )
            rows.append((topic, loaded, quarantined, redelivered, status))
        return rows


def publication_summary(warehouse: Path, day: dt.date) -> list[tuple[str, str, int, str | None]]:
    """Per outbound dataset: the latest publication attempt for the day (status, rows, file)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not one_row(
            con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' AND table_name = 'publications'"
        )[0]:
            return []
        return con.execute(
            """SELECT dataset, arg_max(status, recorded_at), arg_max(rows, recorded_at),
                                     arg_max(path, recorded_at)
                              FROM audit.publications WHERE logical_date = ? GROUP BY dataset ORDER BY dataset""",
            [day],
        ).fetchall()
