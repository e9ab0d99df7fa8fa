"""The three ways an alert message leaves Gigshield: a Kafka topic, an e-mail over SMTP, a webhook POST.

Each sender sends one stored message to one destination and raises on failure (OSError for SMTP and
HTTP, KafkaError for Kafka); retrying is the delivery module's job. The same JSON goes everywhere; the
e-mail adds a text an inspector reads and threads an alert's revisions under its first message.

Data never shapes an e-mail's structure: every header value built from a message (Subject, To, the
attachment's file name) has control and line-separator characters (Unicode Cc, Zl, Zp: CR, LF,
U+0085, U+2028, U+2029, ...) replaced by spaces and is bounded in length, and in the body each data
value is kept on its line the same way, so a name cannot inject a header or a fake line. The JSON
(attachment, Kafka, webhook) carries the values unchanged.
"""

from __future__ import annotations

import smtplib
import unicodedata
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from alerts.outbox import to_json
from alerts.settings import EMAIL, KAFKA, WEBHOOK, AlertSettings
from ingestion.kafka_security import kafka_client_options
from ingestion.kafka_topics import ensure_topics

# What a failed send raises: SMTP and HTTP errors are OSErrors; the Kafka client raises KafkaError.
SEND_ERRORS = (OSError, KafkaError)
SUBJECT_MAX_CHARS = 200
NAME_IN_SUBJECT_MAX_CHARS = 80
HEADER_MAX_CHARS = 254  # addresses, file names
_BREAKING = frozenset({"Cc", "Zl", "Zp"})  # control characters (CR, LF, NEL U+0085, ...), line and paragraph separators


def one_line(value: object) -> str:
    """The value as text on one line: control and line-separator characters become spaces."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(" " if unicodedata.category(c) in _BREAKING or c == "\x85" else c for c in text)


def header_text(value: object, limit: int = HEADER_MAX_CHARS) -> str:
    """A header value from data: on one line, runs of spaces collapsed, at most `limit` characters."""
    text = " ".join(one_line(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Sender(Protocol):
    def send(self, destination: str, message: dict[str, Any]) -> None: ...


class KafkaSender:
    """Produces to the alert topic, keyed by alert_id (an alert's revisions stay in order on one partition)."""

    def __init__(self, bootstrap: str, timeout_seconds: float) -> None:
        self.bootstrap, self.timeout = bootstrap, timeout_seconds
        self._producer: KafkaProducer | None = None
        self._topics: set[str] = set()

    def send(self, destination: str, message: dict[str, Any]) -> None:
        if self._producer is None:  # connect on first use: a broker that is down fails a send, not the run
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id="gigshield-alerts",
                acks="all",
                request_timeout_ms=int(self.timeout * 1000),
                **kafka_client_options(),
            )
        if destination not in self._topics:
            ensure_topics(self.bootstrap, [destination])
            self._topics.add(destination)
        self._producer.send(destination, to_json(message).encode(), key=message["alert_id"].encode()).get(
            timeout=self.timeout
        )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()


def email_subject(message: dict[str, Any]) -> str:
    enterprise = header_text(message["enterprise_name"] or message["enterprise_uscc"], NAME_IN_SUBJECT_MAX_CHARS)
    return header_text(
        f"[Gigshield 预警 {message['severity']}] {message['event']}: {message['case_kind']} - "
        f"{enterprise} ({message['enterprise_uscc']}) r{message['revision']}",
        SUBJECT_MAX_CHARS,
    )


def _on_their_lines(value: Any) -> Any:
    """Every text in a message, kept whole but on one line."""
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, dict):
        return {k: _on_their_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_on_their_lines(v) for v in value]
    return value


def email_body(message: dict[str, Any]) -> str:
    """What an inspector reads: the case, what to do by when, and where the evidence is. Data values
    stay on their lines (no value can add a line of its own)."""
    message = _on_their_lines(message)
    deadlines = [
        f"{step} by {message[step + '_by']}" for step in ("accept", "connect", "feedback") if message[step + "_by"]
    ]
    platforms = ", ".join(message["platform_usccs"]) or "-"
    amount = "-" if message["amount"] is None else f"CNY {message['amount']:.2f}"
    workers = "-" if message["workers_affected"] is None else message["workers_affected"]
    lines = [
        f"Gigshield inspectorate alert (劳动保障监察预警): {message['event']}, revision {message['revision']}, "
        f"status {message['status']}",
        f"To: {message['inspectorate_name']} (region {message['region_code']}, {message['jurisdiction']})",
        "",
        f"Case: {message['case_key']} ({message['case_kind']}, severity {message['severity']})",
        f"Enterprise: {message['enterprise_name'] or '(not in the registry)'} ({message['enterprise_uscc']})",
        f"Platforms (responsible with the partner): {platforms}",
        f"Facts: {message['summary']}",
        f"Amount: {amount}; workers affected: {workers}",
        f"Case opened on {message['opened_on']}; alert first raised on {message['first_raised_on']}",
        "",
        "Deadlines: " + ("; ".join(deadlines) if deadlines else "none set by the jurisdiction's policy"),
        "",
        "Evidence:",
        *(f"  - {e['link']} ({e['rule_version']})" for e in message["evidence"]),
        "",
        f"alert_id {message['alert_id']}, message_id {message['message_id']} (the JSON message is attached)",
    ]
    return "\n".join(lines) + "\n"


def _message_id_header(alert_id: str, revision: int) -> str:
    return f"<{header_text(alert_id).replace(' ', '-')}.{revision}@gigshield.alerts>"


def email(message: dict[str, Any], sender: str, recipient: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"] = header_text(sender), header_text(recipient)
    mail["Subject"] = email_subject(message)
    mail["Message-ID"] = _message_id_header(message["alert_id"], message["revision"])
    if message["revision"] > 1:  # updates and the close thread under the raised alert
        mail["In-Reply-To"] = mail["References"] = _message_id_header(message["alert_id"], 1)
    mail.set_content(email_body(message))
    mail.add_attachment(
        to_json(message).encode(),
        maintype="application",
        subtype="json",
        filename=header_text(
            f"alert-{message['message_id']}".replace(":", "-").replace("/", "-").replace("\\", "-"), 120
        )
        + ".json",
    )
    return mail


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, timeout_seconds: float) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout_seconds

    def send(self, destination: str, message: dict[str, Any]) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(email(message, self.sender, destination))


class WebhookSender:
    """POSTs the JSON; any non-2xx answer is a failure (urllib raises HTTPError, an OSError)."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout = timeout_seconds

    def send(self, destination: str, message: dict[str, Any]) -> None:
        request = urllib.request.Request(
            destination,
            data=to_json(message).encode(),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message["message_id"]},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()


@contextmanager
def open_senders(settings: AlertSettings, kafka_bootstrap: str) -> Iterator[dict[str, Sender]]:
    """A sender for every channel configured now (deliveries for a channel no longer configured wait)."""
    kafka = KafkaSender(kafka_bootstrap, settings.timeout_seconds)
    senders: dict[str, Sender] = {KAFKA: kafka}
    if settings.smtp_host:
        senders[EMAIL] = SmtpSender(settings.smtp_host, settings.smtp_port, settings.sender, settings.timeout_seconds)
    if settings.webhook_url:
        senders[WEBHOOK] = WebhookSender(settings.timeout_seconds)
    try:
        yield senders
    finally:
        kafka.close()
