"""Raw tables follow their contract's compatible versions: a warehouse loaded under 1.0.0 gains 1.1.0's optional
fields as nullable columns, and its rows keep their values."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from core.contracts import default_contracts
from ingestion.raw_tables import ensure_raw_tables, raw_table_ddl

pytestmark = pytest.mark.unit


def test_a_warehouse_of_an_earlier_contract_version_gains_the_new_optional_columns(tmp_path):
    contract = default_contracts()["hrss.service_time.v1"]
    new_fields = {"allowance_minutes", "dispatch_stopped_at_minutes", "orders_insured"}
    earlier = dataclasses.replace(contract, fields=tuple(f for f in contract.fields if f.name not in new_fields))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_raw_tables(con, [earlier])
        con.execute(
            f"INSERT INTO {contract.qualified_table} (record_id, _message_id, _record_index, _topic, _partition, "
            "_offset, _batch_id, _loaded_at) VALUES ('S:1', 'm', 0, 't', 0, 0, 'b', now())"
        )
        assert raw_table_ddl(earlier) != raw_table_ddl(contract)
        ensure_raw_tables(con, [contract])
        ensure_raw_tables(con, [contract])  # idempotent
        columns = {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?",
                [contract.qualified_table.split(".")[-1]],
            ).fetchall()
        }
        assert new_fields <= columns
        assert con.execute(
            f"SELECT record_id, allowance_minutes, orders_insured FROM {contract.qualified_table}"
        ).fetchall() == [("S:1", None, None)]
