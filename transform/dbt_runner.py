"""How Gigshield runs dbt: the one definition the nightly DAG's cosmos tasks (orchestration.dbt_tasks),
the tests, the benchmarks and the analysts' dbt docs all use, so that they run what production runs.

The night is built layer by layer (NIGHT_LAYERS: reference seeds → staging → intermediate → marts),
each layer one `dbt build` of its models, data tests and unit tests; a failing layer stops the ones
after it. Tests that join layers (e.g. a mart's relationship to a staging model) run with the later
layer: indirect selection "buildable" takes a test once all its parents are built or upstream.

One parse per night: dbt parses the project in full whenever the vars change, and as_of_date changes
every night, so each dbt command would otherwise parse the project again (a partial parse still reads
and checks the whole saved state and writes manifest.json again). night_manifest parses it once per
data day (keyed by the project's files, the vars, the profile and dbt's version) into
Settings.paths.dbt/parse/, and every layer and the docs build run on that manifest
(dbtRunner(manifest=...)): a process parses or loads it once and reuses it for all its commands.

In-process runs (dbtRunner) keep dbt's target and logs under Settings.paths.dbt (the docs under its
docs/); the cosmos tasks run the same command in a copy of the project that cosmos makes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult
    from dbt.contracts.graph.manifest import Manifest


@dataclass(frozen=True)
class Layer:
    """One layer of the night: `dbt build --select <select>`."""

    name: str
    select: str


NIGHT_LAYERS: tuple[Layer, ...] = (
    Layer("reference", "resource_type:seed"),
    Layer("staging", "path:models/staging"),
    Layer("intermediate", "path:models/intermediate"),
    Layer("marts", "path:models/marts"),
)
INDIRECT_SELECTION = "buildable"

PROJECT_DIR = DBT_PROJECT_DIR
PROFILES_YML = DBT_PROJECT_DIR / "profiles.yml"
PROFILE_NAME = "gigshield"
TARGET_NAME = "embedded"

# No telemetry (the project's flag says so too; DO_NOT_TRACK and cosmos' are devstack.airflow_home's).
NO_TELEMETRY_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

# What dbt reads to parse the project (dbt_project.yml's *-paths and the profile); target/ and logs/ are its output.
PROJECT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "seeds", "macros", "tests")
PARSE_STATE = "partial_parse.msgpack"  # dbt's own serialisation of the parsed manifest

# (resource type, unique id, seconds) of one node a build ran
NodeRun = tuple[str, str, float]


class DbtFailed(RuntimeError):
    """A dbt command failed; `layer` is the night's layer it was building (None for other commands)."""

    def __init__(self, message: str, layer: str | None = None) -> None:
        super().__init__(message)
        self.layer = layer


def dbt_vars(as_of_date: str) -> dict[str, str]:
    """The project's vars for a data day (ISO date, or the DAG's template of one): statuses are
    evaluated on it and incremental models add its batches."""
    return {"as_of_date": as_of_date}


def dbt_env(settings: Settings) -> dict[str, str]:
    """What dbt's environment must hold: the warehouse (profiles.yml reads it) and no telemetry. The
    pseudonym key is not passed to dbt at all: the plugin transform.pseudonym_plugin reads it from the
    process environment."""
    return {"GIGSHIELD_WAREHOUSE": str(settings.warehouse), **NO_TELEMETRY_ENV}


def build_command(select: str, full_refresh: bool = False) -> list[str]:
    """`dbt build` of a selection, with the night's indirect selection."""
    command = ["build", "--select", select, "--indirect-selection", INDIRECT_SELECTION]
    return command + ["--full-refresh"] if full_refresh else command


def build_layer(
    settings: Settings, layer: Layer, as_of: dt.date | None = None, full_refresh: bool = False
) -> list[NodeRun]:
    """`dbt build` of one layer, in-process, as its cosmos task runs it; raises DbtFailed (with the
    layer) if a model or test fails, else returns the nodes run.
    `as_of` is the data day (var as_of_date; default: today); incremental models add that night's
    batches unless `full_refresh` rebuilds them from the whole history."""
    return _build(settings, build_command(layer.select, full_refresh), as_of, layer.name)


def build_night(settings: Settings, as_of: dt.date | None = None, full_refresh: bool = False) -> list[NodeRun]:
    """The night's dbt build as the DAG runs it: every layer of NIGHT_LAYERS in order, stopping at the
    first that fails (DbtFailed names it); returns the nodes run by all layers."""
    nodes: list[NodeRun] = []
    for layer in NIGHT_LAYERS:
        nodes += build_layer(settings, layer, as_of, full_refresh)
    return nodes


def build_selection(
    settings: Settings, select: str, as_of: dt.date | None = None, full_refresh: bool = False
) -> list[NodeRun]:
    """`dbt build` of a part of the project only (dbt's selection syntax), in one command, with the
    night's indirect selection, vars and environment; for tests that need no more than a few models."""
    return _build(settings, build_command(select, full_refresh), as_of)


def generate_docs(settings: Settings, as_of: dt.date | None = None) -> Path:
    """`dbt docs generate` for a data day, in its own folder (the night's target is left alone), on the
    night's parsed manifest and without compiling (the analysts' docs carry no compiled SQL): only the
    catalog is read from the warehouse. Returns the target folder holding index.html, manifest.json (the
    night's parse) and catalog.json."""
    work = settings.paths.dbt / "docs"
    parsed, manifest = night_parse(settings, as_of)
    (work / "target").mkdir(parents=True, exist_ok=True)  # dbt makes it only when it parses
    _invoke(settings, ["docs", "generate", "--no-compile"], work, as_of, manifest=manifest)
    shutil.copyfile(parsed / "manifest.json", work / "target" / "manifest.json")
    return work / "target"


def parse_key(settings: Settings, as_of: dt.date | None) -> str:
    """What a parse depends on, hashed: dbt's version, the vars, the profile and target, dbt's environment
    (the warehouse) and every file dbt reads to parse the project (path and content)."""
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(
        json.dumps(
            [dbt_version, as_of and dbt_vars(as_of.isoformat()), PROFILE_NAME, TARGET_NAME, dbt_env(settings)]
        ).encode()
    )
    for source in PROJECT_SOURCES:
        top = PROJECT_DIR / source
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                digest.update(f"\0{path.relative_to(PROJECT_DIR)}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def parse_folder(settings: Settings, as_of: dt.date | None, key: str | None = None) -> Path:
    """The night's parse (`dbt parse` of the project for the day's vars): its target folder, with
    manifest.json and partial_parse.msgpack, made once per parse_key (`key`, if the caller has it); an
    older night's is removed."""
    root = settings.paths.dbt / "parse"
    folder = root / (key or parse_key(settings, as_of))
    if not (folder / PARSE_STATE).exists():
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".parsing-", dir=root))
        try:
            _invoke(settings, ["parse"], work, as_of)
            (work / "target").replace(folder)  # complete parses only appear under their key
        except OSError:
            if not (folder / PARSE_STATE).exists():  # not a concurrent parse of the same key that won
                raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for old in root.iterdir():
            if old != folder and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return folder


# The parse this process made or loaded last: (parse_key, its folder, the manifest).
_loaded: tuple[str, Path, Manifest] | None = None


def night_parse(settings: Settings, as_of: dt.date | None) -> tuple[Path, Manifest]:
    """The project parsed for a data day, shared by every dbt command of the night: parsed once
    (parse_folder), loaded once per process from dbt's saved state, reused while the key holds.
    Returns the parse's folder and its manifest (one key: a file saved meanwhile cannot split them)."""
    global _loaded
    key = parse_key(settings, as_of)
    if _loaded is None or _loaded[0] != key:
        from dbt.contracts.graph.manifest import Manifest
        from dbt.parser.manifest import extended_mashumuro_decoder

        folder = parse_folder(settings, as_of, key)
        state = (folder / PARSE_STATE).read_bytes()
        _loaded = (key, folder, Manifest.from_msgpack(state, decoder=extended_mashumuro_decoder))
    return _loaded[1], _loaded[2]


def night_manifest(settings: Settings, as_of: dt.date | None) -> Manifest:
    """The night's parsed manifest (night_parse)."""
    return night_parse(settings, as_of)[1]


def run_on_night_manifest(
    settings: Settings, args: list[str], as_of: dt.date | None, **runner: object
) -> dbtRunnerResult:
    """`dbt <args>` in-process on the night's manifest (no parse); `runner`: dbtRunner's other arguments
    (cosmos passes its callbacks)."""
    from dbt.cli.main import dbtRunner  # heavy import: only when something runs dbt

    os.environ.update(dbt_env(settings))
    return dbtRunner(manifest=night_manifest(settings, as_of), **runner).invoke(args)  # type: ignore[arg-type]


def _build(settings: Settings, command: list[str], as_of: dt.date | None, layer: str | None = None) -> list[NodeRun]:
    from dbt.contracts.results import RunExecutionResult

    manifest = night_manifest(settings, as_of)
    result = _invoke(settings, command, settings.paths.dbt, as_of, layer, manifest).result
    assert isinstance(result, RunExecutionResult)  # what dbt build returns
    return [(r.node.resource_type, r.node.unique_id, r.execution_time) for r in result.results]


def _invoke(
    settings: Settings,
    command: list[str],
    work: Path,
    as_of: dt.date | None,
    layer: str | None = None,
    manifest: Manifest | None = None,
) -> dbtRunnerResult:
    """Run `dbt <command>` in-process with the project's profile against Settings.warehouse, on
    `manifest` if given (else dbt parses); `work` holds its target and logs. Raises DbtFailed on
    failure, else returns dbt's result."""
    from dbt.cli.main import dbtRunner  # heavy import: only when something runs dbt

    os.environ.update(dbt_env(settings))
    args = [
        *command,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROFILES_YML.parent),
        "--profile",
        PROFILE_NAME,
        "--target",
        TARGET_NAME,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    if as_of:
        args += ["--vars", json.dumps(dbt_vars(as_of.isoformat()))]
    result = dbtRunner(manifest=manifest).invoke(args)
    if not result.success:
        what = f"dbt {command[0]}" + (f" of layer {layer}" if layer else "")
        raise DbtFailed(f"{what} failed: {result.exception or 'see ' + str(work / 'logs')}", layer)
    return result
