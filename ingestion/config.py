"""Runtime configuration, read from the environment so the same code runs embedded and in production."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
OUTBOUND_CONTRACTS_DIR = CONTRACTS_DIR / "outbound"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    """Where Gigshield finds Kafka and keeps its data.

    GIGSHIELD_KAFKA_BOOTSTRAP   bootstrap servers (the embedded broker sets it for the processes it serves)
    GIGSHIELD_DATA_DIR          folder for the warehouse, manifests and reports (default ./data)
    GIGSHIELD_WAREHOUSE         the DuckDB warehouse file (default <data dir>/warehouse.duckdb)
    GIGSHIELD_PSEUDONYM_KEY     secret key for worker pseudonyms (a development default outside production)
    """

    kafka_bootstrap: str
    data_dir: Path
    warehouse: Path
    pseudonym_key: str

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(os.environ.get("GIGSHIELD_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        warehouse = Path(os.environ.get("GIGSHIELD_WAREHOUSE", data_dir / "warehouse.duckdb")).resolve()
        return cls(
            kafka_bootstrap=os.environ.get("GIGSHIELD_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            data_dir=data_dir,
            warehouse=warehouse,
            pseudonym_key=os.environ.get("GIGSHIELD_PSEUDONYM_KEY", "gigshield-development-key"),
        )
