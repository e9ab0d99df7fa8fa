"""Which records carry an injected violation, decided by hashing — never by iteration order.

A decision depends only on (seed, kind, business key), so the same record is violating in
every window that contains it and the manifest is reproducible. Clean records are kept
clearly compliant so that every flag the rules raise is attributable to an injection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

KINDS = (
    "wage_arrears",  # unpaid or partly paid after the payday (条例724号 Art.12-14)
    "below_minimum_wage",  # pay under the monthly/hourly minimum (最低工资规定; seeds 000 (六), 001 (六))
    "overtime_no_stop_dispatch",  # > 12 h online and still dispatched (seed 000 (七); Meituan's 12 h forced offline)
    "missing_injury_cover",  # no injury cover for a rider/courier/driver (人社部发〔2021〕110号; seed 002 (三))
    "late_complaint_handling",  # beyond 当日受理、次日对接、3日反馈 (Gaoqing seed 004 (五))
    "deposit_taken",  # 保证金/押金 taken from a worker (all seeds)
    "late_social_insurance",  # registered more than 30 days after starting (社会保险法 Art.58)
)


@dataclass(frozen=True)
class Rates:
    violation: float = 0.02
    malformed: float = 0.005  # extra malformed messages per valid record published


@dataclass(frozen=True)
class Violation:
    kind: str
    employer_uscc: str
    platform_uscc: str | None
    worker_id_number: str | None
    business_key: str
    jurisdiction: str
    observable_from: dt.date  # the first data day on which the rules can see it

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"observable_from": self.observable_from.isoformat()}


def chance(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) fixed by the seed and the parts."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def injected(seed: int, rates: Rates, kind: str, key: str) -> bool:
    return chance(seed, kind, key) < rates.violation
