"""dbt-duckdb plugin: the DuckDB function `gs_pseudonym(varchar) -> varchar` on every dbt connection.

profiles.yml lists it (`plugins: [{module: transform.pseudonym_plugin}]`); dbt-duckdb imports it
in the dbt process and calls configure_connection on each new connection. The function computes
ingestion.pseudonyms.pseudonym (HMAC-SHA256, hex) with the key that process reads from its own
environment (ingestion.pseudonyms.pseudonym_key, with its policy), so the macros `pseudonymise` and
`recipient_pseudonym` compile to `gs_pseudonym(<column>)` and the key appears in no compiled SQL, dbt
artifact, partial-parse state or Airflow rendered field. NULL in, NULL out.

The function lives only on the connections dbt opens: a view calling it would not work elsewhere, which
is one more reason the models that pseudonymise are tables.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb.func import FunctionNullHandling, PythonUDFType

from ingestion.pseudonyms import pseudonym_key, pseudonymiser

FUNCTION = "gs_pseudonym"


def register(conn: duckdb.DuckDBPyConnection, key: bytes | None = None) -> None:
    """Register gs_pseudonym on a DuckDB connection (key: the policy-checked environment key by default)."""
    one = pseudonymiser(pseudonym_key() if key is None else key)

    def gs_pseudonym(identifiers: Any) -> pa.Array:  # a chunk of values at a time (Arrow), not a call per row
        return pa.array([one(value) for value in identifiers.to_pylist()], type=pa.string())

    conn.create_function(
        FUNCTION,
        gs_pseudonym,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type=PythonUDFType.ARROW,
        null_handling=FunctionNullHandling.SPECIAL,
        side_effects=False,
    )


class Plugin(BasePlugin):
    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        register(conn)
