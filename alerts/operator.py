"""Tell the operator when a nightly task fails, or when a night's data needs a person although the task
succeeded (a message id reused with other content): a log line and a JSON line in the data folder."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from core.config import Settings

log = logging.getLogger(__name__)


def notify_operator(context: dict[str, Any]) -> None:
    """Airflow on_failure_callback: record which task failed, for which run, and why."""
    ti = context.get("task_instance") or context.get("ti")
    alert = {
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "run_id": context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "error": repr(context.get("exception")),
    }
    log.error("nightly task failed: %s", alert)
    _append(alert)


def notify_operator_of_data(kind: str, topic: str, day: dt.date, detail: str) -> None:
    """Something in a feed that a person must follow up with the agency; the night goes on."""
    alert = {
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "kind": kind,
        "topic": topic,
        "logical_date": day.isoformat(),
        "detail": detail,
    }
    log.warning("operator alert: %s", alert)
    _append(alert)


def _append(alert: dict[str, Any]) -> None:
    path = Settings.from_env().paths.operator_alerts
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(alert, ensure_ascii=False) + "\n")
