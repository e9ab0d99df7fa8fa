"""Malformed messages, as agencies sometimes send them, added beside the valid traffic.

They are extra messages: no valid record is lost or altered, so the injected violations stay
recoverable, and every malformed message is listed in the manifest with its kind.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from core.contracts import Contract

MESSAGE_KINDS = ("not_json", "bad_envelope", "wrong_contract")
RECORD_KINDS = ("bad_type", "missing_required", "bad_enum")


@dataclass(frozen=True)
class Malformed:
    topic: str
    message_id: str
    record_index: int | None  # None: the whole message is unusable
    kind: str
    value: bytes


def malformed_message(
    contract: Contract, envelope: dict[str, object], template: dict[str, object], message_id: str, rng: random.Random
) -> Malformed:
    """One malformed message for a topic, derived from a valid record of it."""
    kinds = MESSAGE_KINDS + RECORD_KINDS
    kind = kinds[rng.randrange(len(kinds))]
    if kind == "bad_enum" and not any(f.enum for f in contract.fields):
        kind = "bad_type"
    record = dict(template) | {contract.key: f"{template[contract.key]}:malformed:{message_id[:8]}"}
    if kind == "bad_type":
        typed = [f for f in contract.fields if f.physical_type != "VARCHAR" and f.required]
        record[rng.choice(typed).name] = "not-a-value"
    elif kind == "missing_required":
        record.pop(rng.choice([f.name for f in contract.fields if f.required and f.name != contract.key]))
    elif kind == "bad_enum":
        record[rng.choice([f for f in contract.fields if f.enum]).name] = "unknown_value"
    env = dict(envelope) | {"message_id": message_id, "records": [record]}
    if kind == "bad_envelope":
        env.pop("records")
    elif kind == "wrong_contract":
        env["contract"] = "unknown.topic.v1"
    value = json.dumps(env, ensure_ascii=False).encode()
    if kind == "not_json":
        value = value[: len(value) // 2]
    return Malformed(contract.topic, message_id, 0 if kind in RECORD_KINDS else None, kind, value)
