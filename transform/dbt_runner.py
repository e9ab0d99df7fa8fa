"""One way to run a dbt command of the project against the warehouse, in-process (dbtRunner)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult


def invoke_dbt(settings: Settings, command: list[str], work: Path, as_of: dt.date | None = None) -> dbtRunnerResult:
    """Run `dbt <command>` with the project's profile against Settings.warehouse; `work` holds its
    target and logs; `as_of` is the data day statuses are evaluated on (var as_of_date). Raises on
    failure, else returns dbt's result."""
    from dbt.cli.main import dbtRunner  # heavy import: only when a step runs dbt

    os.environ["GIGSHIELD_WAREHOUSE"] = str(settings.warehouse)
    # No telemetry (the project's flag says so too). The pseudonym key is not passed to dbt at all: the
    # plugin transform.pseudonym_plugin reads it from this process's environment.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    if as_of:
        args += ["--vars", json.dumps({"as_of_date": as_of.isoformat()})]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt {command[0]} failed: {result.exception or 'see ' + str(work / 'logs')}")
    return result
