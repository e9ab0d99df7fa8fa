"""How Gigshield's own Kafka clients authenticate: kafka-python keyword arguments from the environment.

    GIGSHIELD_KAFKA_SECURITY_PROTOCOL   PLAINTEXT (default: the embedded broker), SASL_PLAINTEXT, SASL_SSL or SSL
    GIGSHIELD_KAFKA_SASL_MECHANISM      SCRAM-SHA-512 (default when a SASL protocol is set), SCRAM-SHA-256, PLAIN
    GIGSHIELD_KAFKA_USERNAME            the principal (production: gigshield-loader)
    GIGSHIELD_KAFKA_PASSWORD            its password
    GIGSHIELD_KAFKA_SSL_CAFILE          PEM file of the CA that signed the broker certificate (SSL protocols;
                                        unset: the system's trust store)

Pass the result to every client: KafkaConsumer(..., **kafka_client_options()), likewise KafkaProducer
and KafkaAdminClient. In docker-compose.yml the Airflow services get SASL_PLAINTEXT + SCRAM-SHA-512 as
gigshield-loader on the compose network's INTERNAL listener.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
DEFAULT_MECHANISM = "SCRAM-SHA-512"


class KafkaSecurityError(ValueError):
    """The GIGSHIELD_KAFKA_* security settings are incomplete or contradictory."""


def kafka_client_options(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """kafka-python kwargs (security_protocol, sasl_mechanism, sasl_plain_username, sasl_plain_password,
    ssl_cafile) for the configured protocol; {"security_protocol": "PLAINTEXT"} when nothing is set."""
    env = os.environ if env is None else env
    protocol = env.get("GIGSHIELD_KAFKA_SECURITY_PROTOCOL", "").strip().upper() or "PLAINTEXT"
    if protocol not in PROTOCOLS:
        raise KafkaSecurityError(
            f"GIGSHIELD_KAFKA_SECURITY_PROTOCOL={protocol!r}: expected one of {', '.join(PROTOCOLS)}"
        )
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        mechanism = env.get("GIGSHIELD_KAFKA_SASL_MECHANISM", "").strip().upper() or DEFAULT_MECHANISM
        if mechanism not in MECHANISMS:
            raise KafkaSecurityError(
                f"GIGSHIELD_KAFKA_SASL_MECHANISM={mechanism!r}: expected one of {', '.join(MECHANISMS)}"
            )
        username, password = env.get("GIGSHIELD_KAFKA_USERNAME", ""), env.get("GIGSHIELD_KAFKA_PASSWORD", "")
        if not username or not password:
            raise KafkaSecurityError(f"{protocol} needs GIGSHIELD_KAFKA_USERNAME and GIGSHIELD_KAFKA_PASSWORD")
        if mechanism == "PLAIN" and protocol == "SASL_PLAINTEXT":
            raise KafkaSecurityError(
                "PLAIN over SASL_PLAINTEXT sends the password in clear: use SCRAM-SHA-512 or SASL_SSL"
            )
        options.update(sasl_mechanism=mechanism, sasl_plain_username=username, sasl_plain_password=password)
    if protocol in ("SSL", "SASL_SSL"):
        cafile = env.get("GIGSHIELD_KAFKA_SSL_CAFILE", "")
        if cafile:
            if not Path(cafile).is_file():
                raise KafkaSecurityError(f"GIGSHIELD_KAFKA_SSL_CAFILE={cafile}: no such file")
            options["ssl_cafile"] = cafile
    return options
