"""The suite's layers: every test is marked unit, integration or e2e (so `make test-fast`, i.e.
`pytest -m "not e2e"`, leaves out exactly the whole-DAG runs), and test modules share helpers through
tests/support.py instead of importing one another."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from core.config import PROJECT_ROOT
from tests.support import LAYERS, unlayered

pytestmark = pytest.mark.unit

TESTS = PROJECT_ROOT / "tests"
CROSS_IMPORT = re.compile(r"^\s*(from\s+tests\.test_\w*\s+import|import\s+tests\.test_)", re.MULTILINE)


@dataclass
class Item:
    """What unlayered() reads of a collected test."""

    nodeid: str
    marks: list[str] = field(default_factory=list)

    def iter_markers(self):
        return [SimpleNamespace(name=name) for name in self.marks]


def test_every_collected_test_has_exactly_one_layer(request):
    assert unlayered(request.session.items) == []
    assert unlayered(
        [
            Item("t::plain", ["parametrize", "timeout"]),
            Item("t::both", ["unit", "e2e"]),
            Item("t::fine", ["integration", "timeout"]),
        ]
    ) == ["t::plain (no layer)", "t::both (e2e, unit)"]


def test_the_layers_are_the_registered_markers(pytestconfig):
    registered = {line.split(":")[0] for line in pytestconfig.getini("markers")}
    assert set(LAYERS) <= registered
    assert pytestconfig.getoption("strict_markers")  # a misspelt layer is an error, not a new marker


def test_no_test_module_imports_another():
    found = {path.name: CROSS_IMPORT.findall(path.read_text(encoding="utf-8")) for path in TESTS.rglob("*.py")}
    assert {name: imports for name, imports in found.items() if imports} == {}
