"""The pseudonym key and the keyed pseudonym (HMAC-SHA256) of personal identifiers.

The key is the operator's secret: whoever holds it can re-identify a worker from a pseudonym (on a
lawful request), so it stays in the environment of the processes that compute pseudonyms. dbt gets
pseudonyms from the DuckDB function `gs_pseudonym` (transform.pseudonym_plugin), which reads the
key here; the key is never written into SQL, dbt vars, dbt artifacts or Airflow fields.

Outside development mode (GIGSHIELD_ENV=development) a missing key, the public development key and a
key shorter than MIN_KEY_BYTES are refused.

    python -m ingestion.pseudonyms check     exit 0 if the key would be accepted, else 2 with the reason
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys

from core.config import DEVELOPMENT_PSEUDONYM_KEY, Settings

KEY_VARIABLE = "GIGSHIELD_PSEUDONYM_KEY"
MIN_KEY_BYTES = 32
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class PseudonymKeyError(RuntimeError):
    """The pseudonym key is missing or too weak for production. The message never carries the key."""


def pseudonym_key(settings: Settings | None = None) -> bytes:
    """The pseudonym key as bytes (UTF-8 of GIGSHIELD_PSEUDONYM_KEY), after the key policy:
    outside development mode, refuse a missing key, the development key or one under MIN_KEY_BYTES."""
    unset = settings is None and KEY_VARIABLE not in os.environ
    settings = settings or Settings.from_env()
    key = settings.pseudonym_key.encode("utf-8")
    if not key:
        raise PseudonymKeyError(_refusal(f"{KEY_VARIABLE} is empty"))
    if settings.development:
        return key
    if unset:
        raise PseudonymKeyError(_refusal(f"{KEY_VARIABLE} is not set"))
    if hmac.compare_digest(key, DEVELOPMENT_PSEUDONYM_KEY.encode("utf-8")):
        raise PseudonymKeyError(_refusal(f"{KEY_VARIABLE} is the public development key (or is not set)"))
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            _refusal(f"{KEY_VARIABLE} is {len(key)} bytes long, under the {MIN_KEY_BYTES} required")
        )
    return key


def _refusal(reason: str) -> str:
    return (
        f"{reason}: outside development mode (GIGSHIELD_ENV=development) worker pseudonyms need a secret key"
        f" of at least {MIN_KEY_BYTES} bytes. Make one with\n    {MAKE_A_KEY}\nand set it as {KEY_VARIABLE}"
        " in the environment of every Gigshield process (keep it: pseudonyms change with the key)."
    )


def _mac(key: bytes | str) -> hmac.HMAC:
    return hmac.new(key.encode("utf-8") if isinstance(key, str) else key, digestmod=hashlib.sha256)


def pseudonym(identifier: str, key: bytes) -> str:
    """The keyed pseudonym of an identifier: HMAC-SHA256(key, identifier) as 64 lowercase hex characters."""
    mac = _mac(key)
    mac.update(identifier.encode("utf-8"))
    return mac.hexdigest()


def recipient_pseudonym(worker_key: str, recipient: str, key: bytes) -> str:
    """A worker's pseudonym for one recipient agency: two agencies cannot join their extracts on it."""
    return pseudonym(f"{recipient}:{worker_key}", key)


def pseudonymiser(key: bytes):
    """pseudonym() for many values (a column): HMAC-SHA256 by its definition (RFC 2104) with the padded
    key's hash states computed once and copied per value, about twice as fast as hmac.new per value."""
    key = key.encode("utf-8") if isinstance(key, str) else key
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def one(identifier: str | None) -> str | None:
        if identifier is None:
            return None
        digest = inner.copy()
        digest.update(identifier.encode("utf-8"))
        mac = outer.copy()
        mac.update(digest.digest())
        return mac.hexdigest()

    return one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.pseudonyms", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help=f"check {KEY_VARIABLE} against the key policy (exit 2 if refused)")
    parser.parse_args(argv)
    try:
        pseudonym_key()
    except PseudonymKeyError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    mode = "development mode" if Settings.from_env().development else "production"
    print(f"{KEY_VARIABLE}: accepted ({mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
