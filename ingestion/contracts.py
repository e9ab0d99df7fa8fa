"""The feed contracts (ODCS v3 YAML in contracts/), read once into plain, typed objects.

A contract is the single source of truth for a feed: the loader's raw tables and record
checks, the dbt sources, the GX suites and the generator all derive from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from open_data_contract_standard.model import CustomProperty, OpenDataContractStandard, SchemaProperty

from ingestion.config import CONTRACTS_DIR

CONTRACT_SUFFIX = ".odcs.yaml"
RAW_SCHEMA = "raw"


def _custom(props: list[CustomProperty] | None) -> dict[str, Any]:
    return {p.property: p.value for p in props or [] if p.property}


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

    @classmethod
    def from_odcs(cls, prop: SchemaProperty) -> "Field":
        options = prop.logicalTypeOptions or {}
        custom = _custom(prop.customProperties)
        enum = next(
            (tuple(q.arguments["validValues"]) for q in prop.quality or []
             if q.metric == "invalidValues" and q.arguments and "validValues" in q.arguments),
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
        )


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

    @property
    def qualified_table(self) -> str:
        return f"{RAW_SCHEMA}.{self.table}"

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
        if not any(f.unique for f in fields):
            raise ValueError(f"{path.name}: no primaryKey/unique field")
        return cls(
            topic=odcs.id,
            version=odcs.version or "",
            name=odcs.name or odcs.id,
            agency=odcs.domain or odcs.id.split(".")[0],
            entity=obj.name or "",
            table=obj.physicalName or "",
            delivery=str(_custom(odcs.customProperties).get("delivery", "event")),
            description=(odcs.description.purpose if odcs.description and odcs.description.purpose else "").strip(),
            fields=fields,
            path=path,
        )


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """All feed contracts in a folder, by topic."""
    contracts = [Contract.from_file(p) for p in sorted(directory.glob(f"*{CONTRACT_SUFFIX}"))]
    return {c.topic: c for c in contracts}


@cache
def default_contracts() -> dict[str, Contract]:
    """The project's committed contracts (cached: they do not change while a process runs)."""
    return load_contracts(CONTRACTS_DIR)
