"""docker-compose.yml describes the production stack and Compose accepts it (no engine needed): Kafka's
agency port is SASL_SSL with ACLs, every published port answers on loopback unless told otherwise,
Airflow runs the FAB auth manager, and Compose refuses to start without each secret."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from core.config import PROJECT_ROOT
from ingestion.kafka_acls import LOADER, agencies, password_variable

pytestmark = pytest.mark.integration

SECRETS = {
    "GIGSHIELD_PSEUDONYM_KEY": "k",
    "POSTGRES_PASSWORD": "p",
    "AIRFLOW_JWT_SECRET": "j",
    "AIRFLOW_ADMIN_PASSWORD": "a",
    "KAFKA_ADVERTISED_HOST": "kafka.gigshield.example",
    "KAFKA_SSL_KEYSTORE_PASSWORD": "ks",
    "KAFKA_ADMIN_PASSWORD": "ka",
    "KAFKA_LOADER_PASSWORD": "kl",
    **{f"KAFKA_AGENCY_{agency.upper()}_PASSWORD": f"pw-{agency}" for agency in agencies()},
}
COMPOSE_TEXT = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed: `make test` installs Debian's docker-compose")
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    return subprocess.run(
        [binary, "-f", str(PROJECT_ROOT / "docker-compose.yml"), "config"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def services() -> dict:
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_compose_accepts_the_file_and_it_has_the_production_services(services):
    assert {
        "kafka",
        "kafka-init",
        "postgres",
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    } <= set(services)
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
    scheduler = services["airflow-scheduler"]
    assert scheduler["environment"]["GIGSHIELD_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert scheduler["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert "build" in scheduler


def _listeners(kafka_env: dict) -> dict[str, str]:
    return dict(item.split(":") for item in kafka_env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))


def test_agencies_connect_over_tls_with_scram_and_the_advertised_host_is_configuration(services):
    kafka = services["kafka"]["environment"]
    protocols = _listeners(kafka)
    assert protocols["EXTERNAL"] == "SASL_SSL"
    assert protocols["INTERNAL"] in ("SASL_SSL", "SASL_PLAINTEXT") and protocols["CONTROLLER"] != "PLAINTEXT"
    assert "PLAINTEXT" not in protocols.values() and "SSL" not in protocols.values()  # nothing unauthenticated
    assert kafka["KAFKA_LISTENER_NAME_EXTERNAL_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert "ScramLoginModule" in kafka["KAFKA_LISTENER_NAME_EXTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    assert kafka["KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION"].startswith("/etc/kafka/secrets/")
    assert "EXTERNAL://kafka.gigshield.example:9094" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "localhost" not in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert any(str(v).endswith(":/etc/kafka/secrets:ro") for v in services["kafka"]["volumes"])  # operator's, read-only


def test_kafka_denies_what_no_acl_allows_and_only_the_admin_is_super_user(services):
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == "User:gigshield-admin"
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    init = services["kafka-init"]
    assert init["entrypoint"] == ["bash", "/opt/gigshield/kafka/kafka-init.sh"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    # Airflow starts after the users and ACLs exist (the other Airflow services wait for airflow-init).
    assert services["airflow-init"]["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"


def test_every_principal_of_the_generated_acls_gets_its_password(services):
    """A new agency in a contract's sourceAgencies needs its password variable here (kafka-init reads it)."""
    init = services["kafka-init"]["environment"]
    for principal in [LOADER, *agencies()]:
        assert init.get(password_variable(principal)), f"kafka-init has no {password_variable(principal)}"


def test_gigshield_clients_authenticate_as_the_loader(services):
    env = services["airflow-scheduler"]["environment"]
    assert env["GIGSHIELD_KAFKA_SECURITY_PROTOCOL"] in ("SASL_PLAINTEXT", "SASL_SSL")
    assert env["GIGSHIELD_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert env["GIGSHIELD_KAFKA_USERNAME"] == LOADER and env["GIGSHIELD_KAFKA_PASSWORD"] == "kl"


def test_no_port_is_published_on_all_interfaces():
    """Every `ports:` entry names its host address: 127.0.0.1, or a ${..._BIND:-127.0.0.1} variable."""
    raw = yaml.safe_load(COMPOSE_TEXT)["services"]
    published = [(name, str(p)) for name, s in raw.items() for p in s.get("ports", [])]
    assert published, "the stack publishes the UI and the agency port"
    for name, port in published:
        assert re.fullmatch(r"(127\.0\.0\.1|\$\{[A-Z_]+_BIND:-127\.0\.0\.1\}):\d+:\d+", port), (name, port)
    assert compose_config(SECRETS).returncode == 0
    for name, service in yaml.safe_load(compose_config(SECRETS).stdout)["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_airflow_uses_the_fab_auth_manager_and_init_checks_the_key_and_creates_the_admin(services):
    env = services["airflow-api-server"]["environment"]
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    init = services["airflow-init"]
    script = " ".join(init["command"])
    assert script.index("python -m ingestion.pseudonyms check") < script.index("airflow db migrate")
    assert "set -e" in script and "airflow users create --role Admin" in script
    assert (
        init["environment"]["AIRFLOW_ADMIN_USERNAME"] == "admin"
        and init["environment"]["AIRFLOW_ADMIN_PASSWORD"] == "a"
    )
    assert "GIGSHIELD_ENV" not in init["environment"]  # production: the development key is refused


def test_compose_refuses_to_start_without_the_secrets():
    result = compose_config({})
    assert result.returncode != 0 and "Missing mandatory value" in result.stderr + result.stdout


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_required_variable_is_required(missing):
    result = compose_config({k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0 and missing in result.stderr + result.stdout


def test_the_header_lists_the_required_variables():
    header = COMPOSE_TEXT.split("\nx-", 1)[0]
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE_TEXT))
    assert required == set(SECRETS)
    for variable in required - {f"KAFKA_AGENCY_{a.upper()}_PASSWORD" for a in agencies()}:
        assert variable in header, variable
    assert "KAFKA_AGENCY_<AGENCY>_PASSWORD" in header
    assert all(a.upper() in header for a in agencies())


def test_the_env_template_names_every_required_variable():
    template = (PROJECT_ROOT / "deploy" / "production.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?([A-Z_]+)=", template, re.MULTILINE))
    assert set(SECRETS) <= named
