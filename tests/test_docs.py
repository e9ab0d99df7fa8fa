"""Data Docs and the contract catalog render in headless Chromium (Debian chromium) and show the
latest validation results and every contract."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from datacontract.config import cli_config
from datacontract.data_contract import DataContract
from jsonschema import Draft201909Validator, SchemaError

from core.config import CONTRACTS_DIR
from core.contracts import default_contracts, outbound_contracts
from devstack.synthetic.feeds import generate_day
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world
from expectations.gx_project import open_context, validate_frame
from expectations.suites import feed_suites
from publication import data_docs
from publication.contract_catalog import _schemas_checked_once
from publication.data_docs import build_contract_catalog, build_data_docs, catalog_key, render_contract_catalog
from tests.support import load_and_validate, rendered_dom

pytestmark = pytest.mark.integration

REGISTRY, LEDGER = "samr.enterprise.v1", "hrss.employment_ledger.v1"


def test_data_docs_show_the_latest_validation_results(tmp_path):
    context = open_context(tmp_path)
    contract = default_contracts()["samr.penalty.v1"]
    run_name = f"docs check {uuid.uuid4().hex[:8]}"
    frame = pd.DataFrame({f.name: pd.Series([], dtype="object") for f in contract.fields})
    validate_frame(context, feed_suites(contract).batch, frame, run_name=run_name, parameters={"min_rows": 1})

    dom = rendered_dom(build_data_docs(tmp_path))
    # Rows that bootstrap-table built in the browser (served locally: no CDN is reachable here).
    rows = re.findall(r'<tr[^>]*data-index="\d+"[^>]*>(.*?)</tr>', dom, re.DOTALL)
    assert any(run_name in row for row in rows), "the latest validation run is not in the results table"
    assert any(f"{contract.topic}.batch" in row for row in rows)  # and the suite it validated


def test_data_docs_render_only_the_new_results_and_nothing_when_nothing_is_new(tmp_path):
    context = open_context(tmp_path)
    contract = default_contracts()["samr.penalty.v1"]
    frame = pd.DataFrame({f.name: pd.Series([], dtype="object") for f in contract.fields})

    def night(run_name: str) -> dict[str, int]:  # a night's validation, then its Data Docs: page -> mtime
        validate_frame(context, feed_suites(contract).batch, frame, run_name=run_name, parameters={"min_rows": 1})
        index = build_data_docs(tmp_path)
        return {str(p): p.stat().st_mtime_ns for p in index.parent.rglob("*.html")}

    first = night("first night")
    second = night("second night")
    new = [p for p in second if p not in first]
    assert len(new) == 1 and "second night" in new[0]  # one new result page ...
    unchanged = [p for p in first if not p.endswith("index.html")]
    assert all(second[p] == first[p] for p in unchanged)  # ... and no other page rendered again
    index = next(p for p in second if p.endswith("/local_site/index.html"))
    assert "first night" in Path(index).read_text() and "second night" in Path(index).read_text()
    assert build_data_docs(tmp_path) == Path(index)  # nothing new: nothing rendered
    assert {str(p): p.stat().st_mtime_ns for p in Path(index).parent.rglob("*.html")} == second


def test_the_catalog_lists_every_contract_inbound_and_outbound(tmp_path):
    index = build_contract_catalog(tmp_path / "catalog", CONTRACTS_DIR)
    dom = rendered_dom(index)
    for topic in [*default_contracts(), *outbound_contracts()]:
        assert topic in dom, topic


def test_the_catalogs_pages_are_those_datacontract_cli_exports_but_for_their_render_time(tmp_path):
    index = render_contract_catalog(tmp_path / "catalog", CONTRACTS_DIR)

    def undated(html: str) -> str:
        return re.sub(r"\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC", "<date>", html)

    for contract in ["inbound/samr.penalty.v1", "outbound/gigshield.share.hrss.labour_findings.v1"]:
        exported = DataContract(
            data_contract_file=str(CONTRACTS_DIR / f"{contract}.odcs.yaml"), inline_references=True, config=cli_config()
        ).export("html")
        assert isinstance(exported, str)
        page = (index.parent / f"{contract}.odcs.html").read_text(encoding="utf-8")
        assert undated(page) == undated(exported) and undated(page) != page, contract


def test_a_schema_passed_once_is_not_checked_again_during_a_render_but_a_failing_one_always_fails():
    original = vars(Draft201909Validator)["check_schema"]
    checked = []
    valid, invalid = {"type": "object"}, {"type": 12}
    with _schemas_checked_once():
        for _ in range(2):
            Draft201909Validator.check_schema(valid)
            with pytest.raises(SchemaError):
                Draft201909Validator.check_schema(invalid)
            checked.append(vars(Draft201909Validator)["check_schema"] is not original)
    assert checked == [True, True] and vars(Draft201909Validator)["check_schema"] is original
    with pytest.raises(SchemaError):
        Draft201909Validator.check_schema(invalid)


def test_a_changed_added_or_removed_contract_changes_the_catalogs_cache_key(tmp_path):
    contracts = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, contracts)
    key = catalog_key(CONTRACTS_DIR)
    assert catalog_key(contracts) == key  # the contracts' paths and bytes, not where they are
    penalty = contracts / "inbound" / "samr.penalty.v1.odcs.yaml"
    original = penalty.read_bytes()
    penalty.write_bytes(original.replace(b"description:", b"description: changed", 1))
    changed = catalog_key(contracts)
    penalty.write_bytes(original)
    assert changed != key and catalog_key(contracts) == key
    (contracts / "inbound" / "extra.v1.odcs.yaml").write_bytes(original)
    added = catalog_key(contracts)
    (contracts / "inbound" / "extra.v1.odcs.yaml").unlink()
    penalty.unlink()
    assert len({key, changed, added, catalog_key(contracts)}) == 4


def test_the_catalog_is_rendered_once_per_set_of_contracts_and_again_when_one_changes(tmp_path, monkeypatch):
    contracts, cache = tmp_path / "contracts", tmp_path / "cache"
    shutil.copytree(CONTRACTS_DIR, contracts)
    renders = []

    def render(out_dir, contracts_dir):  # stands in for `datacontract catalog`: the contracts as they were
        renders.append(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        texts = sorted(p.read_text() for p in contracts_dir.rglob("*.odcs.yaml"))
        (out_dir / "index.html").write_text("\n".join(texts))
        return out_dir / "index.html"

    monkeypatch.setattr(data_docs, "render_contract_catalog", render)
    first = build_contract_catalog(tmp_path / "night1", contracts, cache).read_text()
    second = build_contract_catalog(tmp_path / "night2", contracts, cache).read_text()
    assert len(renders) == 1 and first == second and "samr.penalty.v1" in first
    penalty = contracts / "inbound" / "samr.penalty.v1.odcs.yaml"
    penalty.write_text(penalty.read_text().replace("description:", "description: CHANGED-IN-TEST", 1))
    key = catalog_key(contracts)
    third = build_contract_catalog(tmp_path / "night3", contracts, cache).read_text()
    assert len(renders) == 2 and "CHANGED-IN-TEST" in third and "CHANGED-IN-TEST" not in first
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == sorted([catalog_key(CONTRACTS_DIR), key])
    # No cache to write (a read-only install): rendered in place every time.
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    build_contract_catalog(tmp_path / "night4", contracts, unwritable / "cache")
    assert renders[-1] == tmp_path / "night4" and len(renders) == 3


def test_stored_validation_results_and_data_docs_keep_counts_but_no_failing_value(broker, tmp_path, feeds):
    day = dt.date(2026, 11, 22)
    records = generate_day(
        build_world(seed=11, workers=60), day, window_start=day, rates=Rates(violation=0, malformed=0)
    ).records
    gx_dir = tmp_path / "gx"
    load_and_validate(broker, tmp_path / "w.duckdb", gx_dir, feeds, REGISTRY, records[REGISTRY], day)
    ledger = [dict(r) for r in records[LEDGER]]
    good_id = ledger[0]["worker_id_number"]
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    bad_phone = "12" + ledger[1]["phone"][2:]  # no mainland mobile number starts with 12
    ledger[0]["worker_id_number"], ledger[1]["phone"] = bad_id, bad_phone
    result = load_and_validate(broker, tmp_path / "w.duckdb", gx_dir, feeds, LEDGER, ledger, day)

    # Quarantine had the whole result in memory: both records, with their reasons.
    assert result.quarantined == 2 and result.status == "released"
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        quarantine = dict(
            con.execute("SELECT payload, reason FROM raw._quarantine WHERE topic = ?", [feeds[LEDGER].topic]).fetchall()
        )
    by_value = {v: r for p, r in quarantine.items() for v in (bad_id, bad_phone) if v in json.loads(p).values()}
    assert "expect_column_values_to_be_valid_resident_id(worker_id_number)" in by_value[bad_id]
    assert "expect_column_values_to_match_regex(phone)" in by_value[bad_phone]

    # An older night's file, stored before results were kept as summaries, still lists a value.
    stored = sorted((gx_dir / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert stored
    old = json.loads(stored[0].read_text())
    old["results"][0]["result"] |= {"unexpected_list": [bad_id], "partial_unexpected_list": [bad_id]}
    stored[0].write_text(json.dumps(old))

    index = build_data_docs(gx_dir)
    files = [p for p in (gx_dir / "gx").rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".json" for p in files)
    for path in files:
        content = path.read_bytes()
        for value in (bad_id, bad_phone):
            assert value.encode() not in content, f"{value} in {path}"

    # The failed expectations and their counts are still there.
    records_results = [json.loads(p.read_text()) for p in stored if f"{feeds[LEDGER].topic}.records" in p.read_text()]
    (ledger_run,) = [doc for doc in records_results if not doc["success"]]
    failed = {
        (r["expectation_config"]["type"], r["expectation_config"]["kwargs"].get("column")): r["result"]
        for r in ledger_run["results"]
        if not r["success"]
    }
    assert failed[("expect_column_values_to_be_valid_resident_id", "worker_id_number")]["unexpected_count"] == 1
    assert failed[("expect_column_values_to_match_regex", "phone")]["unexpected_count"] == 1
    assert all("unexpected_index_list" not in r and "partial_unexpected_list" not in r for r in failed.values())
    (page,) = [p for p in (index.parent / "validations").rglob("*.html") if f"{feeds[LEDGER].topic}.records" in str(p)]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text()))
    for column in ("phone", "worker_id_number"):
        section = text[text.index(f"{column} Status") :]
        assert "1 unexpected values found" in section[: section.index(" Status ", len(column) + 8)], column
