"""Gigshield ingestion: agency feeds over Kafka into DuckDB, exactly once."""
