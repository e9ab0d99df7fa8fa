"""The alert message's contract (contracts/alerts/, ODCS v3) and the check every message passes.

A message is a JSON document, not a table row, so it is checked against the JSON Schema that
datacontract-cli derives from the contract (types, required fields, patterns, enums, formats, and the
nested evidence records) rather than with a Great Expectations suite over a frame.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from datacontract.export.jsonschema_exporter import to_jsonschema
from jsonschema import Draft7Validator

from core.config import CONTRACTS_DIR
from core.contracts import Contract, load_contracts

ALERT_CONTRACTS_DIR = CONTRACTS_DIR / "alerts"
ALERT_CONTRACT_ID = "gigshield.inspectorate_alert.v1"


class InvalidAlert(ValueError):
    """An alert message breaks its contract: it is not put in the outbox."""


@cache
def alert_contract() -> Contract:
    return load_contracts(ALERT_CONTRACTS_DIR)[ALERT_CONTRACT_ID]


@cache
def _validator() -> Draft7Validator:
    contract = alert_contract()
    schema = to_jsonschema(contract.entity, (contract.odcs().schema_ or [])[0])
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def check_message(message: dict[str, Any]) -> None:
    """Raise InvalidAlert, naming every violation, if the message does not meet the contract."""
    errors = sorted(_validator().iter_errors(message), key=lambda e: list(e.absolute_path))
    if errors:
        where = message.get("message_id") or message.get("case_key")
        raise InvalidAlert(
            f"alert {where} violates {ALERT_CONTRACT_ID}: "
            + "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<message>'}: {e.message}" for e in errors)
        )
