"""Nightly agency sync (Beijing time, 02:00): drain every agency feed from Kafka into the
DuckDB warehouse exactly once, validate each feed's night against its contract (Great
Expectations), build and test the dbt models layer by layer (astronomer-cosmos tasks), raise and
deliver the labour inspectorate's alerts, validate each mart and agency extract against its
outbound contract and publish it, scan the extracts for personal identifiers, publish the night
to analysts as a read-only snapshot with the inspector's page, then render the Data Docs and
contract catalog.

A feed whose night fails a batch-level expectation is held (its validate task fails without
retrying and the operator is alerted); dbt does not run on a night with a held feed. A mart that
fails its outbound contract is blocked; the other marts still publish. Data Docs render anyway,
and the run ends failed if anything failed.

Thin by design: the steps live in orchestration.steps, which tests call directly. The run for
data day D has logical date D 02:00 Beijing time and runs at D+1 02:00; rerunning it is safe
(offsets and message ids make ingestion idempotent; incremental models stage only batches they
have not staged, and the rest are rebuilt).
"""

from __future__ import annotations

from datetime import datetime

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task
from airflow.sdk.exceptions import AirflowFailException

from alerts.operator import notify_operator
from core.config import TIMEZONE_NAME
from core.warehouse import WAREHOUSE_POOL
from orchestration.dbt_tasks import dbt_layer_tasks


@dag(
    dag_id="nightly_agency_sync",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=TIMEZONE_NAME),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE_NAME),
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
        from orchestration.steps import feed_topics

        return feed_topics()

    @task(pool=WAREHOUSE_POOL)
    def ingest_feed(topic: str, logical_date: datetime | None = None) -> dict[str, int]:
        from ingestion.loader import OffsetsLostToRetention
        from orchestration.steps import data_date, ingest_feed

        assert logical_date is not None
        try:
            return ingest_feed(topic, data_date(logical_date))
        except OffsetsLostToRetention as lost:  # only the agency resending, or the operator, can change it
            raise AirflowFailException(str(lost)) from lost

    @task(pool=WAREHOUSE_POOL)
    def validate_feed(topic: str, logical_date: datetime | None = None) -> dict[str, object]:
        from expectations.inbound import InboundValidationFailed
        from orchestration.steps import data_date, validate_inbound

        assert logical_date is not None
        try:
            return validate_inbound(topic, data_date(logical_date))
        except InboundValidationFailed as held:  # a verdict on the data: retrying cannot change it
            raise AirflowFailException(str(held)) from held

    @task
    def list_datasets() -> list[str]:
        from orchestration.steps import outbound_datasets

        return outbound_datasets()

    @task(pool=WAREHOUSE_POOL)
    def publish_dataset(dataset: str, logical_date: datetime | None = None) -> dict[str, object]:
        from orchestration.steps import data_date, publish_extract
        from publication.extracts import PublicationBlocked

        assert logical_date is not None
        try:
            return publish_extract(dataset, data_date(logical_date))
        except PublicationBlocked as blocked:
            raise AirflowFailException(str(blocked)) from blocked

    @task
    def scan_extracts(logical_date: datetime | None = None) -> dict[str, int]:
        from orchestration.steps import ExtractLeak, data_date, scan_extracts

        assert logical_date is not None
        try:
            return scan_extracts(data_date(logical_date))
        except ExtractLeak as leak:  # a verdict on the published files: retrying cannot change it
            raise AirflowFailException(str(leak)) from leak

    # After the extracts are published and scanned, and the night's alerts raised (or skipped): the
    # snapshot carries the alert state the inspector's page shows.
    @task(pool=WAREHOUSE_POOL, trigger_rule="none_failed")
    def publish_snapshot(logical_date: datetime | None = None) -> dict[str, object]:
        from orchestration.steps import data_date
        from publication.snapshots import publish_snapshot

        assert logical_date is not None
        return publish_snapshot(data_date(logical_date))

    @task
    def render_inspector_page(logical_date: datetime | None = None) -> str:
        from orchestration.steps import data_date
        from reports.inspector_page import render_inspector_page

        assert logical_date is not None
        return str(render_inspector_page(data_date(logical_date)))

    @task(pool=WAREHOUSE_POOL)
    def raise_alerts(logical_date: datetime | None = None) -> dict[str, object]:
        from airflow.sdk.exceptions import AirflowSkipException

        from alerts.outbox import AlertStateAhead
        from orchestration.alert_steps import update_alerts
        from orchestration.steps import data_date

        assert logical_date is not None
        try:
            return update_alerts(data_date(logical_date))
        except AlertStateAhead as later:  # a backfilled night: its cases were superseded by later nights
            raise AirflowSkipException(str(later)) from later

    # Sends what is pending, this night's or left over from earlier ones: it runs whatever happened
    # to raise_alerts, and fails (and retries) while a channel still refuses.
    @task(pool=WAREHOUSE_POOL, trigger_rule="all_done")
    def deliver_alerts() -> dict[str, object]:
        from orchestration.alert_steps import deliver_alerts

        return deliver_alerts()

    @task(trigger_rule="all_done")
    def render_docs() -> dict[str, str]:
        from orchestration.steps import render_docs

        return render_docs()

    # render_docs runs whatever happened, so the run's state must come from somewhere else:
    # this task runs only if some task failed, and fails the run.
    @task(trigger_rule="one_failed", retries=0)
    def run_failed() -> None:
        raise AirflowFailException("a task of this run failed: see the failed tasks and data/operator_alerts.jsonl")

    feeds = list_feeds()
    loaded = ingest_feed.expand(topic=feeds)
    validated = validate_feed.expand(topic=feeds)
    layers = dbt_layer_tasks(pool=WAREHOUSE_POOL)
    loaded >> validated >> layers[0]
    # The inspectorate's alerts need only the marts: a blocked extract does not hold them back.
    raised = raise_alerts()
    delivered = deliver_alerts()
    layers[-1] >> raised >> delivered
    published = publish_dataset.expand(dataset=list_datasets())
    snapshot = publish_snapshot()
    page = render_inspector_page()
    scanned = scan_extracts()
    layers[-1] >> published >> scanned >> snapshot >> page
    raised >> snapshot
    docs = render_docs()
    [published, page, delivered] >> docs
    [loaded, validated, *layers, raised, delivered, published, scanned, snapshot, page, docs] >> run_failed()


nightly_agency_sync()
