"""The steps the nightly DAG runs (tests call them directly) and the cosmos tasks of the dbt build."""
