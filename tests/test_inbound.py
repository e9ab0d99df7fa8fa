"""Inbound validation end to end: real broker, real loader, real GX, real DuckDB files, real dbt.

Records are the synthetic agencies' own (valid check digits, real region codes); the tests
corrupt some of them the way a faulty agency export would."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from expectations import holds
from expectations.gx_project import open_context
from expectations.inbound import InboundValidationFailed, validate_feed
from ingestion.config import Settings
from ingestion.contracts import Contract
from ingestion.nightly import dbt_build
from ingestion.synthetic.feeds import generate_day
from ingestion.synthetic.violations import Rates
from ingestion.synthetic.world import build_world
from tests.conftest import load_and_validate

DAY = dt.date(2026, 11, 22)
ENTERPRISE, LEDGER, WAGE, COMPLAINT = ("samr.enterprise.v1", "hrss.employment_ledger.v1",
                                       "hrss.wage_payment.v1", "hrss.complaint_event.v1")


@pytest.fixture(scope="module")
def day_records() -> dict[str, list[dict]]:
    world = build_world(seed=11, workers=300)
    return generate_day(world, DAY, window_start=DAY, rates=Rates(violation=0.02, malformed=0)).records


def reconcile(warehouse: Path, contract: Contract) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        one = lambda sql: con.execute(sql, [contract.topic]).fetchone()[0]  # noqa: E731
        return {
            "consumed": one("SELECT sum(records) FROM raw._batches WHERE topic = ?"),
            "loaded": one("SELECT sum(loaded) FROM raw._batches WHERE topic = ?"),
            "quarantined": one("SELECT sum(quarantined) FROM raw._batches WHERE topic = ?"),
            "raw_rows": one(f"SELECT count(*) FROM {contract.qualified_table} WHERE _topic = ?"),
            "quarantine_rows": one("SELECT count(*) FROM raw._quarantine WHERE topic = ?"),
        }


def quarantined(warehouse: Path, contract: Contract) -> dict[str, str]:
    """Business key -> reason, for the records quarantined from this feed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT payload, reason FROM raw._quarantine WHERE topic = ?", [contract.topic]).fetchall()
    return {json.loads(payload)[contract.key]: reason for payload, reason in rows}


def test_a_bad_batch_is_quarantined_record_by_record_with_reasons_and_the_rest_loads(
        broker, tmp_path, feeds, day_records):
    warehouse, gx_dir = tmp_path / "w.duckdb", tmp_path / "gx"
    assert load_and_validate(broker, warehouse, gx_dir, feeds, ENTERPRISE, day_records[ENTERPRISE], DAY).quarantined == 0

    wages = [dict(r) for r in day_records[WAGE]]
    bad_uscc, bad_id, negative, overpaid = wages[0], wages[1], wages[2], wages[3]
    bad_uscc["payer_uscc"] = bad_uscc["payer_uscc"][:-1] + ("0" if bad_uscc["payer_uscc"][-1] != "0" else "1")
    bad_id["worker_id_number"] = bad_id["worker_id_number"][:-1] + (
        "0" if bad_id["worker_id_number"][-1] != "0" else "1")
    negative["amount_paid"] = "-300.00"
    overpaid.update(amount_paid=str(float(overpaid["amount_due"]) + 500), includes_back_pay=False)
    result = load_and_validate(broker, warehouse, gx_dir, feeds, WAGE, wages, DAY)

    reasons = quarantined(warehouse, feeds[WAGE])
    key = feeds[WAGE].key
    assert set(reasons) == {bad_uscc[key], bad_id[key], negative[key], overpaid[key]}
    assert "expect_column_values_to_be_valid_uscc(payer_uscc)" in reasons[bad_uscc[key]]
    assert "expect_column_values_to_be_valid_resident_id(worker_id_number)" in reasons[bad_id[key]]
    assert "expect_column_values_to_be_between(amount_paid)" in reasons[negative[key]]
    assert "expect_multicolumn_values_to_satisfy_sql_rule(amount_due,amount_paid,includes_back_pay)" \
        in reasons[overpaid[key]]
    assert result.status == "released" and result.quarantined == 4
    counts = reconcile(warehouse, feeds[WAGE])
    assert counts == {"consumed": len(wages), "loaded": len(wages) - 4, "quarantined": 4,
                      "raw_rows": len(wages) - 4, "quarantine_rows": 4}

    ledger = [dict(r) for r in day_records[LEDGER]]
    ledger[0]["region_code"] = "999999"  # well-formed, but no such GB/T 2260 region in use
    load_and_validate(broker, warehouse, gx_dir, feeds, LEDGER, ledger, DAY)
    assert quarantined(warehouse, feeds[LEDGER]) == {
        ledger[0][feeds[LEDGER].key]: "expectations failed: expect_column_values_to_be_known_region_code(region_code)"}

    template = dict(next(r for r in day_records[COMPLAINT] if r["event_type"] == "received")) \
        if day_records.get(COMPLAINT) else None
    assert template, "the synthetic day has complaints"
    steps = [("received", "09:00"), ("accepted", "08:00"), ("feedback", "11:00")]  # accepted before received
    events = [dict(template, event_id=f"{template['complaint_id']}-t{i}", complaint_id=f"{template['complaint_id']}-t",
                   event_type=step, event_at=f"{DAY}T{at}:00+08:00") for i, (step, at) in enumerate(steps)]
    load_and_validate(broker, warehouse, gx_dir, feeds, COMPLAINT, events, DAY)
    assert quarantined(warehouse, feeds[COMPLAINT]) == {events[1]["event_id"]: (
        "expectations failed: expect_multicolumn_values_to_have_stages_in_time_order(complaint_id,event_type,event_at)")}
    counts = reconcile(warehouse, feeds[COMPLAINT])
    assert counts["consumed"] == counts["loaded"] + counts["quarantined"] == 3


def _nights(broker, warehouse, gx_dir, feeds, records, volumes: list[int]):
    start = DAY - dt.timedelta(days=len(volumes) - 1)
    results = []
    for i, n in enumerate(volumes):
        day = start + dt.timedelta(days=i)
        night = [dict(r, record_id=f"{r['record_id']}@{day}", snapshot_date=str(day)) for r in records[:n]]
        results.append(load_and_validate(broker, warehouse, gx_dir, feeds, ENTERPRISE, night, day))
    return results


def test_a_night_that_lost_most_of_its_volume_is_held_without_losing_data(broker, tmp_path, feeds, day_records,
                                                                         monkeypatch):
    warehouse, gx_dir = tmp_path / "w.duckdb", tmp_path / "gx"
    records = day_records[ENTERPRISE]
    assert len(records) >= 20
    *normal, dropped = _nights(broker, warehouse, gx_dir, feeds, records, [20, 20, 20, 20, 1])
    assert all(r.status == "released" for r in normal)
    assert dropped.status == "held" and dropped.night_rows == 1
    assert dropped.failed_batch_expectations == ["expect_table_row_count_to_be_between"]
    with pytest.raises(InboundValidationFailed, match="batch-level expectations failed"):
        dropped.raise_if_held()

    with duckdb.connect(str(warehouse)) as con:  # same night again: same verdict, nothing moved
        again = validate_feed(con, open_context(gx_dir), feeds[ENTERPRISE], feeds, DAY)
        held_rows = con.execute("SELECT count(*) FROM raw.samr__enterprise WHERE snapshot_date = ?", [DAY]).fetchone()
        (night,) = holds.held_nights(con)
    assert again.status == "held" and held_rows == (1,)
    assert night[:4] == (feeds[ENTERPRISE].topic, DAY, 1, 1)

    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
    dbt_build(Settings.from_env(), select="stg_samr__enterprises")
    with duckdb.connect(str(warehouse)) as con:  # dbt-duckdb keeps its read-write handle in this process
        staged = con.execute("SELECT snapshot_date, count(*) FROM staging.stg_samr__enterprises GROUP BY 1").fetchall()
    assert DAY not in dict(staged) and sum(n for _, n in staged) == 80

    holds.main(["accept", feeds[ENTERPRISE].topic, DAY.isoformat(), "--reason", "registry export confirmed"])
    dbt_build(Settings.from_env(), select="stg_samr__enterprises")
    with duckdb.connect(str(warehouse)) as con:
        staged_day = con.execute("SELECT count(*) FROM staging.stg_samr__enterprises WHERE snapshot_date = ?",
                                 [DAY]).fetchone()
        rerun = validate_feed(con, open_context(gx_dir), feeds[ENTERPRISE], feeds, DAY)
        verdicts = con.execute("SELECT status FROM raw._validations ORDER BY validated_at").fetchall()
    assert staged_day == (1,)
    assert rerun.night_rows == 0 and rerun.status == "accepted"  # the operator's decision stands
    assert ("accepted",) in verdicts


def test_a_null_rate_above_the_contracts_threshold_holds_the_night(broker, tmp_path, feeds, day_records):
    records = [dict(r) for r in day_records[ENTERPRISE]]
    for r in records[: len(records) // 4]:  # the contract allows under 5% missing addresses
        r["address"] = None
    result = load_and_validate(broker, tmp_path / "w.duckdb", tmp_path / "gx", feeds, ENTERPRISE, records, DAY)
    assert result.status == "held" and result.quarantined == 0
    assert result.failed_batch_expectations == ["expect_column_values_to_not_be_null(address)"]
    assert reconcile(tmp_path / "w.duckdb", feeds[ENTERPRISE])["raw_rows"] == len(records)  # held, not lost
