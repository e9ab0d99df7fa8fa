"""The environment Airflow runs with on the embedded stack: a project-local AIRFLOW_HOME with a
SQLite metadata database, Gigshield's DAGs folder and no telemetry (the project is installed in the
environment, so no PYTHONPATH)."""

from __future__ import annotations

import os
from pathlib import Path

from core.config import PROJECT_ROOT, TIMEZONE_NAME

# Telemetry off, whatever the caller's environment says: dbt's anonymous usage stats, astronomer-cosmos'
# metrics (cosmos.settings: [cosmos] enable_telemetry, DO_NOT_TRACK, SCARF_NO_ANALYTICS), Scarf-based
# analytics in general (SCARF_ANALYTICS) and Airflow's usage data collection (the [usage_data_collection]
# section of Airflow 2.10; Airflow 3.3 has none, the variable is kept for images on other versions).
NO_TELEMETRY = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    "SCARF_NO_ANALYTICS": "true",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
}


def airflow_env(home: Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    home = home or Path(env.get("AIRFLOW_HOME", PROJECT_ROOT / ".airflow"))
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": TIMEZONE_NAME,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env.get(
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}"
            ),
            **NO_TELEMETRY,
        }
    )
    return env
