"""Shared fixtures: a real embedded Kafka-protocol broker, feeds on topics of a test's own and the built
night of the analyst-facing outputs; the check that every test is marked with its layer; and the order
the tests run in. Helpers that are not fixtures are in tests/support.py (importing it sets the tests'
environment).

`make test` and `make test-fast` run the suite on two pytest-xdist workers, a whole module at a time
(`-n 2 --dist loadfile --no-loadscope-reorder`): every session fixture is per worker (its own broker on
a free port, its own temporary folders) except the built night, which the first worker to need it builds
for the run while holding a lock and the others then copy."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.config import Settings
from core.contracts import Contract
from devstack.broker import EmbeddedBroker
from tests.support import LAYERS, build_night, night_settings, own_feeds, unlayered

# The modules that take longest, slowest first (a profiling run, issue 12): they start first, so that on
# two workers the long ones overlap and the short ones fill in at the end. The others follow in the
# order they were collected; within a module its e2e tests (whole DAG runs) come first.
SLOWEST_FIRST = (
    "test_nightly",  # a backfill of three nights and a rerun: four DAG runs
    "test_hostile_night",  # one DAG run
    "test_incremental_nights",  # four dbt builds of a night: three incremental, one full refresh
    "test_snapshots",  # builds the built night (unless another worker has) and eight snapshots with dbt docs
    "test_alerts",
    "test_blacklist_cases",  # two nights of hand-built cases
    "test_blacklist_synthetic",  # a synthetic window's cases against the manifest
    "test_labour_synthetic",  # a synthetic National Day window's labour violations against the manifest (~2 min)
    "test_share_extracts",
    "test_inspector_page",  # after test_snapshots has built the built night: no wait for its lock
    "test_loader",
    "test_credit",
    "test_labour_rules",  # one night of hand-built labour-rule cases
    "test_inbound",
    "test_contract_evolution",
    "test_analyst_access",
    "test_nightly_lock",
    "test_telemetry",
    "test_docker_compose",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every collected test is marked with exactly one layer (before -m deselects any); then the slowest
    modules first (SLOWEST_FIRST), and a module's e2e tests before its others."""
    if found := unlayered(items):
        raise pytest.UsageError(
            f"tests without exactly one of the markers {', '.join(LAYERS)} "
            "(a module's `pytestmark` or a test's own mark):\n  " + "\n  ".join(found)
        )
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: (rank.get(item.path.stem, len(rank)), item.get_closest_marker("e2e") is None))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log") as b:
        yield b


@pytest.fixture
def feeds() -> dict[str, Contract]:
    return own_feeds()


def run_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this run: shared by its xdist workers (each has its own basetemp below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold `lock` exclusively (fcntl.flock, waiting for it); the kernel frees it if the holder dies."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built_night(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The night of the analyst-facing outputs (tests.support.build_night), built once for the run: by the
    first xdist worker that asks, holding a lock, in the run's shared temporary folder; the others wait
    for it and use the same files. Read it, never write to it: a module that writes takes a copy
    (tests.support.copy_built_night), which needs no connection to it."""
    root = run_tmp(tmp_path_factory)
    data_dir, built = root / "built_night", root / "built_night.done"
    with exclusive(root / "built_night.lock"), pytest.MonkeyPatch.context() as mp:
        # the environment is the copies' to set, not the session's
        if not built.exists():
            if data_dir.exists():  # a worker died building it
                shutil.rmtree(data_dir)
            data_dir.mkdir()
            build_night(request.getfixturevalue("broker"), data_dir, mp)
            built.touch()
        return night_settings(data_dir, mp)
