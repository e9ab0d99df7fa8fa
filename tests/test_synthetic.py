"""The synthetic agencies: deterministic, contract-shaped, valid identifiers, violations as the manifest says."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from stdnum.cn import ric, uscc

from core.contracts import default_contracts
from devstack.synthetic.feeds import CLEAN_MAX_ONLINE_MINUTES, generate_day, payday
from devstack.synthetic.malformed import RECORD_KINDS
from devstack.synthetic.manifest import Manifest
from devstack.synthetic.publish import messages_for
from devstack.synthetic.violations import Rates
from devstack.synthetic.world import build_world, load_regions
from ingestion.signing import KeyRegistry, verify

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 16)  # the day after the November payday: wage payments are published
RATES = Rates(violation=0.05, malformed=0.01)


@pytest.fixture(scope="module")
def world():
    return build_world(seed=11, workers=600)


@pytest.fixture(scope="module")
def day(world):
    return generate_day(world, DAY, DAY, RATES)


def test_same_seed_same_records_and_a_day_does_not_depend_on_its_window(world, day):
    again = generate_day(build_world(seed=11, workers=600), DAY, DAY, RATES)
    assert again.records == day.records and again.violations == day.violations
    inside_month = generate_day(world, DAY, DAY - dt.timedelta(days=10), RATES)  # not a snapshot day there
    for topic in ("hrss.service_time.v1", "hrss.complaint_event.v1", "court.case.v1", "hrss.inspection_order.v1"):
        assert inside_month.records[topic] == day.records[topic], topic
    other_seed = generate_day(build_world(seed=12, workers=600), DAY, DAY, RATES)
    assert other_seed.records["hrss.service_time.v1"] != day.records["hrss.service_time.v1"]


def test_every_feed_is_published_with_exactly_its_contract_fields(day):
    contracts = default_contracts()
    assert set(day.records) == set(contracts)
    for topic, records in day.records.items():
        names = [f.name for f in contracts[topic].fields]
        assert all(set(r) == set(names) and len(r) == len(names) for r in records), topic
        key = contracts[topic].key
        assert len({r[key] for r in records}) == len(records), f"{topic}: duplicate {key}"


def test_identifiers_pass_their_check_digits_and_regions_are_the_seed_jurisdictions(world, day):
    codes = {r.code for r in load_regions()}
    assert {r.jurisdiction for r in load_regions()} == {"liaoning", "hunan", "wenzhou", "lincang", "gaoqing"}
    for ent in world.enterprises:
        assert uscc.is_valid(ent.uscc) and ent.uscc[2:8] == ent.region.code and ric.is_valid(ent.legal_rep_id)
    assert all(ric.is_valid(e.worker.id_number) for e in world.engagements)
    for records in day.records.values():
        assert all(r["region_code"] in codes for r in records if "region_code" in r)


def test_platforms_have_partners_some_shared_and_some_workers_are_on_two_platforms(world):
    assert any(len(p.platforms) == 2 for p in world.partners)
    per_worker: dict[str, set[str]] = {}
    for e in world.engagements:
        per_worker.setdefault(e.worker.id_number, set()).add(e.platform.uscc)
    assert any(len(platforms) == 2 for platforms in per_worker.values())
    assert {e.role for e in world.engagements} >= {"platform_self", "labour_dispatch"}


def test_injected_violations_are_in_the_records_and_clean_records_are_clean(day):
    found = {v.kind for v in day.violations}
    assert {
        "wage_arrears",
        "below_minimum_wage",
        "overtime_no_stop_dispatch",
        "missing_injury_cover",
        "deposit_taken",
        "late_social_insurance",
    } <= found
    arrears = {
        (v.employer_uscc, v.worker_id_number, v.business_key) for v in day.violations if v.kind == "wage_arrears"
    }
    for p in day.records["hrss.wage_payment.v1"]:
        owed = (p["payer_uscc"], p["worker_id_number"], p["pay_period"]) in arrears
        assert (p["amount_paid"] < p["amount_due"]) == owed
        assert p["due_date"] == payday(dt.date.fromisoformat(p["period_start"])).isoformat()
    overtime = {(v.platform_uscc, v.worker_id_number) for v in day.violations if v.kind == "overtime_no_stop_dispatch"}
    for s in day.records["hrss.service_time.v1"]:
        flagged = (s["platform_uscc"], s["worker_id_number"]) in overtime
        assert (s["online_minutes"] > 720) == flagged
        assert flagged or s["online_minutes"] <= CLEAN_MAX_ONLINE_MINUTES
    no_cover = {
        (v.employer_uscc, v.platform_uscc, v.worker_id_number)
        for v in day.violations
        if v.kind == "missing_injury_cover"
    }
    for line in day.records["hrss.employment_ledger.v1"]:
        key = (line["employer_uscc"], line["platform_uscc"], line["worker_id_number"])
        assert (line["injury_cover"] == "none") == (key in no_cover)


def test_late_complaint_handling_is_injected_and_observable_after_its_deadline(world):
    manifest = Manifest.start(seed=11, workers=600, start=DAY, end=DAY, rates=RATES, mode="auto")
    for offset in range(20):
        manifest.add_violations(
            generate_day(world, DAY + dt.timedelta(days=offset), DAY, Rates(violation=0.2)).violations
        )
    late = [v for v in manifest.violations.values() if v.kind == "late_complaint_handling"]
    assert late and all(v.observable_from > DAY for v in late)


def test_malformed_messages_are_extra_and_listed_in_the_manifest(world, day):
    contract = default_contracts()["hrss.service_time.v1"]
    manifest = Manifest.start(seed=11, workers=600, start=DAY, end=DAY, rates=RATES, mode="auto")
    records = day.records[contract.topic]
    values = [v for _, v, _ in messages_for(contract, records, DAY, 11, 600, 1000, RATES, manifest)]
    valid = -(-len(records) // 1000)
    assert len(values) == valid + len(manifest.malformed)
    assert abs(len(manifest.malformed) - RATES.malformed * len(records)) <= 1
    for bad in manifest.malformed:
        if bad.kind in RECORD_KINDS:
            assert len(json.loads(bad.value)["records"]) == 1
    assert manifest.records[contract.topic] == len(records)


def test_every_message_is_signed_by_the_agency_its_envelope_names_and_its_contract_allows(day):
    """Complaints received through the union come from 总工会; penalties from the authority that imposed them."""
    registry = KeyRegistry.load(trust_development_keys=True)
    contracts = default_contracts()
    senders: dict[str, set[str]] = {}
    for topic, records in day.records.items():
        contract = contracts[topic]
        manifest = Manifest.start(seed=11, workers=600, start=DAY, end=DAY, rates=RATES, mode="auto")
        per_message = 1000 if contract.delivery == "bulk" else 1
        for _, value, headers in messages_for(contract, records, DAY, 11, 600, per_message, RATES, manifest):
            signer, problem = verify(registry, headers, value, DAY)
            assert problem is None, (topic, problem)
            assert signer in contract.source_agencies, (topic, signer)
            if value.startswith(b"{") and value.endswith(b"}"):  # not the truncated malformed ones
                envelope = json.loads(value)
                assert envelope["source_agency"] == signer
                for record in envelope.get("records", []):
                    if topic == "hrss.complaint_event.v1" and "channel" in record:
                        assert (record["channel"] == "union") == (signer == "unions")
                    if topic == "samr.penalty.v1" and "authority" in record:
                        assert record["authority"] == signer
            senders.setdefault(topic, set()).add(signer)
    assert senders["hrss.complaint_event.v1"] == {"hrss", "unions"}
