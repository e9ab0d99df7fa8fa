"""The nightly runner's progress: each try of a task reported once as it ends, with its feed, rows and error,
read from a metadata database laid out like Airflow's (the columns the watch reads), and the timing table."""

from __future__ import annotations

import json
import sqlite3

import pytest

from devstack.night_progress import NightWatch, failure_lines, task_line, task_totals, timing_table

pytestmark = pytest.mark.unit

DAG = "nightly_agency_sync"
RUN = "manual__2026-11-22T18:00:00+00:00"
SCHEMA = """
CREATE TABLE dag_run (id INTEGER PRIMARY KEY, dag_id TEXT, run_id TEXT, state TEXT);
CREATE TABLE task_instance (task_id TEXT, dag_id TEXT, run_id TEXT, map_index INTEGER, start_date TEXT,
    end_date TEXT, duration REAL, state TEXT, try_number INTEGER, updated_at TEXT);
CREATE TABLE xcom (dag_run_id INTEGER, task_id TEXT, map_index INTEGER, key TEXT, value TEXT);
CREATE TABLE serialized_dag (dag_id TEXT, data TEXT, last_updated TEXT);
"""
SERIALIZED = {
    "dag": {
        "tasks": [
            {"__var": {"task_id": "list_feeds"}},
            {
                "__var": {
                    "task_id": "ingest_feed",
                    "_is_mapped": True,
                    "op_kwargs_expand_input": {
                        "type": "dict-of-lists",
                        "value": {
                            "__var": {
                                "topic": {
                                    "__var": {"task_id": "list_feeds", "key": "return_value"},
                                    "__type": "xcomref",
                                }
                            },
                            "__type": "dict",
                        },
                    },
                }
            },
        ]
    }
}


@pytest.fixture
def metadata(tmp_path):
    db = tmp_path / "airflow.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    con.execute("INSERT INTO dag_run VALUES (1, ?, 'manual__earlier', 'success')", [DAG])  # the run this one replaces
    con.execute(
        "INSERT INTO task_instance VALUES ('list_feeds', ?, 'manual__earlier', -1, NULL, '2026-12-01 10:00:00', 1.0,"
        " 'success', 1, NULL)",
        [DAG],
    )
    con.execute("INSERT INTO serialized_dag VALUES (?, ?, '2026-12-02')", [DAG, json.dumps(SERIALIZED)])
    yield db, con
    con.close()


def finish(con, task_id, map_index, state, try_number=1, seconds=2.5, returned=None, end="2026-12-02 10:00:01"):
    con.execute(
        "INSERT INTO task_instance VALUES (?, ?, ?, ?, '2026-12-02 10:00:00', ?, ?, ?, ?, NULL)",
        [task_id, DAG, RUN, map_index, end, seconds, state, try_number],
    )
    if returned is not None:
        con.execute("INSERT INTO xcom VALUES (2, ?, ?, 'return_value', ?)", [task_id, map_index, json.dumps(returned)])


def test_each_try_is_reported_once_as_it_ends_with_its_feed_rows_and_error(metadata, tmp_path):
    db, con = metadata
    alerts = tmp_path / "operator_alerts.jsonl"
    alerts.write_text(json.dumps({"run_id": "manual__earlier", "task_id": "ingest_feed", "map_index": 1}) + "\n")
    watch = NightWatch(db, DAG, alerts)
    assert watch.poll() == []  # the earlier run's tasks are not this run's
    con.execute("INSERT INTO dag_run VALUES (2, ?, ?, 'running')", [DAG, RUN])
    finish(con, "list_feeds", -1, "success", returned=["court.case.v1", "hrss.wage_payment.v1"])
    counts = {"messages": 2, "records": 1795, "loaded": 1790, "quarantined": 5}
    finish(con, "ingest_feed", 0, "success", seconds=1.5, returned=counts, end="2026-12-02 10:00:02")
    finish(con, "ingest_feed", 1, "up_for_retry", end="2026-12-02 10:00:03")
    (listed, ingested, retried) = watch.poll()
    assert (listed.name, listed.state, listed.rows) == ("list_feeds", "success", "")
    assert (ingested.name, ingested.seconds, ingested.rows) == (
        "ingest_feed[court.case.v1]",
        1.5,
        "1,790 rows, 5 quarantined",
    )
    assert retried.name == "ingest_feed[hrss.wage_payment.v1]" and retried.state == "up_for_retry"
    assert watch.poll() == []  # reported once

    con.execute("UPDATE task_instance SET state = 'failed', try_number = 3 WHERE map_index = 1 AND run_id = ?", [RUN])
    with alerts.open("a") as out:
        out.write(json.dumps({"run_id": RUN, "task_id": "ingest_feed", "map_index": 1, "error": "TimeoutError()"}))
    (failed,) = watch.poll()
    assert (failed.state, failed.try_number, failed.error) == ("failed", 3, "TimeoutError()")
    assert "failed (try 3)" in task_line(failed, 75) and task_line(failed, 75).startswith("   1:15  ingest_feed[")
    assert len(watch.tasks) == 4
    watch.close()


def test_a_rerun_of_the_same_logical_date_is_reported_though_sqlite_gives_it_the_replaced_runs_id(metadata, tmp_path):
    db, con = metadata
    watch = NightWatch(db, DAG, tmp_path / "operator_alerts.jsonl")
    con.execute("DELETE FROM dag_run WHERE run_id = 'manual__earlier'")  # `airflow dags test` replaces the run
    con.execute("INSERT INTO dag_run VALUES (1, ?, ?, 'running')", [DAG, RUN])
    finish(con, "list_feeds", -1, "success", returned=["court.case.v1"])
    (listed,) = watch.poll()
    assert (listed.name, listed.state) == ("list_feeds", "success")


def test_the_run_state_is_the_watched_runs_own_not_an_earlier_runs(metadata, tmp_path):
    db, con = metadata
    watch = NightWatch(db, DAG, tmp_path / "operator_alerts.jsonl")
    assert watch.run_state() is None  # no run of its own yet: the earlier run's 'success' is not this night's
    con.execute("INSERT INTO dag_run VALUES (2, ?, ?, 'running')", [DAG, RUN])
    finish(con, "render_docs", -1, "failed")
    watch.poll(final=True)
    con.execute("UPDATE dag_run SET state = 'failed' WHERE id = 2")
    assert watch.run_state() == "failed"
    watch.close()


def test_a_failed_task_waits_for_its_alert_unless_the_run_is_over(metadata, tmp_path):
    db, con = metadata
    watch = NightWatch(db, DAG, tmp_path / "operator_alerts.jsonl")
    con.execute("INSERT INTO dag_run VALUES (2, ?, ?, 'running')", [DAG, RUN])
    finish(con, "render_docs", -1, "failed")
    assert watch.poll() == []  # its failure callback may not have written the alert yet
    (failed,) = watch.poll(final=True)
    assert failed.error is None and failed.state == "failed"


def test_a_failure_shows_the_exception_airflow_logged_for_that_try_and_where(tmp_path):
    from devstack.night_progress import TaskRun

    log = tmp_path / "nightly.log"
    log.write_text(
        "2026-12-02T16:53:47Z [info] migrate\n"
        "2026-12-02T16:53:47Z [info] [DAG TEST] starting task_id=validate_feed map_index=10 [airflow]\n"
        "2026-12-02T16:53:48Z [error] Task failed with exception [task]\nTraceback (most recent call last):\n"
        '  File "x.py", line 1, in f\nKeyError: "another task"\n'
        "2026-12-02T16:53:48Z [info] [DAG TEST] end task task_id=validate_feed map_index=10 [airflow]\n"
        "2026-12-02T16:53:49Z [info] [DAG TEST] starting task_id=validate_feed map_index=1 [airflow]\n"
        "2026-12-02T16:53:50Z [error] Task failed with exception [task]\nTraceback (most recent call last):\n"
        '  File "inbound.py", line 9, in validate\n    raise InboundValidationFailed(...)\n'
        "expectations.inbound.InboundValidationFailed: hrss.wage_payment.v1 night 2026-11-22: held\n"
        "2026-12-02T16:53:50Z [info] [DAG TEST] end task task_id=validate_feed map_index=1 [airflow]\n"
    )
    held = TaskRun("validate_feed", 1, "hrss.wage_payment.v1", "failed", 1, 3.0, None, error="Inbound...()")
    assert failure_lines(held, log) == [
        "          error: expectations.inbound.InboundValidationFailed: hrss.wage_payment.v1 night 2026-11-22: held",
        f"          log:   {log}:8 (it failed)",
    ]
    unlogged = TaskRun("render_docs", -1, None, "failed", 1, 3.0, None, error="OSError('disk full')")
    assert failure_lines(unlogged, log)[0] == "          error: OSError('disk full')"  # the operator alert's


def test_the_timing_table_sums_per_task_slowest_first():
    from devstack.night_progress import TaskRun

    tasks = [
        TaskRun("ingest_feed", 0, "a", "success", 1, 1.0, None),
        TaskRun("ingest_feed", 1, "b", "success", 1, 2.0, None),
        TaskRun("render_docs", -1, None, "success", 1, 7.0, None),
        TaskRun("dbt_marts", -1, None, "upstream_failed", 0, None, None),
    ]
    assert task_totals(tasks) == {"ingest_feed": (2, 3.0), "render_docs": (1, 7.0), "dbt_marts": (1, 0.0)}
    header, docs, ingest, marts, total, dag = timing_table(task_totals(tasks), 12.0)
    assert header.split() == ["task", "runs", "seconds", "share"]
    assert docs.split() == ["render_docs", "1", "7.0", "70.0%"] and ingest.split() == [
        "ingest_feed",
        "2",
        "3.0",
        "30.0%",
    ]
    assert marts.split()[0] == "dbt_marts" and total.split() == ["all", "tasks", "4", "10.0", "100.0%"]
    assert dag.split()[:3] == ["DAG", "run", "12.0"]
    assert task_line(tasks[3], 1).split() == ["0:01", "dbt_marts", "upstream_failed"]  # it never ran: no seconds
