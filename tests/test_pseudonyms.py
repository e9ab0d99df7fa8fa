"""The pseudonym key policy, HMAC-SHA256 pseudonyms, and the DuckDB function dbt computes them with
(fast: no broker, no dbt build; the key's absence from dbt's artifacts is checked in test_snapshots)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
import sys

import duckdb
import pytest
from dbt.adapters.duckdb.plugins import BasePlugin

from core.config import DEVELOPMENT_PSEUDONYM_KEY, PROJECT_ROOT
from ingestion import pseudonyms
from ingestion.pseudonyms import (
    KEY_VARIABLE,
    MIN_KEY_BYTES,
    PseudonymKeyError,
    pseudonym,
    pseudonym_key,
    pseudonymiser,
    recipient_pseudonym,
)
from tests.support import TEST_PSEUDONYM_KEY
from transform.pseudonym_plugin import FUNCTION, register

pytestmark = pytest.mark.unit

STRONG = secrets.token_urlsafe(48)
SHORT = "s3cret-but-short-" + secrets.token_hex(4)  # 25 bytes
REFUSED = {"unset": None, "the development key": DEVELOPMENT_PSEUDONYM_KEY, "a short key": SHORT, "empty": ""}


def environment(mode: str | None, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GIGSHIELD_ENV", KEY_VARIABLE)}
    if mode is not None:
        env["GIGSHIELD_ENV"] = mode
    if key is not None:
        env[KEY_VARIABLE] = key
    return env


@pytest.fixture
def production(monkeypatch):
    monkeypatch.delenv("GIGSHIELD_ENV", raising=False)
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    return monkeypatch


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_production_refuses_a_missing_public_or_short_key(production, kind):
    key = REFUSED[kind]
    if key is not None:
        production.setenv(KEY_VARIABLE, key)
    with pytest.raises(PseudonymKeyError) as refused:
        pseudonym_key()
    message = str(refused.value)
    assert KEY_VARIABLE in message and "secrets.token_urlsafe(48)" in message and str(MIN_KEY_BYTES) in message
    if key:
        assert key not in message  # the message names the variable, never its value


def test_production_accepts_a_strong_key(production):
    production.setenv(KEY_VARIABLE, STRONG)
    assert pseudonym_key() == STRONG.encode()
    production.setenv(KEY_VARIABLE, "密" * 11)  # 33 bytes of UTF-8: the length is counted in bytes
    assert pseudonym_key() == ("密" * 11).encode()
    production.setenv(KEY_VARIABLE, "密" * 10)
    with pytest.raises(PseudonymKeyError, match="30 bytes"):
        pseudonym_key()


@pytest.mark.parametrize("kind", ["unset", "the development key", "a short key"])
def test_development_mode_accepts_any_key(production, kind):
    production.setenv("GIGSHIELD_ENV", "development")
    if REFUSED[kind] is not None:
        production.setenv(KEY_VARIABLE, REFUSED[kind])
    assert pseudonym_key() == (REFUSED[kind] or DEVELOPMENT_PSEUDONYM_KEY).encode()


def test_the_check_command_exits_2_with_the_reason_when_the_key_is_refused():
    def check(mode, key):
        return subprocess.run(
            [sys.executable, "-m", "ingestion.pseudonyms", "check"],
            cwd=PROJECT_ROOT,
            env=environment(mode, key),
            capture_output=True,
            text=True,
            timeout=60,
        )

    for key in (None, DEVELOPMENT_PSEUDONYM_KEY, SHORT):
        refused = check(None, key)
        assert refused.returncode == 2, refused
        assert KEY_VARIABLE in refused.stderr and "secrets.token_urlsafe(48)" in refused.stderr
        assert key is None or key not in refused.stderr + refused.stdout
    accepted = check("production", STRONG)
    assert accepted.returncode == 0 and STRONG not in accepted.stdout + accepted.stderr, accepted
    assert check("development", None).returncode == 0


def test_pseudonyms_are_hmac_sha256_and_differ_per_recipient():
    key = STRONG.encode()
    assert pseudonym("430121199001011234", key) == hmac.new(key, b"430121199001011234", hashlib.sha256).hexdigest()
    assert (
        pseudonym("x", key) != pseudonym("x", key + b"!")
        and pseudonym("x", key) != hashlib.sha256(key + b":x").hexdigest()
    )
    worker = pseudonym("430121199001011234", key)
    assert recipient_pseudonym(worker, "hrss", key) == pseudonym(f"hrss:{worker}", key)
    assert recipient_pseudonym(worker, "hrss", key) != recipient_pseudonym(worker, "nhsa", key)


@pytest.mark.parametrize("length", [1, 32, 63, 64, 65, 200])  # HMAC pads short keys and hashes long ones
def test_the_column_pseudonymiser_equals_the_reference(length):
    key = secrets.token_bytes(length)
    one = pseudonymiser(key)
    for value in ("", "a", "43012119900101123X", "张三" * 40):
        assert one(value) == pseudonym(value, key)
    assert one(None) is None


def test_the_duckdb_function_of_the_dbt_plugin_equals_pseudonym():
    plugin = BasePlugin.create("transform.pseudonym_plugin", config={"TimeZone": "Asia/Shanghai"})
    key = pseudonym_key()  # the tests' key, from the environment (conftest)
    assert key == TEST_PSEUDONYM_KEY.encode()
    with duckdb.connect() as con:
        plugin.configure_connection(con)
        con.execute(
            "CREATE TABLE ids AS SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE printf('4301%014d', i) END AS id"
            " FROM range(5000) t(i)"
        )  # more than one vector (2048 rows)
        rows = con.execute(f"SELECT id, {FUNCTION}(id), {FUNCTION}('hrss:' || {FUNCTION}(id)) FROM ids").fetchall()
        assert con.execute(f"SELECT {FUNCTION}(NULL), {FUNCTION}('张三')").fetchone() == (None, pseudonym("张三", key))
    assert len(rows) == 5000 and sum(value is None for value, *_ in rows) == 715
    for value, mine, theirs in rows:
        expected = None if value is None else pseudonym(value, key)
        assert mine == expected
        assert theirs == (None if value is None else recipient_pseudonym(expected, "hrss", key))


def test_the_plugin_refuses_a_weak_key_in_production(production):
    production.setenv(KEY_VARIABLE, SHORT)
    with duckdb.connect() as con, pytest.raises(PseudonymKeyError):
        register(con)
    production.setenv(KEY_VARIABLE, STRONG)
    with duckdb.connect() as con:
        register(con)
        assert con.execute(f"SELECT {FUNCTION}('a')").fetchone()[0] == pseudonym("a", STRONG.encode())


def test_the_key_reaches_dbt_only_through_the_plugin():
    """No dbt var or env_var() carries the key (dbt stores what they read in its artifacts)."""
    project = PROJECT_ROOT / "dbt_project"
    texts = {
        p: p.read_text(encoding="utf-8")
        for p in [*project.glob("*.yml"), *project.rglob("*.sql")]
        if "target" not in p.parts
    }
    assert not [p for p, text in texts.items() if KEY_VARIABLE in text or "pseudonym_key" in text]
    assert "transform.pseudonym_plugin" in texts[project / "profiles.yml"]
    assert KEY_VARIABLE not in (PROJECT_ROOT / "transform" / "dbt_runner.py").read_text(encoding="utf-8")
    assert pseudonyms.MIN_KEY_BYTES == 32
