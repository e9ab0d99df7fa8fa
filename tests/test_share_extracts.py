"""The per-agency share extracts end to end: a synthetic night through the real pipeline (broker, loader, GX,
dbt), every agency's extract published under its own outbound contract, and the extract scanner
finding no raw identifier and no column outside a contract — while it does catch planted ones.

Publication follows the 人社 department's decisions (issue 13, 人社部令第45号): on the synthetic night one
employer is listed by a recorded decision, one has its listing removed early (信用修复) that night, one
has a case past every deadline but no decision, and one is only on the internal watch list. The night
before (N1, built as far as the credit platform's listings extract) the removed employer is still listed."""

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
from tests.support import AS_OF, case_event, load_and_validate, order
from transform import dbt_runner

pytestmark = pytest.mark.integration

AGENCIES = {"hrss", "transport", "samr", "emergency", "nhsa", "courts", "unions", "credit_platform"}
SHARE_EXTRACTS = sorted(d for d in outbound_contracts() if d.startswith("gigshield.share."))
RAW_IDENTIFIERS = {  # the raw feeds' own identifiers, as a leak would carry them
    "resident_id": "SELECT worker_id_number FROM raw.hrss__employment_ledger",
    "mobile_phone": "SELECT phone FROM raw.hrss__employment_ledger",
    "bank_account": "SELECT bank_account FROM raw.hrss__wage_payment",
}
N1 = AS_OF - dt.timedelta(days=1)  # Mon 2026-11-23: the night before the removal is recorded
EVENTS = "hrss.blacklist_case_event.v1"
LISTINGS = "gigshield.share.credit_platform.blacklist_listings.v1"
# The enterprise extracts that carry a blacklisting and the listed 法定代表人's name.
LISTING_EXTRACTS = (
    "gigshield.share.credit_platform.enterprise_credit.v1",
    "gigshield.share.samr.enterprise_labour_credit.v1",
    "gigshield.share.courts.dispute_respondents.v1",
)
AUTHORITY = "长沙市人力资源和社会保障局"
BASIS = "人社部令第45号"
LISTED_DECISION, REMOVED_DECISION = "湘人社失信决〔2026〕7号", "湘人社失信决〔2025〕3号"
# Names as the decisions publish them, unlike the registry's (a name in an extract comes from a decision);
# the 直接负责的主管人员's is sent too but 45号令 does not publish it (ref_blacklist_person_roles).
LISTED_REP, LISTED_MANAGER, REMOVED_REP = "张三", "李四", "王五"
PERSON_IDS = ("210122198001011238", "210122198502023456", "21012219700303456X")  # valid resident IDs


def _decision_events(listed: str, removed: str) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The 人社 department's acts: those recorded by N1, and those recorded on AS_OF (the early removal)."""
    decided = {"deciding_authority": AUTHORITY, "legal_basis": BASIS}

    def act(order_id: str, n: int, uscc: str, event_type: str, day: str, **fields: object) -> dict[str, object]:
        return case_event(f"{order_id}:E{n}", order_id, uscc, event_type, day, **fields)

    def person(
        order_id: str, n: int, uscc: str, day: str, decision: str, role: str, who: int, name: str
    ) -> dict[str, object]:
        """A person the decision lists: its role, resident ID (PERSON_IDS[who]) and name as sent."""
        return act(
            order_id,
            n,
            uscc,
            "person_listed",
            day,
            document_number=decision,
            person_role=role,
            person_id_number=PERSON_IDS[who],
            published_name=name,
        )

    by_n1 = [
        # HN-LISTED: deadline Fri 2026-09-25; notice 09-28, no objection; listed by decision 10-23.
        act("HN-LISTED", 1, listed, "notice_served", "2026-09-28", document_number="湘人社失信告〔2026〕7号"),
        act("HN-LISTED", 2, listed, "listing_decided", "2026-10-23", document_number=LISTED_DECISION, **decided),
        person("HN-LISTED", 3, listed, "2026-10-23", LISTED_DECISION, "legal_representative", 0, LISTED_REP),
        person("HN-LISTED", 4, listed, "2026-10-23", LISTED_DECISION, "responsible_manager", 1, LISTED_MANAGER),
        # HN-REMOVED: deadline 2025-04-15, listed by decision 2025-05-13; paid in full and committed
        # 2026-03-02 (eligible from 2026-09-02); applied for early removal 2026-11-02.
        act("HN-REMOVED", 1, removed, "notice_served", "2025-04-18", document_number="湘人社失信告〔2025〕3号"),
        act("HN-REMOVED", 2, removed, "listing_decided", "2025-05-13", document_number=REMOVED_DECISION, **decided),
        person("HN-REMOVED", 3, removed, "2025-05-13", REMOVED_DECISION, "legal_representative", 2, REMOVED_REP),
        act(
            "HN-REMOVED",
            4,
            removed,
            "early_removal_applied",
            "2026-11-02",
            payment_evidence="银行转账凭证",
            paid_in_full_date="2026-03-02",
            written_commitment_date="2026-03-02",
        ),
    ]
    on_as_of = [  # approved within 15 working days of 11-02 (11-03..11-23 are 15), recorded the night of AS_OF
        act(
            "HN-REMOVED",
            5,
            removed,
            "early_removal_decided",
            AS_OF.isoformat(),
            outcome="approved",
            document_number="湘人社失信移〔2026〕1号",
            deciding_authority=AUTHORITY,
        ),
        act(
            "HN-REMOVED",
            6,
            removed,
            "delisted",
            AS_OF.isoformat(),
            reason="early_removal",
            deciding_authority=AUTHORITY,
        ),
    ]
    return by_n1, on_as_of


@pytest.fixture(scope="module")
def night(broker, tmp_path_factory):
    """One synthetic day of every feed (with violations), plus the blacklist cases of the module docstring
    with the 人社 department's acts, built with real dbt and published through the real publication gate;
    the night before is built as far as the listings extract and published too."""
    root = tmp_path_factory.mktemp("share")
    records = generate_day(build_world(seed=11, workers=300), AS_OF, AS_OF, Rates(violation=0.05, malformed=0)).records
    # The hand-built cases' employers: registered enterprises the synthetic agencies have no order for.
    ordered = {r["enterprise_uscc"] for t in ("hrss.inspection_order.v1", EVENTS) for r in records.get(t, [])}
    listed, removed, undecided, watched = [e for e in records["samr.enterprise.v1"] if e["uscc"] not in ordered][:4]
    records["hrss.inspection_order.v1"] = [
        *records.get("hrss.inspection_order.v1", []),
        order("HN-LISTED", listed["uscc"], "60000.00"),
        order(
            "HN-REMOVED",
            removed["uscc"],
            "60000.00",
            issued_date="2025-03-31",
            payment_deadline="2025-04-15",
            amount_paid="60000.00",
            paid_in_full_date="2026-03-02",
            written_commitment_date="2026-03-02",
            status="complied",
        ),
        order("HN-UNDECIDED", undecided["uscc"], "60000.00"),  # past every deadline, no act recorded
        order("HN-WATCH", watched["uscc"], "30000.00"),  # under every criterion: the watch list only
    ]
    by_n1, on_as_of = _decision_events(listed["uscc"], removed["uscc"])
    feeds = default_contracts()  # the module's own broker topics: no other test publishes to them
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con, feeds.values())
    registries = {f.references.rsplit(".", 1)[0] for c in feeds.values() for f in c.fields if f.references}
    refers = {t: any(f.references for f in c.fields) for t, c in feeds.items()}
    # Registries first, those that reference none first of all (the enterprise registry before the orders).
    for topic in sorted(sorted(set(feeds) - {EVENTS}), key=lambda t: (t not in registries, refers[t])):
        result = load_and_validate(broker, warehouse, root / "gx", feeds, topic, records.get(topic, []), AS_OF)
        assert result.status == "released", (topic, result)
    published = root / "published"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GIGSHIELD_DATA_DIR", str(root))
        env.setenv("GIGSHIELD_WAREHOUSE", str(warehouse))
        # N1: the acts recorded so far, and the credit platform's listings as of that night.
        assert load_and_validate(broker, warehouse, root / "gx", feeds, EVENTS, by_n1, N1).status == "released"
        dbt_runner.build_selection(
            Settings.from_env(), f"+{outbound_contracts()[LISTINGS].table.split('.')[1]}", as_of=N1
        )
        with duckdb.connect(str(warehouse)) as con:
            before = publish_dataset(con, open_context(root / "gx"), outbound_contracts()[LISTINGS], N1, published)
        # AS_OF: the early removal decided and the listing ended (and the synthetic agencies' acts), then the
        # whole night.
        acts = [*on_as_of, *records.get(EVENTS, [])]
        assert load_and_validate(broker, warehouse, root / "gx", feeds, EVENTS, acts, AS_OF).status == "released"
        dbt_runner.build_night(Settings.from_env(), as_of=AS_OF)
    with duckdb.connect(str(warehouse)) as con:  # the process's dbt-duckdb handle is read-write
        context = open_context(root / "gx")
        results = {d: publish_dataset(con, context, outbound_contracts()[d], AS_OF, published) for d in SHARE_EXTRACTS}
        audit = con.execute(
            "SELECT dataset, version, logical_date, status, rows, checksum, path FROM audit.publications"
            " WHERE logical_date = ?",
            [AS_OF],
        ).fetchall()
        raw = {kind: [v for (v,) in con.execute(sql).fetchall()] for kind, sql in RAW_IDENTIFIERS.items()}
        worker_keys = set(con.execute("SELECT worker_key FROM intermediate.int_hrss__engagements").fetchall())
        watch_list = {
            u for (u,) in con.execute("SELECT enterprise_uscc FROM marts.fct_unpaid_wage_watch_list").fetchall()
        }
        respondents = {u for (u,) in con.execute("SELECT respondent_uscc FROM staging.stg_court__cases").fetchall()}
        decided = set(  # the enterprises a recorded decision lists tonight, and the names it publishes
            con.execute(
                "SELECT c.enterprise_uscc, p.published_name FROM marts.fct_blacklist_cases c "
                "LEFT JOIN marts.fct_blacklist_listed_persons p ON p.order_id = c.order_id "
                "AND p.person_role IN ('legal_representative', 'principal') AND p.name_published "
                "WHERE c.case_status IN ('listed', 'removal_due')"
            ).fetchall()
        )
    return {
        "published": published,
        "results": results,
        "before": before,
        "audit": audit,
        "raw": raw,
        "listed": listed,
        "removed": removed,
        "undecided": undecided,
        "watched": watched,
        "watch_list": watch_list,
        "respondents": respondents,
        "decided": decided,
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


def _rows(night, dataset: str, select: str, where: str = "true") -> list[tuple]:
    return duckdb.sql(f"SELECT {select} FROM '{night['results'][dataset].path}' WHERE {where} ORDER BY ALL").fetchall()


def test_only_a_recorded_listing_decision_blacklists_an_employer_in_any_extract(night):
    """Blacklisted in an extract exactly when a recorded decision lists the employer tonight: the listed
    employer is, the one removed that night, the one with no decision and the watched one are not (the
    transport extract has an employer only while it holds a licence)."""
    decided = {uscc for uscc, _ in night["decided"]}
    assert night["listed"]["uscc"] in decided
    assert not decided & {night[k]["uscc"] for k in ("removed", "undecided", "watched")}
    for dataset in (*LISTING_EXTRACTS, "gigshield.share.transport.licensed_operators.v1"):
        blacklisted = (
            "listing_status = 'blacklisted'" if "courts" in dataset else "is_blacklisted OR credit_tier = 'blacklisted'"
        )
        found = {u for (u,) in _rows(night, dataset, "DISTINCT enterprise_uscc", blacklisted)}
        assert found <= decided and (found == decided or "transport" in dataset), dataset
    for dataset in LISTING_EXTRACTS:
        assert _rows(
            night,
            dataset,
            "blacklisted_from, blacklisted_until, decision_number, deciding_authority",
            f"enterprise_uscc = '{night['listed']['uscc']}'",
        ) == [(dt.date(2026, 10, 23), dt.date(2029, 10, 23), LISTED_DECISION, AUTHORITY)], dataset


def test_a_listed_person_is_named_only_as_the_decision_publishes_them(night):
    published = {(uscc, name) for uscc, name in night["decided"] if name is not None}
    assert (night["listed"]["uscc"], LISTED_REP) in published
    for dataset in LISTING_EXTRACTS:
        names = _rows(night, dataset, "enterprise_uscc, legal_rep_name", "legal_rep_name IS NOT NULL")
        assert (night["listed"]["uscc"], LISTED_REP) in names and set(names) <= published, dataset
    # Not the registry's names, not the unpublished 直接负责的主管人员, not the removed listing's 法定代表人.
    unpublished = {LISTED_MANAGER, REMOVED_REP} | {
        night[k]["legal_rep_name"] for k in ("listed", "removed", "undecided", "watched")
    }
    for dataset, result in night["results"].items():
        text = " ".join(str(v) for row in duckdb.sql(f"SELECT * FROM '{result.path}'").fetchall() for v in row)
        assert not [name for name in unpublished if name in text], dataset


def test_the_credit_platform_gets_listings_and_a_removal_event_the_night_it_is_recorded(night):
    listed, removed = night["listed"]["uscc"], night["removed"]["uscc"]
    columns = (
        "record_type, case_id, enterprise_uscc, region_code, decision_number, deciding_authority, legal_basis, "
        "decision_date, listed_from, listed_until, listed_persons, ended_date, end_reason, as_of_date"
    )
    listing = (
        "listing", "HN-LISTED", listed, "430102", LISTED_DECISION, AUTHORITY, BASIS,
        dt.date(2026, 10, 23), dt.date(2026, 10, 23), dt.date(2029, 10, 23),
        f"法定代表人 {LISTED_REP}; 直接负责的主管人员 (姓名不公开)", None, None,
    )  # fmt: skip
    removed_listing = (
        "HN-REMOVED", removed, "430102", REMOVED_DECISION, AUTHORITY, BASIS,
        dt.date(2025, 5, 13), dt.date(2025, 5, 13), dt.date(2028, 5, 13),
    )  # fmt: skip
    # N1: the removal is not recorded yet: both listings are published.
    assert duckdb.sql(f"SELECT {columns} FROM '{night['before'].path}' ORDER BY case_id").fetchall() == [
        (*listing, N1),
        ("listing", *removed_listing, f"法定代表人 {REMOVED_REP}", None, None, N1),
    ]
    # AS_OF: the removed listing is gone and its end is an event, without its persons.
    assert _rows(night, LISTINGS, columns, "case_id IN ('HN-LISTED', 'HN-REMOVED')") == [
        (*listing, AS_OF),
        ("listing_ended", *removed_listing, None, AS_OF, "early_removal", AS_OF),
    ]
    # Every listing published is one a recorded decision lists tonight.
    listings = {u for (u,) in _rows(night, LISTINGS, "DISTINCT enterprise_uscc", "record_type = 'listing'")}
    assert listings == {uscc for uscc, _ in night["decided"]}


def test_the_watch_list_is_in_no_extract(night):
    watched = night["watched"]["uscc"]
    assert watched in night["watch_list"]  # the watch list is built, internally
    courts = "gigshield.share.courts.dispute_respondents.v1"
    assert {v for (v,) in _rows(night, courts, "DISTINCT listing_status")} <= {"blacklisted", "none"}
    if watched not in night["respondents"]:  # in the courts' extract only as the respondent of a case
        assert _rows(night, courts, "1", f"enterprise_uscc = '{watched}'") == []
    for dataset, result in night["results"].items():
        columns = duckdb.sql(f"SELECT * FROM '{result.path}' LIMIT 0").columns
        assert not [c for c in columns if "watch" in c], dataset


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
