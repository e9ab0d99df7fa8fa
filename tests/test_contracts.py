"""The contracts are valid ODCS, follow the house conventions, and drive the dbt sources."""

from __future__ import annotations

import pytest
from datacontract.data_contract import DataContract

from core.config import CONTRACTS_DIR
from core.contracts import default_contracts, outbound_contracts
from transform import sources_yaml

pytestmark = pytest.mark.unit

FEEDS = sorted(default_contracts())
OUTBOUND = sorted(outbound_contracts())


def test_the_feeds_the_rules_need_are_all_there():
    assert (
        sorted(
            [
                "samr.enterprise.v1",
                "samr.penalty.v1",
                "transport.licence.v1",
                "emergency.safety_incident.v1",
                "nhsa.medical_enrolment.v1",
                "hrss.employment_ledger.v1",
                "hrss.wage_payment.v1",
                "hrss.service_time.v1",
                "hrss.complaint_event.v1",
                "hrss.complaint_event.v2",  # assigned and handled (a wider enum); v1 still read while producers migrate
                "court.case.v1",
                "hrss.inspection_order.v1",
                "hrss.blacklist_case_event.v1",
                "hrss.unpaid_worker_roster.v1",
            ]
        )
        == FEEDS
    )


@pytest.mark.parametrize(
    "path", [f"inbound/{t}.odcs.yaml" for t in FEEDS] + [f"outbound/{d}.odcs.yaml" for d in OUTBOUND]
)
def test_datacontract_lint_passes(path):
    result = DataContract(data_contract_file=str(CONTRACTS_DIR / path)).lint()
    assert result.result.value == "passed", [c.reason for c in result.checks]


@pytest.mark.parametrize("topic", FEEDS)
def test_conventions(topic):
    contract = default_contracts()[topic]
    assert topic.endswith(".v" + contract.version.split(".")[0]), "topic version is the contract's major version"
    major = contract.version.split(".")[0]
    # A new major version lands in its own raw table beside the old one (both are read while producers migrate).
    assert contract.table == f"{contract.agency}__{contract.entity}" + ("" if major == "1" else f"_v{major}")
    assert contract.delivery in ("bulk", "event")
    for field in contract.fields:
        assert field.description, f"{field.name} is undocumented"
        assert not field.name.startswith("_"), f"{field.name}: a leading underscore is the loader's (raw metadata)"
        if field.pii:
            assert field.classification == "restricted", field.name
        if field.check == "uscc" or field.check == "ric":
            assert field.pattern, field.name


def test_dbt_sources_are_generated_from_the_contracts():
    assert sources_yaml.main(["--check"]) == 0
