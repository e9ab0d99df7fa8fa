"""Nightly agency sync (Asia/Shanghai, 02:00): drain every agency feed from Kafka into the
DuckDB warehouse exactly once, validate each feed's night against its contract (Great
Expectations), build and test the dbt models, validate each mart against its outbound contract
and publish it, then render the Data Docs and contract catalog.

A feed whose night fails a batch-level expectation is held (its validate task fails without
retrying and the operator is alerted); dbt does not run on a night with a held feed. A mart that
fails its outbound contract is blocked; the other marts still publish. Data Docs render anyway,
and the run ends failed if anything failed.

Thin by design: the steps live in ingestion.nightly, which tests call directly. The run for
data day D has logical date D 02:00 Beijing time and runs at D+1 02:00; rerunning it is safe
(offsets and message ids make ingestion idempotent, dbt rebuilds the models).
"""

from __future__ import annotations

from datetime import datetime

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task
from airflow.sdk.exceptions import AirflowFailException

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

    @task(max_active_tis_per_dag=1)
    def validate_feed(topic: str, logical_date: datetime | None = None) -> dict[str, object]:
        from expectations.inbound import InboundValidationFailed
        from ingestion.nightly import data_date, validate_feed

        assert logical_date is not None
        try:
            return validate_feed(topic, data_date(logical_date))
        except InboundValidationFailed as held:  # a verdict on the data: retrying cannot change it
            raise AirflowFailException(str(held)) from held

    @task
    def dbt_build(logical_date: datetime | None = None) -> None:
        from ingestion.nightly import data_date, dbt_build

        assert logical_date is not None
        dbt_build(as_of=data_date(logical_date))

    @task
    def list_datasets() -> list[str]:
        from ingestion.nightly import outbound_datasets

        return outbound_datasets()

    @task(max_active_tis_per_dag=1)
    def publish_dataset(dataset: str, logical_date: datetime | None = None) -> dict[str, object]:
        from expectations.publication import PublicationBlocked
        from ingestion.nightly import data_date, publish_dataset

        assert logical_date is not None
        try:
            return publish_dataset(dataset, data_date(logical_date))
        except PublicationBlocked as blocked:
            raise AirflowFailException(str(blocked)) from blocked

    @task(trigger_rule="all_done")
    def render_docs() -> dict[str, str]:
        from ingestion.nightly import render_docs

        return render_docs()

    # render_docs runs whatever happened, so the run's state must come from somewhere else:
    # this task runs only if some task failed, and fails the run.
    @task(trigger_rule="one_failed", retries=0)
    def run_failed() -> None:
        raise AirflowFailException("a task of this run failed: see the failed tasks and data/operator_alerts.jsonl")

    feeds = list_feeds()
    loaded = ingest_feed.expand(topic=feeds)
    validated = validate_feed.expand(topic=feeds)
    published = publish_dataset.expand(dataset=list_datasets())
    built = dbt_build()
    docs = render_docs()
    loaded >> validated >> built >> published >> docs
    [loaded, validated, built, published, docs] >> run_failed()


nightly_agency_sync()
