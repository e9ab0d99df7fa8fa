"""Where inspectorate alerts go, read from the environment like core.config.Settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

KAFKA, EMAIL, WEBHOOK = "kafka", "email", "webhook"


@dataclass(frozen=True)
class AlertSettings:
    """Alert channels. Kafka is always used; e-mail and the webhook only when configured.

    GIGSHIELD_SMTP_HOST              SMTP server for e-mail alerts (unset: no e-mail)
    GIGSHIELD_SMTP_PORT              its port (default 25)
    GIGSHIELD_ALERT_SENDER           From address (default gigshield-alerts@example.org, a placeholder)
    GIGSHIELD_ALERT_WEBHOOK_URL      URL alerts are POSTed to as JSON (unset: no webhook)
    GIGSHIELD_ALERT_ATTEMPTS         attempts per delivery in one run (default 3); what still fails stays
                                     pending for the next run
    GIGSHIELD_ALERT_BACKOFF_SECONDS  pause before the second attempt, doubling after (default 1)
    GIGSHIELD_ALERT_TIMEOUT_SECONDS  timeout of one SMTP, HTTP or Kafka send (default 10)
    """

    smtp_host: str | None
    smtp_port: int
    sender: str
    webhook_url: str | None
    attempts: int
    backoff_seconds: float
    timeout_seconds: float

    @classmethod
    def from_env(cls) -> AlertSettings:
        settings = cls(
            smtp_host=os.environ.get("GIGSHIELD_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("GIGSHIELD_SMTP_PORT", "25")),
            sender=os.environ.get("GIGSHIELD_ALERT_SENDER", "gigshield-alerts@example.org"),
            webhook_url=os.environ.get("GIGSHIELD_ALERT_WEBHOOK_URL") or None,
            attempts=int(os.environ.get("GIGSHIELD_ALERT_ATTEMPTS", "3")),
            backoff_seconds=float(os.environ.get("GIGSHIELD_ALERT_BACKOFF_SECONDS", "1")),
            timeout_seconds=float(os.environ.get("GIGSHIELD_ALERT_TIMEOUT_SECONDS", "10")),
        )
        if settings.attempts < 1:
            raise ValueError(f"GIGSHIELD_ALERT_ATTEMPTS must be at least 1, got {settings.attempts}")
        return settings

    def destinations(self, topic: str, message: dict[str, Any]) -> dict[str, str]:
        """Channel -> destination of one alert message: the topic, the inspectorate's mailbox, the webhook."""
        out = {KAFKA: topic}
        if self.smtp_host:
            out[EMAIL] = message["inspectorate_email"]
        if self.webhook_url:
            out[WEBHOOK] = self.webhook_url
        return out
