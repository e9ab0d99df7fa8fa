"""Sending the outbox's pending deliveries: a message stays pending until its channel accepted it.

Each pending delivery is tried up to `attempts` times with a doubling pause between tries; the outcome
(attempts, last error, delivered_at) is committed delivery by delivery, so a crash loses no record of
what was sent. What still fails stays pending and is tried again by the next run (a task retry or the
next night): delivery is at least once, and message_id lets a receiver drop a repeat. An alert's
revisions go out in order on each channel: while one is pending, its later revisions wait.

One delivery failing never stops the others: whatever a send raises (any Exception) is recorded as
`<type>: <message>` in last_error and the loop goes on with the next delivery. Only the errors a
send raises when the destination fails (SEND_ERRORS) are retried within the run; another exception
(a bug, a value the sender cannot encode) would raise again at once, so it is recorded after one
attempt and the delivery stays pending for the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from alerts.channels import SEND_ERRORS, Sender
from alerts.outbox import DDL
from core.warehouse import one_row

log = logging.getLogger(__name__)


class AlertDeliveryIncomplete(RuntimeError):
    """Some alert deliveries are still pending after this run; they stay in the outbox for the next."""


@dataclass(frozen=True)
class DeliveryResult:
    delivered: int
    pending: int
    errors: tuple[str, ...]

    def raise_if_pending(self) -> None:
        if self.pending:
            raise AlertDeliveryIncomplete(
                f"{self.pending} alert deliveries still pending (kept for the next run): " + "; ".join(self.errors)
            )


PENDING = """
SELECT d.message_id, d.channel, d.destination, r.alert_id, r.message
FROM alerts.deliveries d JOIN alerts.alert_revisions r USING (message_id)
WHERE d.status = 'pending'
ORDER BY r.logical_date, r.alert_id, r.revision, d.channel
"""


def _try(
    sender: Sender,
    destination: str,
    message: dict,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None],
) -> tuple[int, str | None]:
    """Send with retries; returns the attempts made and the last error (None once sent)."""
    error = None
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_seconds * 2 ** (attempt - 1))
        try:
            sender.send(destination, message)
            return attempt + 1, None
        except SEND_ERRORS as exc:
            error = _error(exc)
        except Exception as exc:  # not the destination failing: retrying now would not help
            log.warning("sending %s to %s raised", message.get("message_id"), destination, exc_info=True)
            return attempt + 1, _error(exc)
    return attempts, error


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def deliver_pending(
    con: duckdb.DuckDBPyConnection,
    senders: dict[str, Sender],
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    con.execute(DDL)
    delivered, errors = 0, []
    waiting: set[tuple[str, str]] = set()  # (alert_id, channel) with an earlier revision still pending
    error: str | None  # None: delivered
    for message_id, channel, destination, alert_id, stored in con.execute(PENDING).fetchall():
        if (alert_id, channel) in waiting:
            continue
        sender = senders.get(channel)
        if sender is None:
            tries, error = 0, f"channel {channel} is not configured"
        else:
            try:
                tries, error = _try(sender, destination, json.loads(stored), attempts, backoff_seconds, sleep)
            except Exception as exc:  # noqa: BLE001 (one delivery never stops the others)
                tries, error = 1, _error(exc)
        now = dt.datetime.now(dt.UTC)
        con.execute(
            """UPDATE alerts.deliveries SET attempts = attempts + $tries, last_error = $error,
                           last_attempt_at = coalesce($attempted_at, last_attempt_at),
                           status = CASE WHEN $error IS NULL THEN 'delivered' ELSE 'pending' END,
                           delivered_at = CASE WHEN $error IS NULL THEN $attempted_at END
                       WHERE message_id = $message_id AND channel = $channel""",
            {
                "tries": tries,
                "error": error,
                "attempted_at": now if tries else None,
                "message_id": message_id,
                "channel": channel,
            },
        )
        if error is None:
            delivered += 1
        else:
            waiting.add((alert_id, channel))
            errors.append(f"{message_id} via {channel} to {destination}: {error}")
    pending = one_row(con, "SELECT count(*) FROM alerts.deliveries WHERE status = 'pending'")[0]
    return DeliveryResult(delivered, pending, tuple(errors))
