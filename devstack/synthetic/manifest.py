"""The ground truth of a synthetic window: what was published, injected and malformed, and the blacklist
cases with the acts published on them and the status each must have by the window's last day."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.synthetic.cases import EVENT_TOPIC, Case
from devstack.synthetic.feeds import DayOutput
from devstack.synthetic.malformed import Malformed
from devstack.synthetic.violations import Rates, Violation
from devstack.synthetic.world import Record


@dataclass
class Manifest:
    parameters: dict[str, object]
    messages: dict[str, int] = field(default_factory=dict)  # per topic, malformed included
    records: dict[str, int] = field(default_factory=dict)  # valid records per topic
    violations: dict[tuple[str, ...], Violation] = field(default_factory=dict)
    malformed: list[Malformed] = field(default_factory=list)
    cases: dict[str, Case] = field(default_factory=dict)  # by order_id: every case the window's feeds touch
    case_acts: dict[str, list[Record]] = field(default_factory=dict)  # by order_id: the act records published

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

    def add_cases(self, cases: dict[str, Case], acts: list[Record]) -> None:
        """A day's cases and the act records it published on them."""
        self.cases.update(cases)
        for act in acts:
            self.case_acts.setdefault(str(act["order_id"]), []).append(act)

    def add_day(self, output: DayOutput) -> None:
        """What one generated day adds to the truth (its violations and cases)."""
        self.add_violations(output.violations)
        self.add_cases(output.cases, output.records.get(EVENT_TOPIC, []))

    def blacklist_cases(self) -> list[dict[str, object]]:
        start, end = (dt.date.fromisoformat(str(self.parameters[k])) for k in ("start", "end"))
        return [self.cases[o].truth(start, end, self.case_acts.get(o, [])) for o in sorted(self.cases)]

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
            "blacklist_cases": self.blacklist_cases(),
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
