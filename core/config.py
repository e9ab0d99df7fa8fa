"""Runtime configuration, read from the environment so the same code runs embedded and in production."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
INBOUND_CONTRACTS_DIR = CONTRACTS_DIR / "inbound"
OUTBOUND_CONTRACTS_DIR = CONTRACTS_DIR / "outbound"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# Beijing time, the agencies' clock: the only place the zone is named in Python (SQL: macro beijing_date).
TIMEZONE_NAME = "Asia/Shanghai"
BEIJING = ZoneInfo(TIMEZONE_NAME)


DEVELOPMENT_ENV = "development"
# Public, so never a secret: accepted only in development mode (ingestion.pseudonyms refuses it elsewhere).
DEVELOPMENT_PSEUDONYM_KEY = "gigshield-development-key"


def development_mode() -> bool:
    """True only when GIGSHIELD_ENV says so explicitly: production is the default."""
    return os.environ.get("GIGSHIELD_ENV", "").strip().lower() == DEVELOPMENT_ENV


@dataclass(frozen=True)
class Settings:
    """Where Gigshield finds Kafka and keeps its data.

    GIGSHIELD_KAFKA_BOOTSTRAP   bootstrap servers (the embedded broker sets it for the processes it serves)
    GIGSHIELD_DATA_DIR          folder for the warehouse, manifests and reports (default ./data)
    GIGSHIELD_WAREHOUSE         the DuckDB warehouse file (default <data dir>/warehouse.duckdb)
    GIGSHIELD_PSEUDONYM_KEY     secret key for worker pseudonyms (HMAC-SHA256; see ingestion.pseudonyms)
    GIGSHIELD_ENV               `development` for the embedded stack and the tests: the development
                                pseudonym key and the synthetic agencies' signing keys are accepted
                                only then; anything else (or unset) is production
    """

    kafka_bootstrap: str
    data_dir: Path
    warehouse: Path
    pseudonym_key: str
    development: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("GIGSHIELD_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        warehouse = Path(os.environ.get("GIGSHIELD_WAREHOUSE", data_dir / "warehouse.duckdb")).resolve()
        return cls(
            kafka_bootstrap=os.environ.get("GIGSHIELD_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            data_dir=data_dir,
            warehouse=warehouse,
            pseudonym_key=os.environ.get("GIGSHIELD_PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY),
            development=development_mode(),
        )
