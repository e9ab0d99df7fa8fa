"""Per-task progress of a nightly DAG run, read from Airflow's metadata database while it runs.

The runner polls the SQLite metadata database read-only every POLL_SECONDS from its own process
while `airflow dags test` runs, rather than parsing the run's log: the database holds the state,
duration, try and return value (XCom) Airflow recorded for each task instance — the figures of
Airflow's UI, the same the timing table sums — while the log is Airflow's and dbt's free text,
interleaved. Airflow keeps its SQLite database in WAL mode, so the reader never blocks the run's
writes; a poll reads a few dozen rows.

Nothing here imports Airflow: the runner stays light (a refused second run exits at once).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.5
# A failed task's operator alert is written by its failure callback, which may land a moment after the
# state: its line waits for the alert this long at most.
ALERT_WAIT_SECONDS = 3.0
# A task instance is reported once per try when it reaches one of these (up_for_retry: a try failed).
REPORTED_STATES = ("success", "failed", "skipped", "upstream_failed", "up_for_retry", "removed")
# States of a task instance that never ran (Airflow may still record a zero duration for them).
NOT_RUN = ("upstream_failed", "removed")
# Where a task's return value says how many rows it handled: publish_dataset's rows, ingest_feed's
# loaded records, validate_feed's validated records; quarantined ones are named beside them.
ROW_KEYS = ("rows", "loaded", "records_validated")

_FINISHED_TASKS = f"""
SELECT ti.task_id, ti.map_index, ti.state, ti.try_number, ti.duration, ti.start_date, ti.end_date
FROM task_instance ti
WHERE ti.dag_id = :dag AND ti.run_id = :run AND ti.state IN ({", ".join(f"'{s}'" for s in REPORTED_STATES)})
ORDER BY coalesce(ti.end_date, ti.updated_at), ti.task_id, ti.map_index
"""


def sqlite_metadata_db(env: dict[str, str]) -> Path | None:
    """The metadata database's file when Airflow's connection is SQLite (the embedded stack's), else None."""
    url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    prefix = "sqlite:///"
    return Path(url.removeprefix(prefix).split("?")[0]) if url.startswith(prefix) else None


def _utc(stamp: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC) if stamp else None


@dataclass(frozen=True)
class TaskRun:
    """One try of one task instance, as Airflow recorded it when the try ended."""

    task_id: str
    map_index: int
    label: str | None  # the mapped argument of this instance (a feed's topic, a dataset), if mapped
    state: str
    try_number: int
    seconds: float | None
    ended: dt.datetime | None
    returned: Any = None  # the task's return value (its return_value XCom), None if it returned nothing
    error: str | None = None  # why it failed, when the operator alert says

    @property
    def name(self) -> str:
        if self.map_index < 0:
            return self.task_id
        return f"{self.task_id}[{self.label if self.label is not None else self.map_index}]"

    @property
    def rows(self) -> str:
        """`1,234 rows` (and `, 5 quarantined`) when the return value says; '' when it does not."""
        value = self.returned
        if not isinstance(value, dict):
            return ""
        rows = next((value[k] for k in ROW_KEYS if isinstance(value.get(k), int)), None)
        if rows is None:
            return ""
        quarantined = value.get("quarantined")
        return f"{rows:,} row{'' if rows == 1 else 's'}" + (
            f", {quarantined:,} quarantined" if isinstance(quarantined, int) and quarantined else ""
        )


class NightWatch:
    """The task instances of the next run of `dag_id` (one created after this watch was made), each
    try reported once, in the order they ended. Read-only; a poll that meets the database busy or
    not yet holding the run returns nothing and the next one catches up."""

    def __init__(self, db: Path, dag_id: str, operator_alerts: Path) -> None:
        self._db, self._dag_id, self._alerts = db, dag_id, operator_alerts
        self._con: sqlite3.Connection | None = None
        self._seen: set[tuple[str, int, int, str]] = set()
        self._failed_at: dict[tuple[str, int, int, str], float] = {}  # failed, its alert not seen yet
        self._alerts_from = operator_alerts.stat().st_size if operator_alerts.exists() else 0
        self._run: tuple[int, str] | None = None  # dag_run (id, run_id) once it exists
        self._mapped: dict[str, str] | None = None  # mapped task -> the task whose returned list it maps over
        # the runs there before this one: a rerun of a logical date deletes its run, and SQLite gives the new
        # run the deleted one's id, so a run is new by its (id, run_id), not by a larger id
        self._earlier = set(self._connection().execute("SELECT id, run_id FROM dag_run").fetchall())
        self.tasks: list[TaskRun] = []

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = sqlite3.connect(f"file:{self._db}?mode=ro", uri=True, timeout=0.2, check_same_thread=False)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _scalar(self, sql: str, *params: object) -> Any:
        row = self._connection().execute(sql, params).fetchone()
        return row[0] if row else None

    def poll(self, final: bool = False) -> list[TaskRun]:
        """The tries that ended since the last poll (`final`: the run is over, wait for nothing)."""
        try:
            return self._poll(final)
        except sqlite3.Error:  # busy, or the tables not there yet: the next poll catches up
            return []

    def _poll(self, final: bool) -> list[TaskRun]:
        if self._run is None:
            runs = self._connection().execute(
                "SELECT id, run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC", (self._dag_id,)
            )
            found = next((run for run in runs if run not in self._earlier), None)
            if found is None:
                return []
            self._run = (found[0], found[1])
        run_pk, run_id = self._run
        rows = self._connection().execute(_FINISHED_TASKS, {"dag": self._dag_id, "run": run_id}).fetchall()
        new = [r for r in rows if (r[0], r[1], r[3], r[2]) not in self._seen]
        if not new:
            return []
        errors = self._errors(run_id) if any(r[2] == "failed" for r in new) else {}
        done = []
        for task_id, map_index, state, try_number, duration, start, end in new:
            key = (task_id, map_index, try_number, state)
            if state == "failed" and (task_id, map_index) not in errors and not final:
                first = self._failed_at.setdefault(key, time.monotonic())
                if time.monotonic() - first < ALERT_WAIT_SECONDS:
                    continue
            self._seen.add(key)
            ended = _utc(end)
            if duration is None and start and ended:
                duration = (ended - _utc(start)).total_seconds()  # type: ignore[operator]
            done.append(
                TaskRun(
                    task_id=task_id,
                    map_index=map_index,
                    label=self._label(run_pk, task_id, map_index),
                    state=state,
                    try_number=try_number,
                    seconds=duration,
                    ended=ended,
                    returned=self._returned(run_pk, task_id, map_index) if state == "success" else None,
                    error=errors.get((task_id, map_index)),
                )
            )
        self.tasks += done
        return done

    def run_state(self) -> str | None:
        """The state Airflow recorded for the watched run; None if no run was seen or the database is busy
        (the caller then asks Airflow's CLI, a start-up of 10 s or more)."""
        if self._run is None:
            return None
        try:
            state = self._scalar("SELECT state FROM dag_run WHERE id = ? AND run_id = ?", *self._run)
        except sqlite3.Error:
            return None
        return str(state) if state else None

    def _returned(self, run_pk: int, task_id: str, map_index: int) -> Any:
        value = self._scalar(
            "SELECT value FROM xcom WHERE dag_run_id = ? AND task_id = ? AND map_index = ? AND key = 'return_value'",
            run_pk,
            task_id,
            map_index,
        )
        try:
            return json.loads(value) if isinstance(value, str) else value
        except ValueError:
            return None

    def _label(self, run_pk: int, task_id: str, map_index: int) -> str | None:
        """The element of the upstream task's returned list this instance was mapped over."""
        if map_index < 0:
            return None
        if self._mapped is None:
            self._mapped = self._mapped_over()
        upstream = self._mapped.get(task_id)
        values = self._returned(run_pk, upstream, -1) if upstream else None
        return str(values[map_index]) if isinstance(values, list) and map_index < len(values) else None

    def _mapped_over(self) -> dict[str, str]:
        """Mapped task -> the task whose return value it expands over, from the serialized DAG
        (`.expand(arg=upstream())`: an xcomref in its expand input); {} if the format is not the expected one."""
        data = self._scalar(
            "SELECT data FROM serialized_dag WHERE dag_id = ? ORDER BY last_updated DESC LIMIT 1", self._dag_id
        )
        try:
            tasks = json.loads(data)["dag"]["tasks"]
            mapped = {}
            for task in tasks:
                var = task["__var"]
                expand = var.get("op_kwargs_expand_input") or var.get("expand_input")
                if not var.get("_is_mapped") or not expand:
                    continue
                refs = [
                    v["__var"]["task_id"] for v in expand["value"]["__var"].values() if v.get("__type") == "xcomref"
                ]
                if len(refs) == 1:
                    mapped[var["task_id"]] = refs[0]
            return mapped
        except (TypeError, KeyError, AttributeError, ValueError):
            return {}

    def _errors(self, run_id: str) -> dict[tuple[str, int], str]:
        """What the operator alerts (alerts.operator, the DAG's on_failure_callback) say failed in this run."""
        if not self._alerts.exists():
            return {}
        with self._alerts.open("rb") as alerts:
            alerts.seek(self._alerts_from)
            lines = alerts.read().decode("utf-8", errors="replace").splitlines()
        found = {}
        for line in lines:
            try:
                alert = json.loads(line)
            except ValueError:
                continue
            if alert.get("run_id") == run_id and alert.get("task_id") is not None:
                found[(alert["task_id"], alert.get("map_index", -1))] = str(alert.get("error"))
        return found


def task_line(task: TaskRun, elapsed: float) -> str:
    """`  1:02  ingest_feed[hrss.wage_payment.v1]   success   1.9 s  919 rows, 5 quarantined`."""
    ran = task.state not in NOT_RUN
    seconds = f"{task.seconds:6.1f} s" if ran and task.seconds is not None else " " * 8
    state = task.state if task.try_number <= 1 or not ran else f"{task.state} (try {task.try_number})"
    minutes, secs = divmod(int(elapsed), 60)
    return f"  {minutes:2d}:{secs:02d}  {task.name:<72} {state:<15} {seconds}  {task.rows}".rstrip()


def failure_lines(task: TaskRun, log_path: Path) -> list[str]:
    """Why a try failed and where its output is: the exception Airflow logged for it (the last line of
    its traceback in the night's log), else the operator alert's; the log at the line where the try started."""
    ours = f"task_id={task.task_id} map_index={task.map_index} "
    start, end = f"[DAG TEST] starting {ours}", f"[DAG TEST] end task {ours}"
    line_no, logged, inside, in_traceback = None, None, False, False
    with log_path.open(encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, 1):
            if start in line:
                line_no, logged, inside, in_traceback = number, None, True, False
            elif not inside:
                continue
            elif end in line:
                inside = False
            elif "Task failed with exception" in line:
                in_traceback = True
            elif in_traceback:
                if line[:1].isspace() or line.startswith("Traceback"):
                    continue
                if line[:4].isdigit():  # the next timestamped log line: the traceback ended
                    in_traceback = False
                else:
                    logged = line.strip()
    where = f"{log_path}:{line_no}" if line_no else str(log_path)
    error = logged or task.error or "(see the log)"
    then = "Airflow retries it after the retry delay" if task.state == "up_for_retry" else "it failed"
    return [f"          error: {error}", f"          log:   {where} ({then})"]


def task_totals(tasks: Iterable[TaskRun]) -> dict[str, tuple[int, float]]:
    """Per task id: tries run and their seconds summed."""
    totals: dict[str, tuple[int, float]] = {}
    for task in tasks:
        count, seconds = totals.get(task.task_id, (0, 0.0))
        totals[task.task_id] = (count + 1, seconds + (task.seconds or 0.0))
    return totals


def timing_table(totals: Mapping[str, tuple[float, float]], dag_seconds: float | None = None) -> list[str]:
    """Per task id (`task_totals`, or bench/nightly's medians): runs, seconds, share of the summed
    seconds; the slowest first, then the tasks summed and the DAG run."""
    whole = sum(seconds for _, seconds in totals.values())
    width = max([len(t) for t in totals] + [len("all tasks")])
    lines = [f"{'task':<{width}}  {'runs':>4}  {'seconds':>8}  {'share':>6}"]
    for task_id, (count, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"{task_id:<{width}}  {count:>4g}  {seconds:>8.1f}  {seconds / (whole or 1):>6.1%}")
    runs = sum(count for count, _ in totals.values())
    lines.append(f"{'all tasks':<{width}}  {runs:>4g}  {whole:>8.1f}  {1:>6.1%}")
    if dag_seconds is not None:
        lines.append(f"{'DAG run':<{width}}  {'':>4}  {dag_seconds:>8.1f}  (airflow dags test, its start-up included)")
    return lines


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants now, in KiB (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending += [int(child) for child in children.read().split()]
        except (OSError, ValueError):  # it ended meanwhile
            continue
    return total
