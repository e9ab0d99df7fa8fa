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
    # > 660 working minutes (8 h + 3 h, 劳动法 Art.36/41) and still dispatched: the platform's (seed 000 (七))
    "overtime_no_stop_dispatch",
    # a labour contract without work-injury insurance (工伤保险条例 Art.2), or an order-taker without a labour
    # contract without occupational-injury cover where the pilot binds the platform (人社部发〔2025〕24号)
    "missing_injury_cover",
    "late_injury_insurance",  # work-injury insurance registered more than 30 days after starting (社会保险法 Art.58)
    "occupational_injury_orders_uncovered",  # a pilot platform's orders not all insured (每单必保), booked to it
    "holiday_work_without_premium",  # statutory-holiday work paid under 300% (劳动法 Art.44(三))
    "rest_day_work_without_premium",  # rest-day work paid under 200%, no time off in lieu (劳动法 Art.44(二))
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
