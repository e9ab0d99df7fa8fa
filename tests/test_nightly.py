"""The main job end to end: embedded broker, synthetic agencies, the real Airflow DAG
(`airflow dags test`), real dbt and a real DuckDB file — run twice for the same day."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from ingestion import run_nightly
from ingestion.config import PROJECT_ROOT, Settings
from ingestion.contracts import default_contracts, outbound_contracts

DAY = "2026-11-22"
STAGING = {
    "samr.enterprise.v1": "stg_samr__enterprises", "samr.penalty.v1": "stg_samr__penalties",
    "transport.licence.v1": "stg_transport__licences", "emergency.safety_incident.v1": "stg_emergency__safety_incidents",
    "nhsa.medical_enrolment.v1": "stg_nhsa__medical_enrolments", "hrss.employment_ledger.v1": "stg_hrss__employment_ledger",
    "hrss.wage_payment.v1": "stg_hrss__wage_payments", "hrss.service_time.v1": "stg_hrss__service_time",
    "hrss.complaint_event.v1": "stg_hrss__complaint_events", "court.case.v1": "stg_court__cases",
    "hrss.inspection_order.v1": "stg_hrss__inspection_orders",
}


def test_the_dag_imports_cleanly_and_is_scheduled_nightly_in_shanghai(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    dag = bag.dags["nightly_agency_sync"]
    assert {t.task_id for t in dag.tasks} == {"list_feeds", "ingest_feed", "validate_feed", "dbt_build",
                                              "list_datasets", "publish_dataset", "render_docs", "run_failed"}
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("0 2 * * *", "Asia/Shanghai")
    assert all(t.on_failure_callback for t in dag.tasks)
    assert all(t.retries >= 1 for t in dag.tasks if t.task_id != "run_failed")  # the run's verdict: no retry
    assert dag.get_task("run_failed").trigger_rule == "one_failed"


def warehouse_counts(path) -> dict[str, tuple[int, int]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            topic: (con.execute(f"SELECT count(*) FROM {c.qualified_table}").fetchone()[0],
                    con.execute(f"SELECT count(*) FROM staging.{STAGING[topic]}").fetchone()[0])
            for topic, c in default_contracts().items()
        } | {"quarantine": (con.execute("SELECT count(*) FROM raw._quarantine").fetchone()[0], 0)}


@pytest.fixture
def isolated_job(monkeypatch, tmp_path):
    monkeypatch.delenv("GIGSHIELD_KAFKA_BOOTSTRAP", raising=False)
    monkeypatch.delenv("GIGSHIELD_WAREHOUSE", raising=False)
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    return tmp_path / "data"


def test_nightly_sync_runs_the_dag_end_to_end_and_a_rerun_changes_nothing(isolated_job, capsys):
    args = ["--date", DAY, "--workers", "400"]
    run_nightly.main(args)
    summary = capsys.readouterr().out
    warehouse = isolated_job / "warehouse.duckdb"
    first = warehouse_counts(warehouse)
    manifest = json.loads((isolated_job / "manifests" / f"{DAY}.json").read_text())

    assert str(warehouse) in summary and "hrss.wage_payment.v1" in summary
    for topic in default_contracts():
        loaded, staged = first[topic]
        assert loaded == staged == manifest["topics"][topic]["records"] > 0, topic
    malformed_records = sum(1 for m in manifest["malformed"] if m["record_index"] is not None)
    malformed_messages = len(manifest["malformed"]) - malformed_records
    assert first["quarantine"][0] == malformed_records + malformed_messages > 0

    with duckdb.connect(str(warehouse), read_only=True) as con:
        statuses = con.execute("SELECT DISTINCT status FROM raw._batches").fetchall()
        published = con.execute("SELECT dataset, status, rows, checksum FROM audit.publications").fetchall()
    assert statuses == [("released",)]  # valid synthetic data passes inbound validation
    assert sorted(d for d, *_ in published) == sorted(outbound_contracts())
    for dataset, status, rows, checksum in published:
        parquet = isolated_job / "published" / dataset / DAY / f"{dataset}.parquet"
        assert status == "published" and rows > 0 and parquet.exists(), dataset
    assert (isolated_job / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()
    assert (isolated_job / "docs" / "contracts" / "index.html").exists()

    for kind, found in recovered_violations(warehouse).items():  # precision and recall 1.0 per kind
        assert found == injected(manifest, kind) and found, kind

    run_nightly.main(args)  # a new embedded broker, the agencies resend the same day
    assert warehouse_counts(warehouse) == first
    with duckdb.connect(str(warehouse), read_only=True) as con:
        redelivered = con.execute("SELECT sum(redelivered_messages) FROM raw._batches").fetchone()[0]
    assert redelivered == sum(t["messages"] for t in manifest["topics"].values())


def injected(manifest: dict, kind: str) -> set[tuple[str, str, str]]:
    """(employer, worker pseudonym, business key) of the violations the generator injected, visible by DAY."""
    key = Settings.from_env().pseudonym_key
    return {(v["employer_uscc"], hashlib.sha256(f"{key}:{v['worker_id_number']}".encode()).hexdigest(), v["business_key"])
            for v in manifest["violations"] if v["kind"] == kind and v["observable_from"] <= DAY}


RULE_QUERIES = {
    "wage_arrears": "SELECT payer_uscc, worker_key, pay_period FROM intermediate.int_hrss__wage_arrears",
    "below_minimum_wage":
        "SELECT payer_uscc, worker_key, pay_period FROM intermediate.int_hrss__minimum_wage_shortfalls",
    "overtime_no_stop_dispatch": "SELECT employer_uscc, worker_key, CAST(service_date AS VARCHAR) "
                                 "FROM intermediate.int_hrss__overtime_without_stop_dispatch",
} | {kind: "SELECT employer_uscc, worker_key, 'engagement' FROM intermediate.int_hrss__engagement_violations "
           f"WHERE violation_kind = '{kind}'"
     for kind in ("deposit_taken", "late_social_insurance", "missing_injury_cover")}


def recovered_violations(warehouse) -> dict[str, set[tuple[str, str, str]]]:
    """What the rule models flag, per injected violation kind, in the manifest's key shape."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {kind: set(con.execute(sql).fetchall()) for kind, sql in RULE_QUERIES.items()}


def test_a_failed_task_alerts_the_operator(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from ingestion.operator_alerts import notify_operator

    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
    ti = SimpleNamespace(dag_id="nightly_agency_sync", task_id="ingest_feed", map_index=3, try_number=3)
    notify_operator({"task_instance": ti, "run_id": "scheduled__2026-11-22", "exception": TimeoutError("no broker")})
    (alert,) = [json.loads(line) for line in (tmp_path / "operator_alerts.jsonl").read_text().splitlines()]
    assert alert["task_id"] == "ingest_feed" and alert["map_index"] == 3 and "no broker" in alert["error"]
