"""Orders to pay (责令限期支付), the list of workers owed under each (欠薪花名册) and the blacklist's criteria.

An order's own fields are drawn exactly as before rosters existed (one random.Random per issue day,
the same draws in the same order), so the orders feed did not change; what is new comes from seeds of
its own: the instalments some overdue orders paid before their deadline, each order's roster lines,
and a few extra orders whose roster has one worker owed far more than the rest (法释〔2013〕3号 Art.3(一)
is then met by that worker, not by the average). Amounts are kept in cents so that the roster's lines
add up to the order exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from devstack.synthetic.violations import chance
from devstack.synthetic.world import Enterprise, Worker, World, read_seed

ORDER_DEADLINE_DAYS = 15
ORDERS_PER_ENGAGEMENTS = 3000  # one order a day per this many engagements (at least one)
COMPLIED_RATE = 0.75
INSTALMENT_RATE = 0.3  # overdue orders that paid part of the arrears by the deadline
INSTALMENT_SHARE = (0.1, 0.5)
# Issue days with one extra order whose roster has one worker owed at least the province's one-worker
# threshold for three months while the others are owed a month or two, and the total stays under the
# many-workers threshold: a case only when the one-worker criterion is judged per worker.
OUTLIER_ORDER_RATE = 0.15
OUTLIER_WORKERS = (10, 14)
OUTLIER_TOTAL_SHARE = (0.6, 0.9)  # of the many-workers threshold
OUTLIER_OWED_FACTOR = (1.2, 1.8)  # of the one-worker threshold
OUTLIER_INDEX = 99  # after the day's ordinary orders


@dataclass(frozen=True)
class Threshold:
    """A province's row of ref_wage_crime_thresholds, in cents."""

    one_worker: int
    many_workers: int
    many_workers_min_count: int
    confirmed: bool


@cache
def load_thresholds() -> dict[str, Threshold]:
    """Province -> its crime threshold in force (the latest row: the synthetic orders are all recent)."""
    rows = sorted(read_seed("ref_wage_crime_thresholds"), key=lambda r: r["valid_from"])
    return {
        r["province"]: Threshold(
            int(r["one_worker_threshold"]) * 100,
            int(r["many_workers_threshold"]) * 100,
            int(r["many_workers_min_count"]),
            r["confirmed"] == "true",
        )
        for r in rows
    }


@cache
def policy_parameter(name: str) -> float:
    """A national row of ref_policy_parameters (the periods of 人社部令第45号 and the blacklist's criteria)."""
    return next(float(r["value"]) for r in read_seed("ref_policy_parameters") if r["parameter"] == name)


@dataclass(frozen=True)
class RosterLine:
    months: int
    owed: int  # cents
    paid_by_deadline: int  # cents


@dataclass(frozen=True)
class OrderState:
    """One statement of an order in the orders feed."""

    status: str
    amount_paid: int  # cents
    paid_in_full_date: dt.date | None = None
    written_commitment_date: dt.date | None = None
    paid_by_deadline: int | None = None  # cents; None before the deadline (not reported yet)


@dataclass(frozen=True)
class Order:
    order_id: str
    index: int  # its place among the day's orders (document serials are unique by it)
    enterprise: Enterprise
    issued: dt.date
    workers: int
    months: int
    amount: int  # cents
    complied: bool
    paid_on: dt.date  # the day a complied order paid in full
    mass_incident: bool
    paid_by_deadline: int  # cents
    lines: tuple[RosterLine, ...]

    @property
    def deadline(self) -> dt.date:
        return self.issued + dt.timedelta(days=ORDER_DEADLINE_DAYS)

    @property
    def arrears_at_deadline(self) -> int:
        return self.amount - self.paid_by_deadline

    def updates(self) -> list[tuple[dt.date, OrderState]]:
        """The statements the inspectorate publishes up to the deadline's outcome: issued, then complied
        (paid in full before the deadline) or overdue (a day after it, with any instalments paid)."""
        opened = OrderState("open", 0)
        if self.complied:
            return [
                (self.issued, opened),
                (self.paid_on, OrderState("complied", self.amount, self.paid_on, None, self.amount)),
            ]
        overdue = OrderState("overdue", self.paid_by_deadline, None, None, self.paid_by_deadline)
        return [(self.issued, opened), (self.deadline + dt.timedelta(days=1), overdue)]

    def roster_workers(self, world: World) -> list[Worker]:
        """The workers of the roster's lines: the employer's own first, then others of the world."""
        rng = random.Random(f"{world.seed}:roster-workers:{self.order_id}")
        own = list(world.workers_by_employer.get(self.enterprise.uscc, ()))
        picked = rng.sample(own, min(len(own), self.workers))
        if len(picked) < self.workers:
            taken = set(picked)
            others = [w for w in world.workers if w not in taken]
            picked += rng.sample(others, min(len(others), self.workers - len(picked)))
        return picked


def cents(amount: int) -> float:
    return amount / 100


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` cents split in proportion to `weights`, in whole cents adding up to `total` (largest
    remainder). A part never exceeds its exact share rounded up, so paying in proportion to what is owed
    never pays a line more than it is owed."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(parts)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _lines(months: list[int], weights: list[float], amount: int, paid: int) -> tuple[RosterLine, ...]:
    """Lines owed in proportion to `weights`, and paid by the deadline in proportion to what each is owed."""
    owed = apportion(amount, weights)
    paid_lines = owed if paid == amount else apportion(paid, owed) if paid else [0] * len(owed)
    return tuple(RosterLine(m, o, p) for m, o, p in zip(months, owed, paid_lines, strict=True))


def _order(world: World, rng: random.Random, issued: dt.date, i: int) -> Order:
    """One of the day's ordinary orders: the draws of `rng` are those the feed always made."""
    enterprises = world.enterprises
    ent = enterprises[rng.randrange(len(enterprises))]
    workers, months = rng.randint(1, 15), rng.randint(1, 4)
    amount = round(round(workers * months * rng.uniform(2500, 4000), 2) * 100)
    deadline = issued + dt.timedelta(days=ORDER_DEADLINE_DAYS)
    complied = rng.random() < COMPLIED_RATE
    paid_on = deadline - dt.timedelta(days=rng.randint(1, 10))
    mass = rng.random() < 0.05
    order_id = f"O{issued:%Y%m%d}{i:04d}"
    paid = amount if complied else 0
    if not complied and chance(world.seed, "instalment", order_id) < INSTALMENT_RATE:
        share = random.Random(f"{world.seed}:instalment:{order_id}").uniform(*INSTALMENT_SHARE)
        paid = round(amount * share)
    lines_rng = random.Random(f"{world.seed}:roster:{order_id}")
    line_months = [months] + [lines_rng.randint(max(1, months - 1), months) for _ in range(workers - 1)]
    weights = [m * lines_rng.uniform(0.8, 1.2) for m in line_months]
    lines = _lines(line_months, weights, amount, paid)
    return Order(order_id, i, ent, issued, workers, months, amount, complied, paid_on, mass, paid, lines)


def _outlier_order(world: World, issued: dt.date) -> Order:
    rng = random.Random(f"{world.seed}:outlier-order:{issued}")
    ent = world.enterprises[rng.randrange(len(world.enterprises))]
    threshold = load_thresholds()[ent.region.province]
    min_months = int(policy_parameter("blacklist_one_worker_min_months_unpaid"))
    workers = rng.randint(*OUTLIER_WORKERS)
    amount = round(threshold.many_workers * rng.uniform(*OUTLIER_TOTAL_SHARE))
    outlier = round(threshold.one_worker * rng.uniform(*OUTLIER_OWED_FACTOR))
    months = [min_months] + [rng.randint(1, min_months - 1) for _ in range(workers - 1)]
    others = apportion(amount - outlier, [m * rng.uniform(0.8, 1.2) for m in months[1:]])
    lines = tuple(RosterLine(m, o, 0) for m, o in zip(months, [outlier, *others], strict=True))
    deadline = issued + dt.timedelta(days=ORDER_DEADLINE_DAYS)
    return Order(
        f"O{issued:%Y%m%d}R001",
        OUTLIER_INDEX,
        ent,
        issued,
        workers,
        min_months,
        amount,
        False,
        deadline,
        False,
        0,
        lines,
    )


def orders_issued(world: World, issued: dt.date) -> list[Order]:
    """The orders to pay issued on a day, deterministic from (world, day)."""
    key = ("orders", issued)
    if key not in world.memo:
        rng = random.Random(f"{world.seed}:orders:{issued}")
        per_day = max(1, len(world.engagements) // ORDERS_PER_ENGAGEMENTS)
        orders = [_order(world, rng, issued, i) for i in range(per_day)]
        if chance(world.seed, "outlier-order", issued) < OUTLIER_ORDER_RATE:
            orders.append(_outlier_order(world, issued))
        world.memo[key] = orders
    result: list[Order] = world.memo[key]
    return result


def listing_criterion(order: Order) -> str | None:
    """The blacklist criterion an order met when its deadline passed (人社部令第45号; 法释〔2013〕3号 Art.3,
    at the province's row of ref_wage_crime_thresholds), or None: mass incident, then many workers on the
    arrears in total, then one worker owed the threshold for the minimum months, judged per roster line."""
    if order.complied or order.arrears_at_deadline <= 0:
        return None
    threshold = load_thresholds()[order.enterprise.region.province]
    min_months = policy_parameter("blacklist_one_worker_min_months_unpaid")
    if order.mass_incident:
        return "mass_incident"
    if order.workers >= threshold.many_workers_min_count and order.arrears_at_deadline >= threshold.many_workers:
        return "many_workers_threshold"
    if any(
        line.months >= min_months and line.owed - line.paid_by_deadline >= threshold.one_worker for line in order.lines
    ):
        return "one_worker_threshold"
    return None
