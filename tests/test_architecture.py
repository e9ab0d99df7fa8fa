"""The layering of the top-level folders (docs/ARCHITECTURE.md): each production package imports only
from itself and the packages before it in the order data flows, so there is no import cycle between
folders; nothing that ships imports the development stack (devstack/) or the tests; the Docker image
and the wheel carry the production code and nothing else.

Imports are read with `ast`, every one of them: at module level, inside functions, under
`if TYPE_CHECKING:`, relative ones (resolved against the file's package) and
`importlib.import_module("...")` / `__import__("...")` with a literal name."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from core.config import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = pytest.mark.unit

# The production packages in the order data flows: each may import only itself and those before it.
ORDER = ("core", "ingestion", "expectations", "transform", "publication", "alerts", "reports", "orchestration", "dags")
# Development only (may import any production package, never the tests); never imported by production.
DEVELOPMENT = ("devstack",)
NOT_SHIPPED = ("devstack", "tests", "bench")
SCANNED = ORDER + DEVELOPMENT
# dags/ is Airflow's DAG folder (AIRFLOW__CORE__DAGS_FOLDER), read from disk, not an importable package.
NOT_PACKAGES = ("dags",)


@dataclass(frozen=True)
class Import:
    """One import statement's module, as an absolute dotted name, and where it is."""

    path: str  # relative to the root scanned, posix
    line: int
    module: str

    @property
    def source(self) -> str:
        """The top-level folder of the importing file."""
        return self.path.split("/")[0]

    @property
    def target(self) -> str:
        """The top-level package imported."""
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: import {self.module}"


def imports_in(path: str, text: str) -> list[Import]:
    """Every import of a file's source (path relative to the project root), wherever it is in the file."""
    found: list[Import] = []
    for node in ast.walk(ast.parse(text, filename=path)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.append(Import(path, node.lineno, node.module or ""))
        elif isinstance(node, ast.ImportFrom):  # relative: from the file's package, `level - 1` up
            package = path.split("/")[:-1]
            base = package[: len(package) - node.level + 1]
            if node.module:
                found.append(Import(path, node.lineno, ".".join([*base, node.module])))
            else:  # from . import x: x is a module of the package (or a name in its __init__)
                found += [Import(path, node.lineno, ".".join([*base, alias.name])) for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
            if name in ("import_module", "__import__") and literal and not literal.startswith("."):
                found.append(Import(path, node.lineno, literal))
    return sorted(found, key=lambda imp: (imp.line, imp.module))


def project_imports(root: Path, folders: Iterable[str]) -> list[Import]:
    """The imports of every .py file under the given top-level folders of root."""
    found: list[Import] = []
    for folder in folders:
        for file in sorted((root / folder).rglob("*.py")):
            if "__pycache__" not in file.parts:
                path = file.relative_to(root).as_posix()
                found += imports_in(path, file.read_text(encoding="utf-8"))
    return found


def layering_violations(imports: Iterable[Import]) -> list[str]:
    """Imports that break the layering: a later stage, development-only code or the tests from production;
    the tests from the development stack."""
    violations = []
    for imp in imports:
        source, target = imp.source, imp.target
        if source == target:
            continue
        if source in ORDER:
            if target in NOT_SHIPPED:
                violations.append(f"{imp}: production package {source} imports development-only {target}")
            elif target in ORDER and ORDER.index(target) > ORDER.index(source):
                violations.append(f"{imp}: {source} imports {target}, a later stage")
        elif source in DEVELOPMENT and target == "tests":
            violations.append(f"{imp}: {source} imports the tests")
    return violations


def folder_graph(imports: Iterable[Import], folders: Iterable[str]) -> dict[str, dict[str, Import]]:
    """Folder → folder it imports → the first import that makes the edge (between the given folders)."""
    known = set(folders)
    graph: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.source != imp.target and imp.source in known and imp.target in known:
            graph.setdefault(imp.source, {}).setdefault(imp.target, imp)
    return graph


def shortest_path(graph: Mapping[str, Mapping[str, Import]], start: str, end: str) -> list[str] | None:
    """The folders of a shortest path start → … → end in the graph (breadth first), or None."""
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        if node == end:
            return paths[node]
        for nxt in sorted(graph.get(node, {})):
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return None


def import_cycles(graph: Mapping[str, Mapping[str, Import]]) -> list[str]:
    """For every edge on a cycle, the shortest cycle through it (each cycle once), with the import of
    each of its edges."""
    cycles: dict[tuple[str, ...], str] = {}
    for a in sorted(graph):
        for b in sorted(graph[a]):
            back = shortest_path(graph, b, a)
            if back is None:
                continue
            ring = [a, *back][:-1]
            first = ring.index(min(ring))  # each cycle once: from its first folder by name
            nodes = [*ring[first:], *ring[:first], ring[first]]
            edges = "; ".join(str(graph[x][y]) for x, y in itertools.pairwise(nodes))
            cycles.setdefault(tuple(nodes), f"{' → '.join(nodes)} ({edges})")
    return list(cycles.values())


def copied_sources(dockerfile: str) -> list[tuple[int, str]]:
    """(line, source) of each COPY/ADD instruction's sources (not the destination, not --from stages)."""
    found = []
    for number, line in enumerate(dockerfile.splitlines(), start=1):
        words = shlex.split(line, comments=True) if re.match(r"\s*(COPY|ADD)\s", line, re.I) else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        found += [(number, re.sub(r"^(\./)+", "", src).rstrip("/") or ".") for src in args[:-1]]
    return found


def shipped_development_code(dockerfile: str) -> list[str]:
    """COPY sources that are (or contain) a folder that must not ship."""
    return [
        f"Dockerfile:{number}: COPY {src}"
        for number, src in copied_sources(dockerfile)
        if src in (".", "*") or any(src == d or src.startswith(d + "/") for d in NOT_SHIPPED)
    ]


# --- the checker itself, on a small synthetic project --------------------------------------------


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_the_checker_reports_a_later_stage_a_cycle_and_a_devstack_import(tmp_path):
    write(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/config.py": "import os\n\n\ndef f():\n    from ingestion.loader import ingest\n",
            "ingestion/__init__.py": "",
            "ingestion/loader.py": "from core import config\nfrom . import signing\n",
            "ingestion/signing.py": "",
            "publication/__init__.py": "",
            "publication/snapshots.py": (
                "from typing import TYPE_CHECKING\n"
                "import importlib\n"
                "if TYPE_CHECKING:\n"
                "    from devstack.broker import EmbeddedBroker\n"
                "importlib.import_module('tests.support')\n"
                "from ..orchestration import steps\n"
            ),
            "devstack/__init__.py": "",
            "devstack/broker.py": "import publication.snapshots\nfrom tests.support import x\n",
        },
    )
    imports = project_imports(tmp_path, SCANNED)
    assert Import("ingestion/loader.py", 2, "ingestion.signing") in imports  # relative, resolved
    assert layering_violations(imports) == [
        "core/config.py:5: import ingestion.loader: core imports ingestion, a later stage",
        "publication/snapshots.py:4: import devstack.broker: production package publication imports "
        "development-only devstack",
        "publication/snapshots.py:5: import tests.support: production package publication imports "
        "development-only tests",
        "publication/snapshots.py:6: import orchestration: publication imports orchestration, a later stage",
        "devstack/broker.py:2: import tests.support: devstack imports the tests",
    ]
    assert import_cycles(folder_graph(imports, SCANNED)) == [
        "core → ingestion → core (core/config.py:5: import ingestion.loader; ingestion/loader.py:1: import core)",
        "devstack → publication → devstack (devstack/broker.py:1: import publication.snapshots; "
        "publication/snapshots.py:4: import devstack.broker)",
    ]


def test_the_checker_finds_nothing_in_a_layered_project(tmp_path):
    write(
        tmp_path,
        {
            "core/config.py": "import os\n",
            "ingestion/loader.py": "from core.config import X\n",
            "dags/dag.py": "from orchestration import steps\nfrom ingestion import loader\n",
            "devstack/run.py": "import dags\nfrom core import config\n",
        },
    )
    imports = project_imports(tmp_path, SCANNED)
    assert layering_violations(imports) == []
    assert import_cycles(folder_graph(imports, SCANNED)) == []


def test_the_dockerfile_check_reports_development_code():
    dockerfile = "FROM x\nCOPY core/ core/\nCOPY ./devstack/ devstack/\nCOPY --chown=a tests/x.py ./\nCOPY . .\n"
    assert shipped_development_code(dockerfile) == [
        "Dockerfile:3: COPY devstack",
        "Dockerfile:4: COPY tests/x.py",
        "Dockerfile:5: COPY .",
    ]


# --- the project ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports(PROJECT_ROOT, SCANNED)


def test_every_top_level_folder_with_python_code_has_its_place():
    """A new top-level folder of Python code is either a stage in ORDER or development-only."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folders = {name.split("/")[0] for name in out.splitlines() if "/" in name}
    assert folders <= set(ORDER) | set(NOT_SHIPPED)
    assert set(SCANNED) <= folders


def nested_imports(root: Path, folders: Iterable[str]) -> dict[str, set[tuple[str, int]]]:
    """(file, line) of the import statements under `if TYPE_CHECKING:` and inside functions."""
    nested: dict[str, set[tuple[str, int]]] = {"type_checking": set(), "function": set()}
    for folder in folders:
        for file in sorted((root / folder).rglob("*.py")):
            path = file.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                    kind = "type_checking"
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    kind = "function"
                else:
                    continue
                nested[kind] |= {
                    (path, inner.lineno) for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)
                }
    return nested


def test_the_scan_sees_imports_inside_functions_and_under_type_checking(imports):
    scanned = {(imp.path, imp.line) for imp in imports}
    for kind, found in nested_imports(PROJECT_ROOT, SCANNED).items():
        assert found, f"no import of the kind {kind}: this test no longer shows the scan reads them"
        assert found <= scanned, kind


def test_each_package_imports_only_itself_and_earlier_stages(imports):
    assert layering_violations(imports) == []


def test_no_import_cycle_between_top_level_folders(imports):
    assert import_cycles(folder_graph(imports, SCANNED)) == []


def test_core_depends_on_no_other_folder(imports):
    assert [
        str(imp) for imp in imports if imp.source == "core" and imp.target in {*SCANNED, *NOT_SHIPPED} - {"core"}
    ] == []


def test_no_production_package_imports_devstack_or_tests(imports):
    assert [str(imp) for imp in imports if imp.source in ORDER and imp.target in NOT_SHIPPED] == []


def test_the_docker_image_copies_the_production_code_and_no_development_code():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert shipped_development_code(dockerfile) == []
    copied = {src for _, src in copied_sources(dockerfile)}
    assert set(ORDER) <= copied


def test_the_wheel_holds_exactly_the_production_packages():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert packages == [p for p in ORDER if p not in NOT_PACKAGES]  # in the order data flows
    assert all((PROJECT_ROOT / p / "__init__.py").is_file() for p in packages)
    assert not any((PROJECT_ROOT / p / "__init__.py").exists() for p in NOT_PACKAGES)


def test_the_dbt_plugin_is_a_production_module():
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    modules = [
        plugin["module"]
        for profile in profiles.values()
        for output in profile["outputs"].values()
        for plugin in output.get("plugins", [])
    ]
    assert modules
    for module in modules:
        package = module.split(".")[0]
        assert package in ORDER and package not in NOT_PACKAGES, module
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        assert Path(spec.origin).resolve().is_relative_to(PROJECT_ROOT / package), spec.origin
