"""Creating the topics a Gigshield client writes to, when the cluster lets it (the embedded broker does;
production pre-creates every topic in its init step and denies clients CREATE)."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from ingestion.kafka_security import kafka_client_options

DEFAULT_PARTITIONS = 3


def ensure_topics(
    bootstrap: str, topics: list[str], partitions: int = DEFAULT_PARTITIONS, client_id: str = "gigshield"
) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id, **kafka_client_options())
    try:
        missing = sorted(set(topics) - set(admin.list_topics()))
        if missing:
            admin.create_topics([NewTopic(t, partitions, 1) for t in missing])
    finally:
        admin.close()
