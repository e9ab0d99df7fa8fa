"""The main job end to end: embedded broker, synthetic agencies, the real Airflow DAG
(`airflow dags test`, i.e. DAG.test()), real dbt, GX and DuckDB files — a backfill of three nights,
then the last night again."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import duckdb
import pytest

from core.config import PROJECT_ROOT
from core.contracts import default_contracts, outbound_contracts
from core.warehouse import WAREHOUSE_POOL
from devstack import run_nightly
from tests.support import injected_violations, recovered_violations

DAY = "2026-11-22"
FIRST = "2026-11-20"
NIGHTS = ("2026-11-20", "2026-11-21", "2026-11-22")
# Synthetic world: with seed 40 and 200 workers every kind of RULE_QUERIES but the statutory-holiday one occurs at
# least twice by DAY (seed 7 injects no occupational_injury_orders_uncovered and no late_injury_insurance there).
# More workers only make the runs longer (a DAG run's cost is mostly fixed: Airflow, GX, dbt).
SEED, WORKERS = "40", "200"
AUDIT_LOG = ("audit", "publications")
LISTINGS = "gigshield.share.credit_platform.blacklist_listings.v1"  # one row per publication attempt, with its time
STAGING = {
    "samr.enterprise.v1": "stg_samr__enterprises",
    "samr.penalty.v1": "stg_samr__penalties",
    "transport.licence.v1": "stg_transport__licences",
    "emergency.safety_incident.v1": "stg_emergency__safety_incidents",
    "nhsa.medical_enrolment.v1": "stg_nhsa__medical_enrolments",
    "hrss.employment_ledger.v1": "stg_hrss__employment_ledger",
    "hrss.wage_payment.v1": "stg_hrss__wage_payments",
    "hrss.service_time.v1": "stg_hrss__service_time",
    "hrss.complaint_event.v1": "stg_hrss__complaint_events",
    "hrss.complaint_event.v2": "stg_hrss__complaint_events",  # one staging model reads both versions
    "court.case.v1": "stg_court__cases",
    "hrss.inspection_order.v1": "stg_hrss__inspection_orders",
    "hrss.blacklist_case_event.v1": "stg_hrss__blacklist_case_events",
    "hrss.unpaid_worker_roster.v1": "stg_hrss__unpaid_worker_roster",
}


@pytest.mark.integration  # imports the DAG, runs nothing
def test_the_dag_imports_cleanly_and_is_scheduled_nightly_in_shanghai(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    dag = bag.dags["nightly_agency_sync"]
    assert {t.task_id for t in dag.tasks} == {
        "list_feeds",
        "ingest_feed",
        "validate_feed",
        "dbt_reference",
        "dbt_staging",
        "dbt_intermediate",
        "dbt_marts",
        "raise_alerts",
        "deliver_alerts",
        "list_datasets",
        "publish_dataset",
        "scan_extracts",
        "publish_snapshot",
        "render_inspector_page",
        "render_docs",
        "run_failed",
    }
    layers = ["validate_feed", "dbt_reference", "dbt_staging", "dbt_intermediate", "dbt_marts"]
    assert all(dag.get_task(after).upstream_task_ids == {before} for before, after in itertools.pairwise(layers))
    assert dag.get_task("raise_alerts").upstream_task_ids == {"dbt_marts"}  # not held by a blocked extract
    warehouse_tasks = {t.task_id for t in dag.tasks if t.pool == WAREHOUSE_POOL}
    assert {
        "ingest_feed",
        "validate_feed",
        "dbt_marts",
        "raise_alerts",
        "publish_dataset",
        "publish_snapshot",
    } <= warehouse_tasks  # DuckDB's one writer
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("0 2 * * *", "Asia/Shanghai")
    assert all(t.on_failure_callback for t in dag.tasks)
    assert all(t.retries >= 1 for t in dag.tasks if t.task_id != "run_failed")  # the run's verdict: no retry
    assert dag.get_task("run_failed").trigger_rule == "one_failed"


def warehouse_counts(path) -> dict[str, tuple[int, int]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            topic: (
                con.execute(f"SELECT count(*) FROM {c.qualified_table}").fetchone()[0],
                # the staged rows of this topic (stg_hrss__complaint_events reads two)
                con.execute(f"SELECT count(*) FROM staging.{STAGING[topic]} WHERE kafka_topic = ?", [topic]).fetchone()[
                    0
                ],
            )
            for topic, c in default_contracts().items()
        } | {"quarantine": (con.execute("SELECT count(*) FROM raw._quarantine").fetchone()[0], 0)}


@pytest.fixture
def isolated_job(monkeypatch, tmp_path):
    monkeypatch.delenv("GIGSHIELD_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("GIGSHIELD_WAREHOUSE", raising=False)
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    return tmp_path / "data"


def night_outputs(data: Path, day: str) -> dict[str, object]:
    """What a night leaves for its users, as content: extracts (checksums), the alert outbox, the
    analysts' snapshot (every relation's rows) and the inspector's page."""
    snapshot = data / "snapshots" / f"{day}.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        relations = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL").fetchall()
        tables = {
            f"{s}.{t}": con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))) FROM "{s}"."{t}"').fetchall()
            for s, t in relations
            if (s, t) != AUDIT_LOG
        }
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        alerts = con.execute(
            "SELECT alert_id, status, revision, fingerprint FROM alerts.alert_state ORDER BY 1"
        ).fetchall()
        revisions = con.execute("SELECT count(*) FROM alerts.alert_revisions").fetchone()[0]
        undelivered = con.execute("SELECT count(*) FROM alerts.deliveries WHERE status <> 'delivered'").fetchone()[0]
        publications = set(
            con.execute(
                "SELECT dataset, status, rows, checksum FROM audit.publications WHERE logical_date = ?", [day]
            ).fetchall()
        )
    return {
        "extracts": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (data / "published").glob(f"*/{day}/*.parquet")
        },
        "publications": publications,  # every attempt is logged: a rerun's are the same publications again
        "alerts": (alerts, revisions, undelivered),
        "snapshot": tables,
        "page": (data / "reports" / day / "index.html").read_bytes(),
    }


@pytest.mark.e2e
@pytest.mark.timeout(2700)  # four DAG runs of a few minutes each on two busy cores
def test_a_backfill_of_three_nights_runs_the_whole_dag_and_a_rerun_changes_nothing(isolated_job, capsys):
    """Three nights through `airflow dags test` (DAG.test()) on the embedded broker, then the last again."""
    # raises unless every run succeeded
    run_nightly.main(["--from", FIRST, "--date", DAY, "--workers", WORKERS, "--seed", SEED])
    summary = capsys.readouterr().out
    data = isolated_job
    warehouse = data / "warehouse.duckdb"
    first = warehouse_counts(warehouse)
    manifest = json.loads((data / "manifests" / f"{DAY}.json").read_text())

    assert str(warehouse) in summary and all(f"sync for {day}" in summary for day in NIGHTS)
    for topic in default_contracts():
        loaded, staged = first[topic]
        assert loaded == staged == manifest["topics"][topic]["records"] > 0, topic
    malformed_records = sum(1 for m in manifest["malformed"] if m["record_index"] is not None)
    malformed_messages = len(manifest["malformed"]) - malformed_records
    assert first["quarantine"][0] == malformed_records + malformed_messages > 0

    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute("SELECT DISTINCT status FROM raw._batches").fetchall()
        published = con.execute(
            "SELECT dataset, CAST(logical_date AS VARCHAR), status, rows FROM audit.publications"
        ).fetchall()
        alert_nights = con.execute("SELECT CAST(logical_date AS VARCHAR) FROM alerts.nights ORDER BY 1").fetchall()
    assert statuses == [("released",)]  # valid synthetic data passes inbound validation
    assert sorted((d, day) for d, day, *_ in published) == sorted(
        (d, day) for d in outbound_contracts() for day in NIGHTS
    )
    for dataset, day, status, rows in published:
        parquet = data / "published" / dataset / day / f"{dataset}.parquet"
        assert status == "published" and parquet.exists(), (dataset, day)
        # Every extract has rows but the blacklist listings: a few synthetic nights need not hold a decided
        # listing (their content is test_share_extracts' and test_blacklist_cases' subject).
        assert rows > 0 or dataset == LISTINGS, (dataset, day)
    assert alert_nights == [(day,) for day in NIGHTS]
    for day in NIGHTS:  # every night has its analysts' snapshot, its docs and its inspector's page
        with duckdb.connect(str(data / "snapshots" / f"{day}.duckdb"), read_only=True) as con:
            assert con.execute("SELECT CAST(logical_date AS VARCHAR) FROM snapshot_night").fetchone() == (day,)
        assert (data / "snapshots" / f"{day}.dbt-docs.html").exists()
        assert b"<svg" in (data / "reports" / day / "index.html").read_bytes()
    assert (data / "snapshots" / "current.duckdb").resolve().name == f"{DAY}.duckdb"
    assert (data / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()
    assert (data / "docs" / "contracts" / "index.html").exists()

    # Precision and recall 1.0 per kind, each injected at least once in the nights but the statutory-holiday one:
    # no statutory holiday falls in 11-20..11-22 (tests/test_labour_synthetic.py recovers it over National Day).
    # 11-21 and 11-22 are rest days (a weekend): full-time employees' work there needs 200% (劳动法 Art.44 (二)).
    recovered = recovered_violations(warehouse)
    for kind, found in recovered.items():
        assert found == injected_violations(manifest, kind, DAY), kind
    assert {kind for kind, found in recovered.items() if not found} == {"holiday_work_without_premium"}

    outputs = night_outputs(data, DAY)
    assert outputs["alerts"][0] and outputs["alerts"][2] == 0  # alerts raised and all delivered (Kafka)
    # The last night again: a new embedded broker, the agencies resend the same three days.
    run_nightly.main(["--date", DAY, "--days", str(len(NIGHTS)), "--workers", WORKERS, "--seed", SEED])
    assert warehouse_counts(warehouse) == first
    assert night_outputs(data, DAY) == outputs
    with duckdb.connect(str(warehouse), read_only=True) as con:
        redelivered = con.execute("SELECT sum(redelivered_messages) FROM raw._batches").fetchone()[0]
    rerun = json.loads((data / "manifests" / f"{DAY}.json").read_text())
    assert redelivered == sum(t["messages"] for t in rerun["topics"].values())


@pytest.mark.unit
def test_a_failed_task_alerts_the_operator(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from alerts.operator import notify_operator

    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
    ti = SimpleNamespace(dag_id="nightly_agency_sync", task_id="ingest_feed", map_index=3, try_number=3)
    notify_operator({"task_instance": ti, "run_id": "scheduled__2026-11-22", "exception": TimeoutError("no broker")})
    (alert,) = [json.loads(line) for line in (tmp_path / "operator_alerts.jsonl").read_text().splitlines()]
    assert alert["task_id"] == "ingest_feed" and alert["map_index"] == 3 and "no broker" in alert["error"]
