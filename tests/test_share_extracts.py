"""The per-agency share extracts end to end: a synthetic night through the real pipeline (broker, loader, GX,
dbt), every agency's extract published under its own outbound contract, and the extract scanner
finding no raw identifier and no column outside a contract — while it does catch planted ones."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric, uscc

from core.config import Settings
from core.contracts import default_contracts, outbound_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from expectations.gx_project import open_context
from ingestion.raw_tables import ensure_raw_tables
from orchestration.steps import outbound_datasets
from publication import identifier_scan
from publication.extracts import publish_dataset
from tests.support import AS_OF, load_and_validate, order
from transform import dbt_runner

pytestmark = pytest.mark.integration

AGENCIES = {"hrss", "transport", "samr", "emergency", "nhsa", "courts", "unions", "credit_platform"}
SHARE_EXTRACTS = sorted(d for d in outbound_contracts() if d.startswith("gigshield.share."))
RAW_IDENTIFIERS = {  # the raw feeds' own identifiers, as a leak would carry them
    "resident_id": "SELECT worker_id_number FROM raw.hrss__employment_ledger",
    "mobile_phone": "SELECT phone FROM raw.hrss__employment_ledger",
    "bank_account": "SELECT bank_account FROM raw.hrss__wage_payment",
}


@pytest.fixture(scope="module")
def night(broker, tmp_path_factory):
    """One synthetic day of every feed (with violations), plus an employer blacklisted under 人社部令第45号,
    built with real dbt and published through the real publication gate."""
    root = tmp_path_factory.mktemp("share")
    records = generate_day(build_world(seed=11, workers=300), AS_OF, AS_OF, Rates(violation=0.05, malformed=0)).records
    listed = records["samr.enterprise.v1"][0]
    records["hrss.inspection_order.v1"] = [
        *records.get("hrss.inspection_order.v1", []),
        order("HN-LISTED", listed["uscc"], "60000.00"),
    ]
    feeds = default_contracts()  # the module's own broker topics: no other test publishes to them
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, feeds.values())
    registries = {f.references.rsplit(".", 1)[0] for c in feeds.values() for f in c.fields if f.references}
    for topic in sorted(feeds, key=lambda t: t not in registries):  # registries first: references resolve
        result = load_and_validate(broker, warehouse, root / "gx", feeds, topic, records.get(topic, []), AS_OF)
        assert result.status == "released", (topic, result)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GIGSHIELD_DATA_DIR", str(root))
        env.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
        dbt_runner.build_night(Settings.from_env(), as_of=AS_OF)
    published = root / "published"
    with duckdb.connect(str(warehouse)) as con:  # the process's dbt-duckdb handle is read-write
        context = open_context(root / "gx")
        results = {d: publish_dataset(con, context, outbound_contracts()[d], AS_OF, published) for d in SHARE_EXTRACTS}
        audit = con.execute(
            "SELECT dataset, version, logical_date, status, rows, checksum, path FROM audit.publications"
        ).fetchall()
        raw = {kind: [v for (v,) in con.execute(sql).fetchall()] for kind, sql in RAW_IDENTIFIERS.items()}
        worker_keys = set(con.execute("SELECT worker_key FROM intermediate.int_hrss__engagements").fetchall())
    return {
        "published": published,
        "results": results,
        "audit": audit,
        "raw": raw,
        "listed": listed,
        "worker_keys": worker_keys,
    }


def test_every_agency_has_an_extract_under_its_own_contract_and_the_dag_publishes_it():
    recipients = {_recipient(d) for d in SHARE_EXTRACTS}
    assert recipients == AGENCIES
    assert set(SHARE_EXTRACTS) <= set(outbound_datasets())  # the DAG's publish tasks map over these
    for dataset in SHARE_EXTRACTS:
        assert outbound_contracts()[dataset].qualified_table.startswith("share.share_"), dataset


def _recipient(dataset: str) -> str:
    props = outbound_contracts()[dataset].odcs().customProperties or []
    return next(p.value for p in props if p.property == "recipient")


def test_every_extract_publishes_with_an_audit_row_whose_checksum_matches_the_file(night):
    results = night["results"]
    assert {d: r.status for d, r in results.items()} == dict.fromkeys(SHARE_EXTRACTS, "published")
    assert all(r.rows > 0 for r in results.values()), {d: r.rows for d, r in results.items()}
    audit = {row[0]: row for row in night["audit"]}
    for dataset, result in results.items():
        path = Path(result.path)
        assert path == night["published"] / dataset / AS_OF.isoformat() / f"{dataset}.parquet"
        _, version, day, status, rows, checksum, recorded_path = audit[dataset]
        assert (version, day, status, rows) == (outbound_contracts()[dataset].version, AS_OF, "published", result.rows)
        assert checksum == hashlib.sha256(path.read_bytes()).hexdigest() and recorded_path == str(path)


def test_the_scanner_finds_no_raw_identifier_and_no_out_of_contract_column(night):
    assert identifier_scan.scan([night["published"]]) == []
    assert identifier_scan.main([str(night["published"])]) == 0


def test_legal_representatives_are_named_only_with_a_blacklisting(night):
    listed = night["listed"]
    for dataset in (
        "gigshield.share.credit_platform.enterprise_credit.v1",
        "gigshield.share.samr.enterprise_labour_credit.v1",
        "gigshield.share.courts.dispute_respondents.v1",
    ):
        names = duckdb.sql(
            f"SELECT enterprise_uscc, legal_rep_name FROM '{night['results'][dataset].path}' "
            "WHERE legal_rep_name IS NOT NULL"
        ).fetchall()
        assert names == [(listed["uscc"], listed["legal_rep_name"])], dataset


def test_worker_pseudonyms_differ_per_agency(night):
    hrss, nhsa = (
        set(duckdb.sql(f"SELECT worker_key FROM '{night['results'][d].path}' WHERE worker_key IS NOT NULL").fetchall())
        for d in ("gigshield.share.hrss.labour_findings.v1", "gigshield.share.nhsa.insurance_findings.v1")
    )
    warehouse_keys = night["worker_keys"]
    assert hrss and nhsa and not (hrss & nhsa) and not (hrss & warehouse_keys) and not (nhsa & warehouse_keys)


@pytest.mark.parametrize("kind", sorted(RAW_IDENTIFIERS))
def test_the_scanner_catches_a_planted_raw_identifier(night, tmp_path, kind):
    value = night["raw"][kind][0]
    dataset = "gigshield.share.unions.platform_labour_summary.v1"
    bad = _copy_with(
        night["results"][dataset].path,
        tmp_path / dataset / f"{dataset}.parquet",
        f"'note ' || '{value}' AS jurisdiction"
        if kind != "bank_account"
        else f"{value}::DECIMAL(20, 0) AS workers_engaged",
    )  # numbers are scanned as text too
    findings = identifier_scan.scan([tmp_path])
    assert [(f.path, f.kind) for f in findings] == [(bad, kind)]
    assert value not in str(findings[0])  # a finding points at the leak without repeating it
    assert identifier_scan.main([str(tmp_path)]) == 1


def test_the_scanner_catches_a_column_outside_the_contract(night, tmp_path):
    dataset = "gigshield.share.hrss.labour_findings.v1"
    bad = _copy_with(night["results"][dataset].path, tmp_path / f"{dataset}.parquet", "'x' AS worker_name")
    assert [(f.path, f.kind, f.column) for f in identifier_scan.scan([bad])] == [
        (bad, "out_of_contract_column", "worker_name")
    ]


def test_pseudonyms_and_message_ids_are_not_mistaken_for_identifiers():
    digest = "13812345678" + "a" + "6" * 52  # a sha256 hex that opens with a mobile-like run
    uuid_ = "13812345-6789-4abc-8def-123456789012"
    assert list(identifier_scan.identifiers_in(f"{digest}:{uuid_}:(2026)4301民初1122000号")) == []
    assert [k for k, _ in identifier_scan.identifiers_in("430121700516105")] == ["resident_id"]  # old 15-digit form


# An all-digit USCC (an organisation registered before 2015), and an 18-digit string that is both a
# valid resident ID and a valid USCC.
ALL_DIGIT_USCC, RIC_AND_USCC = "914403001922038216", "371322199502036450"


def test_a_valid_all_digit_uscc_is_not_a_bank_account_but_a_resident_id_that_is_also_one_is_caught():
    assert uscc.is_valid(ALL_DIGIT_USCC) and not ric.is_valid(ALL_DIGIT_USCC)
    assert list(identifier_scan.identifiers_in(f"respondent {ALL_DIGIT_USCC}")) == []
    assert ric.is_valid(RIC_AND_USCC) and uscc.is_valid(RIC_AND_USCC)
    assert [k for k, _ in identifier_scan.identifiers_in(RIC_AND_USCC)] == ["resident_id"]  # the worse leak wins
    broken = ALL_DIGIT_USCC[:-1] + ("7" if ALL_DIGIT_USCC[-1] != "7" else "8")  # check character wrong
    assert [k for k, _ in identifier_scan.identifiers_in(broken)] == ["bank_account"]
    # A USCC check character alone is not enough: the embedded organisation code must check too.
    body = ALL_DIGIT_USCC[:16] + ("0" if ALL_DIGIT_USCC[16] != "0" else "1")
    forged = body + uscc.calc_check_digit(body)
    if forged.isdigit():
        assert [k for k, _ in identifier_scan.identifiers_in(forged)] == ["bank_account"]


def test_an_extract_carrying_an_all_digit_uscc_passes_the_scan(night, tmp_path):
    dataset = "gigshield.share.unions.platform_labour_summary.v1"
    _copy_with(
        night["results"][dataset].path, tmp_path / dataset / f"{dataset}.parquet", f"'{ALL_DIGIT_USCC}' AS jurisdiction"
    )
    assert identifier_scan.scan([tmp_path]) == []


def test_a_leak_fails_the_dags_scan_task_without_retries(night, tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.exceptions import AirflowFailException

    dataset = "gigshield.share.unions.platform_labour_summary.v1"
    _copy_with(
        night["results"][dataset].path,
        tmp_path / "published" / dataset / AS_OF.isoformat() / f"{dataset}.parquet",
        f"'note ' || '{night['raw']['resident_id'][0]}' AS jurisdiction",
    )
    monkeypatch.setenv("GIGSHIELD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GIGSHIELD_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    bag = DagBag(dag_folder=str(Path(__file__).parents[1] / "dags"))
    scan_task = bag.dags["nightly_agency_sync"].get_task("scan_extracts")
    logical_date = dt.datetime.combine(AS_OF, dt.time(2), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with pytest.raises(AirflowFailException, match="resident_id"):
        scan_task.python_callable(logical_date=logical_date)


def _copy_with(source: str, target: Path, replacement: str) -> Path:
    """A copy of a published extract with one column replaced or added (DuckDB REPLACE / extra column)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    column = replacement.rsplit(" AS ", 1)[1]
    columns = duckdb.sql(f"SELECT * FROM '{source}' LIMIT 0").columns
    select = f"* REPLACE ({replacement})" if column in columns else f"*, {replacement}"
    duckdb.sql(f"COPY (SELECT {select} FROM '{source}') TO '{target}' (FORMAT parquet)")
    return target
