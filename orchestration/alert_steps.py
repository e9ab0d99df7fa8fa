"""The DAG's alert steps, after dbt has built marts.fct_inspectorate_alerts for the night."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

import duckdb

from alerts.channels import open_senders
from alerts.delivery import deliver_pending
from alerts.outbox import raise_alerts
from alerts.settings import AlertSettings
from core.config import Settings

log = logging.getLogger(__name__)


def update_alerts(day: dt.date, settings: Settings | None = None) -> dict[str, object]:
    """Raise, update and close the night's alerts in the outbox (nothing is sent yet)."""
    settings = settings or Settings.from_env()
    with duckdb.connect(str(settings.warehouse)) as con:
        result = raise_alerts(con, day, AlertSettings.from_env())
    log.info("alerts for %s: %s", day, result)
    return {**asdict(result), "logical_date": day.isoformat()}


def deliver_alerts(settings: Settings | None = None) -> dict[str, object]:
    """Send every pending alert delivery, of this night or earlier ones; raises if any is still pending."""
    settings = settings or Settings.from_env()
    alert_settings = AlertSettings.from_env()
    with (
        duckdb.connect(str(settings.warehouse)) as con,
        open_senders(alert_settings, settings.kafka_bootstrap) as senders,
    ):
        result = deliver_pending(con, senders, alert_settings.attempts, alert_settings.backoff_seconds)
    log.info("alert deliveries: %s", result)
    result.raise_if_pending()
    return asdict(result)
