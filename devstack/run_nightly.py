"""The main job: one nightly agency sync on the embedded stack, end to end.

    python -m devstack.run_nightly --date 2026-11-22
    python -m devstack.run_nightly --from 2026-11-20 --date 2026-11-22     a backfill of three nights

Starts the embedded Kafka broker (unless GIGSHIELD_KAFKA_BOOTSTRAP names a running Kafka),
has the synthetic agencies publish the day's feeds, runs the real Airflow DAG
`nightly_agency_sync` for that day (`airflow dags test`, which runs DAG.test() in-process, no
scheduler needed) — or for each day of a backfill, in order — stops the broker and prints what
each feed loaded and quarantined and where the warehouse is.

It shows progress as it goes: each day the agencies published, then a line per task as it ends
(task, the feed or dataset of a mapped task, state, seconds, rows where the task returns them;
devstack.night_progress reads them from Airflow's metadata database), a failed task's error and
where its log is, and after each night a timing table per task. Airflow's and dbt's own output
goes to the night's log file.

Airflow's metadata database is migrated and the warehouse pool set once per invocation, before
the first night (a backfill's later nights reuse them).

One night at a time: before anything else the run takes an exclusive lock on
<data dir>/.nightly.lock (and <AIRFLOW_HOME>/.nightly.lock when Airflow's home is elsewhere: the
metadata database is migrated by each run). A second run started meanwhile exits at once with
code 75 (EX_TEMPFAIL) naming the lock and the PID that holds it, instead of racing the first in
`airflow db migrate` and on the DuckDB warehouse lock. The module itself imports little (the
summary's steps, and with them GX, only when it prints), so a refused or a second run exits at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from core.config import BEIJING, Settings
from core.warehouse import WAREHOUSE_POOL
from devstack.airflow_home import airflow_env
from devstack.broker import kafka_bootstrap
from devstack.night_progress import (
    POLL_SECONDS,
    NightWatch,
    TaskRun,
    failure_lines,
    sqlite_metadata_db,
    task_line,
    task_totals,
    timing_table,
    tree_rss_kib,
)
from ingestion.pseudonyms import PseudonymKeyError, pseudonym_key

DAG_ID = "nightly_agency_sync"
POOL_DESCRIPTION = "tasks that open the DuckDB warehouse (one writer at a time)"
LOCK_NAME = ".nightly.lock"
EX_TEMPFAIL = 75  # sysexits.h: try again later


class NightlyRunning(RuntimeError):
    """Another nightly run holds the lock."""

    def __init__(self, lock: Path, pid: int | None) -> None:
        self.lock, self.pid = lock, pid
        holder = f"PID {pid}" if pid else "another process (PID not yet written)"
        super().__init__(
            f"another nightly run is in progress: {lock} is locked by {holder}; "
            "wait for it to finish (nothing was started)"
        )


def _holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None


@contextmanager
def nightly_lock(directory: Path) -> Iterator[Path]:
    """Hold <directory>/.nightly.lock exclusively (fcntl.flock, non-blocking) with our PID in it, or
    raise NightlyRunning at once. The kernel releases it when the holder exits, however it exits."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise NightlyRunning(path, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays (unlinking it would race the next taker)


@contextmanager
def one_night_at_a_time(settings: Settings) -> Iterator[None]:
    """The data dir's lock, and the Airflow home's when it is not the same folder."""
    folders = [settings.data_dir]
    airflow_home = Path(airflow_env()["AIRFLOW_HOME"]).resolve()
    if airflow_home != settings.data_dir:
        folders.append(airflow_home)
    with ExitStack() as stack:
        for folder in folders:
            stack.enter_context(nightly_lock(folder))
        yield


def _run_logged(cmd: list[str], env: dict[str, str], log_path: Path, check: bool = True) -> int:
    """Run a command with its output in a log file; if `check`, on failure show the log's tail and raise."""
    with log_path.open("ab") as log:
        completed = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if check and completed.returncode != 0:
        _fail(f"{' '.join(cmd[:4])} failed (exit {completed.returncode})", log_path)
    return completed.returncode


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(what: str, log_path: Path) -> None:
    tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
    raise SystemExit(f"{what}; log {log_path}:\n" + "\n".join(tail))


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def _night_log(day: dt.date, settings: Settings) -> Path:
    logs = settings.paths.logs
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"nightly_{day.isoformat()}.log"


def _dag_env(settings: Settings, bootstrap: str | None = None) -> dict[str, str]:
    env = airflow_env()
    env.update({"GIGSHIELD_DATA_DIR": str(settings.data_dir), "GIGSHIELD_WAREHOUSE": str(settings.warehouse)})
    if bootstrap:
        env["GIGSHIELD_KAFKA_BOOTSTRAP"] = bootstrap
    return env


def prepare_airflow(settings: Settings, log_path: Path) -> None:
    """`airflow db migrate` and the warehouse's pool (one slot: DuckDB has one writer), once per invocation."""
    env, airflow, started = _dag_env(settings), _airflow(), time.monotonic()
    _say("Airflow: migrating the metadata database, setting the warehouse pool")
    _run_logged([airflow, "db", "migrate"], env, log_path)
    _run_logged([airflow, "pools", "set", WAREHOUSE_POOL, "1", POOL_DESCRIPTION], env, log_path)
    _say(f"Airflow: ready ({time.monotonic() - started:.1f} s)")


@dataclass
class NightRun:
    """One `airflow dags test` of the nightly DAG, as the runner saw it."""

    day: dt.date
    log_path: Path
    state: str = "missing"
    seconds: float = 0.0  # wall time of `airflow dags test`, its start-up (imports, DAG parse and sync) included
    peak_rss_kib: int = 0  # the largest resident set of the process or a descendant it waited for (getrusage)
    tree_rss_kib: int = 0  # the most the process tree held at once (sampled every POLL_SECONDS)
    runner_cpu: float = 0.0  # CPU seconds this process spent meanwhile: the progress's polling
    tasks: list[TaskRun] = field(default_factory=list)


def run_dag(day: dt.date, settings: Settings, bootstrap: str) -> NightRun:
    """`airflow dags test` of the nightly DAG for one data day (the metadata database prepared by
    prepare_airflow), a line per task as it ends, then the timing table; returns what it saw."""
    env, airflow, night = _dag_env(settings, bootstrap), _airflow(), NightRun(day, _night_log(day, settings))
    logical_date = dt.datetime.combine(day, dt.time(2, 0), BEIJING)
    db = sqlite_metadata_db(env)
    watch = NightWatch(db, DAG_ID, settings.paths.operator_alerts) if db and db.exists() else None
    if watch is None:
        _say(f"(no per-task progress: the metadata database is not SQLite; see {night.log_path})")
    started, cpu, recorded = time.monotonic(), time.process_time(), None
    with night.log_path.open("ab") as log:
        process = subprocess.Popen(
            [airflow, "dags", "test", DAG_ID, logical_date.isoformat()],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        while True:
            # wait4, not Popen.poll: the rusage of this child alone gives the night's peak RSS
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            night.tree_rss_kib = max(night.tree_rss_kib, tree_rss_kib(process.pid))
            if watch:
                _report(watch.poll(), started, night.log_path)
            time.sleep(POLL_SECONDS)
        process.returncode = os.waitstatus_to_exitcode(status)
        night.seconds, night.peak_rss_kib = time.monotonic() - started, usage.ru_maxrss
        night.runner_cpu = time.process_time() - cpu
        if watch:
            _report(watch.poll(final=True), started, night.log_path)
            night.tasks, recorded = watch.tasks, watch.run_state()
    finally:
        if watch:
            watch.close()
        if process.returncode is None:  # interrupted: do not leave the DAG run behind
            process.kill()
            process.wait()
    # A failed run (a held feed, a blocked dataset) is a verdict to report, not a crash: the state
    # Airflow recorded tells them apart.
    night.state = recorded or _run_state(airflow, env, logical_date)
    if night.state == "missing":
        _fail(f"airflow dags test {DAG_ID} recorded no run (exit {process.returncode})", night.log_path)
    _say("")
    for line in timing_table(task_totals(night.tasks), night.seconds):
        _say(f"  {line}")
    _say(
        f"{DAG_ID} for {day}: {night.state} in {night.seconds:.1f} s, "
        f"peak RSS {night.peak_rss_kib / 1024:,.0f} MiB (largest process), log {night.log_path}"
    )
    return night


def _report(tasks: list[TaskRun], started: float, log_path: Path) -> None:
    for task in tasks:
        _say(task_line(task, time.monotonic() - started))
        if task.state in ("failed", "up_for_retry"):
            for line in failure_lines(task, log_path):
                _say(line)


def _run_state(airflow: str, env: dict[str, str], logical_date: dt.datetime) -> str:
    """The state Airflow recorded for the DAG run of this logical date (not the CLI's exit code)."""
    listed = subprocess.run(
        [airflow, "dags", "list-runs", DAG_ID, "-o", "json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    runs = json.loads(next(line for line in reversed(listed.splitlines()) if line.startswith(("[{", "[]"))))
    wanted = logical_date.astimezone(dt.UTC)
    ours = [r for r in runs if dt.datetime.fromisoformat(r["logical_date"]) == wanted]
    return max(ours, key=lambda r: r["run_after"])["state"] if ours else "missing"


def print_summary(day: dt.date, settings: Settings, log_path: Path) -> None:
    from orchestration.steps import feed_summary, publication_summary
    from publication.data_docs import DATA_DOCS_SITE
    from publication.snapshots import snapshot_path

    rows = feed_summary(settings.warehouse, day)
    width = max(len(r[0]) for r in rows)
    print(f"\nGigshield nightly sync for {day} — rows in the warehouse after this run")
    print(f"{'feed':<{width}}  {'loaded':>10}  {'quarantined':>11}  {'redelivered':>11}  night's validation")
    for topic, loaded, quarantined, redelivered, status in rows:
        print(f"{topic:<{width}}  {loaded:>10,}  {quarantined:>11,}  {redelivered:>11,}  {status}")
    published = publication_summary(settings.warehouse, day)
    if published:
        print("\npublished datasets (outbound contracts)")
        for dataset, status, count, path in published:
            print(f"{dataset:<{width}}  {count:>10,}  {status}  {path or ''}")
    docs = settings.paths.data_docs(DATA_DOCS_SITE) / "index.html"
    print(
        f"\nwarehouse: {settings.warehouse}\nrun log:   {log_path}\ndata docs: {docs}"
        f"\ncontracts: {settings.paths.contract_catalog / 'index.html'}"
        f"\nanalysts:  {snapshot_path(day, settings)} (python -m publication.snapshots query ...)"
        f"\ninspector: {settings.paths.inspector_page(day)}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with `nights`: the data days to run, in order (bench/nightly parses its runs with it)."""
    yesterday = dt.datetime.now(BEIJING).date() - dt.timedelta(days=1)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--date", type=dt.date.fromisoformat, default=yesterday, help="data day (default: yesterday, Beijing time)"
    )
    parser.add_argument(
        "--from",
        dest="first",
        type=dt.date.fromisoformat,
        help="a backfill: run the DAG for every day from this one to --date, in order",
    )
    parser.add_argument("--workers", type=int, default=2000, help="synthetic workers (default 2000)")
    parser.add_argument(
        "--days",
        type=int,
        default=1,
        help="days the synthetic agencies publish, ending on --date (at least the backfill's)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-publish", action="store_true", help="do not run the synthetic agencies (real feeds)")
    args = parser.parse_args(argv)
    first = args.first or args.date
    if first > args.date:
        parser.error(f"--from {first} is after --date {args.date}")
    args.nights = [first + dt.timedelta(days=n) for n in range((args.date - first).days + 1)]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings.from_env()
    try:  # refused before anything starts: every pseudonym of the night would be made with it
        pseudonym_key(settings)
    except PseudonymKeyError as refused:
        raise SystemExit(f"run_nightly: {refused}") from None
    try:
        with one_night_at_a_time(settings):
            _, runs = run_nights(args, settings)
            for night in runs:
                print_summary(night.day, settings, night.log_path)
    except NightlyRunning as running:
        print(f"run_nightly: {running}", file=sys.stderr)
        raise SystemExit(EX_TEMPFAIL) from None
    failed = [night for night in runs if night.state != "success"]
    if failed:
        raise SystemExit(
            "; ".join(f"{DAG_ID} for {n.day} ended {n.state} (log {n.log_path})" for n in failed)
            + f": see the held feeds and blocked datasets above and {settings.paths.operator_alerts}"
        )


def run_nights(args: argparse.Namespace, settings: Settings) -> tuple[float | None, list[NightRun]]:
    """Publish the synthetic feeds (unless --no-publish) and run the DAG for each night, broker up
    meanwhile; returns the publish's seconds (None if none) and the nights (the lock is the caller's)."""
    nights: list[dt.date] = args.nights
    published = None
    with kafka_bootstrap(log_path=settings.paths.broker_log) as bootstrap:
        if not args.no_publish:
            published = publish_synthetic(args, len(nights), settings, bootstrap)
        prepare_airflow(settings, _night_log(nights[0], settings))
        runs = []
        for number, day in enumerate(nights, 1):
            heading = f"night {number} of {len(nights)}: " if len(nights) > 1 else ""
            _say(f"\n{heading}{DAG_ID} for {day}")
            runs.append(run_dag(day, settings, bootstrap))
        return published, runs


def publish_synthetic(args: argparse.Namespace, nights: int, settings: Settings, bootstrap: str) -> float:
    """The synthetic agencies publish the window's feeds, a line per day; returns the seconds it took."""
    days, started = max(args.days, nights), time.monotonic()
    _say(f"synthetic agencies: {args.workers:,} workers publish {days} day(s) of feeds ending {args.date}")
    from devstack.synthetic import publish_window

    def published(day: dt.date, records: int) -> None:
        _say(f"  {day}  {records:>9,} records  {time.monotonic() - started:6.1f} s")

    publish_window(
        end_date=args.date,
        days=days,
        workers=args.workers,
        seed=args.seed,
        bootstrap=bootstrap,
        manifest_path=settings.paths.manifests / f"{args.date}.json",
        on_day=published,
    )
    seconds = time.monotonic() - started
    _say(f"synthetic agencies: published in {seconds:.1f} s")
    return seconds


if __name__ == "__main__":
    main()
