"""Deliberate file modes for the data folder: what holds raw personal information is the owner's alone.

    warehouse.duckdb (+ .wal)       0600   raw.* holds resident IDs, phones, bank accounts, names
    manifests/*.json                0600   the synthetic agencies' ground truth (raw IDs of injected cases)
    logs/*.log, operator_alerts.jsonl 0600 Airflow and dbt output, failures (may quote values)
    snapshots/<date>.*              0444   the analysts' read-only nights (publication.snapshots)

DuckDB creates its files with the process umask; restrict_file sets the mode after the fact, so the
processes that create the warehouse should also run with umask 077 (the WAL comes and goes).
"""

from __future__ import annotations

from pathlib import Path

from core.config import Settings

PRIVATE = 0o600


def restrict_file(path: Path | str) -> list[Path]:
    """Make a file (and its DuckDB write-ahead log, if any) readable and writable by its owner only;
    returns the files changed. A missing file is not an error (nothing to protect yet)."""
    path = Path(path)
    changed = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            if file.is_file() and not file.is_symlink() and file.stat().st_mode & 0o777 != PRIVATE:
                file.chmod(PRIVATE)
                changed.append(file)
        except FileNotFoundError:  # the WAL was checkpointed away meanwhile
            pass
    return changed


def sensitive_files(settings: Settings) -> list[Path]:
    """The data folder's files that hold raw identifiers or operational detail (see the module's table)."""
    paths = settings.paths
    files = [settings.warehouse, paths.operator_alerts]
    for folder, pattern in ((paths.manifests, "*.json"), (paths.logs, "*.log")):
        if folder.is_dir():
            files += sorted(folder.glob(pattern))
    return files


def restrict_sensitive_files(settings: Settings | None = None) -> list[Path]:
    """restrict_file on every sensitive file of the data folder; returns the files changed."""
    settings = settings or Settings.from_env()
    return [changed for file in sensitive_files(settings) for changed in restrict_file(file)]
