"""The dbt build of the nightly DAG as Airflow tasks rendered by astronomer-cosmos, one per layer:
reference seeds → staging → intermediate → marts. Each task is `dbt build` of its layer (models,
their data tests and unit tests) for the run's data day; a failing layer stops the ones after it.

Tests that join layers (e.g. a mart's relationship to a staging model) run with the later layer:
indirect selection "buildable" takes a test once all its parents are built or upstream.
"""

from __future__ import annotations

import itertools

from airflow.models import BaseOperator

from core.config import DBT_PROJECT_DIR, TIMEZONE_NAME, Settings

LAYERS: tuple[tuple[str, str], ...] = (
    ("reference", "resource_type:seed"),
    ("staging", "path:models/staging"),
    ("intermediate", "path:models/intermediate"),
    ("marts", "path:models/marts"),
)
# The data day the run covers (orchestration.steps.data_date): the logical date's day in Beijing time.
AS_OF_DATE_TEMPLATE = "{{ logical_date.in_timezone('" + TIMEZONE_NAME + "').to_date_string() }}"


def dbt_layer_tasks(pool: str) -> list[BaseOperator]:
    """One cosmos `dbt build` task per layer, chained, in `pool`; call inside the DAG's context."""
    from cosmos.config import ProfileConfig
    from cosmos.constants import InvocationMode
    from cosmos.operators.local import DbtBuildLocalOperator

    settings = Settings.from_env()
    profile = ProfileConfig(
        profile_name="gigshield", target_name="embedded", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
    )
    tasks = [
        DbtBuildLocalOperator(
            task_id=f"dbt_{layer}",
            project_dir=str(DBT_PROJECT_DIR),
            profile_config=profile,
            select=select,
            indirect_selection="buildable",
            vars={"as_of_date": AS_OF_DATE_TEMPLATE},
            env={"GIGSHIELD_WAREHOUSE": str(settings.warehouse)},
            append_env=True,
            install_deps=False,
            emit_datasets=False,
            invocation_mode=InvocationMode.DBT_RUNNER,
            pool=pool,
            # dbt's partial-parse state, kept between tasks: each layer would otherwise parse the whole project
            cache_dir=settings.paths.dbt / "cosmos-cache",
        )
        for layer, select in LAYERS
    ]
    for upstream, downstream in itertools.pairwise(tasks):
        upstream >> downstream
    return tasks
