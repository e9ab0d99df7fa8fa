"""The environment Airflow runs with on the embedded stack: a project-local AIRFLOW_HOME with a
SQLite metadata database, Gigshield's DAGs folder, and the project on PYTHONPATH."""

from __future__ import annotations

import os
from pathlib import Path

from ingestion.config import PROJECT_ROOT


def airflow_env(home: Path | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    home = home or Path(env.get("AIRFLOW_HOME", PROJECT_ROOT / ".airflow"))
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env.get(
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
    })
    return env
