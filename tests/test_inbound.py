"""Inbound validation end to end: real broker, real loader, real GX, real DuckDB files, real dbt.

Records are the synthetic agencies' own (valid check digits, real region codes); the tests
corrupt some of them the way a faulty agency export would."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.config import Settings
from core.contracts import Contract
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from expectations import domain, holds, inbound
from expectations.gx_project import open_context
from expectations.inbound import InboundValidationFailed, validate_feed
from ingestion.loader import ingest
from tests.support import load_and_validate, send
from transform import dbt_runner

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 22)
ENTERPRISE, LEDGER, WAGE, COMPLAINT = (
    "samr.enterprise.v1",
    "hrss.employment_ledger.v1",
    "hrss.wage_payment.v1",
    "hrss.complaint_event.v1",
)


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
    broker, tmp_path, feeds, day_records
):
    warehouse, gx_dir = tmp_path / "w.duckdb", tmp_path / "gx"
    assert (
        load_and_validate(broker, warehouse, gx_dir, feeds, ENTERPRISE, day_records[ENTERPRISE], DAY).quarantined == 0
    )

    wages = [dict(r) for r in day_records[WAGE]]
    bad_uscc, bad_id, negative, overpaid = wages[0], wages[1], wages[2], wages[3]
    bad_uscc["payer_uscc"] = bad_uscc["payer_uscc"][:-1] + ("0" if bad_uscc["payer_uscc"][-1] != "0" else "1")
    bad_id["worker_id_number"] = bad_id["worker_id_number"][:-1] + (
        "0" if bad_id["worker_id_number"][-1] != "0" else "1"
    )
    negative["amount_paid"] = "-300.00"
    overpaid.update(amount_paid=str(float(overpaid["amount_due"]) + 500), includes_back_pay=False)
    result = load_and_validate(broker, warehouse, gx_dir, feeds, WAGE, wages, DAY)

    reasons = quarantined(warehouse, feeds[WAGE])
    key = feeds[WAGE].key
    assert set(reasons) == {bad_uscc[key], bad_id[key], negative[key], overpaid[key]}
    assert "expect_column_values_to_be_valid_uscc(payer_uscc)" in reasons[bad_uscc[key]]
    assert "expect_column_values_to_be_valid_resident_id(worker_id_number)" in reasons[bad_id[key]]
    assert "expect_column_values_to_be_between(amount_paid)" in reasons[negative[key]]
    assert (
        "expect_multicolumn_values_to_satisfy_sql_rule(amount_due,amount_paid,includes_back_pay)"
        in reasons[overpaid[key]]
    )
    assert result.status == "released" and result.quarantined == 4
    counts = reconcile(warehouse, feeds[WAGE])
    assert counts == {
        "consumed": len(wages),
        "loaded": len(wages) - 4,
        "quarantined": 4,
        "raw_rows": len(wages) - 4,
        "quarantine_rows": 4,
    }

    ledger = [dict(r) for r in day_records[LEDGER]]
    ledger[0]["region_code"] = "999999"  # well-formed, but no such GB/T 2260 region in use
    load_and_validate(broker, warehouse, gx_dir, feeds, LEDGER, ledger, DAY)
    assert quarantined(warehouse, feeds[LEDGER]) == {
        ledger[0][feeds[LEDGER].key]: "expectations failed: expect_column_values_to_be_known_region_code(region_code)"
    }

    template = (
        dict(next(r for r in day_records[COMPLAINT] if r["event_type"] == "received"))
        if day_records.get(COMPLAINT)
        else None
    )
    assert template, "the synthetic day has complaints"
    steps = [("received", "09:00"), ("accepted", "08:00"), ("feedback", "11:00")]  # accepted before received
    events = [
        dict(
            template,
            event_id=f"{template['complaint_id']}-t{i}",
            complaint_id=f"{template['complaint_id']}-t",
            event_type=step,
            event_at=f"{DAY}T{at}:00+08:00",
        )
        for i, (step, at) in enumerate(steps)
    ]
    load_and_validate(broker, warehouse, gx_dir, feeds, COMPLAINT, events, DAY)
    assert quarantined(warehouse, feeds[COMPLAINT]) == {
        events[1]["event_id"]: (
            "expectations failed: expect_multicolumn_values_to_have_stages_in_time_order"
            "(complaint_id,event_type,event_at)"
        )
    }
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


def test_a_night_that_lost_most_of_its_volume_is_held_without_losing_data(
    broker, tmp_path, feeds, day_records, monkeypatch
):
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
    dbt_runner.build_selection(Settings.from_env(), select="stg_samr__enterprises")
    with duckdb.connect(str(warehouse)) as con:  # dbt-duckdb keeps its read-write handle in this process
        staged = con.execute("SELECT snapshot_date, count(*) FROM staging.stg_samr__enterprises GROUP BY 1").fetchall()
    assert DAY not in dict(staged) and sum(n for _, n in staged) == 80

    holds.main(["accept", feeds[ENTERPRISE].topic, DAY.isoformat(), "--reason", "registry export confirmed"])
    dbt_runner.build_selection(Settings.from_env(), select="stg_samr__enterprises")
    with duckdb.connect(str(warehouse)) as con:
        staged_day = con.execute(
            "SELECT count(*) FROM staging.stg_samr__enterprises WHERE snapshot_date = ?", [DAY]
        ).fetchone()
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


# --- no value stops a night --------------------------------------------------------------------


def _replace_field(contract: Contract, name: str, **changes) -> Contract:
    return dataclasses.replace(
        contract, fields=[dataclasses.replace(f, **changes) if f.name == name else f for f in contract.fields]
    )


def _bare_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """The contract's columns only (no load metadata): enough to read frames from."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {contract.qualified_table.split('.')[0]}")
    con.execute(
        f"CREATE TABLE {contract.qualified_table} ("
        + ", ".join(f'"{f.name}" {f.physical_type}' for f in contract.fields)
        + ")"
    )
    return contract.qualified_table


def test_values_a_frame_cannot_hold_are_picked_out_with_their_column_and_why(feeds, monkeypatch):
    # A wider decimal than the contract's, as a lenient loader or a schema drift could leave.
    complaints = _replace_field(feeds[COMPLAINT], "amount_claimed", physical_type="DECIMAL(38,2)")
    with duckdb.connect() as con:
        table = _bare_table(con, complaints)
        for event_id, at, amount in [
            ("ok", "2026-11-22 09:00:00+08", 10),
            ("inf", "infinity", 10),
            ("-inf", "-infinity", 10),
            ("far", "9999-12-31 00:00:00+00", 10),
            ("huge", "2026-11-22 09:00:00+08", 10**20),
        ]:
            con.execute(
                f"INSERT INTO {table} (event_id, event_at, amount_claimed) VALUES (?, ?::TIMESTAMPTZ, ?)",
                [event_id, at, amount],
            )
        ids = dict(con.execute(f"SELECT event_id, rowid FROM {table}").fetchall())
        frame, unfit = inbound._frame(con, complaints, "true", [])
        assert list(frame.index) == [ids["ok"]] and frame["event_at"].notna().all()
        assert unfit == {
            ids["inf"]: "event_at: not a finite timestamp",
            ids["-inf"]: "event_at: not a finite timestamp",
            ids["far"]: "event_at: timestamp outside 1677-09-22..2262-04-11",
            ids["huge"]: "amount_claimed: decimal of more than 15 digits",
        }

        # A value no guard knows of: the rows are read in halves until the one that fails is found.
        wages = feeds[WAGE]
        _bare_table(con, wages)
        for i, start in enumerate(["2026-11-01", "infinity", "2026-11-02", "2026-11-03"]):
            con.execute(
                f"INSERT INTO {wages.qualified_table} (payment_id, period_start) VALUES (?, ?::DATE)", [f"p{i}", start]
            )
        monkeypatch.setattr(inbound, "_guards", lambda contract: [])
        frame, unfit = inbound._frame(con, wages, "true", [])
        bad = con.execute(f"SELECT rowid FROM {wages.qualified_table} WHERE payment_id = 'p1'").fetchone()[0]
        assert len(frame) == 3 and list(unfit) == [bad]
        assert unfit[bad].startswith("period_start: ConversionException")


def test_no_value_stops_the_night_what_cannot_be_validated_is_quarantined(
    broker, tmp_path, feeds, day_records, monkeypatch
):
    warehouse, gx_dir = tmp_path / "w.duckdb", tmp_path / "gx"
    assert (
        load_and_validate(broker, warehouse, gx_dir, feeds, ENTERPRISE, day_records[ENTERPRISE], DAY).quarantined == 0
    )
    wages = [dict(r) for r in day_records[WAGE]]
    send(broker, feeds[WAGE], wages, DAY)
    ingest(warehouse, [feeds[WAGE]], broker.bootstrap, DAY)
    key, table = feeds[WAGE].key, feeds[WAGE].qualified_table
    inf, minus_inf, far, huge = (w[key] for w in wages[:4])
    workers = collections.Counter(w["worker_id_number"] for w in wages)
    raising = next(w[key] for w in wages[4:] if workers[w["worker_id_number"]] == 1)
    with duckdb.connect(str(warehouse)) as con:  # what a lenient loader could have let through
        for column, value, payment in [
            ("period_start", "infinity", inf),
            ("due_date", "-infinity", minus_inf),
            ("paid_date", "9999-12-31", far),
        ]:
            con.execute(f'UPDATE {table} SET "{column}" = ?::DATE WHERE {key} = ?', [value, payment])
        con.execute(
            f"UPDATE {table} SET amount_due = 999999999999.99, amount_paid = 999999999999.99 WHERE {key} = ?", [huge]
        )
        (boom,) = con.execute(f"SELECT worker_id_number FROM {table} WHERE {key} = ?", [raising]).fetchone()
    checked = domain.valid_resident_id

    def raises_on_one(number: str) -> bool:  # an expectation that raises on one value
        if number == boom:
            raise ValueError(f"cannot check {number}")
        return checked(number)

    # The resident-id check the SQL pass and GX's metric both call (expectations.domain).
    monkeypatch.setattr(domain, "valid_resident_id", raises_on_one)
    with duckdb.connect(str(warehouse)) as con:
        result = validate_feed(con, open_context(gx_dir), feeds[WAGE], feeds, DAY)

    assert result.status == "released" and result.quarantined == 4
    reasons = quarantined(warehouse, feeds[WAGE])
    assert reasons == {
        inf: "cannot be validated: period_start: not a finite date",
        minus_inf: "cannot be validated: due_date: not a finite date",
        far: "cannot be validated: paid_date: date outside 1677-09-22..2262-04-11",
        raising: "cannot be validated: worker_id_number: expect_column_values_to_be_valid_resident_id"
        "(worker_id_number) raised: cannot check " + boom,
    }
    assert result.quarantine_reasons["cannot be validated: period_start"] == 1
    counts = reconcile(warehouse, feeds[WAGE])
    assert counts == {
        "consumed": len(wages),
        "loaded": len(wages) - 4,
        "quarantined": 4,
        "raw_rows": len(wages) - 4,
        "quarantine_rows": 4,
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:  # a valid large amount is just a large amount
        assert con.execute(f"SELECT amount_due FROM {table} WHERE {key} = ?", [huge]).fetchone() is not None
        assert con.execute(
            "SELECT DISTINCT status FROM raw._batches WHERE topic = ?", [feeds[WAGE].topic]
        ).fetchall() == [("released",)]


def test_an_expectation_that_raises_is_isolated_by_whole_cases_when_it_compares_a_cases_records():
    frame = pd.DataFrame(
        {"complaint_id": ["c1", "c2", "c1", None], "event_type": ["received"] * 4}, index=[10, 11, 12, 13]
    )
    assert [list(u) for u in inbound._units(frame, "complaint_id")] == [[10, 12], [11], [13]]
    assert [list(u) for u in inbound._units(frame, None)] == [[10], [11], [12], [13]]
