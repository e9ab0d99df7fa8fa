"""A built night for the analyst-facing outputs (snapshots, the inspector's page), through the real
pipeline: synthetic agencies on the embedded broker, the loader, inbound validation and real dbt.

Two wage snapshots (periods 2026-09 and 2026-10) so arrears have a trend; hand-built inspection
orders and penalties (the shapes of tests/test_credit.py) so the blacklist has rows in two
jurisdictions and the credit grades are not all A."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingestion.config import Settings
from ingestion.contracts import default_contracts
from ingestion.nightly import dbt_build
from ingestion.synthetic.feeds import generate_day
from ingestion.synthetic.violations import Rates
from ingestion.synthetic.world import build_world
from ingestion.warehouse import ensure_raw_tables
from tests.conftest import load_and_validate, own_feeds
from tests.test_credit import order, penalty

AS_OF = dt.date(2026, 11, 24)
# Data days whose wage-account snapshots carry the September and the October pay periods.
WAGE_DAYS = (dt.date(2026, 10, 16), AS_OF)
LIAONING_REGION = "210102"  # 和平区, 沈阳市: Liaoning thresholds ¥10,000 / ¥50,000
REGISTRY = "samr.enterprise.v1"
MODELS = ("+fct_enterprise_credit +fct_unpaid_wage_blacklist +fct_wage_payments "
          "+int_hrss__complaint_sla_breaches +dim_platform_partners +fct_inspectorate_alerts")


def build_night(broker, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Load two data days and the hand-built cases, build the marts as of AS_OF; returns the night's settings."""
    feeds = own_feeds()
    world = build_world(seed=5, workers=150)
    warehouse, gx = data_dir / "warehouse.duckdb", data_dir / "gx"
    for day in WAGE_DAYS:
        records = generate_day(world, day, day, Rates(violation=0.1, malformed=0)).records
        for topic in sorted(records, key=lambda t: (t != REGISTRY, t)):  # references resolve to the registry
            load_and_validate(broker, warehouse, gx, feeds, topic, records[topic], day)
    employer, thrice, once, northern = world.enterprises[:4]
    orders = [order("HN-UNPAID", employer.uscc, "60000.00"),  # ≥ ¥40,000 (Hunan): listed
              order("LN-UNPAID", northern.uscc, "80000.00", region_code=LIAONING_REGION),  # ≥ ¥50,000 (Liaoning)
              order("HN-SMALL", once.uscc, "20000.00")]  # under the threshold: watch list, not the blacklist
    penalties = [penalty(1, thrice.uscc, "hrss", "wage_arrears"), penalty(2, thrice.uscc, "hrss", "working_time"),
                 penalty(3, thrice.uscc, "hrss", "deposit"), penalty(4, once.uscc, "hrss", "social_insurance")]
    load_and_validate(broker, warehouse, gx, feeds, "hrss.inspection_order.v1", orders, AS_OF)
    load_and_validate(broker, warehouse, gx, feeds, "samr.penalty.v1", penalties, AS_OF)
    with duckdb.connect(str(warehouse)) as con:  # feeds a day did not carry: present, empty
        ensure_raw_tables(con, default_contracts().values())
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
    settings = Settings.from_env()
    dbt_build(settings, select=MODELS, as_of=AS_OF)
    return settings
