"""The dbt build of the nightly DAG as Airflow tasks rendered by astronomer-cosmos, one per layer of
transform.dbt_runner.NIGHT_LAYERS (reference seeds → staging → intermediate → marts), chained: a
failing layer stops the ones after it. Everything dbt is told (selectors, indirect selection, vars,
environment, project and profile) is the runner's; only what is Airflow's is here: the task ids, the
pool, the data day as a template of the run's logical date, and cosmos' own settings.
"""

from __future__ import annotations

import itertools

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
)

# The data day the run covers (orchestration.steps.data_date): the logical date's day in Beijing time.
AS_OF_DATE_TEMPLATE = "{{ logical_date.in_timezone('" + TIMEZONE_NAME + "').to_date_string() }}"


def layer_task_id(layer: Layer) -> str:
    return f"dbt_{layer.name}"


def dbt_layer_tasks(pool: str) -> list[BaseOperator]:
    """One cosmos `dbt build` task per layer, chained, in `pool`; call inside the DAG's context."""
    from cosmos.config import ProfileConfig
    from cosmos.constants import InvocationMode
    from cosmos.operators.local import DbtBuildLocalOperator

    settings = Settings.from_env()
    profile = ProfileConfig(profile_name=PROFILE_NAME, target_name=TARGET_NAME, profiles_yml_filepath=PROFILES_YML)
    tasks = [
        DbtBuildLocalOperator(
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
            # dbt's partial-parse state, kept between tasks: each layer would otherwise parse the whole project
            cache_dir=settings.paths.dbt / "cosmos-cache",
        )
        for layer in NIGHT_LAYERS
    ]
    for upstream, downstream in itertools.pairwise(tasks):
        upstream >> downstream
    return tasks
