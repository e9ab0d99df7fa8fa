"""Each feed's records for one data day, as the agencies would export them.

Scheduling (all times Beijing):
- daily: hrss.service_time (every active engagement, ~85% of days worked), complaint events of
  complaints received in the last 7 days, inspection-order updates of orders issued in the last
  25 days with each order's list of workers owed (hrss.unpaid_worker_roster, stated with the order
  when it is issued and again when its deadline's outcome is known), the acts of the 人社 department
  on the blacklist cases those orders opened, dated that day (hrss.blacklist_case_event, with the
  order's statement when it is paid in full after its deadline; devstack.synthetic.cases),
  court-case updates, administrative penalties, safety incidents;
- snapshot days (the first day of a window and the 1st of each month): the SAMR registry,
  transport licences, medical-insurance spells and the platforms' employment ledger for the
  previous month, and a restatement of every order (and its roster) whose case has acts in the rest
  of the month, so that the acts of a window always find their order in it;
- wage payments: on the payday of a pay period (the 15th of the next month, brought forward to
  the previous working day when the 15th is not one, 工资支付暂行规定 Art.7) and on snapshot days,
  the state of the latest period whose payday has come.
A day's records depend only on (world, day, snapshot flag): never on the window around it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from devstack.synthetic.cases import CASE_LOOKBACK_DAYS, EVENT_TOPIC, FIRST_ACT_DAYS, Case, cases_opened
from devstack.synthetic.dates import is_statutory_holiday, is_workday, iso, stamp
from devstack.synthetic.orders import Order, OrderState, cents, orders_issued
from devstack.synthetic.violations import Rates, Violation, chance, injected
from devstack.synthetic.world import Engagement, Enterprise, Record, World

# Clean data stays well inside every limit the rules check.
CLEAN_MAX_ONLINE_MINUTES = 480  # 8 h: 国务院职工工作时间规定
OVERTIME_ONLINE_MINUTES = (760, 900)  # beyond the 12 h stop-dispatch parameter (seed 000 (七), Meituan figure)
FULL_TIME_MONTHLY_HOURS = 174.0  # 21.75 days x 8 h (人社部发〔2025〕2号 pay divisor)
BELOW_MINIMUM_FACTOR = 0.8
COMPLAINT_LOOKBACK_DAYS = 7
ORDER_LOOKBACK_DAYS = 25
ORDER_TOPIC = "hrss.inspection_order.v1"
ROSTER_TOPIC = "hrss.unpaid_worker_roster.v1"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    return (month_start(day) - dt.timedelta(days=1)).replace(day=1)


def payday(period: dt.date) -> dt.date:
    """The 15th of the month after the period, earlier if that is not a working day."""
    due = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=15)
    while not is_workday(due):
        due -= dt.timedelta(days=1)
    return due


def latest_period_paid_by(day: dt.date) -> dt.date:
    period = previous_month(day)
    return period if payday(period) <= day else previous_month(period)


@dataclass
class DayOutput:
    records: dict[str, list[Record]] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    # Blacklist cases the day's feeds touch (their deadline's outcome, an act, a statement of their order).
    cases: dict[str, Case] = field(default_factory=dict)

    def add(self, topic: str, record: Record) -> None:
        self.records.setdefault(topic, []).append(record)


@dataclass(frozen=True)
class DayContext:
    world: World
    day: dt.date
    rates: Rates

    @property
    def seed(self) -> int:
        return self.world.seed

    def rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}:{self.day}:{':'.join(map(str, parts))}")

    def violation(
        self, kind: str, e: Engagement | None, employer: Enterprise, key: str, observable_from: dt.date
    ) -> Violation:
        return Violation(
            kind,
            employer.uscc,
            e.platform.uscc if e else None,
            e.worker.id_number if e else None,
            key,
            employer.region.jurisdiction,
            observable_from,
        )


# --- snapshot feeds ---------------------------------------------------------------------------


def enterprises(ctx: DayContext, out: DayOutput) -> None:
    for ent in ctx.world.enterprises:
        out.add(
            "samr.enterprise.v1",
            {
                "record_id": f"{ent.uscc}:{ctx.day}",
                "uscc": ent.uscc,
                "name": ent.name,
                "legal_rep_name": ent.legal_rep_name,
                "legal_rep_id_number": ent.legal_rep_id,
                "region_code": ent.region.code,
                "address": f"{ent.region.province}{ent.region.name}",
                "enterprise_kind": ent.kind,
                "industry": ent.industry,
                "status": "active",
                "registered_date": iso(ent.registered),
                "snapshot_date": iso(ctx.day),
            },
        )


def licences(ctx: DayContext, out: DayOutput) -> None:
    def licence(
        kind: str, holder: str, region: str, issued: dt.date, holder_uscc: str | None, worker_id: str | None
    ) -> Record:
        expiry = issued + dt.timedelta(days=6 * 365)
        return {
            "licence_id": f"{kind}:{holder}:{ctx.day}",
            "licence_type": kind,
            "holder_uscc": holder_uscc,
            "worker_id_number": worker_id,
            "region_code": region,
            "issued_date": iso(issued),
            "expiry_date": iso(expiry),
            "status": "valid" if expiry >= ctx.day else "expired",
            "snapshot_date": iso(ctx.day),
        }

    for ent in ctx.world.enterprises:
        kind = {"ride_hailing": "platform_permit", "freight": "freight_operator"}.get(ent.industry)
        if kind and (ent.kind == "platform" or kind == "freight_operator"):
            out.add("transport.licence.v1", licence(kind, ent.uscc, ent.region.code, ent.registered, ent.uscc, None))
    for e in ctx.world.engagements:
        kind = {"ride_hailing_driver": "driver_certificate", "truck_driver": "freight_driver"}.get(e.occupation)
        if kind:
            out.add(
                "transport.licence.v1",
                licence(kind, e.key, e.region.code, e.onboarding - dt.timedelta(days=30), None, e.worker.id_number),
            )


def registrations(ctx: DayContext, e: Engagement) -> tuple[dt.date | None, dt.date | None, str]:
    """Pension and injury registration dates and the injury cover of an engagement."""
    pension = None
    if e.relationship == "labour_contract":
        late = injected(ctx.seed, ctx.rates, "late_social_insurance", e.key)
        delay = 45 + int(chance(ctx.seed, "si-delay", e.key) * 45) if late else int(chance(ctx.seed, "si", e.key) * 25)
        pension = e.onboarding + dt.timedelta(days=delay)
    cover = {"labour_contract": "work_injury", "not_fully": "occupational_injury_pilot"}.get(
        e.relationship, "commercial_accident"
    )
    if (
        e.relationship != "civil"
        and e.occupation != "live_streamer"
        and injected(ctx.seed, ctx.rates, "missing_injury_cover", e.key)
    ):
        cover = "none"
    injury = None if cover == "none" else e.onboarding + dt.timedelta(days=int(chance(ctx.seed, "inj", e.key) * 10))
    return pension, injury, cover


def medical_enrolments(ctx: DayContext, out: DayOutput) -> None:
    for e in ctx.world.engagements:
        pension, _, _ = registrations(ctx, e)
        employee = e.relationship == "labour_contract"
        out.add(
            "nhsa.medical_enrolment.v1",
            {
                "spell_id": f"M:{e.key}:{ctx.day}",
                "worker_id_number": e.worker.id_number,
                "scheme": "employee" if employee else "resident",
                "employer_uscc": e.employer.uscc if employee else None,
                "region_code": e.region.code,
                "start_date": iso(pension if employee and pension else dt.date(2024, 1, 1)),
                "end_date": None,
                "status": "active",
                "snapshot_date": iso(ctx.day),
            },
        )


def employment_ledger(ctx: DayContext, out: DayOutput) -> None:
    period = previous_month(ctx.day)
    period_end = month_start(ctx.day) - dt.timedelta(days=1)
    for e in ctx.world.engagements:
        if e.onboarding > period_end:
            continue
        pension, injury, cover = registrations(ctx, e)
        deposit = 300.0 if injected(ctx.seed, ctx.rates, "deposit_taken", e.key) else 0.0
        out.add(
            "hrss.employment_ledger.v1",
            {
                "ledger_id": f"L:{e.key}:{period:%Y-%m}",
                "report_period": f"{period:%Y-%m}",
                "platform_uscc": e.platform.uscc,
                "employer_uscc": e.employer.uscc,
                "employer_role": e.role,
                "worker_id_number": e.worker.id_number,
                "worker_name": e.worker.name,
                "phone": e.worker.phone,
                "occupation": e.occupation,
                "relationship_type": e.relationship,
                "part_time": e.part_time,
                "written_agreement": e.written_agreement,
                "region_code": e.region.code,
                "onboarding_date": iso(e.onboarding),
                "offboarding_date": None,
                "pension_registered_date": iso(pension) if pension else None,
                "medical_registered_date": iso(pension) if pension else None,
                "injury_registered_date": iso(injury) if injury else None,
                "injury_cover": cover,
                "deposit_amount": deposit,
                "report_date": iso(ctx.day),
            },
        )
        for kind, hit in (
            ("missing_injury_cover", cover == "none"),
            ("deposit_taken", deposit > 0),
            ("late_social_insurance", pension is not None and (pension - e.onboarding).days > 30),
        ):
            if hit:
                out.violations.append(ctx.violation(kind, e, e.employer, "engagement", ctx.day))


# --- wages ---------------------------------------------------------------------------------------


def wage_payments(ctx: DayContext, out: DayOutput, snapshot: bool) -> None:
    period = latest_period_paid_by(ctx.day)
    due = payday(period)
    if not (snapshot or due == ctx.day):
        return
    period_end = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    for e in ctx.world.engagements:
        if not e.paid_through_wage_account or e.onboarding > period:
            continue
        full_time = e.relationship == "labour_contract" and not e.part_time
        hours = (
            FULL_TIME_MONTHLY_HOURS if full_time else float(40 + int(chance(ctx.seed, "hours", e.key, period) * 120))
        )
        key = f"{period:%Y-%m}"
        below = injected(ctx.seed, ctx.rates, "below_minimum_wage", f"{e.key}:{key}")
        factor = BELOW_MINIMUM_FACTOR if below else e.pay_factor
        due_amount = round(e.region.monthly_min * factor if full_time else hours * e.region.hourly_min * factor, 2)
        arrears = injected(ctx.seed, ctx.rates, "wage_arrears", f"{e.key}:{key}")
        partial = arrears and chance(ctx.seed, "partial", e.key, key) < 0.5
        paid = round(due_amount * 0.5, 2) if partial else (0.0 if arrears else due_amount)
        out.add(
            "hrss.wage_payment.v1",
            {
                "payment_id": f"W:{e.key}:{key}:{ctx.day}",
                "payer_uscc": e.employer.uscc,
                "platform_uscc": e.platform.uscc,
                "worker_id_number": e.worker.id_number,
                "bank_account": e.worker.bank_account,
                "pay_period": key,
                "period_start": iso(period),
                "period_end": iso(period_end),
                "hours_worked": hours,
                "amount_due": due_amount,
                "amount_paid": paid,
                "deduction_amount": 0.0,
                "deduction_reason": "none",
                "includes_back_pay": False,
                "due_date": iso(due),
                "paid_date": None if arrears and not partial else iso(due),
                "payment_status": "partial" if partial else ("unpaid" if arrears else "paid"),
                "snapshot_date": iso(ctx.day),
            },
        )
        if below:
            out.violations.append(ctx.violation("below_minimum_wage", e, e.employer, key, due))
        if arrears:
            out.violations.append(ctx.violation("wage_arrears", e, e.employer, key, due + dt.timedelta(days=1)))


# --- daily feeds ---------------------------------------------------------------------------------


def service_time(ctx: DayContext, out: DayOutput) -> None:
    holiday = is_statutory_holiday(ctx.day)
    for e in ctx.world.engagements:
        if e.onboarding > ctx.day or chance(ctx.seed, "works", e.key, ctx.day) >= 0.85:
            continue
        overtime = injected(ctx.seed, ctx.rates, "overtime_no_stop_dispatch", f"{e.key}:{ctx.day}")
        u = chance(ctx.seed, "minutes", e.key, ctx.day)
        if overtime:
            online = OVERTIME_ONLINE_MINUTES[0] + int(u * (OVERTIME_ONLINE_MINUTES[1] - OVERTIME_ONLINE_MINUTES[0]))
        else:
            online = min(CLEAN_MAX_ONLINE_MINUTES, e.daily_minutes + int(u * 60) - 30)
        order_minutes = int(online * (0.6 + 0.25 * u))
        earnings = round(order_minutes * 0.55, 2)
        premium_rate = {"labour_contract": 2.0, "not_fully": 0.5}.get(e.relationship, 0.0)  # 劳动法 Art.44: 300% total
        out.add(
            "hrss.service_time.v1",
            {
                "record_id": f"S:{e.key}:{ctx.day}",
                "platform_uscc": e.platform.uscc,
                "employer_uscc": e.employer.uscc,
                "worker_id_number": e.worker.id_number,
                "service_date": iso(ctx.day),
                "online_minutes": online,
                "order_minutes": order_minutes,
                "longest_continuous_minutes": min(online, 120 + int(u * 110)) if not overtime else 300,
                "orders": order_minutes // 18,
                "earnings": earnings,
                "holiday_premium": round(earnings * premium_rate, 2) if holiday else 0.0,
                "statutory_holiday": holiday,
                "forced_offline": False,
            },
        )
        if overtime:
            out.violations.append(ctx.violation("overtime_no_stop_dispatch", e, e.employer, iso(ctx.day), ctx.day))


COMPLAINT_STEPS = (
    ("received", 0, 9),
    ("accepted", 0, 14),
    ("connected", 1, 10),
    ("feedback", 2, 15),
    ("closed", 4, 11),
)
LATE_STEPS = {"accepted": (1, 10), "connected": (2, 10), "feedback": (5, 15)}  # breaches of 当日/次日/3日


def complaint_events(ctx: DayContext, out: DayOutput, window_start: dt.date) -> None:
    engagements = ctx.world.engagements
    for back in range(COMPLAINT_LOOKBACK_DAYS):
        received = ctx.day - dt.timedelta(days=back)
        rng = random.Random(f"{ctx.seed}:complaints:{received}")
        for i in range(max(2, len(engagements) // 400)):
            e = engagements[rng.randrange(len(engagements))]
            complaint_id = f"C{received:%Y%m%d}{i:05d}"
            channel = rng.choice(("hotline_12333", "union", "online", "letters_visits"))
            category = rng.choice(("wage_arrears", "deposit", "working_time", "social_insurance", "injury", "other"))
            amount = round(rng.uniform(500, 20000), 2) if category == "wage_arrears" else None
            late_step = (
                rng.choice(tuple(LATE_STEPS))
                if injected(ctx.seed, ctx.rates, "late_complaint_handling", complaint_id)
                else None
            )
            steps = {step: (days, hour) for step, days, hour in COMPLAINT_STEPS}
            if late_step:
                steps[late_step] = LATE_STEPS[late_step]
                steps["closed"] = (max(steps["closed"][0], steps[late_step][0] + 1), 11)
                if back == 0 and received >= window_start:
                    deadline_days = {"accepted": 0, "connected": 1, "feedback": 3}[late_step]
                    out.violations.append(
                        ctx.violation(
                            "late_complaint_handling",
                            None,
                            e.employer,
                            complaint_id,
                            received + dt.timedelta(days=deadline_days + 1),
                        )
                    )
            for step, (days, hour) in steps.items():
                if received + dt.timedelta(days=days) != ctx.day:
                    continue
                out.add(
                    "hrss.complaint_event.v1",
                    {
                        "event_id": f"{complaint_id}:{step}",
                        "complaint_id": complaint_id,
                        "channel": channel,
                        "event_type": step,
                        "event_at": stamp(ctx.day, hour, i % 60),
                        "region_code": e.region.code,
                        "respondent_uscc": e.employer.uscc,
                        "platform_uscc": e.platform.uscc,
                        "complainant_id_number": e.worker.id_number,
                        "category": category,
                        "amount_claimed": amount,
                        "workers_involved": 1,
                        "handling_unit": f"{e.region.name}劳动保障监察大队",
                    },
                )


def order_statement(order: Order, day: dt.date, state: OrderState, record_id: str) -> Record:
    """One statement of an order, as the orders feed carries it."""
    return {
        "record_id": record_id,
        "order_id": order.order_id,
        "enterprise_uscc": order.enterprise.uscc,
        "region_code": order.enterprise.region.code,
        "issued_date": iso(order.issued),
        "payment_deadline": iso(order.deadline),
        "workers_affected": order.workers,
        "months_unpaid": order.months,
        "amount_ordered": cents(order.amount),
        "written_commitment_date": iso(state.written_commitment_date) if state.written_commitment_date else None,
        "mass_incident": order.mass_incident,
        "amount_paid": cents(state.amount_paid),
        "amount_paid_by_deadline": None if state.paid_by_deadline is None else cents(state.paid_by_deadline),
        "paid_in_full_date": iso(state.paid_in_full_date) if state.paid_in_full_date else None,
        "status": state.status,
        "updated_at": stamp(day, 16),
    }


def roster_statement(ctx: DayContext, out: DayOutput, order: Order, state: OrderState, tag: str) -> None:
    """The order's list of workers owed, one line per worker, stated with the order's statement `state`:
    what each was paid by the deadline once the order reports it, nothing before."""
    settled = state.paid_by_deadline is not None
    for n, (line, worker) in enumerate(zip(order.lines, order.roster_workers(ctx.world), strict=False), 1):
        out.add(
            ROSTER_TOPIC,
            {
                "record_id": f"{order.order_id}:{n:02d}:{tag}",
                "order_id": order.order_id,
                "worker_id_number": worker.id_number,
                "months_unpaid": line.months,
                "amount_owed": cents(line.owed),
                "amount_paid_by_deadline": cents(line.paid_by_deadline if settled else 0),
                "updated_at": stamp(ctx.day, 16),
            },
        )


def inspection_orders(ctx: DayContext, out: DayOutput) -> None:
    """Orders issued in the last days: their statements dated today, each with its roster."""
    for back in range(ORDER_LOOKBACK_DAYS):
        for order in orders_issued(ctx.world, ctx.day - dt.timedelta(days=back)):
            for when, state in order.updates():
                if when == ctx.day:
                    out.add(ORDER_TOPIC, order_statement(order, when, state, f"{order.order_id}:{state.status}"))
                    roster_statement(ctx, out, order, state, state.status)


def blacklist_cases(ctx: DayContext, out: DayOutput, snapshot: bool) -> None:
    """The day's acts on the cases opened by orders of the lookback, an order paid in full after its
    deadline, and on snapshot days the restatement of the orders whose cases have acts before the next
    snapshot day at the latest (the 1st of next month): every act of a window then finds its order stated
    in the window, on or before the act's day, whichever day the window starts."""
    month_end = month_start(ctx.day + dt.timedelta(days=31)) - dt.timedelta(days=1)
    for back in range(FIRST_ACT_DAYS, CASE_LOOKBACK_DAYS):
        for case in cases_opened(ctx.world, ctx.day - dt.timedelta(days=back)):
            order = case.order
            acts = case.acts_on(ctx.day)
            for act in acts:
                out.add(EVENT_TOPIC, act.record(order))
            paid_today = case.payment is not None and case.payment[0] == ctx.day
            if paid_today:
                paid = case.state_on(ctx.day)
                out.add(ORDER_TOPIC, order_statement(order, ctx.day, paid, f"{order.order_id}:paid_in_full"))
            restated = snapshot and back > FIRST_ACT_DAYS and case.active_between(ctx.day, month_end)
            if restated:
                tag = f"restated:{ctx.day:%Y%m%d}"
                state = case.state_on(ctx.day)
                if not paid_today:
                    out.add(ORDER_TOPIC, order_statement(order, ctx.day, state, f"{order.order_id}:{tag}"))
                roster_statement(ctx, out, order, state, tag)
            if acts or paid_today or restated or back == FIRST_ACT_DAYS:
                out.cases[order.order_id] = case


def court_cases(ctx: DayContext, out: DayOutput) -> None:
    enterprises = ctx.world.enterprises
    for back, stage in ((0, "filed"), (30, "judged")):
        filed = ctx.day - dt.timedelta(days=back)
        rng = random.Random(f"{ctx.seed}:cases:{filed}")
        for i in range(max(1, len(ctx.world.engagements) // 3000)):
            ent = enterprises[rng.randrange(len(enterprises))]
            claimed = round(rng.uniform(3000, 80000), 2)
            judged = stage == "judged"
            out.add(
                "court.case.v1",
                {
                    "record_id": f"K{filed:%Y%m%d}{i:04d}:{stage}",
                    "case_number": f"({filed.year}){ent.region.code[:4]}民初{filed:%m%d}{i:03d}号",
                    "forum": rng.choice(("arbitration", "court_first_instance")),
                    "respondent_uscc": ent.uscc,
                    "claimant_count": rng.randint(1, 12),
                    "cause": rng.choice(("wage_arrears", "labour_relationship", "injury_compensation")),
                    "amount_claimed": claimed,
                    "amount_awarded": round(claimed * 0.8, 2) if judged else None,
                    "filed_date": iso(filed),
                    "judgment_date": iso(ctx.day) if judged else None,
                    "judgment_status": "awarded" if judged else "pending",
                    "enforcement_status": "none",
                    "region_code": ent.region.code,
                    "updated_at": stamp(ctx.day, 17),
                },
            )


def penalties(ctx: DayContext, out: DayOutput) -> None:
    rng = ctx.rng("penalties")
    enterprises = ctx.world.enterprises
    for i in range(max(1, len(ctx.world.engagements) // 5000)):
        ent = enterprises[rng.randrange(len(enterprises))]
        out.add(
            "samr.penalty.v1",
            {
                "penalty_id": f"P{ctx.day:%Y%m%d}{i:04d}",
                "uscc": ent.uscc,
                "authority": rng.choice(("hrss", "samr", "transport", "emergency")),
                "decision_no": f"{ent.region.name}罚字〔{ctx.day.year}〕{rng.randint(1, 999)}号",
                "decision_date": iso(ctx.day),
                "category": rng.choice(("working_time", "social_insurance", "licensing", "safety", "other")),
                "fine_amount": float(rng.choice((2000, 5000, 10000, 20000))),
                "description": "责令改正并处罚款",
            },
        )


def safety_incidents(ctx: DayContext, out: DayOutput) -> None:
    rng = ctx.rng("incidents")
    engagements = ctx.world.engagements
    for i in range(max(1, len(engagements) // 4000)):
        e = engagements[rng.randrange(len(engagements))]
        hour = rng.randint(7, 21)
        out.add(
            "emergency.safety_incident.v1",
            {
                "incident_id": f"I{ctx.day:%Y%m%d}{i:04d}",
                "enterprise_uscc": e.employer.uscc,
                "worker_id_number": e.worker.id_number,
                "region_code": e.region.code,
                "incident_at": stamp(ctx.day, hour),
                "reported_at": stamp(ctx.day, min(hour + 1, 23)),
                "incident_type": rng.choice(("traffic", "traffic", "fall", "heat", "other")),
                "severity": rng.choice(("minor", "minor", "minor", "serious")),
                "deaths": 0,
                "injuries": 1,
                "severe_weather": rng.random() < 0.1,
            },
        )


def is_snapshot_day(day: dt.date, window_start: dt.date) -> bool:
    return day == window_start or day.day == 1


def generate_day(world: World, day: dt.date, window_start: dt.date, rates: Rates) -> DayOutput:
    """All feeds' records for one data day, and the violations injected into them."""
    ctx = DayContext(world, day, rates)
    out = DayOutput()
    snapshot = is_snapshot_day(day, window_start)
    daily: list[Callable[[DayContext, DayOutput], None]] = [
        service_time,
        inspection_orders,
        court_cases,
        penalties,
        safety_incidents,
    ]
    if snapshot:
        daily = [enterprises, licences, medical_enrolments, employment_ledger, *daily]
    for make in daily:
        make(ctx, out)
    wage_payments(ctx, out, snapshot)
    complaint_events(ctx, out, window_start)
    blacklist_cases(ctx, out, snapshot)
    return out
