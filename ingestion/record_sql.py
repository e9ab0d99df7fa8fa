"""SQL that checks feed messages against their contract and casts records to contract types.

Everything is derived from the Contract object, so a field changed in a contract changes
these checks. Messages are parsed once, by DuckDB, into a struct of text values; the checks
then test presence, type and enumeration vectorised. Semantic rules (patterns, ranges, check
digits) are Great Expectations' job, after this structural parse.
"""

from __future__ import annotations

import json

from ingestion.contracts import Contract, Field

ENVELOPE_FIELDS = ("message_id", "source_agency", "contract", "contract_version", "produced_at")

_INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def envelope_json_type(contract: Contract) -> str:
    """The from_json() structure of a message: envelope facts and records of text fields."""
    record = {f.name: "VARCHAR" for f in contract.fields}
    shape = {name: "VARCHAR" for name in ENVELOPE_FIELDS} | {"records": [record]}
    return _quote_literal(json.dumps(shape))


def message_reason_sql(contract: Contract, value: str = "value", env: str = "env") -> str:
    """Why a message cannot be loaded at all (NULL when its envelope is sound).

    `env` is the message parsed by try(from_json(...)): NULL when the text is not JSON. The
    json_valid diagnosis is evaluated only for such messages (CASE is lazy in DuckDB).
    """
    topic = _quote_literal(contract.topic)
    major = _quote_literal(contract.version.split(".")[0])
    return f"""CASE
        WHEN {env} IS NULL THEN
            CASE WHEN json_valid({value}) THEN 'envelope is not a JSON object' ELSE 'message is not valid JSON' END
        WHEN {env}.message_id IS NULL OR {env}.message_id = '' THEN 'envelope: message_id missing'
        WHEN {env}.contract IS DISTINCT FROM {topic}
            THEN 'envelope: contract ' || coalesce({env}.contract, 'missing') || ' does not match topic ' || {topic}
        WHEN split_part(coalesce({env}.contract_version, ''), '.', 1) <> {major}
            THEN 'envelope: contract_version ' || coalesce({env}.contract_version, 'missing')
                 || ' is not compatible with ' || {_quote_literal(contract.version)}
        WHEN {env}.records IS NULL THEN 'envelope: records is not an array'
    END"""


def _field_problems(field: Field, text: str, typed: str) -> list[str]:
    name = field.name
    checks: list[str] = []
    if field.required:
        checks.append(f"CASE WHEN {text} IS NULL THEN '{name}: required but missing' END")
    if field.physical_type in _INTEGER_TYPES:
        checks.append(
            f"CASE WHEN {text} IS NOT NULL AND NOT regexp_full_match({text}, '-?[0-9]+') "
            f"THEN '{name}: not an integer' END"
        )
    elif field.physical_type != "VARCHAR":
        checks.append(
            f"CASE WHEN {text} IS NOT NULL AND {typed} IS NULL "
            f"THEN '{name}: not a valid {field.physical_type}' END"
        )
    if field.enum:
        allowed = ", ".join(_quote_literal(v) for v in field.enum)
        checks.append(
            f"CASE WHEN {text} IS NOT NULL AND {text} NOT IN ({allowed}) "
            f"THEN '{name}: ' || {text} || ' is not one of {'|'.join(field.enum)}' END"
        )
    return checks


def typed_record_sql(contract: Contract, rec: str = "rec") -> str:
    """Select list: each field cast once to its contract type, then `reason` listing every
    structural problem '; '-joined ('' when the record parses against the contract).
    The reason refers to the typed columns by alias (DuckDB resolves select-list aliases)."""
    typed = [f'TRY_CAST({rec}."{f.name}" AS {f.physical_type}) AS "{f.name}"' for f in contract.fields]
    problems = [p for f in contract.fields for p in _field_problems(f, f'{rec}."{f.name}"', f'"{f.name}"')]
    return ",\n    ".join(typed) + ",\n    concat_ws('; ', " + ", ".join(problems) + ") AS reason"
