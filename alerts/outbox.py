"""The alert outbox: each night's cases (marts.fct_inspectorate_alerts) against the alerts already raised.

A case not yet alerted is raised (a new alert_id, revision 1); an open alert whose case changed (its
fingerprint) is updated (same alert_id, next revision); an open alert whose case is gone is closed.
Unchanged cases send nothing. Every revision's message is checked against the alert contract and
stored with one pending delivery per channel, in the same transaction as the state change, so a
revision is never made without the deliveries that announce it. Rerunning a night against the same
mart changes nothing; a night before the latest one raised is refused (the state does not go back).

Tables (schema alerts):
  alert_state      one row per alert: its case, status, current revision and fingerprint, dates
  alert_revisions  every message, as sent (message_id '<alert_id>:<revision>')
  deliveries       one row per message and channel: pending until delivered, attempts and last error
  nights           the nights raised
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from alerts.contract import alert_contract, check_message
from alerts.settings import AlertSettings
from core.warehouse import one_row, rows_as_dicts

CASES_TABLE = "marts.fct_inspectorate_alerts"
# alert_id = uuid5(namespace, '<case_key>@<first night>'): a rerun finds the same id; a case that comes
# back after it was closed is a new alert.
ALERT_NAMESPACE = uuid.UUID("0d7f3a52-1c4e-4b8e-9f43-6a2e5d1b7c90")
# Deadline columns of the message and the mart's SLA column (days after first_raised_on) each comes from.
DEADLINES = {"accept_by": "sla_accept_days", "connect_by": "sla_connect_days", "feedback_by": "sla_feedback_days"}
# Mart columns carried into the message as they are.
CASE_FIELDS = (
    "case_key",
    "case_kind",
    "case_ref",
    "severity",
    "enterprise_uscc",
    "enterprise_name",
    "platform_usccs",
    "region_code",
    "jurisdiction",
    "inspectorate_name",
    "inspectorate_email",
    "opened_on",
    "amount",
    "workers_affected",
    "summary",
    "evidence",
    "fingerprint",
)

DDL = """
CREATE SCHEMA IF NOT EXISTS alerts;
CREATE TABLE IF NOT EXISTS alerts.alert_state (
    alert_id VARCHAR PRIMARY KEY, case_key VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('open', 'closed')), revision INTEGER NOT NULL,
    fingerprint VARCHAR NOT NULL, first_raised_on DATE NOT NULL, last_updated_on DATE NOT NULL, closed_on DATE);
CREATE TABLE IF NOT EXISTS alerts.alert_revisions (
    message_id VARCHAR PRIMARY KEY, alert_id VARCHAR NOT NULL, revision INTEGER NOT NULL,
    event VARCHAR NOT NULL CHECK (event IN ('raised', 'updated', 'closed')), logical_date DATE NOT NULL,
    message JSON NOT NULL, recorded_at TIMESTAMPTZ NOT NULL, UNIQUE (alert_id, revision));
CREATE TABLE IF NOT EXISTS alerts.deliveries (
    message_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, destination VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('pending', 'delivered')), attempts INTEGER NOT NULL,
    last_error VARCHAR, last_attempt_at TIMESTAMPTZ, delivered_at TIMESTAMPTZ, PRIMARY KEY (message_id, channel));
CREATE TABLE IF NOT EXISTS alerts.nights (logical_date DATE PRIMARY KEY, raised_at TIMESTAMPTZ NOT NULL);
"""


class AlertStateAhead(RuntimeError):
    """Alerts were already raised for a later night: an earlier one cannot be raised again."""


class CasesNotBuilt(RuntimeError):
    """The cases mart was not built for the night being raised."""


@dataclass(frozen=True)
class RaiseResult:
    logical_date: dt.date
    raised: int
    updated: int
    closed: int
    unchanged: int


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot put {type(value).__name__} in an alert message")


def to_json(message: dict[str, Any]) -> str:
    """The message as JSON, exactly as stored and sent (dates ISO, amounts as numbers)."""
    return json.dumps(message, ensure_ascii=False, default=_json_default, sort_keys=True)


def case_message(
    case: dict[str, Any], alert_id: str, revision: int, event: str, day: dt.date, first_raised_on: dt.date
) -> dict[str, Any]:
    """The message for a raised or updated alert; deadlines count from the night it was first raised."""
    deadlines = {
        name: None if case[days] is None else first_raised_on + dt.timedelta(days=case[days])
        for name, days in DEADLINES.items()
    }
    return json.loads(
        to_json(
            {
                "message_id": f"{alert_id}:{revision}",
                "alert_id": alert_id,
                "revision": revision,
                "event": event,
                "status": "open",
                "logical_date": day,
                "first_raised_on": first_raised_on,
                **deadlines,
                **{f: case[f] for f in CASE_FIELDS},
            }
        )
    )


def closing_message(last: dict[str, Any], revision: int, day: dt.date) -> dict[str, Any]:
    """The last message said again with the alert closed: the case is no longer among the night's."""
    return {
        **last,
        "message_id": f"{last['alert_id']}:{revision}",
        "revision": revision,
        "event": "closed",
        "status": "closed",
        "logical_date": day.isoformat(),
    }


def _record(
    con: duckdb.DuckDBPyConnection, message: dict[str, Any], day: dt.date, settings: AlertSettings, topic: str
) -> None:
    check_message(message)
    con.execute(
        "INSERT INTO alerts.alert_revisions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            message["message_id"],
            message["alert_id"],
            message["revision"],
            message["event"],
            day,
            to_json(message),
            dt.datetime.now(dt.UTC),
        ],
    )
    for channel, destination in settings.destinations(topic, message).items():
        con.execute(
            "INSERT INTO alerts.deliveries VALUES (?, ?, ?, 'pending', 0, NULL, NULL, NULL)",
            [message["message_id"], channel, destination],
        )


def _check_night(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[dict[str, Any]]:
    latest = one_row(con, "SELECT max(logical_date) FROM alerts.nights")[0]
    if latest is not None and day < latest:
        raise AlertStateAhead(f"alerts were raised up to {latest}; raising {day} again would undo later nights")
    cases = rows_as_dicts(con, f"SELECT * FROM {CASES_TABLE} ORDER BY case_key")
    stale = {c["as_of_date"] for c in cases} - {day}
    if stale:
        raise CasesNotBuilt(f"{CASES_TABLE} is as of {sorted(stale)}, not {day}: run dbt for the night first")
    return cases


def raise_alerts(con: duckdb.DuckDBPyConnection, day: dt.date, settings: AlertSettings) -> RaiseResult:
    """Diff the night's cases against the open alerts and write the revisions and deliveries (module doc)."""
    con.execute(DDL)
    cases = _check_night(con, day)
    topic = alert_contract().topic
    open_alerts = {
        a["case_key"]: a for a in rows_as_dicts(con, "SELECT * FROM alerts.alert_state WHERE status = 'open'")
    }
    counts = {"raised": 0, "updated": 0, "closed": 0, "unchanged": 0}
    con.begin()
    try:
        for case in cases:
            alert = open_alerts.pop(case["case_key"], None)
            if alert is None:
                alert_id = str(uuid.uuid5(ALERT_NAMESPACE, f"{case['case_key']}@{day}"))
                _record(con, case_message(case, alert_id, 1, "raised", day, day), day, settings, topic)
                con.execute(
                    "INSERT INTO alerts.alert_state VALUES (?, ?, 'open', 1, ?, ?, ?, NULL)",
                    [alert_id, case["case_key"], case["fingerprint"], day, day],
                )
                counts["raised"] += 1
            elif alert["fingerprint"] != case["fingerprint"]:
                revision = alert["revision"] + 1
                _record(
                    con,
                    case_message(case, alert["alert_id"], revision, "updated", day, alert["first_raised_on"]),
                    day,
                    settings,
                    topic,
                )
                con.execute(
                    "UPDATE alerts.alert_state SET revision = ?, fingerprint = ?, last_updated_on = ? "
                    "WHERE alert_id = ?",
                    [revision, case["fingerprint"], day, alert["alert_id"]],
                )
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        for alert in open_alerts.values():  # cases gone tonight
            last = json.loads(
                one_row(
                    con,
                    "SELECT message FROM alerts.alert_revisions WHERE alert_id = ? AND revision = ?",
                    [alert["alert_id"], alert["revision"]],
                )[0]
            )
            revision = alert["revision"] + 1
            _record(con, closing_message(last, revision, day), day, settings, topic)
            con.execute(
                "UPDATE alerts.alert_state SET status = 'closed', revision = ?, last_updated_on = ?, "
                "closed_on = ? WHERE alert_id = ?",
                [revision, day, day, alert["alert_id"]],
            )
            counts["closed"] += 1
        con.execute("INSERT OR REPLACE INTO alerts.nights VALUES (?, ?)", [day, dt.datetime.now(dt.UTC)])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return RaiseResult(day, **counts)
