"""One dbt runner (transform.dbt_runner): the DAG's cosmos tasks are built from its definitions (the
layers, their selectors, the indirect selection, the vars, the environment, project and profile), and
the in-process night the tests and benchmarks build runs the same layers, in order, stopping at the
first that fails."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import duckdb
import pendulum
import pytest
import yaml

from core.config import Settings
from orchestration.steps import data_date
from transform import dbt_runner
from transform.dbt_runner import NIGHT_LAYERS, DbtFailed

pytestmark = pytest.mark.integration  # imports Airflow and cosmos, or runs dbt

DAY = dt.date(2026, 11, 22)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A data folder of the test's own (the runner sets GIGSHIELD_WAREHOUSE: monkeypatch restores it)."""
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "true")  # a caller's: the runner turns it off
    return Settings.from_env()


def options(args: list[str]) -> tuple[str, dict[str, str | bool]]:
    """A dbt command line as (sub-command, {option: value, or True for a flag})."""
    command, found, rest = args[0], {}, list(args[1:])
    while rest:
        option = rest.pop(0)
        assert option.startswith("--"), args
        found[option] = rest.pop(0) if rest and not rest[0].startswith("--") else True
    return command, found


def layer_tasks():
    from airflow.sdk import DAG

    from orchestration.dbt_tasks import dbt_layer_tasks

    with DAG("dbt_runner_test", schedule=None, start_date=pendulum.datetime(2026, 1, 1)):
        return dbt_layer_tasks(pool="warehouse_test_pool")


def test_the_nights_layers_are_seeds_staging_intermediate_marts_with_buildable_tests():
    assert [(layer.name, layer.select) for layer in NIGHT_LAYERS] == [
        ("reference", "resource_type:seed"),
        ("staging", "path:models/staging"),
        ("intermediate", "path:models/intermediate"),
        ("marts", "path:models/marts"),
    ]
    assert dbt_runner.INDIRECT_SELECTION == "buildable"


def test_the_dags_cosmos_tasks_carry_exactly_the_runners_definitions(settings):
    from orchestration.dbt_tasks import AS_OF_DATE_TEMPLATE

    tasks = layer_tasks()
    assert [task.task_id for task in tasks] == [f"dbt_{layer.name}" for layer in NIGHT_LAYERS]
    for task, layer in zip(tasks, NIGHT_LAYERS, strict=True):
        assert task.select == layer.select
        assert task.indirect_selection == dbt_runner.INDIRECT_SELECTION
        assert task.vars == dbt_runner.dbt_vars(AS_OF_DATE_TEMPLATE)
        assert task.env == dbt_runner.dbt_env(settings)
        assert task.env == {"GIGSHIELD_WAREHOUSE": str(settings.warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        assert task.full_refresh is False and task.exclude is None and task.selector is None
        assert Path(task.project_dir) == dbt_runner.PROJECT_DIR
        profile = task.profile_config
        assert (profile.profile_name, profile.target_name, profile.profiles_yml_filepath) == (
            dbt_runner.PROFILE_NAME,
            dbt_runner.TARGET_NAME,
            dbt_runner.PROFILES_YML,
        )
        assert task.pool == "warehouse_test_pool"

        # the command cosmos runs is the runner's: the same sub-command and options, the same vars
        cosmos, cosmos_options = options(task.build_cmd(context={}, cmd_flags=task.add_cmd_flags())[0][1:])
        runner, runner_options = options(dbt_runner.build_command(layer.select))
        assert yaml.safe_load(str(cosmos_options.pop("--vars"))) == task.vars
        assert (cosmos, cosmos_options) == (runner, runner_options)
    # chained in the runner's order: a failing layer stops the ones after it
    for upstream, downstream in itertools.pairwise(tasks):
        assert upstream.downstream_task_ids == {downstream.task_id}
    assert tasks[0].upstream_task_ids == set()


@pytest.mark.parametrize("logical_date", ["2026-11-21T18:00:00+00:00", "2026-11-22T15:59:59+00:00"])
def test_the_dag_passes_the_runs_data_day_as_the_var(logical_date):
    (task, *_) = layer_tasks()
    when = pendulum.parse(logical_date)
    assert task.render_template(task.vars, {"logical_date": when}) == dbt_runner.dbt_vars(data_date(when).isoformat())
    assert data_date(when) == DAY


def test_the_dags_tasks_run_dbt_on_the_nights_parsed_manifest(settings, recording, tmp_path):
    """cosmos runs each layer's command; the dbtRunner it calls is given the night's manifest, parsed once."""
    dbt = recording()
    for task in layer_tasks():
        task.vars = dbt_runner.dbt_vars(DAY.isoformat())  # as Airflow renders it for the run
        command = ["dbt", *dbt_runner.build_command(task.select)]
        assert task.run_dbt_runner(command, env=dbt_runner.dbt_env(settings), cwd=str(tmp_path)).success
    assert len(dbt.parses) == 1
    assert [options(args)[1]["--select"] for args, _ in dbt.calls] == [layer.select for layer in NIGHT_LAYERS]
    assert all(m is dbt_runner.night_manifest(settings, DAY) for m in dbt.manifests)


class RecordingDbt:
    """Stands in for dbt's dbtRunner: records every build and docs invocation (its arguments and the
    warehouse and telemetry variables it saw), the manifest each was given and every `dbt parse` (which
    saves an empty project's state where dbt would), and fails the build of the layer `failing`."""

    def __init__(self, failing: str | None) -> None:
        self.failing = failing
        self.calls: list[tuple[list[str], dict[str, str | None]]] = []
        self.manifests: list[object] = []  # the manifest given to each recorded call
        self.parses: list[list[str]] = []
        self._manifest: object = None

    def __call__(self, manifest: object = None, callbacks: object = None) -> RecordingDbt:  # dbtRunner(...)
        self._manifest = manifest
        return self

    def invoke(self, args: list[str]):
        import os

        from dbt.cli.main import dbtRunnerResult
        from dbt.contracts.graph.manifest import Manifest
        from dbt.contracts.results import RunExecutionResult
        from dbt.parser.manifest import extended_mashumaro_encoder

        if args[0] == "parse":
            self.parses.append(list(args))
            target = Path(str(options(args)[1]["--target-path"]))
            target.mkdir(parents=True)
            (target / "partial_parse.msgpack").write_bytes(Manifest().to_msgpack(extended_mashumaro_encoder))
            (target / "manifest.json").write_text("{}", encoding="utf-8")
            return dbtRunnerResult(success=True, result=None)
        seen = {name: os.environ.get(name) for name in ("GIGSHIELD_WAREHOUSE", "DBT_SEND_ANONYMOUS_USAGE_STATS")}
        self.calls.append((list(args), seen))
        self.manifests.append(self._manifest)
        select = options(args)[1].get("--select") if args[0] == "build" else None
        if self.failing and select == next(layer.select for layer in NIGHT_LAYERS if layer.name == self.failing):
            return dbtRunnerResult(success=False, exception=RuntimeError("a model failed"))
        return dbtRunnerResult(success=True, result=RunExecutionResult(results=[], elapsed_time=0.0))


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch):
    def install(failing: str | None = None) -> RecordingDbt:
        recorder = RecordingDbt(failing)
        monkeypatch.setattr("dbt.cli.main.dbtRunner", recorder)
        return recorder

    return install


def test_the_night_runs_the_dags_layers_in_order_with_the_runners_options(settings, recording):
    dbt = recording()
    assert dbt_runner.build_night(settings, as_of=DAY) == []
    assert [options(args)[1]["--select"] for args, _ in dbt.calls] == [layer.select for layer in NIGHT_LAYERS]
    for args, seen in dbt.calls:
        command, found = options(args)
        assert command == "build"
        assert found["--indirect-selection"] == "buildable"
        assert json.loads(str(found["--vars"])) == {"as_of_date": "2026-11-22"}
        assert "--full-refresh" not in found
        assert (found["--project-dir"], found["--profile"], found["--target"]) == (
            str(dbt_runner.PROJECT_DIR),
            dbt_runner.PROFILE_NAME,
            dbt_runner.TARGET_NAME,
        )
        assert found["--target-path"] == str(settings.paths.dbt / "target")
        assert found["--log-path"] == str(settings.paths.dbt / "logs")
        assert seen == {"GIGSHIELD_WAREHOUSE": str(settings.warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def test_the_layers_and_the_docs_share_one_parse_per_night(settings, recording):
    dbt = recording()
    dbt_runner.build_night(settings, as_of=DAY)
    dbt_runner.generate_docs(settings, as_of=DAY)
    (parse,) = dbt.parses
    assert json.loads(str(options(parse)[1]["--vars"])) == {"as_of_date": "2026-11-22"}
    assert [args[:2] for args, _ in dbt.calls] == [["build", "--select"]] * len(NIGHT_LAYERS) + [["docs", "generate"]]
    assert "--no-compile" in dbt.calls[-1][0]  # the docs need the catalog only: the analysts get no compiled SQL
    (manifest,) = {id(m): m for m in dbt.manifests}.values()  # the same parsed manifest for every command
    assert manifest is dbt_runner.night_manifest(settings, DAY) and manifest is not None
    docs = settings.paths.dbt / "docs" / "target" / "manifest.json"
    assert docs.read_bytes() == (dbt_runner.parse_folder(settings, DAY) / "manifest.json").read_bytes()


def test_a_new_day_or_a_changed_project_is_parsed_again(settings, recording, tmp_path, monkeypatch):
    import shutil

    dbt = recording()
    first = dbt_runner.parse_folder(settings, DAY)
    assert dbt_runner.parse_folder(settings, DAY) == first and len(dbt.parses) == 1  # kept on disk
    following = dbt_runner.parse_folder(settings, DAY + dt.timedelta(days=1))  # new vars: a new parse
    assert len(dbt.parses) == 2 and following != first and not first.exists()  # the older night's is removed
    project = tmp_path / "project"
    shutil.copytree(dbt_runner.PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(dbt_runner, "PROJECT_DIR", project)
    unchanged = dbt_runner.parse_key(settings, DAY)
    (project / "target").mkdir(exist_ok=True)
    (project / "target" / "anything.json").write_text("{}", encoding="utf-8")  # dbt's output: not a source
    assert dbt_runner.parse_key(settings, DAY) == unchanged
    model = next((project / "models").rglob("*.sql"))
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert dbt_runner.parse_key(settings, DAY) != unchanged


def test_a_full_refresh_night_refreshes_every_layer(settings, recording):
    dbt = recording()
    dbt_runner.build_night(settings, as_of=DAY, full_refresh=True)
    assert [options(args)[1].get("--full-refresh") for args, _ in dbt.calls] == [True] * len(NIGHT_LAYERS)


@pytest.mark.parametrize("failing", [layer.name for layer in NIGHT_LAYERS])
def test_a_failing_layer_stops_the_ones_after_it(settings, recording, failing):
    dbt = recording(failing)
    with pytest.raises(DbtFailed, match=f"layer {failing} failed: a model failed") as failed:
        dbt_runner.build_night(settings, as_of=DAY)
    assert failed.value.layer == failing
    names = [layer.name for layer in NIGHT_LAYERS]
    ran = [
        next(layer.name for layer in NIGHT_LAYERS if layer.select == options(args)[1]["--select"])
        for args, _ in dbt.calls
    ]
    assert ran == names[: names.index(failing) + 1]


def test_a_selection_is_built_with_the_nights_indirect_selection_and_vars(settings, recording):
    dbt = recording()
    dbt_runner.build_selection(settings, "+fct_enterprise_credit", as_of=DAY)
    ((args, seen),) = dbt.calls
    command, found = options(args)
    assert (command, found["--select"], found["--indirect-selection"]) == (
        "build",
        "+fct_enterprise_credit",
        "buildable",
    )
    assert json.loads(str(found["--vars"])) == {"as_of_date": "2026-11-22"}
    assert seen["GIGSHIELD_WAREHOUSE"] == str(settings.warehouse)


def test_a_real_night_whose_staging_fails_builds_the_seeds_and_nothing_after(settings):
    """Real dbt on a warehouse with no raw tables: the seeds build, staging fails on its missing sources,
    and neither intermediate nor marts is built."""
    with pytest.raises(DbtFailed) as failed:
        dbt_runner.build_night(settings, as_of=DAY)
    assert failed.value.layer == "staging"
    with duckdb.connect(str(settings.warehouse)) as con:  # dbt-duckdb keeps its read-write handle here
        schemas = dict(
            con.execute("SELECT table_schema, count(*) FROM information_schema.tables GROUP BY table_schema").fetchall()
        )
    assert schemas.get("reference", 0) >= 1
    assert "intermediate" not in schemas and "marts" not in schemas
    results = json.loads((settings.paths.dbt / "target" / "run_results.json").read_text(encoding="utf-8"))
    assert {r["unique_id"].split(".")[0] for r in results["results"]} <= {"model", "test", "unit_test"}
    assert any(r["status"] == "error" for r in results["results"])
