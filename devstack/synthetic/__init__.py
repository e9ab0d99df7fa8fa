"""Synthetic agencies: a seeded, deterministic world of platforms and workers that publishes
every feed over Kafka, with violations injected at known rates and a ground-truth manifest."""

from devstack.synthetic.publish import publish_window

__all__ = ["publish_window"]
