"""SQL that checks feed messages against their contract and casts records to contract types.

Everything is derived from the Contract object, so a field changed in a contract changes
these checks. Messages are parsed once, by DuckDB, into a struct of text values; the checks
then test presence, type and enumeration vectorised. Semantic rules (patterns, ranges, check
digits) are Great Expectations' job, after this structural parse.
"""

from __future__ import annotations

import datetime as dt
import json

from core.contracts import Contract, Field

ENVELOPE_FIELDS = ("message_id", "source_agency", "contract", "contract_version", "produced_at")

_INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


# The column of typed_record_sql that holds a record's problems (contract fields never start with "_").
RECORD_REASON = "_gs_reason"


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def envelope_json_type(contract: Contract) -> str:
    """The from_json() structure of a message: envelope facts and records of text fields."""
    record = {f.name: "VARCHAR" for f in contract.fields}
    shape = {name: "VARCHAR" for name in ENVELOPE_FIELDS} | {"records": [record]}
    return _quote_literal(json.dumps(shape))


def strict_envelope_sql(contract: Contract, value: str = "value") -> str:
    """The message parsed as envelope_json_type when every envelope and record key of the contract is present,
    none of them twice, else NULL: json_transform_strict fails on a missing or repeated known key."""
    return f"try(json_transform_strict({value}, {envelope_json_type(contract)}))"


def keys_sound_sql(contract: Contract, value: str = "value", strict: str = "strict_env") -> str:
    """True when the message provably names no key twice, with one cheap key count instead of
    duplicate_keys_sql's comparisons: `strict` (strict_envelope_sql) holds every known key once, so
    when the envelope and each record have exactly as many keys as the contract, none is unknown or
    repeated. False sends the message to duplicate_keys_sql (a message with extra or missing keys)."""
    per_record = len(contract.fields)
    return (
        f"CASE WHEN {strict} IS NOT NULL THEN coalesce(len(json_keys({value})) = {len(ENVELOPE_FIELDS) + 1} "
        f"AND len(flatten(json_keys({value}, '$.records[*]'))) = {per_record} * len({strict}.records), false) "
        "ELSE false END"
    )


def duplicate_keys_sql(value: str = "value") -> str:
    """True when the envelope or one of its records names a key twice (DuckDB would read the first,
    most JSON libraries the last). Deeper objects are never read by key: a VARCHAR field holding one
    keeps its text verbatim."""
    return (
        f"(len(json_keys({value})) <> list_unique(json_keys({value})) OR "
        f"list_bool_or(list_transform(json_keys({value}, '$.records[*]'), lambda k: len(k) <> list_unique(k))))"
    )


def message_reason_sql(
    contract: Contract, value: str = "value", env: str = "env", keys_sound: str = "keys_sound"
) -> str:
    """Why a message cannot be loaded at all (NULL when its envelope is sound).

    Reads the batch's columns `value` (the text, NULL when not UTF-8), `tombstone`, `empty`,
    `sig_problem` and `signer` (from ingestion.signing, verified in Python), `env`, the message
    parsed by try(from_json(...)) (NULL when the text is not JSON), and `keys_sound` (keys_sound_sql).
    The slower diagnoses are evaluated only for the messages that reach them (CASE is lazy in DuckDB).
    """
    topic = _quote_literal(contract.topic)
    major = _quote_literal(contract.version.split(".")[0])
    if not contract.source_agencies:
        raise ValueError(f"{contract.topic}: the contract names no sourceAgencies, so no message could load")
    agencies = ", ".join(_quote_literal(a) for a in contract.source_agencies)
    return f"""CASE
        WHEN tombstone THEN 'tombstone (null value)'
        WHEN empty THEN 'empty message'
        WHEN sig_problem IS NOT NULL THEN sig_problem
        WHEN {value} IS NULL THEN 'message is not valid UTF-8'
        WHEN {env} IS NULL THEN
            CASE WHEN json_valid({value}) THEN 'envelope is not a JSON object' ELSE 'message is not valid JSON' END
        WHEN NOT {keys_sound} AND {duplicate_keys_sql(value)} THEN 'duplicate JSON keys in the envelope or a record'
        WHEN {env}.message_id IS NULL OR {env}.message_id = '' THEN 'envelope: message_id missing'
        WHEN {env}.contract IS DISTINCT FROM {topic}
            THEN 'envelope: contract ' || coalesce({env}.contract, 'missing') || ' does not match topic ' || {topic}
        WHEN split_part(coalesce({env}.contract_version, ''), '.', 1) <> {major}
            THEN 'envelope: contract_version ' || coalesce({env}.contract_version, 'missing')
                 || ' is not compatible with ' || {_quote_literal(contract.version)}
        WHEN {env}.records IS NULL THEN 'envelope: records is not an array'
        WHEN {env}.produced_at IS NOT NULL AND (NOT regexp_full_match({env}.produced_at, '{TIMESTAMP_PATTERN}')
                                               OR TRY_CAST({env}.produced_at AS TIMESTAMPTZ) IS NULL)
            THEN 'envelope: produced_at is not an ISO-8601 timestamp with an offset'
        WHEN {env}.source_agency IS NULL OR {env}.source_agency NOT IN ({agencies})
            THEN 'envelope: source_agency ' || coalesce({env}.source_agency, 'missing') || ' may not publish to '
                 || {topic}
        WHEN signer IS NOT NULL AND {env}.source_agency <> signer
            THEN 'source_agency ' || {env}.source_agency || ' is not the signer ' || signer
    END"""


# Dates are YYYY-MM-DD; timestamps ISO-8601 / RFC 3339 with an explicit offset (Z or ±hh[:mm]), so
# that no instant depends on the connection's TimeZone. Infinity, other formats and out-of-range
# values are rejected, not cast (DuckDB would read 'infinity' as 9999-12-31 and '2026/11/30' as a date).
DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = "[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?"
NAIVE_TIMESTAMP_PATTERN = DATE_PATTERN + _TIME
TIMESTAMP_PATTERN = NAIVE_TIMESTAMP_PATTERN + "(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _instant(day: dt.date) -> str:
    """A TIMESTAMPTZ literal with an explicit offset: the same instant whatever the session TimeZone."""
    return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"


def _typed(contract: Contract, field: Field, text: str) -> str:
    """The text cast to the field's type, only when it has the form the contract allows (else NULL)."""
    kind = field.physical_type
    if kind == "DATE":
        return f"CASE WHEN regexp_full_match({text}, '{DATE_PATTERN}') THEN TRY_CAST({text} AS DATE) END"
    if kind == "TIMESTAMPTZ":
        zone = contract.naive_zone(field)
        naive = (
            (
                f" WHEN regexp_full_match({text}, '{NAIVE_TIMESTAMP_PATTERN}') "
                f"THEN timezone({_quote_literal(zone)}, TRY_CAST({text} AS TIMESTAMP))"
            )
            if zone
            else ""
        )
        return (
            f"CASE WHEN regexp_full_match({text}, '{TIMESTAMP_PATTERN}') THEN TRY_CAST({text} AS TIMESTAMPTZ)"
            f"{naive} END"
        )
    if kind == "VARCHAR":
        return text
    if kind == "BOOLEAN":  # JSON true/false only: DuckDB would also read 'yes', 't', '1'
        return f"CASE WHEN {text} IN ('true', 'false') THEN {text} = 'true' END"
    return f"TRY_CAST({text} AS {kind})"


def _field_problem(contract: Contract, field: Field, text: str, typed: str) -> str | None:
    """One CASE naming the field's structural problem (NULL when there is none)."""
    kind = field.physical_type

    def says(problem: str) -> str:  # the reason, as a SQL literal naming the field
        return _quote_literal(f"{field.name}: {problem}")

    whens: list[str] = []
    if field.required:
        whens.append(f"WHEN {text} IS NULL THEN {says('required but missing')}")
    if kind in _INTEGER_TYPES:
        whens += [
            f"WHEN NOT regexp_full_match({text}, '-?[0-9]+') THEN {says('not an integer')}",
            f"WHEN {typed} IS NULL THEN {says(f'integer out of range for {kind}')}",
        ]
    elif kind in ("DATE", "TIMESTAMPTZ"):
        low, high = contract.date_range(field)
        what = "date" if kind == "DATE" else "timestamp"
        whens.append(f"WHEN lower({text}) LIKE '%inf%' THEN {says(f'not a finite {what}')}")
        if kind == "DATE":
            whens += [
                f"WHEN NOT regexp_full_match({text}, '{DATE_PATTERN}') THEN {says('not a YYYY-MM-DD date')}",
                f"WHEN {typed} IS NULL THEN {says('not a valid DATE')}",
                f"WHEN {typed} < DATE '{low}' OR {typed} > DATE '{high}' THEN {says(f'outside {low}..{high}')}",
            ]
        else:
            well_formed = f"regexp_full_match({text}, '{TIMESTAMP_PATTERN}')"
            if contract.naive_zone(field):
                well_formed += f" OR regexp_full_match({text}, '{NAIVE_TIMESTAMP_PATTERN}')"
            else:
                whens.append(
                    f"WHEN regexp_full_match({text}, '{NAIVE_TIMESTAMP_PATTERN}') "
                    f"THEN {says('timestamp without an offset (Z or +hh:mm)')}"
                )
            whens += [
                f"WHEN {typed} IS NULL AND NOT ({well_formed}) THEN {says('not an ISO-8601 timestamp with an offset')}",
                f"WHEN {typed} IS NULL THEN {says('not a valid TIMESTAMPTZ')}",
                f"WHEN {typed} < {_instant(low)} OR {typed} >= {_instant(high + dt.timedelta(days=1))} "
                f"THEN {says(f'outside {low}..{high}')}",
            ]
    elif kind in _FLOAT_TYPES:
        whens += [
            f"WHEN {typed} IS NULL THEN {says(f'not a valid {kind}')}",
            f"WHEN NOT isfinite({typed}) THEN {says('not a finite number')}",
        ]
    elif kind.startswith(("DECIMAL", "NUMERIC")):
        whens += [
            f"WHEN {typed} IS NULL AND NOT isfinite(TRY_CAST({text} AS DOUBLE)) THEN {says('not a finite number')}",
            f"WHEN {typed} IS NULL THEN {says(f'not a valid {kind}')}",
            # the cast rounds to the type's scale: 12.345 would load as 12.35 (a changed value)
            f"WHEN TRY_CAST({text} AS DECIMAL(38, 18)) <> {typed} "
            f"THEN {says(f'more decimal places than {kind} keeps (it would be rounded)')}",
        ]
    elif kind != "VARCHAR":
        whens.append(f"WHEN {typed} IS NULL THEN {says(f'not a valid {kind}')}")
    if field.enum:
        allowed = ", ".join(_quote_literal(v) for v in field.enum)
        whens.append(
            f"WHEN {text} NOT IN ({allowed}) "
            f"THEN {says('')} || {text} || {_quote_literal(' is not one of ' + '|'.join(field.enum))}"
        )
    if not whens:
        return None
    if not field.required:  # a missing optional value is no problem; the checks below need a value
        whens.insert(0, f"WHEN {text} IS NULL THEN NULL")
    return "CASE " + " ".join(whens) + " END"


def typed_record_sql(contract: Contract, rec: str = "rec") -> str:
    """Select list: each field cast once to its contract type, then `RECORD_REASON` listing every
    structural problem '; '-joined ('' when the record parses against the contract).
    The reason refers to the typed columns by alias (DuckDB resolves select-list aliases); its own name
    is the loader's (a leading underscore, which no contract field has), so a field called `reason`
    cannot stand in for it."""
    typed = [f"{_typed(contract, f, f'{rec}.{_ident(f.name)}')} AS {_ident(f.name)}" for f in contract.fields]
    problems = [
        p
        for f in contract.fields
        if (p := _field_problem(contract, f, f"{rec}.{_ident(f.name)}", _ident(f.name))) is not None
    ]
    return ",\n    ".join(typed) + ",\n    concat_ws('; ', " + ", ".join(problems) + ") AS " + RECORD_REASON
