"""GX suites follow the contracts, and the domain expectations judge records correctly (real GX)."""

from __future__ import annotations

import datetime as dt
import random
import shutil

import duckdb
import pandas as pd
import pytest
import yaml
from stdnum.cn import ric, uscc

from core.config import INBOUND_CONTRACTS_DIR
from core.contracts import Contract, load_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from expectations import inbound
from expectations.domain import registries, valid_resident_id
from expectations.gx_project import RECORD_RESULT_FORMAT, open_context, validate_frame
from expectations.sql_suite import SCHEMA_TYPES, run_suite
from expectations.suites import expectation_label, feed_suites, result_config, suite
from transform import sources_yaml

pytestmark = pytest.mark.integration

WAGE = "hrss.wage_payment.v1"


def _types(expectation_suite) -> dict[tuple[str, str], dict]:
    configs = [e.configuration for e in expectation_suite.expectations]
    return {(c.type, c.kwargs.get("column", "")): c.kwargs for c in configs}


def test_changing_a_field_in_a_contract_changes_the_gx_suite_and_the_dbt_source(tmp_path):
    shutil.copy(INBOUND_CONTRACTS_DIR / f"{WAGE}.odcs.yaml", tmp_path)
    before = load_contracts(tmp_path)[WAGE]
    path = tmp_path / f"{WAGE}.odcs.yaml"
    doc = yaml.safe_load(path.read_text())
    props = doc["schema"][0]["properties"]
    status = next(p for p in props if p["name"] == "payment_status")
    status["quality"][0]["arguments"]["validValues"].append("disputed")
    props.append(
        {
            "name": "bank_branch",
            "logicalType": "string",
            "physicalType": "VARCHAR",
            "required": True,
            "description": "Branch of the wage account.",
            "logicalTypeOptions": {"pattern": "^[0-9]{12}$"},
        }
    )
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    after = load_contracts(tmp_path)[WAGE]

    old, new = _types(feed_suites(before).records), _types(feed_suites(after).records)
    enum = ("expect_column_values_to_be_in_set", "payment_status")
    assert "disputed" not in old[enum]["value_set"] and "disputed" in new[enum]["value_set"]
    assert ("expect_column_values_to_match_regex", "bank_branch") not in old
    assert new[("expect_column_values_to_match_regex", "bank_branch")]["regex"] == "^[0-9]{12}$"
    assert ("expect_column_values_to_not_be_null", "bank_branch") in new

    def source_table(contract: Contract) -> dict:
        sources = yaml.safe_load(sources_yaml.render_sources([contract]))["sources"][0]
        return next(t for t in sources["tables"] if t["name"] == contract.table)

    old_columns = {c["name"]: c for c in source_table(before)["columns"]}
    new_columns = {c["name"]: c for c in source_table(after)["columns"]}
    assert set(new_columns) - set(old_columns) == {"bank_branch"}
    assert new_columns["bank_branch"]["data_type"] == "VARCHAR"
    assert "disputed" in str(new_columns["payment_status"]) and "disputed" not in str(old_columns["payment_status"])


def test_suites_split_record_checks_from_batch_checks():
    suites = feed_suites(load_contracts(INBOUND_CONTRACTS_DIR)[WAGE])
    records, batch = _types(suites.records), _types(suites.batch)
    assert ("expect_column_values_to_be_valid_uscc", "payer_uscc") in records
    assert ("expect_column_values_to_be_valid_resident_id", "worker_id_number") in records
    assert ("expect_multicolumn_values_to_satisfy_sql_rule", "") in records
    assert ("expect_column_values_to_be_between", "amount_due") in records
    assert ("expect_table_row_count_to_be_between", "") in batch
    assert ("expect_column_values_to_reference_registry", "payer_uscc") in batch  # mostly 0.99: a rate
    assert ("expect_column_values_to_be_of_type", "amount_due") in batch


def _unexpected(context, expectation: dict, frame: pd.DataFrame) -> set:
    contract = load_contracts(INBOUND_CONTRACTS_DIR)[WAGE]
    result = validate_frame(
        context,
        suite(f"probe.{expectation['type']}", [expectation], contract, "records"),
        frame,
        run_name="probe",
        result_format=RECORD_RESULT_FORMAT,
    )
    (r,) = result.results
    assert not r.exception_info.get("raised_exception"), r.exception_info
    return set(r.result.get("unexpected_index_list") or [])


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    return open_context(tmp_path_factory.mktemp("gx"))


def _exp(type_: str, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs}


def test_identifier_expectations_use_the_national_check_characters(context):
    good_uscc, good_id = "91330106MA2GL1RQ51", "110101199003074514"
    assert uscc.is_valid(good_uscc) and ric.is_valid(good_id)
    frame = pd.DataFrame(
        {"u": [good_uscc, good_uscc[:-1] + "0", None], "i": [good_id, good_id[:-1] + "0", None]}, index=[10, 11, 12]
    )
    assert _unexpected(context, _exp("expect_column_values_to_be_valid_uscc", column="u"), frame) == {11}
    assert _unexpected(context, _exp("expect_column_values_to_be_valid_resident_id", column="i"), frame) == {11}


def test_region_and_registry_expectations(context):
    frame = pd.DataFrame({"region": ["430102", "999999"], "uscc": ["A", "B"]})
    assert _unexpected(context, _exp("expect_column_values_to_be_known_region_code", column="region"), frame) == {1}
    with registries({"samr.enterprise.v1.uscc": frozenset({"A"})}):
        assert _unexpected(
            context,
            _exp("expect_column_values_to_reference_registry", column="uscc", registry="samr.enterprise.v1.uscc"),
            frame,
        ) == {1}


def test_the_contract_sql_rule_is_evaluated_per_record_with_sql_null_semantics(context):
    frame = pd.DataFrame(
        {
            "amount_paid": [100.0, 120.0, 120.0, None],
            "amount_due": [100.0, 100.0, 100.0, 100.0],
            "includes_back_pay": [False, False, True, False],
        }
    )
    rule = _exp(
        "expect_multicolumn_values_to_satisfy_sql_rule",
        column_list=["amount_paid", "amount_due", "includes_back_pay"],
        violation="amount_paid > amount_due AND NOT includes_back_pay",
    )
    assert _unexpected(context, rule, frame) == {1}


def test_stage_order_flags_the_step_that_comes_too_early(context):
    t = pd.Timestamp
    frame = pd.DataFrame(
        {
            "complaint_id": ["c1", "c1", "c1", "c2", "c2"],
            "event_type": ["received", "accepted", "feedback", "received", "accepted"],
            "event_at": [
                t("2026-11-20 09:00"),
                t("2026-11-20 10:00"),
                t("2026-11-20 09:30"),
                t("2026-11-21 09:00"),
                t("2026-11-21 09:00"),
            ],
        }
    )
    rule = _exp(
        "expect_multicolumn_values_to_have_stages_in_time_order",
        column_list=["complaint_id", "event_type", "event_at"],
        stage_order=["received", "accepted", "connected", "feedback", "closed"],
    )
    assert _unexpected(context, rule, frame) == {2}


def test_the_fast_resident_id_check_agrees_with_stdnum():
    rnd = random.Random(7)
    numbers = []
    for _ in range(3000):  # right check digit, birth date and place valid or not
        body = rnd.choice(["110101", "430102", "999999", "110103"]) + f"{rnd.randrange(1890, 2030)}"
        body += f"{rnd.randrange(0, 14):02d}{rnd.randrange(0, 33):02d}{rnd.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        numbers += [number, number.lower(), f" {number}", number[:-1] + rnd.choice("0123456789X")]
    assert sum(map(ric.is_valid, numbers)) > 500  # both verdicts are well represented
    assert [valid_resident_id(n) for n in numbers] == [ric.is_valid(n) for n in numbers]


def test_the_sql_pass_finds_the_same_unexpected_records_as_gx_on_a_frame(context):
    """Every record expectation of the wage feed, in DuckDB SQL and in GX's pandas engine, on the
    same rows with faults of each kind: the same rows fail the same expectations."""
    contract = load_contracts(INBOUND_CONTRACTS_DIR)[WAGE]
    day = dt.date(2026, 11, 22)
    records = generate_day(build_world(seed=3, workers=80), day, day, Rates(violation=0, malformed=0)).records[WAGE]
    faults = [
        {"payer_uscc": "91330106MA2GL1RQ50"},  # check character
        {"worker_id_number": "110101199003074510"},  # check digit
        {"amount_paid": "-1.00"},
        {"payment_status": "lost"},
        {"amount_paid": "99999.00", "includes_back_pay": False},  # the contract's SQL rule
        {"payment_id": records[0]["payment_id"]},  # a duplicate key
        {"pay_period": None},
    ]
    rows = [dict(r, **fault) for r, fault in zip(records[1:], faults, strict=False)] + records[len(faults) + 1 :]
    rows.insert(0, records[0])
    names = [f.name for f in contract.fields]
    with duckdb.connect() as con:
        con.execute(f"CREATE SCHEMA {contract.qualified_table.split('.')[0]}")
        con.execute(
            f"CREATE TABLE {contract.qualified_table} ("
            + ", ".join(f'"{f.name}" {f.physical_type}' for f in contract.fields)
            + ")"
        )
        con.executemany(
            f"INSERT INTO {contract.qualified_table} VALUES ({', '.join('?' for _ in names)})",
            [[r.get(n) for n in names] for r in rows],
        )
        records_suite = feed_suites(contract).records
        frame, unfit = inbound._frame(con, contract, "true", [])
        assert not unfit
        by_gx: dict[str, set[int]] = {}
        for r in validate_frame(
            context, records_suite, frame, run_name="gx", result_format=RECORD_RESULT_FORMAT
        ).results:
            for row in r.result.get("unexpected_index_list") or []:
                by_gx.setdefault(expectation_label(result_config(r)), set()).add(int(row))
        table = contract.qualified_table
        con.execute(f"CREATE TEMP TABLE _gs_records AS SELECT rowid AS _row, true AS _pending, * FROM {table}")
        run = run_suite(con, context, records_suite, "_gs_records", run_name="sql", rows="_row")
    by_sql: dict[str, set[int]] = {}
    for row, labels in run.failed.items():
        for label in labels:
            by_sql.setdefault(label, set()).add(row)
    assert len(by_gx) >= 6 and not run.raised
    assert by_sql == by_gx


def test_the_sql_pass_judges_column_types_and_the_column_set_as_gx_does(context):
    """The batch suite's schema checks, from DuckDB's dtypes, against GX on the frame: a column of the
    wrong type (BIGINT where the contract says DECIMAL) and an extra column fail both ways."""
    contract = load_contracts(INBOUND_CONTRACTS_DIR)[WAGE]
    types = {f.name: ("BIGINT" if f.name == "amount_due" else f.physical_type) for f in contract.fields}
    with duckdb.connect() as con:
        table = contract.qualified_table
        con.execute(f"CREATE SCHEMA {table.split('.')[0]}")
        con.execute(f"CREATE TABLE {table} (" + ", ".join(f'"{n}" {t}' for n, t in types.items()) + ", extra INT)")
        con.execute(f"INSERT INTO {table} (payment_id, amount_due, paid_date) VALUES ('p1', 3, DATE '2026-11-01')")
        schema_suite = suite(
            "schema",
            [
                e.configuration.to_json_dict()
                for e in feed_suites(contract).batch.expectations
                if e.configuration.type in SCHEMA_TYPES
            ],
            contract,
            "batch",
        )
        frame = inbound._naive_utc(con.execute(f"SELECT * FROM {table}").df())
        by_gx = validate_frame(context, schema_suite, frame, run_name="gx").results
        by_sql = run_suite(con, context, schema_suite, table, run_name="sql").result.results
    verdict = lambda results: {expectation_label(result_config(r)): r.success for r in results}  # noqa: E731
    assert verdict(by_sql) == verdict(by_gx)
    assert {label for label, ok in verdict(by_gx).items() if not ok} == {
        "expect_column_values_to_be_of_type(amount_due)",
        "expect_table_columns_to_match_set",
    }
