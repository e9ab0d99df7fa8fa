"""How Gigshield runs dbt: the one definition the nightly DAG's cosmos tasks (orchestration.dbt_tasks),
the tests, the benchmarks and the analysts' dbt docs all use, so that they run what production runs.

The night is built layer by layer (NIGHT_LAYERS: reference seeds → staging → intermediate → marts),
each layer one `dbt build` of its models, data tests and unit tests; a failing layer stops the ones
after it. Tests that join layers (e.g. a mart's relationship to a staging model) run with the later
layer: indirect selection "buildable" takes a test once all its parents are built or upstream.

In-process runs (dbtRunner) keep dbt's target and logs under Settings.paths.dbt (the docs under its
docs/); the cosmos tasks run the same command in a copy of the project that cosmos makes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult


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
    """`dbt docs generate` for a data day, in its own folder (the night's target is left alone);
    returns the target folder holding index.html, manifest.json and catalog.json."""
    work = settings.paths.dbt / "docs"
    _invoke(settings, ["docs", "generate"], work, as_of)
    return work / "target"


def _build(settings: Settings, command: list[str], as_of: dt.date | None, layer: str | None = None) -> list[NodeRun]:
    from dbt.contracts.results import RunExecutionResult

    result = _invoke(settings, command, settings.paths.dbt, as_of, layer).result
    assert isinstance(result, RunExecutionResult)  # what dbt build returns
    return [(r.node.resource_type, r.node.unique_id, r.execution_time) for r in result.results]


def _invoke(
    settings: Settings, command: list[str], work: Path, as_of: dt.date | None, layer: str | None = None
) -> dbtRunnerResult:
    """Run `dbt <command>` in-process with the project's profile against Settings.warehouse; `work`
    holds its target and logs. Raises DbtFailed on failure, else returns dbt's result."""
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
    result = dbtRunner().invoke(args)
    if not result.success:
        what = f"dbt {command[0]}" + (f" of layer {layer}" if layer else "")
        raise DbtFailed(f"{what} failed: {result.exception or 'see ' + str(work / 'logs')}", layer)
    return result
