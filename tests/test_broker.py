"""The embedded broker starts on a free port, answers Kafka requests, and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from devstack.broker import EmbeddedBroker, kafka_bootstrap

pytestmark = pytest.mark.integration


def test_embedded_broker_answers_and_stops_cleanly():
    broker = EmbeddedBroker().start()
    pid = broker._process.pid
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        assert admin.describe_cluster()["cluster_id"] == broker.cluster_id
        admin.close()
    finally:
        broker.stop()
    assert not broker.running
    assert not os.path.exists(f"/proc/{pid}") or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}") and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_job_killed_without_stopping_its_broker_leaves_no_broker_running():
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from devstack.broker import EmbeddedBroker; "
            "b = EmbeddedBroker().start(); print(b._process.pid, flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    broker_pid = int(owner.stdout.readline())
    assert _alive(broker_pid)
    owner.send_signal(signal.SIGKILL)  # no chance to run its clean-up
    owner.wait()
    deadline = time.monotonic() + 10
    while _alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(broker_pid)


def test_bootstrap_is_configuration(monkeypatch):
    monkeypatch.setenv("GIGSHIELD_KAFKA_BOOTSTRAP", "kafka.example:9092")
    with kafka_bootstrap() as bootstrap:
        assert bootstrap == "kafka.example:9092"
    monkeypatch.delenv("GIGSHIELD_KAFKA_BOOTSTRAP")
    with kafka_bootstrap() as bootstrap:
        assert os.environ["GIGSHIELD_KAFKA_BOOTSTRAP"] == bootstrap != "kafka.example:9092"
    assert "GIGSHIELD_KAFKA_BOOTSTRAP" not in os.environ


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) of the sockets listening on a port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_embedded_broker_listens_on_loopback_only():
    """It has no authentication (Tansu 0.6 cannot be given a user: see devstack/broker.py), so nothing
    but this machine may reach it."""
    with EmbeddedBroker() as broker:
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        assert _listening_addresses(broker.port) == {"0100007F"}  # 127.0.0.1, little-endian
