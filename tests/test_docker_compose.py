"""docker-compose.yml describes the production stack and Compose accepts it (no engine needed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from ingestion.config import PROJECT_ROOT

SECRETS = {"GIGSHIELD_PSEUDONYM_KEY": "k", "POSTGRES_PASSWORD": "p", "AIRFLOW_JWT_SECRET": "j"}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed: `make test` installs Debian's docker-compose")
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    return subprocess.run([binary, "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)


def test_compose_accepts_the_file_and_it_has_the_production_services():
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"kafka", "postgres", "airflow-init", "airflow-api-server", "airflow-scheduler",
            "airflow-dag-processor"} <= set(services)
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
    scheduler = services["airflow-scheduler"]
    assert scheduler["environment"]["GIGSHIELD_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert scheduler["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert "build" in scheduler


def test_compose_refuses_to_start_without_the_secrets():
    result = compose_config({})
    assert result.returncode != 0 and "Missing mandatory value" in result.stderr + result.stdout
