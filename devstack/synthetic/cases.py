"""The 人社 department's acts on the synthetic blacklist cases (人社部令第45号), and each case's status.

A case is an order to pay whose deadline passed with arrears meeting the blacklist's criteria
(`orders.listing_criterion`). Its whole course is planned once from (seed, order) alone, on the official
working-day calendar and the periods of ref_policy_parameters: a threshold confirmation where the
province's crime threshold is unconfirmed (or none yet), the notice (告知书), an objection upheld or
rejected, an extension for a complex case, the listing decision (决定书, on time or late) and its listed
persons, a payment with a written commitment before any decision, an early removal (信用修复) approved
after payment in full and six months, or refused when applied for without payment. Some cases are never
acted on (candidates). A day publishes the acts dated that day, so no act is published before it happens.

`Case.status_on` is the ground truth the manifest records: the status names of fct_blacklist_cases.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from devstack.synthetic.dates import (
    add_months,
    add_working_days,
    is_workday,
    iso,
    stamp,
    working_day_on_or_after,
)
from devstack.synthetic.orders import (
    ORDER_DEADLINE_DAYS,
    Order,
    OrderState,
    listing_criterion,
    load_thresholds,
    orders_issued,
    policy_parameter,
)
from devstack.synthetic.world import Record, World, make_resident_id

EVENT_TOPIC = "hrss.blacklist_case_event.v1"
# Issue days a day looks back over for acts: a case's last act (an early removal decided some seven months
# after a payment made after the listing) comes within this many days of its order (tests check it).
CASE_LOOKBACK_DAYS = 430
FIRST_ACT_DAYS = ORDER_DEADLINE_DAYS + 1  # no act before the day after the deadline
LEGAL_BASIS = "人社部令第45号"
PROVINCE_ABBREVIATIONS = {"辽宁省": "辽", "湖南省": "湘", "浙江省": "浙", "山东省": "鲁", "云南省": "云"}
DOCUMENT_KINDS = {  # the document series of each act that is recorded in a document
    "notice_served": "失信告",
    "listing_decided": "失信决",
    "person_listed": "失信决",
    "not_listed_decided": "失信不列",
    "early_removal_decided": "失信修复",
    "delisted": "失信移",
}
EMPLOYER_ACTS = ("objection_received", "early_removal_applied")  # received, not made, by the authority
DOCUMENT_EPOCH = dt.date(2020, 1, 1)  # document serials count the order's issue day from here

# How the synthetic authority proceeds (shares of the cases reaching each step).
UNCONFIRMED_LEFT = 0.4  # unconfirmed threshold not (yet) confirmed for the case
MASS_INCIDENT = "mass_incident"  # the criterion that needs no threshold (orders.listing_criterion)
NEVER_NOTIFIED = 0.1  # candidates not acted on
OBJECTION = 0.3
OBJECTION_UPHELD = 0.35
PAID_BEFORE_DECISION = 0.1  # paid in full with a written commitment: decided not to list
EXTENSION = 0.15
LATE_DECISION = 0.2
RESPONSIBLE_MANAGER = 0.4  # a 直接负责的主管人员 listed beside the legal representative (name not published)
EARLY_REMOVAL_APPROVED = 0.25
EARLY_REMOVAL_REFUSED = 0.1


def _days(parameter: str) -> int:
    return int(policy_parameter(parameter))


@dataclass(frozen=True)
class Act:
    """One recorded act; the fields the feed carries for its type, None otherwise."""

    event_id: str
    event_type: str
    date: dt.date
    document_number: str | None = None
    deciding_authority: str | None = None
    legal_basis: str | None = None
    outcome: str | None = None
    reason: str | None = None
    person_role: str | None = None
    person_id_number: str | None = None
    published_name: str | None = None
    payment_evidence: str | None = None
    paid_in_full_date: dt.date | None = None
    written_commitment_date: dt.date | None = None
    minute: int = 0  # recorded_at's minute: a day's acts are recorded in order

    def record(self, order: Order) -> Record:
        return {
            "event_id": self.event_id,
            "order_id": order.order_id,
            "enterprise_uscc": order.enterprise.uscc,
            "event_type": self.event_type,
            "event_date": iso(self.date),
            "document_number": self.document_number,
            "deciding_authority": self.deciding_authority,
            "legal_basis": self.legal_basis,
            "outcome": self.outcome,
            "reason": self.reason,
            "person_role": self.person_role,
            "person_id_number": self.person_id_number,
            "published_name": self.published_name,
            "payment_evidence": self.payment_evidence,
            "paid_in_full_date": iso(self.paid_in_full_date) if self.paid_in_full_date else None,
            "written_commitment_date": iso(self.written_commitment_date) if self.written_commitment_date else None,
            "recorded_at": stamp(self.date, 17, self.minute),
        }


@dataclass(frozen=True)
class Case:
    order: Order
    criterion: str
    path: tuple[str, ...]  # how it went, for the manifest and the tests (e.g. objection_rejected, late_decision)
    acts: tuple[Act, ...] = ()
    payment: tuple[dt.date, OrderState] | None = None  # the order paid in full after its deadline

    @property
    def threshold_confirmed(self) -> bool:
        """The province's seed row is confirmed."""
        return load_thresholds()[self.order.enterprise.region.province].confirmed

    @property
    def needs_threshold_confirmation(self) -> bool:
        """The criterion rests on an unconfirmed threshold row, so the authority confirms it first; a mass
        incident (人社部令第45号's second criterion) uses no threshold."""
        return needs_threshold_confirmation(self.order, self.criterion)

    def active_between(self, first: dt.date, last: dt.date) -> bool:
        """An act or a payment of the order falls in [first, last]."""
        dates = [a.date for a in self.acts] + ([self.payment[0]] if self.payment else [])
        return any(first <= d <= last for d in dates)

    def acts_on(self, day: dt.date) -> list[Act]:
        return [a for a in self.acts if a.date == day]

    def state_on(self, day: dt.date) -> OrderState:
        """The order's statement in force on a day after its deadline."""
        if self.payment and self.payment[0] <= day:
            return self.payment[1]
        return self.order.updates()[-1][1]

    def _latest(self, day: dt.date) -> dict[str, Act]:
        """Each act type's latest act up to `day`."""
        return {a.event_type: a for a in sorted(self.acts, key=lambda a: a.date) if a.date <= day}

    def decision_due(self, day: dt.date) -> dt.date:
        """Payment deadline + 20 working days, + 20 more once an extension is approved."""
        due = add_working_days(self.order.deadline, _days("blacklist_decision_working_days"))
        if "extension_approved" in self._latest(day):
            due = add_working_days(due, _days("blacklist_decision_extension_working_days"))
        return due

    def status_on(self, day: dt.date) -> str:
        """The case's status as of the night of `day`, from its acts and payments up to that day."""
        acts = self._latest(day)
        removal = acts.get("early_removal_decided")
        if (removal and removal.outcome == "approved") or (
            "delisted" in acts and acts["delisted"].reason == "early_removal"
        ):
            return "removed_early"
        if "delisted" in acts:
            return "delisted" if acts["delisted"].reason == "expiry" else "not_listed"
        objection = acts.get("objection_decided")
        if "not_listed_decided" in acts or (objection and objection.outcome == "upheld"):
            return "not_listed"
        if "listing_decided" in acts:
            applied = acts.get("early_removal_applied")
            listed_until = add_months(acts["listing_decided"].date, 12 * _days("blacklist_listing_years"))
            if (applied and (removal is None or removal.date < applied.date)) or day > listed_until:
                return "removal_due"
            return "listed"
        state = self.state_on(day)
        if state.paid_in_full_date and state.written_commitment_date:
            return "not_listed"  # paid in full and committed before any decision
        if self.needs_threshold_confirmation and "threshold_confirmed" not in acts:
            return "threshold_unconfirmed"
        if "notice_served" not in acts:
            return "candidate"
        if "objection_received" in acts and objection is None:
            return "objection_pending"
        objection_due = add_working_days(acts["notice_served"].date, _days("blacklist_objection_working_days"))
        if objection is not None or day > objection_due:
            return "decision_due"
        return "notified"

    def truth(self, start: dt.date, end: dt.date, published: list[Record]) -> dict[str, object]:
        """The manifest's entry: the case, the acts published in the window, its status on `end`.

        `complete` says the window holds the case's whole course (its deadline passed inside it), so the
        pipeline, from the window's feeds alone, must reach `status`."""
        acts = self._latest(end)
        decision = acts.get("listing_decided")
        return {
            "order_id": self.order.order_id,
            "enterprise_uscc": self.order.enterprise.uscc,
            "region_code": self.order.enterprise.region.code,
            "province": self.order.enterprise.region.province,
            "criterion": self.criterion,
            "path": list(self.path),
            "payment_deadline": iso(self.order.deadline),
            "arrears_at_deadline": self.order.arrears_at_deadline / 100,
            "threshold_confirmed": self.threshold_confirmed,
            "decision_due": iso(self.decision_due(end)),
            "decision_was_late": decision.date > self.decision_due(end) if decision else None,
            "paid_in_full_date": iso(self.payment[0]) if self.payment and self.payment[0] <= end else None,
            "complete": self.order.deadline + dt.timedelta(days=1) >= start,
            "status": self.status_on(end),
            "acts": [
                {k: r[k] for k in ("event_id", "event_type", "event_date", "document_number", "outcome", "reason")}
                | ({"person_role": r["person_role"]} if r["person_role"] else {})
                for r in sorted(published, key=lambda r: (str(r["recorded_at"]), str(r["event_id"])))
            ],
        }


@dataclass
class _Planner:
    """Builds one case's acts in date order (the document serial and authority are the case's)."""

    seed: int
    order: Order
    rng: random.Random
    acts: list[Act] = field(default_factory=list)
    path: list[str] = field(default_factory=list)

    @property
    def authority(self) -> str:
        return f"{self.order.enterprise.region.city}人力资源和社会保障局"

    def document(self, event_type: str, day: dt.date) -> str:
        abbreviation = PROVINCE_ABBREVIATIONS[self.order.enterprise.region.province]
        serial = (self.order.issued - DOCUMENT_EPOCH).days * 100 + self.order.index + 1
        return f"{abbreviation}人社{DOCUMENT_KINDS[event_type]}〔{day.year}〕{serial}号"

    def act(self, event_type: str, day: dt.date, suffix: str = "", **fields: Any) -> Act:
        """Record an act; acts of the authority carry it, decisions their legal basis and documents."""
        if event_type in DOCUMENT_KINDS:
            fields.setdefault("document_number", self.document(event_type, day))
        if event_type not in EMPLOYER_ACTS:
            fields.setdefault("deciding_authority", self.authority)
        if event_type in ("listing_decided", "not_listed_decided", "early_removal_decided", "delisted"):
            fields.setdefault("legal_basis", LEGAL_BASIS)
        minute = sum(a.date == day for a in self.acts)
        act = Act(f"{self.order.order_id}:{event_type}{suffix}", event_type, day, minute=minute, **fields)
        self.acts.append(act)
        return act

    def case(self, criterion: str, payment: tuple[dt.date, OrderState] | None = None) -> Case:
        return Case(self.order, criterion, tuple(self.path), tuple(self.acts), payment)

    def paid(self, day: dt.date) -> tuple[dt.date, OrderState]:
        """The order paid in full on `day`, with a written commitment the same day."""
        order = self.order
        return day, OrderState("complied", order.amount, day, day, order.paid_by_deadline)

    def list_persons(self, decision: Act) -> None:
        """The decision's listed persons (same date and document): the legal representative, named as the
        decision publishes it, and sometimes a responsible manager whose name is not published."""
        ent = self.order.enterprise
        self.act(
            "person_listed",
            decision.date,
            ":1",
            person_role="legal_representative",
            person_id_number=ent.legal_rep_id,
            published_name=ent.legal_rep_name,
        )
        if self.rng.random() < RESPONSIBLE_MANAGER:
            manager = make_resident_id(random.Random(f"{self.seed}:manager:{self.order.order_id}"))
            self.act("person_listed", decision.date, ":2", person_role="responsible_manager", person_id_number=manager)
            self.path.append("responsible_manager")


def _working_days_between(after: dt.date, last: dt.date) -> int:
    """Working days in (after, last]."""
    return sum(is_workday(after + dt.timedelta(days=n)) for n in range(1, (last - after).days + 1))


def cases_opened(world: World, issued: dt.date) -> list[Case]:
    """The cases opened by the orders issued on a day."""
    key = ("cases", issued)
    if key not in world.memo:
        world.memo[key] = [c for c in (plan_case(world.seed, o) for o in orders_issued(world, issued)) if c]
    result: list[Case] = world.memo[key]
    return result


def needs_threshold_confirmation(order: Order, criterion: str) -> bool:
    """A threshold criterion met on a province's unconfirmed row (ref_wage_crime_thresholds confirmed false)."""
    return criterion != MASS_INCIDENT and not load_thresholds()[order.enterprise.region.province].confirmed


def plan_case(seed: int, order: Order) -> Case | None:
    """The case an order opens, with all its acts, or None when its deadline did not open one."""
    criterion = listing_criterion(order)
    if criterion is None:
        return None
    wd = add_working_days
    plan = _Planner(seed, order, random.Random(f"{seed}:case:{order.order_id}"))
    rng, deadline = plan.rng, order.deadline
    start = deadline
    if needs_threshold_confirmation(order, criterion):
        if rng.random() < UNCONFIRMED_LEFT:
            plan.path.append("threshold_unconfirmed")
            return plan.case(criterion)
        start = plan.act("threshold_confirmed", wd(deadline, rng.randint(1, 3))).date
        plan.path.append("threshold_confirmed")
    if rng.random() < NEVER_NOTIFIED:
        plan.path.append("never_notified")
        return plan.case(criterion)
    notice = plan.act("notice_served", wd(start, rng.randint(1, 4))).date
    ready = wd(notice, _days("blacklist_objection_working_days"))  # a decision comes after the objection period
    if rng.random() < OBJECTION:
        received = plan.act("objection_received", wd(notice, rng.randint(1, _days("blacklist_objection_working_days"))))
        upheld = rng.random() < OBJECTION_UPHELD
        decided = plan.act(
            "objection_decided",
            wd(received.date, rng.randint(1, _days("blacklist_verification_working_days"))),
            outcome="upheld" if upheld else "rejected",
        ).date
        if upheld:
            plan.path.append("objection_upheld")
            plan.act("not_listed_decided", wd(decided, rng.randint(1, 3)), reason="objection_upheld")
            return plan.case(criterion)
        plan.path.append("objection_rejected")
        ready = max(ready, decided)
    if rng.random() < PAID_BEFORE_DECISION:
        plan.path.append("paid_and_committed")
        payment = plan.paid(wd(ready, rng.randint(1, 3)))
        plan.act("not_listed_decided", wd(payment[0], rng.randint(1, 5)), reason="paid_and_committed")
        return plan.case(criterion, payment)
    due = wd(deadline, _days("blacklist_decision_working_days"))
    if rng.random() < EXTENSION:
        plan.path.append("extension")
        ready = max(ready, plan.act("extension_approved", wd(notice, rng.randint(3, 8))).date)
        due = wd(due, _days("blacklist_decision_extension_working_days"))
    if rng.random() < LATE_DECISION:
        plan.path.append("late_decision")
        decided_on = wd(due, rng.randint(1, 15))
    else:
        decided_on = wd(ready, rng.randint(1, _working_days_between(ready, due)))
    decision = plan.act("listing_decided", decided_on)
    plan.list_persons(decision)
    r = rng.random()
    if r < EARLY_REMOVAL_APPROVED:
        plan.path.append("early_removal_approved")
        payment = plan.paid(wd(decided_on, rng.randint(5, 40)))
        eligible = add_months(payment[0], _days("blacklist_early_removal_months"))
        applied = working_day_on_or_after(eligible + dt.timedelta(days=rng.randint(0, 20)))
        plan.act(
            "early_removal_applied",
            applied,
            payment_evidence=f"工资支付凭证 {order.order_id}",
            paid_in_full_date=payment[0],
            written_commitment_date=payment[0],
        )
        removed = wd(applied, rng.randint(3, _days("blacklist_early_removal_decision_working_days")))
        plan.act("early_removal_decided", removed, outcome="approved")
        plan.act("delisted", removed, reason="early_removal")
        return plan.case(criterion, payment)
    if r < EARLY_REMOVAL_APPROVED + EARLY_REMOVAL_REFUSED:
        plan.path.append("early_removal_refused")
        applied = wd(decided_on, rng.randint(20, 80))
        plan.act("early_removal_applied", applied, written_commitment_date=applied)
        plan.act(
            "early_removal_decided",
            wd(applied, rng.randint(3, _days("blacklist_early_removal_decision_working_days"))),
            outcome="refused",
        )
    return plan.case(criterion)
