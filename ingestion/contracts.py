"""The feed contracts (ODCS v3 YAML in contracts/), read once into plain, typed objects.

A contract is the single source of truth for a feed: the loader's raw tables and record
checks, the dbt sources, the GX suites and the generator all derive from these objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from open_data_contract_standard.model import CustomProperty, OpenDataContractStandard, SchemaProperty

from ingestion.config import CONTRACTS_DIR, OUTBOUND_CONTRACTS_DIR

CONTRACT_SUFFIX = ".odcs.yaml"
RAW_SCHEMA = "raw"


def _custom(props: list[CustomProperty] | None) -> dict[str, Any]:
    return {p.property: p.value for p in props or [] if p.property}


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


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

    @classmethod
    def from_odcs(cls, prop: SchemaProperty) -> "Field":
        options = prop.logicalTypeOptions or {}
        custom = _custom(prop.customProperties)
        enum = next(
            (tuple(q.arguments["validValues"]) for q in prop.quality or []
             if q.metric == "invalidValues" and q.arguments and "validValues" in q.arguments),
            None,
        )
        max_null_percent = next(
            (float(q.mustBeLessThan) for q in prop.quality or []
             if q.metric == "nullValues" and q.mustBeLessThan is not None and q.unit == "percent"),
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
        )


# The one shape of SQL quality rule the contracts use: count the violating rows, there must be none.
_SQL_RULE = re.compile(r"^\s*SELECT\s+COUNT\(\*\)\s+FROM\s+\w+\s+WHERE\s+(?P<condition>.+?)\s*;?\s*$",
                       re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class SqlRule:
    """A record-level `type: sql` quality rule: `SELECT COUNT(*) FROM <model> WHERE <violation>`, mustBe 0."""

    description: str
    violation: str  # SQL condition true for a violating record
    columns: tuple[str, ...]  # the contract fields it reads

    @classmethod
    def from_odcs(cls, query: str, description: str, field_names: list[str], where: str) -> "SqlRule":
        match = _SQL_RULE.match(query)
        if not match:
            raise ValueError(f"{where}: sql quality rule must be 'SELECT COUNT(*) FROM <model> WHERE <condition>' "
                             f"with mustBe: 0, got {query!r}")
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

    @classmethod
    def from_file(cls, path: Path) -> "Contract":
        odcs = OpenDataContractStandard.from_file(str(path))
        if not odcs.schema_ or len(odcs.schema_) != 1:
            raise ValueError(f"{path.name}: a feed contract has exactly one schema object")
        obj = odcs.schema_[0]
        if odcs.id is None or not path.name == f"{odcs.id}{CONTRACT_SUFFIX}":
            raise ValueError(f"{path.name}: file name must be <id>{CONTRACT_SUFFIX} (id {odcs.id!r})")
        fields = tuple(Field.from_odcs(p) for p in obj.properties or [])
        custom = _custom(odcs.customProperties)
        row_count_floor = next((int(q.mustBeGreaterThan) + 1 for q in obj.quality or []
                                if q.metric == "rowCount" and q.mustBeGreaterThan is not None), 0)
        sql_rules = tuple(
            SqlRule.from_odcs(q.query, (q.description or "").strip(), [f.name for f in fields], path.name)
            for q in obj.quality or [] if q.type == "sql" and q.query and q.mustBe == 0)
        if not any(f.unique for f in fields):
            raise ValueError(f"{path.name}: no primaryKey/unique field")
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
            document=odcs,
        )

    def odcs(self) -> OpenDataContractStandard:
        """The full ODCS document, as it was when the contract was loaded."""
        if self.document is None:
            raise ValueError(f"{self.topic}: contract was not loaded from a file")
        return self.document


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """All feed contracts in a folder, by topic."""
    contracts = [Contract.from_file(p) for p in sorted(directory.glob(f"*{CONTRACT_SUFFIX}"))]
    return {c.topic: c for c in contracts}


@cache
def default_contracts() -> dict[str, Contract]:
    """The project's committed feed contracts (cached: they do not change while a process runs)."""
    return load_contracts(CONTRACTS_DIR)


@cache
def outbound_contracts() -> dict[str, Contract]:
    """The contracts of the datasets Gigshield publishes (contracts/outbound/), by dataset id."""
    return load_contracts(OUTBOUND_CONTRACTS_DIR)
