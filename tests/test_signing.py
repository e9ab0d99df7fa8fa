"""Signed envelopes: every message is signed by its agency (Ed25519 over the value bytes, in Kafka headers);
the loader quarantines, with the reason, whatever is unsigned, forged, tampered, spoofed or not allowed
on its topic. Through the real embedded broker."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import logging
import uuid
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.config import BEIJING
from core.contracts import default_contracts
from devstack.synthetic import agency_keys
from devstack.synthetic.agency_keys import private_key, sign_as
from ingestion import signing
from ingestion.loader import ingest
from ingestion.signing import KEY_ID_HEADER, SIGNATURE_HEADER, KeyRegistry, MessageVerifier, sign, verify
from tests.support import create_topic, envelope, publish, publish_signed_as, sample_record

pytestmark = pytest.mark.integration

WAGES = default_contracts()["hrss.wage_payment.v1"]
COURT = default_contracts()["court.case.v1"]


def own(base):
    return dataclasses.replace(base, topic=f"test.{uuid.uuid4().hex[:8]}.{base.topic}")


def reasons(warehouse: Path, topic: str) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT message_id, reason FROM raw._quarantine WHERE topic = ?", [topic]).fetchall())


def loaded_ids(warehouse: Path, contract) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            m
            for (m,) in con.execute(
                f"SELECT DISTINCT _message_id FROM {contract.qualified_table} WHERE _topic = ?", [contract.topic]
            ).fetchall()
        }


def by_envelope_id(warehouse: Path, topic: str, values: dict[str, bytes]) -> dict[str, str]:
    """Quarantine reasons by the envelope id of the message (rejected messages are keyed by their hash)."""
    import hashlib

    found = reasons(warehouse, topic)
    return {name: found.get("sha256:" + hashlib.sha256(v).hexdigest(), "loaded") for name, v in values.items()}


def test_unsigned_forged_tampered_spoofed_and_unauthorised_messages_are_quarantined(broker, tmp_path):
    wages, court = own(WAGES), own(COURT)
    for c in (wages, court):
        create_topic(broker.bootstrap, c.topic)
    v = {
        name: envelope(wages, name, [sample_record(wages, i)])
        for i, name in enumerate(
            ("good", "unsigned", "samr-key", "samr-signed-as-hrss", "tampered", "unknown-key", "samr-agency")
        )
    }
    v["samr-agency"] = envelope(wages, "samr-agency", [sample_record(wages, 99)], source_agency="samr")
    tampered_headers = sign_as("hrss", v["tampered"])
    v["tampered"] = v["tampered"].replace(b'"paid"', b'"unpaid"')  # changed after signing
    stranger = Ed25519PrivateKey.generate()
    publish(
        broker.bootstrap,
        wages.topic,
        [
            v["good"],
            (v["unsigned"], []),
            (v["samr-key"], sign_as("samr", v["samr-key"])),  # envelope says hrss, samr signed it
            (
                v["samr-signed-as-hrss"],
                [
                    (SIGNATURE_HEADER, private_key("samr").sign(v["samr-signed-as-hrss"])),
                    (KEY_ID_HEADER, b"hrss-development-1"),
                ],
            ),  # another agency's key, hrss's id
            (v["tampered"], tampered_headers),
            (v["unknown-key"], sign(v["unknown-key"], stranger, "nobody-1")),
            (v["samr-agency"], sign_as("samr", v["samr-agency"])),  # samr may not publish wage payments
        ],
    )
    spoofed = envelope(court, "spoofed", [sample_record(court, 1)])  # claims to be the court
    publish_signed_as(broker.bootstrap, court.topic, spoofed, signer="hrss")
    warehouse = tmp_path / "wh.duckdb"

    results = ingest(warehouse, [wages, court], broker.bootstrap)

    assert by_envelope_id(warehouse, wages.topic, v) == {
        "good": "loaded",
        "unsigned": "unsigned message",
        "samr-key": "source_agency hrss is not the signer samr",
        "samr-signed-as-hrss": "signature does not verify (key hrss-development-1)",
        "tampered": "signature does not verify (key hrss-development-1)",
        "unknown-key": "unknown signing key nobody-1",
        "samr-agency": f"envelope: source_agency samr may not publish to {wages.topic}",
    }
    assert by_envelope_id(warehouse, court.topic, {"spoofed": spoofed}) == {
        "spoofed": "source_agency court is not the signer hrss"
    }
    assert loaded_ids(warehouse, wages) == {"good"}
    assert [(r.counts.loaded, r.counts.quarantined) for r in results] == [(1, 6), (0, 1)]
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the original bytes are kept
        payloads = {
            p for (p,) in con.execute("SELECT payload FROM raw._quarantine WHERE topic = ?", [wages.topic]).fetchall()
        }
    assert v["tampered"] in payloads and v["unsigned"] in payloads


def test_a_correctly_signed_resend_of_a_rejected_message_loads(broker, tmp_path):
    wages = own(WAGES)
    create_topic(broker.bootstrap, wages.topic)
    value = envelope(wages, "late-signature", [sample_record(wages, 1)])
    publish(broker.bootstrap, wages.topic, [(value, [])])
    warehouse = tmp_path / "wh.duckdb"
    ingest(warehouse, [wages], broker.bootstrap)
    publish(broker.bootstrap, wages.topic, [value])  # the same bytes, now signed
    (result,) = ingest(warehouse, [wages], broker.bootstrap)
    assert (result.counts.loaded, result.counts.redelivered_messages) == (1, 0)


def test_migration_mode_loads_unsigned_messages_with_a_warning_but_never_forged_ones(
    broker, tmp_path, monkeypatch, caplog
):
    wages = own(WAGES)
    create_topic(broker.bootstrap, wages.topic)
    unsigned = envelope(wages, "unsigned", [sample_record(wages, 1)])
    forged = envelope(wages, "forged", [sample_record(wages, 2)])
    publish(broker.bootstrap, wages.topic, [(unsigned, []), (forged, sign_as("hrss", b"something else"))])
    warehouse = tmp_path / "wh.duckdb"

    monkeypatch.setenv("GIGSHIELD_ACCEPT_UNSIGNED_UNTIL", "2020-01-31")  # over: unsigned is quarantined
    (over,) = ingest(tmp_path / "over.duckdb", [wages], broker.bootstrap)
    assert (over.counts.loaded, over.counts.unsigned_accepted) == (0, 0)

    tomorrow = dt.datetime.now(BEIJING).date() + dt.timedelta(days=1)
    monkeypatch.setenv("GIGSHIELD_ACCEPT_UNSIGNED_UNTIL", tomorrow.isoformat())
    with caplog.at_level(logging.WARNING):
        (result,) = ingest(warehouse, [wages], broker.bootstrap)
    assert (result.counts.loaded, result.counts.quarantined, result.counts.unsigned_accepted) == (1, 1, 1)
    assert loaded_ids(warehouse, wages) == {"unsigned"}
    assert list(reasons(warehouse, wages.topic).values()) == ["signature does not verify (key hrss-development-1)"]
    assert any("unsigned" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "SELECT sum(unsigned_accepted) FROM raw._batches WHERE topic = ?", [wages.topic]
        ).fetchone() == (1,)


def test_development_keys_are_refused_outside_development_mode(broker, tmp_path, monkeypatch):
    wages = own(WAGES)
    create_topic(broker.bootstrap, wages.topic)
    publish(broker.bootstrap, wages.topic, [envelope(wages, "dev", [sample_record(wages, 1)])])
    monkeypatch.setenv("GIGSHIELD_ENV", "production")
    (result,) = ingest(tmp_path / "wh.duckdb", [wages], broker.bootstrap)
    assert result.counts.loaded == 0
    assert list(reasons(tmp_path / "wh.duckdb", wages.topic).values()) == [
        "signing key hrss-development-1 is not trusted outside development"
    ]


def _registry_file(tmp_path: Path, entries: list[dict]) -> Path:
    import yaml

    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path


def _public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def test_production_keys_from_the_registry_file_and_their_validity(broker, tmp_path, monkeypatch):
    """GIGSHIELD_AGENCY_KEYS names the registry; a key is trusted outside development and only while valid."""
    wages = own(WAGES)
    create_topic(broker.bootstrap, wages.topic)
    current, retired = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    monkeypatch.setenv(
        "GIGSHIELD_AGENCY_KEYS",
        str(
            _registry_file(
                tmp_path,
                [
                    {
                        "key_id": "hrss-2026-1",
                        "agency": "hrss",
                        "public_key": _public(current),
                        "valid_from": "2026-01-01",
                    },
                    {
                        "key_id": "hrss-2019-1",
                        "agency": "hrss",
                        "public_key": _public(retired),
                        "valid_from": "2019-01-01",
                        "valid_to": "2019-12-31",
                        "development": False,
                    },
                ],
            )
        ),
    )
    monkeypatch.setenv("GIGSHIELD_ENV", "production")
    ok, old = (envelope(wages, name, [sample_record(wages, i)]) for i, name in enumerate(("ok", "old")))
    publish(
        broker.bootstrap,
        wages.topic,
        [(ok, sign(ok, current, "hrss-2026-1")), (old, sign(old, retired, "hrss-2019-1"))],
    )
    warehouse = tmp_path / "wh.duckdb"
    ingest(warehouse, [wages], broker.bootstrap)
    assert loaded_ids(warehouse, wages) == {"ok"}
    (reason,) = reasons(warehouse, wages.topic).values()
    assert reason.startswith("signing key hrss-2019-1 not valid on 20")


def test_verify_names_each_problem():
    registry = KeyRegistry.load(trust_development_keys=True)
    value = b'{"message_id": "x"}'
    day = dt.date(2026, 11, 22)
    headers = sign_as("court", value)
    assert verify(registry, headers, value, day) == ("court", None)
    assert verify(registry, [], value, day) == (None, "unsigned message")
    assert verify(registry, None, value, day) == (None, "unsigned message")
    assert verify(registry, headers + headers, value, day)[1] == "more than one gigshield-signature header"
    assert verify(registry, [(SIGNATURE_HEADER, b"short"), (KEY_ID_HEADER, b"court-development-1")], value, day) == (
        None,
        "signature does not verify (key court-development-1)",
    )
    assert verify(registry, [(SIGNATURE_HEADER, headers[0][1])], value, day) == (None, "unknown signing key (none)")
    assert verify(registry, headers, value, dt.date(2019, 12, 31)) == (
        None,
        "signing key court-development-1 not valid on 2019-12-31",
    )
    untrusted = KeyRegistry(registry.keys, trust_development_keys=False)
    assert verify(untrusted, headers, value, day) == (
        None,
        "signing key court-development-1 is not trusted outside development",
    )


def test_the_kafka_timestamp_day_is_beijing_time():
    verifier = MessageVerifier(KeyRegistry.load(trust_development_keys=True), accept_unsigned_until_day=None)
    assert signing.kafka_day(int(dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC).timestamp() * 1000)) == dt.date(
        2026, 11, 23
    )
    value = b"{}"
    late = int(dt.datetime(2019, 12, 31, 16, 30, tzinfo=dt.UTC).timestamp() * 1000)  # 2020-01-01 in Beijing
    assert verifier(sign_as("hrss", value), value, late).signer == "hrss"
    assert (
        verifier(sign_as("hrss", value), value, late - 3_600_000).problem
        == "signing key hrss-development-1 not valid on 2019-12-31"
    )


def test_the_committed_key_registry_is_the_development_keys_derivation():
    assert agency_keys.main(["--check"]) == 0
    registry = KeyRegistry.load(signing.DEFAULT_KEYS_FILE, trust_development_keys=False)
    assert {k.agency for k in registry.keys.values()} == set(agency_keys.AGENCIES)
    assert all(k.development for k in registry.keys.values())  # nothing in the repo is trusted in production
    contracts = default_contracts().values()
    assert {a for c in contracts for a in c.source_agencies} == set(agency_keys.AGENCIES)


def test_a_registry_with_a_bad_entry_fails_loudly(tmp_path):
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRegistry.load(
            _registry_file(
                tmp_path, [{"key_id": "k", "agency": "hrss", "public_key": "AAAA", "valid_from": "2026-01-01"}]
            )
        )
