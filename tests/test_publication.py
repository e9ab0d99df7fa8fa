"""Outbound contracts gate publication: a mart that violates its contract is blocked and reported,
the others still publish (real GX, real DuckDB, real Parquet)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import pytest

from core.contracts import outbound_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from expectations.gx_project import open_context
from publication.extracts import PublicationBlocked, publish_dataset

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 22)
DIM, FCT = "gigshield.dim_enterprise.v1", "gigshield.fct_wage_payments.v1"
KEY = "a" * 64


@pytest.fixture
def marts(tmp_path):
    """marts.dim_enterprise and marts.fct_wage_payments with rows built from synthetic agency records."""
    records = generate_day(build_world(seed=5, workers=100), DAY, window_start=DAY, rates=Rates()).records
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE enterprises AS SELECT * FROM read_json_auto(?)",
        [str(_write(tmp_path / "e.json", records["samr.enterprise.v1"]))],
    )
    con.execute(f"""CREATE TABLE marts.dim_enterprise AS SELECT uscc, name AS enterprise_name, enterprise_kind,
        enterprise_kind = 'platform' AS is_platform, industry, region_code, status AS registration_status,
        registered_date::DATE AS registered_date, legal_rep_name, '{KEY}' AS legal_rep_key,
        snapshot_date::DATE AS registry_snapshot_date, 'm1' AS evidence_message_id, 0::INTEGER AS evidence_record_index
        FROM enterprises""")
    con.execute(
        "CREATE TABLE payments AS SELECT * FROM read_json_auto(?)",
        [str(_write(tmp_path / "p.json", records["hrss.wage_payment.v1"]))],
    )
    con.execute(f"""CREATE TABLE marts.fct_wage_payments AS SELECT payment_id AS wage_payment_key, payer_uscc,
        platform_uscc, '{KEY}' AS worker_key, pay_period, period_start::DATE AS period_start,
        period_end::DATE AS period_end, amount_due::DECIMAL(14,2) AS amount_due,
        amount_paid::DECIMAL(14,2) AS amount_paid,
        greatest(amount_due::DECIMAL(14,2) - amount_paid::DECIMAL(14,2), 0) AS amount_outstanding,
        includes_back_pay, due_date::DATE AS due_date, paid_date::DATE AS paid_date, payment_status,
        snapshot_date::DATE AS snapshot_date, 'm2' AS evidence_message_id, 0::INTEGER AS evidence_record_index
        FROM payments""")
    yield con
    con.close()


def _write(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    return path


def test_a_mart_violating_its_outbound_contract_is_blocked_and_the_others_publish(marts, tmp_path):
    marts.execute("UPDATE marts.dim_enterprise SET uscc = left(uscc, 17) || 'I' WHERE rowid = 0")  # bad check char
    context, published = open_context(tmp_path / "gx"), tmp_path / "published"
    dim = publish_dataset(marts, context, outbound_contracts()[DIM], DAY, published)
    fct = publish_dataset(marts, context, outbound_contracts()[FCT], DAY, published)

    assert dim.status == "blocked" and dim.path is None
    assert "expect_column_values_to_be_valid_uscc(uscc)" in dim.failed_expectations
    assert not (published / DIM).exists()
    with pytest.raises(PublicationBlocked, match=r"gigshield\.dim_enterprise\.v1 .* not published"):
        dim.raise_if_blocked()

    assert fct.status == "published" and fct.failed_expectations == []
    parquet = published / FCT / DAY.isoformat() / f"{FCT}.parquet"
    assert fct.path == str(parquet) and hashlib.sha256(parquet.read_bytes()).hexdigest() == fct.checksum
    assert duckdb.sql(f"SELECT count(*) FROM '{parquet}'").fetchall() == [(fct.rows,)] and fct.rows > 0
    assert not list(published.rglob("*.partial"))

    audit = marts.execute("SELECT dataset, status, rows, checksum FROM audit.publications ORDER BY dataset").fetchall()
    assert audit == [(DIM, "blocked", dim.rows, None), (FCT, "published", fct.rows, fct.checksum)]


def test_publishing_again_for_the_same_night_writes_the_same_file(marts, tmp_path):
    context, published = open_context(tmp_path / "gx"), tmp_path / "published"
    first = publish_dataset(marts, context, outbound_contracts()[FCT], DAY, published)
    second = publish_dataset(marts, context, outbound_contracts()[FCT], DAY, published)
    assert first.status == second.status == "published" and first.checksum == second.checksum


def test_a_path_with_a_quote_is_a_path_not_sql(marts, tmp_path):
    """The COPY target is bound, not spliced into the SQL: a quote in the folder name cannot end the literal."""
    published = tmp_path / "agency's share'; DROP TABLE marts.fct_wage_payments; --"
    result = publish_dataset(marts, open_context(tmp_path / "gx"), outbound_contracts()[FCT], DAY, published)
    assert result.status == "published"
    parquet = published / FCT / DAY.isoformat() / f"{FCT}.parquet"
    assert result.path == str(parquet) and parquet.is_file()
    assert duckdb.sql("SELECT count(*) FROM read_parquet(?)", params=[str(parquet)]).fetchall() == [(result.rows,)]
    assert marts.execute("SELECT count(*) FROM marts.fct_wage_payments").fetchone()[0] == result.rows


def test_copy_to_parquet_binds_the_target(tmp_path):
    from publication.extracts import copy_to_parquet

    target = tmp_path / "o'brien.parquet"
    con = duckdb.connect()
    copy_to_parquet(con, "SELECT 42 AS answer", target)
    assert con.execute("SELECT answer FROM read_parquet(?)", [str(target)]).fetchall() == [(42,)]
