"""The dbt build of the nightly DAG as Airflow tasks rendered by astronomer-cosmos, one per layer of
transform.dbt_runner.NIGHT_LAYERS (reference seeds → staging → intermediate → marts), chained: a
failing layer stops the ones after it. Everything dbt is told (selectors, indirect selection, vars,
environment, project and profile) is the runner's; only what is Airflow's is here: the task ids, the
pool, the data day as a template of the run's logical date, and cosmos' own settings.

cosmos renders, templates and runs each layer (DbtBuildLocalOperator, InvocationMode.DBT_RUNNER); the
one thing changed is how it invokes dbtRunner: on the night's parsed manifest
(transform.dbt_runner.night_manifest), so the four layers and the docs build share one parse instead of
each parsing the project (cosmos' partial-parse cache still re-read and re-wrote the whole saved state
per task, and the first layer of each night parsed in full as the vars had changed).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import TYPE_CHECKING, Any

from airflow.models import BaseOperator

from core.config import TIMEZONE_NAME, Settings
from transform.dbt_runner import (
    INDIRECT_SELECTION,
    NIGHT_LAYERS,
    PROFILE_NAME,
    PROFILES_YML,
    PROJECT_DIR,
    TARGET_NAME,
    Layer,
    dbt_env,
    dbt_vars,
    run_on_night_manifest,
)

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

# The data day the run covers (orchestration.steps.data_date): the logical date's day in Beijing time.
AS_OF_DATE_TEMPLATE = "{{ logical_date.in_timezone('" + TIMEZONE_NAME + "').to_date_string() }}"


def layer_task_id(layer: Layer) -> str:
    return f"dbt_{layer.name}"


# cosmos deletes its copy of the project, target included, when the task ends: dbt need not write
# manifest.json and run_results.json into it (the whole manifest, once per layer).
NO_JSON = ("--no-write-json",)


@functools.cache
def night_layer_operator() -> type[BaseOperator]:
    """cosmos' DbtBuildLocalOperator, invoking dbtRunner on the night's parsed manifest (a class made on
    first use: the DAG file imports this module, and cosmos' operators are a heavy import)."""
    from cosmos.dbt.project import change_working_directory, environ
    from cosmos.operators.local import DbtBuildLocalOperator

    class DbtNightLayerOperator(DbtBuildLocalOperator):
        """`dbt build` of one layer of the night on the night's parsed manifest."""

        def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> dbtRunnerResult:
            from dbt.adapters.factory import reset_adapters

            as_of = dt.date.fromisoformat(self.vars["as_of_date"])  # rendered by now: the run's data day
            with change_working_directory(cwd), environ(env):
                self.log.info("Running dbt %s on the night's parsed manifest in %s", command[1:], cwd)
                try:  # command[0] is the dbt executable (cosmos builds one command line for both modes)
                    return run_on_night_manifest(
                        Settings.from_env(), [*command[1:], *NO_JSON], as_of, callbacks=self._dbt_runner_callbacks
                    )
                finally:
                    reset_adapters()  # as cosmos does after each dbtRunner call: releases the adapters' semaphores

    return DbtNightLayerOperator


def dbt_layer_tasks(pool: str) -> list[BaseOperator]:
    """One cosmos `dbt build` task per layer, chained, in `pool`; call inside the DAG's context."""
    from cosmos.config import ProfileConfig
    from cosmos.constants import InvocationMode

    settings = Settings.from_env()
    profile = ProfileConfig(profile_name=PROFILE_NAME, target_name=TARGET_NAME, profiles_yml_filepath=PROFILES_YML)
    operator = night_layer_operator()
    tasks = [
        operator(
            task_id=layer_task_id(layer),
            project_dir=str(PROJECT_DIR),
            profile_config=profile,
            select=layer.select,
            indirect_selection=INDIRECT_SELECTION,
            vars=dbt_vars(AS_OF_DATE_TEMPLATE),
            env=dbt_env(settings),
            append_env=True,
            install_deps=False,
            emit_datasets=False,
            invocation_mode=InvocationMode.DBT_RUNNER,
            pool=pool,
            # no cosmos partial-parse cache (cache_dir): the night's parse is transform.dbt_runner's
        )
        for layer in NIGHT_LAYERS
    ]
    for upstream, downstream in itertools.pairwise(tasks):
        upstream >> downstream
    return tasks
