"""The feed contracts (ODCS v3 YAML in contracts/), read once into plain, typed objects.

A contract is the single source of truth for a feed: the loader's raw tables and record
checks, the dbt sources, the GX suites and the generator all derive from these objects.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config import INBOUND_CONTRACTS_DIR, OUTBOUND_CONTRACTS_DIR

if TYPE_CHECKING:  # pydantic's ODCS models take a second to import: only where a contract is read
    from open_data_contract_standard.model import CustomProperty, OpenDataContractStandard, SchemaProperty

CONTRACT_SUFFIX = ".odcs.yaml"
RAW_SCHEMA = "raw"
# Dates and timestamps outside this range are rejected by the loader unless a contract sets its own
# (customProperties minDate / maxDate, on the contract or on one field).
DEFAULT_MIN_DATE = dt.date(1900, 1, 1)
DEFAULT_MAX_DATE = dt.date(2100, 12, 31)


def _custom(props: list[CustomProperty] | None) -> dict[str, Any]:
    return {p.property: p.value for p in props or [] if p.property}


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_date(value: Any, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: not a YYYY-MM-DD date: {value!r}") from None


def _optional_zone(value: Any, where: str) -> str | None:
    """An IANA time zone name (naive timestamps are read in it), checked against the zone database."""
    if value is None:
        return None
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{where}: unknown time zone {value!r}") from None
    return str(value)


@dataclass(frozen=True)
class Field:
    """One property of a feed record."""

    name: str
    logical_type: str
    physical_type: str
    required: bool
    unique: bool
    description: str
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    classification: str | None = None
    check: str | None = None
    pii: str | None = None
    references: str | None = None
    max_null_percent: float | None = None
    # Loader checks of dates and timestamps (customProperties minDate, maxDate, naiveTimestampZone);
    # unset here means the contract's setting applies.
    min_date: dt.date | None = None
    max_date: dt.date | None = None
    naive_timestamp_zone: str | None = None

    @classmethod
    def from_odcs(cls, prop: SchemaProperty) -> Field:
        options = prop.logicalTypeOptions or {}
        custom = _custom(prop.customProperties)
        enum = next(
            (
                tuple(q.arguments["validValues"])
                for q in prop.quality or []
                if q.metric == "invalidValues" and q.arguments and "validValues" in q.arguments
            ),
            None,
        )
        max_null_percent = next(
            (
                float(q.mustBeLessThan)
                for q in prop.quality or []
                if q.metric == "nullValues" and q.mustBeLessThan is not None and q.unit == "percent"
            ),
            None,
        )
        if not prop.name or not prop.physicalType or not prop.logicalType:
            raise ValueError(f"property {prop.name!r} needs name, logicalType and physicalType")
        return cls(
            name=prop.name,
            logical_type=prop.logicalType,
            physical_type=prop.physicalType.upper(),
            required=bool(prop.required),
            unique=bool(prop.unique or prop.primaryKey),
            description=(prop.description or "").strip(),
            pattern=options.get("pattern"),
            minimum=options.get("minimum"),
            maximum=options.get("maximum"),
            enum=enum,
            classification=prop.classification,
            check=custom.get("check"),
            pii=custom.get("pii"),
            references=custom.get("references"),
            max_null_percent=max_null_percent,
            min_date=_optional_date(custom.get("minDate"), f"{prop.name} minDate"),
            max_date=_optional_date(custom.get("maxDate"), f"{prop.name} maxDate"),
            naive_timestamp_zone=_optional_zone(custom.get("naiveTimestampZone"), f"{prop.name} naiveTimestampZone"),
        )


# Table and field names become SQL identifiers: only plain names (a schema may prefix a table).
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


# The one shape of SQL quality rule the contracts use: count the violating rows, there must be none.
_SQL_RULE = re.compile(
    r"^\s*SELECT\s+COUNT\(\*\)\s+FROM\s+\w+\s+WHERE\s+(?P<condition>.+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class SqlRule:
    """A record-level `type: sql` quality rule: `SELECT COUNT(*) FROM <model> WHERE <violation>`, mustBe 0."""

    description: str
    violation: str  # SQL condition true for a violating record
    columns: tuple[str, ...]  # the contract fields it reads

    @classmethod
    def from_odcs(cls, query: str, description: str, field_names: list[str], where: str) -> SqlRule:
        match = _SQL_RULE.match(query)
        if not match:
            raise ValueError(
                f"{where}: sql quality rule must be 'SELECT COUNT(*) FROM <model> WHERE <condition>' "
                f"with mustBe: 0, got {query!r}"
            )
        violation = match["condition"]
        columns = tuple(f for f in field_names if re.search(rf"\b{re.escape(f)}\b", violation))
        return cls(description=description, violation=violation, columns=columns)


@dataclass(frozen=True)
class Contract:
    """A feed: its topic, the raw table it lands in, and its record fields."""

    topic: str
    version: str
    name: str
    agency: str
    entity: str
    table: str
    delivery: str
    description: str
    fields: tuple[Field, ...]
    path: Path
    # Batch-level thresholds (contract customProperties / schema quality): see expectations.suites.
    min_rows: int = 0
    min_volume_ratio: float | None = None
    min_reference_match_rate: float | None = None
    sql_rules: tuple[SqlRule, ...] = ()
    # Agencies that may publish to the topic (customProperty sourceAgencies): the loader quarantines a
    # message whose envelope names another agency, or whose signer is not the agency it names.
    source_agencies: tuple[str, ...] = ()
    # Dates and timestamps outside [min_date, max_date] are rejected (customProperties minDate, maxDate);
    # naive timestamps (no offset) are rejected unless a zone is declared (naiveTimestampZone).
    min_date: dt.date = DEFAULT_MIN_DATE
    max_date: dt.date = DEFAULT_MAX_DATE
    naive_timestamp_zone: str | None = None
    # The whole ODCS document as loaded, for exporters that take it whole (not part of equality).
    document: OpenDataContractStandard | None = field(default=None, compare=False, repr=False)

    @property
    def qualified_table(self) -> str:
        """Feeds land in raw.<physicalName>; outbound contracts name their schema (marts.dim_enterprise)."""
        return self.table if "." in self.table else f"{RAW_SCHEMA}.{self.table}"

    @property
    def key(self) -> str:
        return next(f.name for f in self.fields if f.unique)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def date_range(self, field: Field) -> tuple[dt.date, dt.date]:
        """The dates (and days of timestamps) the loader accepts in a field."""
        return field.min_date or self.min_date, field.max_date or self.max_date

    def naive_zone(self, field: Field) -> str | None:
        """The zone naive timestamps of a field are read in; None: they are rejected."""
        return field.naive_timestamp_zone or self.naive_timestamp_zone

    @classmethod
    def from_file(cls, path: Path) -> Contract:
        from open_data_contract_standard.model import OpenDataContractStandard

        odcs = OpenDataContractStandard.from_file(str(path))
        if not odcs.schema_ or len(odcs.schema_) != 1:
            raise ValueError(f"{path.name}: a feed contract has exactly one schema object")
        obj = odcs.schema_[0]
        if odcs.id is None or not path.name == f"{odcs.id}{CONTRACT_SUFFIX}":
            raise ValueError(f"{path.name}: file name must be <id>{CONTRACT_SUFFIX} (id {odcs.id!r})")
        fields = tuple(Field.from_odcs(p) for p in obj.properties or [])
        bad_names = [f.name for f in fields if not _IDENTIFIER.fullmatch(f.name)]
        if bad_names or not _TABLE.fullmatch(obj.physicalName or ""):
            raise ValueError(
                f"{path.name}: physicalName and property names must be plain SQL identifiers, got "
                f"{obj.physicalName!r} {bad_names}"
            )
        custom = _custom(odcs.customProperties)
        row_count_floor = next(
            (
                int(q.mustBeGreaterThan) + 1
                for q in obj.quality or []
                if q.metric == "rowCount" and q.mustBeGreaterThan is not None
            ),
            0,
        )
        sql_rules = tuple(
            SqlRule.from_odcs(q.query, (q.description or "").strip(), [f.name for f in fields], path.name)
            for q in obj.quality or []
            if q.type == "sql" and q.query and q.mustBe == 0
        )
        if not any(f.unique for f in fields):
            raise ValueError(f"{path.name}: no primaryKey/unique field")
        agencies = custom.get("sourceAgencies") or ()
        if isinstance(agencies, str) or not all(isinstance(a, str) and a for a in agencies):
            raise ValueError(f"{path.name}: sourceAgencies is a list of agency names, got {agencies!r}")
        min_date = _optional_date(custom.get("minDate"), f"{path.name} minDate") or DEFAULT_MIN_DATE
        max_date = _optional_date(custom.get("maxDate"), f"{path.name} maxDate") or DEFAULT_MAX_DATE
        return cls(
            topic=odcs.id,
            version=odcs.version or "",
            name=odcs.name or odcs.id,
            agency=odcs.domain or odcs.id.split(".")[0],
            entity=obj.name or "",
            table=obj.physicalName or "",
            delivery=str(custom.get("delivery", "event")),
            description=(odcs.description.purpose if odcs.description and odcs.description.purpose else "").strip(),
            fields=fields,
            path=path,
            min_rows=row_count_floor,
            min_volume_ratio=_optional_float(custom.get("minVolumeRatio")),
            min_reference_match_rate=_optional_float(custom.get("minReferenceMatchRate")),
            sql_rules=sql_rules,
            source_agencies=tuple(agencies),
            min_date=min_date,
            max_date=max_date,
            naive_timestamp_zone=_optional_zone(custom.get("naiveTimestampZone"), f"{path.name} naiveTimestampZone"),
            document=odcs,
        )

    def odcs(self) -> OpenDataContractStandard:
        """The full ODCS document, as it was when the contract was loaded."""
        if self.document is None:
            raise ValueError(f"{self.topic}: contract was not loaded from a file")
        return self.document


def contract_ids(directory: Path = INBOUND_CONTRACTS_DIR) -> list[str]:
    """The ids (topics, dataset ids) of the contracts in a folder, from their file names alone
    (Contract.from_file holds every file to <id>.odcs.yaml): for the DAG's task lists, which need
    no contract read."""
    return sorted(p.name.removesuffix(CONTRACT_SUFFIX) for p in directory.glob(f"*{CONTRACT_SUFFIX}"))


def load_contracts(directory: Path = INBOUND_CONTRACTS_DIR) -> dict[str, Contract]:
    """All feed contracts in a folder, by topic."""
    contracts = [Contract.from_file(p) for p in sorted(directory.glob(f"*{CONTRACT_SUFFIX}"))]
    return {c.topic: c for c in contracts}


@cache
def default_contracts() -> dict[str, Contract]:
    """The project's committed feed contracts (cached: they do not change while a process runs)."""
    return load_contracts(INBOUND_CONTRACTS_DIR)


@cache
def outbound_contracts() -> dict[str, Contract]:
    """The contracts of the datasets Gigshield publishes (contracts/outbound/), by dataset id."""
    return load_contracts(OUTBOUND_CONTRACTS_DIR)
