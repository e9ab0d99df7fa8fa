"""The Python side of dbt_project/: the YAML and seed generated from the contracts and the official calendar,
the DuckDB plugin that registers the pseudonym function, and the one dbt runner (transform.dbt_runner)."""
