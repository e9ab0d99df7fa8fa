"""Agency signatures: every message is signed by its agency with Ed25519 over the exact value bytes.

The signature travels in the Kafka record headers, beside the value it signs:

    gigshield-signature   the raw 64-byte Ed25519 signature of the message value
    gigshield-key-id      the id of the signing key (UTF-8)

The public keys Gigshield trusts are a registry in YAML (default `config/agency_keys.yaml`, or the
path in GIGSHIELD_AGENCY_KEYS), one entry per key:

    - key_id: hrss-2026-1
      agency: hrss
      public_key: <base64 of the raw 32-byte Ed25519 public key>
      valid_from: 2026-01-01
      valid_to: 2027-12-31        # optional: the key is retired after this day
      development: false          # true: trusted only in development mode (GIGSHIELD_ENV=development)

A key is valid on the days from valid_from to valid_to (inclusive, Beijing time) of the message's
Kafka timestamp: a message signed while its key was valid still verifies after the key is rotated.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.config import BEIJING, PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "gigshield-signature"
KEY_ID_HEADER = "gigshield-key-id"
DEFAULT_KEYS_FILE = PROJECT_ROOT / "config" / "agency_keys.yaml"
KEYS_ENV = "GIGSHIELD_AGENCY_KEYS"
ACCEPT_UNSIGNED_ENV = "GIGSHIELD_ACCEPT_UNSIGNED_UNTIL"
UNSIGNED = "unsigned message"

_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
_DAY_MS = 86_400_000
_BEIJING_OFFSET_MS = 8 * 3_600_000

Headers = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True)
class AgencyKey:
    key_id: str
    agency: str
    public_key: Ed25519PublicKey = field(compare=False, repr=False)
    valid_from: dt.date
    valid_to: dt.date | None = None
    development: bool = False

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: not a YYYY-MM-DD date: {value!r}") from None


def public_key_from_base64(text: str, where: str = "public_key") -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError(f"{where}: not base64") from None
    if len(raw) != 32:
        raise ValueError(f"{where}: an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class KeyRegistry:
    """The agencies' public keys, and whether development keys are trusted (development mode only)."""

    keys: dict[str, AgencyKey]
    trust_development_keys: bool = False

    @classmethod
    def load(cls, path: Path | None = None, trust_development_keys: bool | None = None) -> KeyRegistry:
        path = path or Path(os.environ.get(KEYS_ENV) or DEFAULT_KEYS_FILE)
        if trust_development_keys is None:
            trust_development_keys = Settings.from_env().development
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if isinstance(entries, dict):
            entries = entries.get("keys") or []
        keys: dict[str, AgencyKey] = {}
        for n, entry in enumerate(entries):
            where = f"{path.name} entry {n + 1}"
            missing = {"key_id", "agency", "public_key", "valid_from"} - set(entry)
            if missing:
                raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
            key_id = str(entry["key_id"])
            if key_id in keys:
                raise ValueError(f"{where}: key id {key_id} is listed twice")
            keys[key_id] = AgencyKey(
                key_id=key_id,
                agency=str(entry["agency"]),
                public_key=public_key_from_base64(str(entry["public_key"]), f"{where} public_key"),
                valid_from=_date(entry["valid_from"], f"{where} valid_from"),
                valid_to=None if entry.get("valid_to") is None else _date(entry["valid_to"], f"{where} valid_to"),
                development=bool(entry.get("development", False)),
            )
        return cls(keys, trust_development_keys)


def sign(value: bytes, private_key: Ed25519PrivateKey, key_id: str) -> list[tuple[str, bytes]]:
    """The Kafka headers that sign `value` (send them with it: `producer.send(topic, value, headers=...)`)."""
    return [(SIGNATURE_HEADER, private_key.sign(value)), (KEY_ID_HEADER, key_id.encode("utf-8"))]


def kafka_day(timestamp_ms: int | None) -> dt.date:
    """The Beijing day of a Kafka record timestamp (today when the record has none)."""
    if timestamp_ms is None or timestamp_ms < 0:
        return dt.datetime.now(BEIJING).date()
    return _day(timestamp_ms)


@lru_cache(maxsize=64)
def _day_of(day_number: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_DAY + day_number)


def _day(timestamp_ms: int) -> dt.date:
    """The Beijing day of a (valid) Kafka timestamp; the loader asks this once per message: cached per day."""
    return _day_of((timestamp_ms + _BEIJING_OFFSET_MS) // _DAY_MS)


def verify(
    registry: KeyRegistry, headers: Headers | None, value: bytes | None, on: dt.date | None = None
) -> tuple[str | None, str | None]:
    """(signer agency, None) when `value` carries a valid signature of a trusted key valid `on` that day
    (default today, Beijing time); else (None, the problem)."""
    signature = key_header = None
    for name, data in headers or ():
        if name == SIGNATURE_HEADER:
            if signature is not None:
                return None, f"more than one {SIGNATURE_HEADER} header"
            signature = data or b""
        elif name == KEY_ID_HEADER:
            if key_header is not None:
                return None, f"more than one {KEY_ID_HEADER} header"
            key_header = data or b""
    if signature is None:
        return None, UNSIGNED
    key_id = key_header.decode("utf-8", "replace") if key_header is not None else "(none)"
    key = registry.keys.get(key_id)
    if key is None:
        return None, f"unknown signing key {key_id}"
    if key.development and not registry.trust_development_keys:
        return None, f"signing key {key_id} is not trusted outside development"
    try:
        if len(signature) != 64 or value is None:
            raise InvalidSignature
        key.public_key.verify(signature, value)
    except InvalidSignature:
        return None, f"signature does not verify (key {key_id})"
    day = on or dt.datetime.now(BEIJING).date()
    if not key.valid_on(day):
        return None, f"signing key {key_id} not valid on {day.isoformat()}"
    return key.agency, None


def accept_unsigned_until(environ: dict[str, str] | None = None) -> dt.date | None:
    """The last day of the migration window in which unsigned messages are loaded (GIGSHIELD_ACCEPT_UNSIGNED_UNTIL)."""
    text = (environ if environ is not None else os.environ).get(ACCEPT_UNSIGNED_ENV, "").strip()
    return _date(text, ACCEPT_UNSIGNED_ENV) if text else None


@dataclass(frozen=True)
class Verdict:
    signer: str | None
    problem: str | None
    unsigned_accepted: bool = False


class MessageVerifier:
    """The loader's per-message check: the registry, plus the migration window for unsigned messages.

    Until the day in GIGSHIELD_ACCEPT_UNSIGNED_UNTIL (inclusive, Beijing time, judged on the day the
    loader runs) an unsigned message is loaded and counted (`unsigned_accepted`); a forged signature
    or an unknown key is quarantined all the same."""

    def __init__(
        self,
        registry: KeyRegistry | None = None,
        accept_unsigned_until_day: dt.date | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.registry = registry or KeyRegistry.load()
        until = accept_unsigned_until_day if accept_unsigned_until_day is not None else accept_unsigned_until()
        today = today or dt.datetime.now(BEIJING).date()
        self.accept_unsigned = until is not None and today <= until
        if until is not None and not self.accept_unsigned:
            log.warning("%s=%s has passed: unsigned messages are quarantined", ACCEPT_UNSIGNED_ENV, until)

    def __call__(self, headers: Headers | None, value: bytes | None, timestamp_ms: int | None) -> Verdict:
        day = None if timestamp_ms is None or timestamp_ms < 0 else _day(timestamp_ms)
        signer, problem = verify(self.registry, headers, value, day)
        if problem == UNSIGNED and self.accept_unsigned:
            return Verdict(None, None, True)
        return Verdict(signer, problem)

    # An Ed25519 verification costs ~0.1-0.3 ms here (OpenSSL releases the GIL meanwhile): a batch of
    # many small messages is verified on a few threads.
    PARALLEL_FROM = 256
    THREADS = min(4, os.cpu_count() or 1)

    def many(self, messages: Iterable[tuple[Headers | None, bytes | None, int | None]]) -> list[Verdict]:
        items = list(messages)
        if len(items) < self.PARALLEL_FROM or self.THREADS < 2:
            return [self(*item) for item in items]
        size = -(-len(items) // (self.THREADS * 4))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        with ThreadPoolExecutor(self.THREADS, thread_name_prefix="verify") as pool:
            return [v for part in pool.map(lambda chunk: [self(*item) for item in chunk], chunks) for v in part]
