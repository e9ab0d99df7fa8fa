"""Nightly agency sync (Asia/Shanghai, 02:00): drain every agency feed from Kafka into the
DuckDB warehouse exactly once, then build and test the dbt models.

Thin by design: the steps live in ingestion.nightly, which tests call directly. The run for
data day D has logical date D 02:00 Beijing time and runs at D+1 02:00; rerunning it is safe
(offsets and message ids make ingestion idempotent, dbt rebuilds the models).
"""

from __future__ import annotations

from datetime import datetime

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from ingestion.operator_alerts import notify_operator


@dag(
    dag_id="nightly_agency_sync",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # Retry delay: Airflow's [core] default_task_retry_delay (300 s unless configured).
    default_args={"retries": 2, "on_failure_callback": notify_operator},
    tags=["gigshield", "nightly"],
    doc_md=__doc__,
)
def nightly_agency_sync() -> None:
    @task
    def list_feeds() -> list[str]:
        from ingestion.nightly import feed_topics

        return feed_topics()

    # DuckDB has one writer at a time: feeds are separate tasks but load one after another.
    @task(max_active_tis_per_dag=1)
    def ingest_feed(topic: str, logical_date: datetime | None = None) -> dict[str, int]:
        from ingestion.nightly import data_date, ingest_feed

        assert logical_date is not None
        return ingest_feed(topic, data_date(logical_date))

    @task
    def dbt_build() -> None:
        from ingestion.nightly import dbt_build

        dbt_build()

    ingest_feed.expand(topic=list_feeds()) >> dbt_build()


nightly_agency_sync()
