"""Production Kafka's ACLs come from the contracts: each feed topic is written by exactly its agencies and
read by the loader only, no client may delete or reconfigure anything, and the committed init script
is what the contracts generate. Also: how Gigshield's own clients get their credentials."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
from pathlib import Path

import pytest

from core.contracts import default_contracts
from ingestion import kafka_acls
from ingestion.kafka_acls import (
    ALERT_TOPIC,
    INIT_SCRIPT,
    LOADER,
    Acl,
    acls,
    agencies,
    parse_allow_lines,
    render,
    writers,
)
from ingestion.kafka_security import KafkaSecurityError, kafka_client_options

pytestmark = pytest.mark.integration

CLIENT_OPERATIONS = {"Read", "Write", "Describe"}


def expected_writers(contract) -> set[str]:
    return set(getattr(contract, "source_agencies", ()) or ()) or {contract.topic.split(".")[0]}


def test_the_committed_init_script_is_what_the_contracts_generate():
    assert INIT_SCRIPT.read_text(encoding="utf-8") == render(), (
        "deploy/kafka/kafka-init.sh is stale: python -m ingestion.kafka_acls > deploy/kafka/kafka-init.sh"
    )
    assert kafka_acls.main(["--check"]) == 0


def test_every_feed_topic_has_exactly_its_agencies_as_writers_and_the_loader_as_reader():
    granted = parse_allow_lines(INIT_SCRIPT.read_text(encoding="utf-8"))
    assert granted == acls()
    feeds = default_contracts()
    for topic, contract in feeds.items():
        on_topic = [a for a in granted if a.resource_type == "topic" and a.resource == topic]
        assert {a.principal for a in on_topic if a.operation == "Write"} == expected_writers(contract), topic
        assert {a.principal for a in on_topic if a.operation == "Read"} == {LOADER}, topic
        assert {a.principal for a in on_topic if a.operation == "Describe"} == expected_writers(contract) | {LOADER}
        # The topic's own agency (its name's first part, the contract's domain) is among its writers.
        assert topic.split(".")[0] == contract.agency and contract.agency in expected_writers(contract)
    assert {a.resource for a in granted if a.resource_type == "topic"} == set(feeds) | {ALERT_TOPIC}


def test_the_loader_writes_only_alerts_and_no_client_may_delete_or_alter():
    granted = acls()
    assert {a.operation for a in granted} <= CLIENT_OPERATIONS  # no Delete, Alter, AlterConfigs, Create, All
    assert {a.resource for a in granted if a.principal == LOADER and a.operation == "Write"} == {ALERT_TOPIC}
    assert {a.principal for a in granted if a.resource == ALERT_TOPIC and a.operation == "Write"} == {LOADER}
    assert "gigshield-admin" not in {a.principal for a in granted}  # the super user needs no ACL
    assert not [a for a in granted if a.resource_type not in ("topic", "group")]  # nothing on the cluster
    assert [a for a in granted if a.resource_type == "group"] == [Acl("hrss", "Read", "group", "hrss.", "prefixed")]


def test_a_new_contract_gets_its_acls_without_editing_anything():
    feeds = dict(default_contracts())
    licence = feeds["transport.licence.v1"]
    new = dataclasses.replace(licence, topic="transport.road_inspection.v1")
    feeds[new.topic] = new
    script = render(feeds)
    assert "topic transport.road_inspection.v1" in script.splitlines()
    assert Acl("transport", "Write", "topic", new.topic) in parse_allow_lines(script)
    assert Acl(LOADER, "Read", "topic", new.topic) in parse_allow_lines(script)


def test_an_agency_name_that_is_not_a_principal_is_refused():
    licence = default_contracts()["transport.licence.v1"]
    if not hasattr(licence, "source_agencies"):
        pytest.skip("contracts have no sourceAgencies yet")
    bad = dataclasses.replace(licence, source_agencies=("Transport; rm -rf /",))
    with pytest.raises(ValueError, match="not a principal name"):
        writers(bad)


@pytest.fixture
def stub_tools(tmp_path):
    """kafka-topics.sh, kafka-configs.sh and kafka-acls.sh replaced by stubs that log their arguments."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for tool in ("kafka-topics.sh", "kafka-configs.sh", "kafka-acls.sh"):
        stub = bin_dir / tool
        stub.write_text(
            f'#!/usr/bin/env bash\nargs=("$@"); config=""\n'
            'for i in "${!args[@]}"; do [[ ${args[$i]} == --command-config ]] && config=${args[$((i+1))]}; done\n'
            f'echo "{tool} $* mode=$(stat -c %a "$config") $(grep -c \'password="admin-\' "$config")" >> "{log}"\n'
        )
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return bin_dir, log


def _passwords() -> dict[str, str]:
    return {kafka_acls.password_variable(p): f"pw-{p}-0123456789abcdef" for p in [LOADER, *agencies()]}


def test_the_init_script_creates_topics_users_and_acls(stub_tools):
    bin_dir, log = stub_tools
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GIGSHIELD_KAFKA_ADMIN_PASSWORD": "admin-0123456789abcdef",
        **_passwords(),
    }
    done = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert sum(c.startswith("kafka-topics.sh") for c in calls) == len(default_contracts()) + 1
    users = [c for c in calls if c.startswith("kafka-configs.sh")]
    assert len(users) == len(agencies()) + 1
    assert any("--entity-name hrss" in c and "SCRAM-SHA-512=[iterations=8192,password=pw-hrss-" in c for c in users)
    assert all("--command-config /tmp/gigshield-admin." in c for c in calls)
    assert sum(c.startswith("kafka-acls.sh") for c in calls) == len(
        [line for line in render().splitlines() if line.startswith("allow ")]
    )
    # The admin's client file: private while the tools run, gone when the script ends.
    assert all(c.endswith(" mode=600 1") for c in calls)
    config = {c.split("--command-config ")[1].split()[0] for c in calls}
    assert len(config) == 1 and not Path(config.pop()).exists()


def test_the_init_script_refuses_a_missing_or_weak_password(stub_tools):
    bin_dir, _log = stub_tools
    base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GIGSHIELD_KAFKA_ADMIN_PASSWORD": "admin-0123456789abcdef"}
    passwords = _passwords()
    missing = {k: v for k, v in passwords.items() if not k.endswith("_HRSS")}
    done = subprocess.run(
        ["bash", str(INIT_SCRIPT)], env={**base, **missing}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "GIGSHIELD_KAFKA_PASSWORD_HRSS is not set" in done.stderr
    weak = {**passwords, "GIGSHIELD_KAFKA_PASSWORD_HRSS": "a,b=[c]"}
    done = subprocess.run(["bash", str(INIT_SCRIPT)], env={**base, **weak}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "GIGSHIELD_KAFKA_PASSWORD_HRSS must be" in done.stderr


def test_client_options_default_to_plaintext_for_the_embedded_broker():
    assert kafka_client_options({}) == {"security_protocol": "PLAINTEXT"}


def test_client_options_for_scram_and_tls(tmp_path):
    assert kafka_client_options(
        {
            "GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "GIGSHIELD_KAFKA_USERNAME": LOADER,
            "GIGSHIELD_KAFKA_PASSWORD": "secret",
        }
    ) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": LOADER,
        "sasl_plain_password": "secret",
    }
    ca = tmp_path / "ca.crt"
    ca.write_text("not checked here\n")
    options = kafka_client_options(
        {
            "GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "GIGSHIELD_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "GIGSHIELD_KAFKA_USERNAME": "hrss",
            "GIGSHIELD_KAFKA_PASSWORD": "pw",
            "GIGSHIELD_KAFKA_SSL_CAFILE": str(ca),
        }
    )
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["ssl_cafile"] == str(ca)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "needs GIGSHIELD_KAFKA_USERNAME"),
        ({"GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "TLS"}, "expected one of"),
        (
            {
                "GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "GIGSHIELD_KAFKA_SASL_MECHANISM": "GSSAPI",
                "GIGSHIELD_KAFKA_USERNAME": "u",
                "GIGSHIELD_KAFKA_PASSWORD": "p",
            },
            "expected one of",
        ),
        (
            {
                "GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "GIGSHIELD_KAFKA_SASL_MECHANISM": "PLAIN",
                "GIGSHIELD_KAFKA_USERNAME": "u",
                "GIGSHIELD_KAFKA_PASSWORD": "p",
            },
            "in clear",
        ),
        (
            {"GIGSHIELD_KAFKA_SECURITY_PROTOCOL": "SSL", "GIGSHIELD_KAFKA_SSL_CAFILE": "/nonexistent/ca.crt"},
            "no such file",
        ),
    ],
)
def test_client_options_refuse_incomplete_settings(env, message):
    with pytest.raises(KafkaSecurityError, match=message):
        kafka_client_options(env)
