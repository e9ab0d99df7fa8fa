"""No telemetry: dbt's anonymous usage stats, astronomer-cosmos' metrics, Scarf and Airflow's usage data
collection are off in the environment the nightly run builds, in the dbt project and in the image."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from core.config import DBT_PROJECT_DIR, PROJECT_ROOT
from devstack.airflow_home import NO_TELEMETRY, airflow_env

pytestmark = pytest.mark.integration

OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
}
# What the libraries themselves conclude, in a process started with the nightly run's environment.
PROBE = """
import json
from airflow.configuration import conf
from cosmos import settings, telemetry
from dbt.cli.flags import Flags
from dbt.cli.main import cli
flags = Flags(cli.make_context("dbt", ["parse"]))
print(json.dumps({
    "cosmos_emits": telemetry.should_emit(),
    "cosmos_enable_telemetry": settings.enable_telemetry,
    "airflow_usage_data_collection": conf.getboolean("usage_data_collection", "enabled", fallback=True),
    "dbt_send_anonymous_usage_stats": flags.SEND_ANONYMOUS_USAGE_STATS,
}))
"""


def test_the_nightly_environment_turns_telemetry_off_whatever_the_caller_had(tmp_path):
    caller = {
        "PATH": "/usr/bin:/bin",
        "DO_NOT_TRACK": "0",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "True",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "true",
        "SCARF_ANALYTICS": "true",
    }
    env = airflow_env(home=tmp_path / "airflow", base=caller)
    assert {k: env[k] for k in OFF} == OFF and NO_TELEMETRY.items() <= env.items()

    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "cosmos_emits": False,
        "cosmos_enable_telemetry": False,
        "airflow_usage_data_collection": False,
        "dbt_send_anonymous_usage_stats": False,
    }


def test_the_dbt_project_and_the_image_turn_telemetry_off():
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["flags"]["send_anonymous_usage_stats"] is False
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert all(f"{name}={value}" in dockerfile for name, value in NO_TELEMETRY.items())
