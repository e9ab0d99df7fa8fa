"""Shared fixtures: a real embedded Kafka-protocol broker, feeds on topics of a test's own and the built
night of the analyst-facing outputs; and the check that every test is marked with its layer. Helpers
that are not fixtures are in tests/support.py (importing it sets the tests' environment)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import Settings
from core.contracts import Contract
from devstack.broker import EmbeddedBroker
from tests.support import LAYERS, build_night, own_feeds, unlayered


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every collected test is marked with exactly one layer (before -m deselects any)."""
    if found := unlayered(items):
        raise pytest.UsageError(
            f"tests without exactly one of the markers {', '.join(LAYERS)} "
            "(a module's `pytestmark` or a test's own mark):\n  " + "\n  ".join(found)
        )


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log") as b:
        yield b


@pytest.fixture
def feeds() -> dict[str, Contract]:
    return own_feeds()


@pytest.fixture(scope="session")
def built_night(broker, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The night of the analyst-facing outputs (tests.support.build_night), built once for the session.
    Read it, never write to it: a module that writes takes a copy (tests.support.copy_built_night)."""
    with pytest.MonkeyPatch.context() as mp:  # the environment is the copies' to set, not the session's
        return build_night(broker, tmp_path_factory.mktemp("built_night"), mp)
