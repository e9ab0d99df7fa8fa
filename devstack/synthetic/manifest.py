"""The ground truth of a synthetic window: what was published, injected and malformed."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.synthetic.malformed import Malformed
from devstack.synthetic.violations import Rates, Violation


@dataclass
class Manifest:
    parameters: dict[str, object]
    messages: dict[str, int] = field(default_factory=dict)  # per topic, malformed included
    records: dict[str, int] = field(default_factory=dict)  # valid records per topic
    violations: dict[tuple[str, ...], Violation] = field(default_factory=dict)
    malformed: list[Malformed] = field(default_factory=list)

    @classmethod
    def start(cls, *, seed: int, workers: int, start: dt.date, end: dt.date, rates: Rates, mode: str) -> Manifest:
        return cls(
            {
                "seed": seed,
                "workers": workers,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "mode": mode,
                **asdict(rates),
            }
        )

    def count(self, topic: str, messages: int, records: int) -> None:
        self.messages[topic] = self.messages.get(topic, 0) + messages
        self.records[topic] = self.records.get(topic, 0) + records

    def add_violations(self, violations: list[Violation]) -> None:
        """Keep one entry per violation: snapshots repeat them, the first sighting counts."""
        for v in violations:
            key = (v.kind, v.employer_uscc, v.platform_uscc or "", v.worker_id_number or "", v.business_key)
            if key not in self.violations or v.observable_from < self.violations[key].observable_from:
                self.violations[key] = v

    def add_malformed(self, bad: Malformed) -> None:
        self.malformed.append(bad)

    def as_json(self) -> dict[str, object]:
        return {
            "parameters": self.parameters,
            "topics": {t: {"messages": self.messages[t], "records": self.records[t]} for t in sorted(self.messages)},
            "violations": [
                v.as_json()
                for v in sorted(
                    self.violations.values(),
                    key=lambda v: (v.kind, v.business_key, v.employer_uscc, v.worker_id_number or ""),
                )
            ],
            "malformed": [
                {"topic": m.topic, "message_id": m.message_id, "record_index": m.record_index, "kind": m.kind}
                for m in self.malformed
            ],
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
