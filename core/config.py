"""Runtime configuration, read from the environment so the same code runs embedded and in production."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
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
class DataPaths:
    """Everything Gigshield keeps under the data folder (GIGSHIELD_DATA_DIR), each path named once here.
    The warehouse is apart (Settings.warehouse): GIGSHIELD_WAREHOUSE may put it elsewhere."""

    root: Path

    @property
    def gx(self) -> Path:
        """The Great Expectations file project (GX names the folder itself: <root>/gx)."""
        return self.root / "gx"

    def data_docs(self, site: str) -> Path:
        """A GX Data Docs site's folder."""
        return self.gx / "uncommitted" / "data_docs" / site

    @property
    def published(self) -> Path:
        """The outbound extracts: published/<dataset>/<day>/."""
        return self.root / "published"

    @property
    def contract_catalog(self) -> Path:
        return self.root / "docs" / "contracts"

    @property
    def dbt(self) -> Path:
        """dbt's target and logs of the nightly build; docs/ and parse/ (the night's one parse) below it."""
        return self.root / "dbt"

    @property
    def snapshots(self) -> Path:
        """The analysts' read-only nights (publication.snapshots)."""
        return self.root / "snapshots"

    def inspector_page(self, day: date) -> Path:
        return self.root / "reports" / day.isoformat() / "index.html"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def manifests(self) -> Path:
        """The synthetic agencies' ground truth, one file per night (development only)."""
        return self.root / "manifests"

    @property
    def broker_log(self) -> Path:
        return self.root / "broker.log"

    @property
    def operator_alerts(self) -> Path:
        """What the operator must look at (alerts.operator), one JSON line each."""
        return self.root / "operator_alerts.jsonl"


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

    @property
    def paths(self) -> DataPaths:
        return DataPaths(self.data_dir)
