"""Gigshield ingestion: agency feeds over Kafka into the raw layer of DuckDB, exactly once (signed, checked,
quarantined with a reason when bad). Nothing else: validation, models and publication come after."""
