"""Each feed's records for one data day, as the agencies would export them.

Scheduling (all times Beijing):
- daily: hrss.service_time (every active engagement, ~85% of days worked), complaint events of
  complaints received in the last 15 days (hrss.complaint_event.v2; v1 from the union, not yet
  migrated), inspection-order updates of orders issued in the last 25 days with each order's list of
  workers owed (hrss.unpaid_worker_roster, stated with the order when it is issued and again when
  its deadline's outcome is known), the acts of the 人社 department on the blacklist cases those
  orders opened, dated that day (hrss.blacklist_case_event, with the order's statement when it is
  paid in full after its deadline; devstack.synthetic.cases), court-case updates, administrative
  penalties, safety incidents;
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
from functools import cache
from itertools import pairwise

from core.contracts import default_contracts
from devstack.synthetic.cases import CASE_LOOKBACK_DAYS, EVENT_TOPIC, FIRST_ACT_DAYS, Case, cases_opened
from devstack.synthetic.dates import is_rest_day, is_statutory_holiday, is_workday, iso, stamp, working_day_on_or_after
from devstack.synthetic.orders import Order, OrderState, cents, orders_issued
from devstack.synthetic.violations import Rates, Violation, chance, injected
from devstack.synthetic.world import Engagement, Enterprise, Record, World, read_seed

# Clean data stays well inside every limit the rules check.
CLEAN_MAX_ONLINE_MINUTES = 480  # 8 h: 国务院职工工作时间规定
OVERTIME_ONLINE_MINUTES = (760, 900)  # beyond the 660-minute stop-dispatch limit (劳动法 Art.36/41: 8 h + 3 h)
CLEAN_MAX_CONTINUOUS_MINUTES = 230  # under continuous_service_break_after_minutes (240)
PART_TIME_MAX_MINUTES = 230  # 劳动合同法 Art.68: at most 4 h a day (and 6 days x 230 min < 24 h a week)
REST_DAY_PREMIUM = 1.0  # 劳动法 Art.44(二): 200% for rest-day work (the premium is earnings x 1.0)
REST_DAY_PREMIUM_SHORT = 0.5  # an injected rest_day_work_without_premium: 150%
HOLIDAY_PREMIUM = {"labour_contract": 2.0, "not_fully": 0.5}  # 劳动法 Art.44(三): 300% total
HOLIDAY_PREMIUM_SHORT = 1.0  # an injected holiday_work_without_premium: 200%
FULL_TIME_MONTHLY_HOURS = 174.0  # 21.75 days x 8 h (人社部发〔2025〕2号 pay divisor)
BELOW_MINIMUM_FACTOR = 0.8
# Feeds whose contracts gained optional fields (issue 14): a record carries exactly its contract's fields.
SHAPED = {"hrss.service_time.v1", "hrss.wage_payment.v1", "hrss.complaint_event.v1", "hrss.complaint_event.v2"}
PART_TIME_EPOCH = dt.date(2023, 12, 25)  # a Monday: the part-time fortnights count from it
# Long enough for every step of a complaint, a late one included after a deadline moved past a holiday block
# (民法典 Art.203). The longest so far: received Thu 2026-02-12, feedback due 02-15 moved past 春节 to Tue 02-24,
# done late on 02-25 and closed on 02-26, 14 days after receipt.
COMPLAINT_LOOKBACK_DAYS = 15
ORDER_LOOKBACK_DAYS = 25
ORDER_TOPIC = "hrss.inspection_order.v1"
ROSTER_TOPIC = "hrss.unpaid_worker_roster.v1"


def full_time(e: Engagement) -> bool:
    return e.relationship == "labour_contract" and not e.part_time


def weekday_off(seed: int, e: Engagement) -> int:
    """A labour-contract worker's fixed day off each week (劳动法 Art.38), 0 = Monday: no week of 7 records."""
    return int(chance(seed, "weekday-off", e.key) * 7)


@cache
def contract_fields(topic: str) -> tuple[str, ...]:
    """The fields the topic's contract has: optional fields it does not (yet) have are not sent."""
    return tuple(f.name for f in default_contracts()[topic].fields)


def shaped(topic: str, record: Record) -> Record:
    names = contract_fields(topic)
    return {n: record.get(n) for n in names}


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
        self.records.setdefault(topic, []).append(shaped(topic, record) if topic in SHAPED else record)


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
    """Pension and injury registration dates and the injury cover of an engagement.

    Pension is owed by the employer of a full-time labour contract only (late_social_insurance is injected
    there); a labour contract, part-time included, is covered by work-injury insurance (工伤保险条例 Art.2):
    missing_injury_cover or late_injury_insurance (registered 45-90 days after onboarding, 社会保险法 Art.58)
    are injected there. A "not fully" or civil order-taker has occupational-injury cover where the pilot binds
    the platform (人社部发〔2021〕110号, 〔2025〕24号; missing_injury_cover is injected there), commercial
    accident cover elsewhere (no cover is owed there)."""
    pension = None
    if e.relationship == "labour_contract":
        late = full_time(e) and injected(ctx.seed, ctx.rates, "late_social_insurance", e.key)
        delay = 45 + int(chance(ctx.seed, "si-delay", e.key) * 45) if late else int(chance(ctx.seed, "si", e.key) * 25)
        pension = e.onboarding + dt.timedelta(days=delay)
        cover = "work_injury"
    elif e.injury_pilot_binds(ctx.day):
        cover = "occupational_injury_pilot"
    else:
        cover = "commercial_accident"
    if cover != "commercial_accident" and injected(ctx.seed, ctx.rates, "missing_injury_cover", e.key):
        cover = "none"
    injury_late = cover == "work_injury" and injected(ctx.seed, ctx.rates, "late_injury_insurance", e.key)
    injury_delay = (
        45 + int(chance(ctx.seed, "inj-delay", e.key) * 45) if injury_late else int(chance(ctx.seed, "inj", e.key) * 10)
    )
    injury = None if cover == "none" else e.onboarding + dt.timedelta(days=injury_delay)
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
                "platform_brand": e.platform.brand,
            },
        )
        for kind, hit in (
            ("missing_injury_cover", cover == "none"),
            (
                "late_injury_insurance",
                cover == "work_injury" and injury is not None and (injury - e.onboarding).days > 30,
            ),
            ("deposit_taken", deposit > 0),
            ("late_social_insurance", full_time(e) and pension is not None and (pension - e.onboarding).days > 30),
        ):
            if hit:
                out.violations.append(ctx.violation(kind, e, e.employer, "engagement", ctx.day))


# --- wages ---------------------------------------------------------------------------------------


def month_end(period: dt.date) -> dt.date:
    return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def part_time_periods_paid_on(day: dt.date, snapshot: bool) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(start, end, payday) of the part-time pay periods published on `day`: fortnights from PART_TIME_EPOCH
    (a cycle of 14 days: 劳动合同法 Art.72, at most 15 days), paid on the first working day at least 5 days
    after the period ends (well within 15 days); on snapshot days the latest period whose payday has come."""
    periods = []
    n = (day - PART_TIME_EPOCH).days // 14
    for k in range(n - 3, n + 1):
        start = PART_TIME_EPOCH + dt.timedelta(days=14 * k)
        end = start + dt.timedelta(days=13)
        periods.append((start, end, part_time_payday(end)))
    paid = [p for p in periods if p[2] <= day]
    if snapshot:
        return paid[-1:]
    return [p for p in paid if p[2] == day]


def part_time_payday(period_end: dt.date) -> dt.date:
    return working_day_on_or_after(period_end + dt.timedelta(days=5))


def wage_payments(ctx: DayContext, out: DayOutput, snapshot: bool) -> None:
    """Full-time labour contracts and not_fully workers: monthly, on payday(period); part-time labour contracts:
    fortnightly (part_time_periods_paid_on). The wage key is (payer, worker, period_start); civil engagements
    are not paid through the wage account (their fees are contract debts, not wages)."""
    period = latest_period_paid_by(ctx.day)
    due = payday(period)
    monthly = [(period, month_end(period), due)] if snapshot or due == ctx.day else []
    fortnightly = part_time_periods_paid_on(ctx.day, snapshot)
    for e in ctx.world.engagements:
        if not e.paid_through_wage_account:
            continue
        for start, end, paid_on in fortnightly if e.part_time else monthly:
            if e.onboarding > start:
                continue
            wage_payment(ctx, out, e, start, end, paid_on)


def wage_payment(ctx: DayContext, out: DayOutput, e: Engagement, start: dt.date, end: dt.date, due: dt.date) -> None:
    key = iso(start)
    if full_time(e):
        hours = FULL_TIME_MONTHLY_HOURS
    elif e.part_time:
        hours = float(10 + int(chance(ctx.seed, "hours", e.key, key) * 30))  # <= 40 h a fortnight
    else:
        hours = float(40 + int(chance(ctx.seed, "hours", e.key, f"{start:%Y-%m}") * 120))
    below = injected(ctx.seed, ctx.rates, "below_minimum_wage", f"{e.key}:{key}")
    factor = BELOW_MINIMUM_FACTOR if below else e.pay_factor
    due_amount = round(e.region.monthly_min * factor if full_time(e) else hours * e.region.hourly_min * factor, 2)
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
            "pay_period": f"{end:%Y-%m}",
            "period_start": iso(start),
            "period_end": iso(end),
            "hours_worked": hours,
            "amount_due": due_amount,
            "base_pay": due_amount,
            "overtime_pay": 0.0,
            "premium_pay": 0.0,
            "allowance_pay": 0.0,
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
    """Clean days stay inside every working-time rule: working minutes (order + allowance) = online minutes
    ≤ 480, part-time ≤ 230 a day on at most 6 days a week, a labour contract's fixed weekday off each week,
    no continuous stretch of 240 minutes, dispatch never stopped (never needed), every order insured, and
    the premiums of 劳动法 Art.44: 300% on a statutory holiday, 200% (or time off in lieu) on a rest day.

    Injected: overtime_no_stop_dispatch (not_fully and civil only, booked to the platform: 760-900 minutes,
    dispatch never stopped), holiday_work_without_premium (a labour contract paid 200% on a statutory holiday)
    and rest_day_work_without_premium (a full-time labour contract paid 150% on a rest day, no time off)."""
    holiday = is_statutory_holiday(ctx.day)
    rest_day = is_rest_day(ctx.day)  # exclusive of statutory holidays (ref_calendar.day_type)
    for e in ctx.world.engagements:
        if e.onboarding > ctx.day or chance(ctx.seed, "works", e.key, ctx.day) >= 0.85:
            continue
        labour = e.relationship == "labour_contract"
        if labour and ctx.day.weekday() == weekday_off(ctx.seed, e):
            continue
        day_key = f"{e.key}:{ctx.day}"
        overtime = not labour and injected(ctx.seed, ctx.rates, "overtime_no_stop_dispatch", day_key)
        u = chance(ctx.seed, "minutes", e.key, ctx.day)
        if overtime:
            online = OVERTIME_ONLINE_MINUTES[0] + int(u * (OVERTIME_ONLINE_MINUTES[1] - OVERTIME_ONLINE_MINUTES[0]))
        else:
            cap = PART_TIME_MAX_MINUTES if e.part_time else CLEAN_MAX_ONLINE_MINUTES
            online = min(cap, e.daily_minutes + int(u * 60) - 30)
        order_minutes = int(online * (0.6 + 0.25 * u))
        earnings = round(order_minutes * 0.55, 2)
        holiday_short = holiday and labour and injected(ctx.seed, ctx.rates, "holiday_work_without_premium", day_key)
        premium_rate = HOLIDAY_PREMIUM_SHORT if holiday_short else HOLIDAY_PREMIUM.get(e.relationship, 0.0)
        rest_work = rest_day and full_time(e)
        rest_short = rest_work and injected(ctx.seed, ctx.rates, "rest_day_work_without_premium", day_key)
        in_lieu = rest_work and not rest_short and chance(ctx.seed, "in-lieu", day_key) < 0.3
        rest_rate = REST_DAY_PREMIUM_SHORT if rest_short else (0.0 if in_lieu else REST_DAY_PREMIUM)
        orders = order_minutes // 18
        # 每单必保 where the pilot binds the platform (人社部发〔2025〕24号), for order-takers without a labour
        # contract; elsewhere no occupational-injury cover is reported (null). The rule knows the relationship and
        # the brand from the ledger, which reports an engagement from the month after onboarding: injected only then.
        pilot = not labour and e.injury_pilot_binds(ctx.day)
        in_ledger = e.onboarding < month_start(ctx.day)
        uncovered = (
            pilot
            and in_ledger
            and orders > 0
            and injected(ctx.seed, ctx.rates, "occupational_injury_orders_uncovered", day_key)
        )
        orders_insured = (orders - 1 - orders // 2 if uncovered else orders) if pilot else None
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
                "allowance_minutes": online - order_minutes,
                "dispatch_stopped_at_minutes": None,
                "longest_continuous_minutes": min(online, 120 + int(u * 110)),
                "orders": orders,
                "orders_insured": orders_insured,
                "earnings": earnings,
                "holiday_premium": round(earnings * premium_rate, 2) if holiday else 0.0,
                "rest_day_premium": round(earnings * rest_rate, 2) if rest_work else 0.0,
                "time_off_in_lieu": in_lieu,
                "statutory_holiday": holiday,
                "forced_offline": False,
            },
        )
        if overtime:  # the platform's duty to stop dispatching (seed 000 (七))
            out.violations.append(ctx.violation("overtime_no_stop_dispatch", e, e.platform, iso(ctx.day), ctx.day))
        if uncovered:  # the pilot platform's duty to insure every order
            out.violations.append(
                ctx.violation("occupational_injury_orders_uncovered", e, e.platform, iso(ctx.day), ctx.day)
            )
        if holiday_short:
            out.violations.append(ctx.violation("holiday_work_without_premium", e, e.employer, iso(ctx.day), ctx.day))
        if rest_short:
            out.violations.append(ctx.violation("rest_day_work_without_premium", e, e.employer, iso(ctx.day), ctx.day))


COMPLAINT_TOPIC = "hrss.complaint_event.v2"
# The 总工会 has not migrated yet: complaints received through the union are still sent on v1, which has no
# assigned or handled events (both versions are read, stg_hrss__complaint_events).
LEGACY_COMPLAINT_TOPIC = "hrss.complaint_event.v1"
# A lead's lifecycle (hrss.complaint_event.v2), in order: (step, days after receipt, hour).
COMPLAINT_STEPS = (
    ("received", 0, 9),
    ("accepted", 0, 14),
    ("assigned", 0, 16),
    ("connected", 1, 10),
    ("handled", 2, 11),
    ("feedback", 2, 15),
    ("closed", 4, 11),
)
CONCLUDED_STEPS = {"handled", "feedback", "closed"}  # the events that carry the handling conclusion (处理结论)
# The policy parameter of each step's time limit, as int_hrss__complaint_lead_steps reads them.
STEP_LIMITS = {
    "accepted": "complaint_accept_days",
    "assigned": "complaint_assign_days",
    "connected": "complaint_connect_days",
    "handled": "complaint_handle_days",
    "feedback": "complaint_feedback_days",
}


@cache
def complaint_limits(jurisdiction: str, received: dt.date) -> dict[str, int]:
    """The steps with a time limit (calendar days after receipt) in force on the day of receipt: the rows of
    ref_policy_parameters, the jurisdiction's before the national ones (macro policy_parameter)."""
    step_of = {parameter: step for step, parameter in STEP_LIMITS.items()}
    rows = sorted(
        (r for r in read_seed("ref_policy_parameters") if r["parameter"] in step_of),
        key=lambda r: r["jurisdiction"] != "national",
    )
    return {
        step_of[r["parameter"]]: int(r["value"])
        for r in rows
        if r["jurisdiction"] in (jurisdiction, "national")
        and dt.date.fromisoformat(r["valid_from"]) <= received
        and (not r["valid_to"] or received <= dt.date.fromisoformat(r["valid_to"]))
    }


def step_deadline(received: dt.date, days: int) -> dt.date:
    """Receipt + n calendar days, moved to the next working day (民法典 Art.203); n = 0 is the day itself."""
    return received if days == 0 else working_day_on_or_after(received + dt.timedelta(days=days))


def complaint_events(ctx: DayContext, out: DayOutput, window_start: dt.date) -> None:
    """Leads are handled on time; an injected late_complaint_handling is one step of a wage-arrears lead (欠薪线索,
    the only category with time limits, 高人社发〔2022〕5号 (五)) done the day after its deadline, where the
    jurisdiction sets one, every later step no earlier and the lead closed a day after it at the earliest."""
    engagements = ctx.world.engagements
    for back in range(COMPLAINT_LOOKBACK_DAYS):
        received = ctx.day - dt.timedelta(days=back)
        rng = random.Random(f"{ctx.seed}:complaints:{received}")
        for i in range(max(2, len(engagements) // 400)):
            e = engagements[rng.randrange(len(engagements))]
            complaint_id = f"C{received:%Y%m%d}{i:05d}"
            # The first complaint of a day comes through the union: both versions of the feed carry events every night.
            channel = "union" if i == 0 else rng.choice(("hotline_12333", "union", "online", "letters_visits"))
            topic = LEGACY_COMPLAINT_TOPIC if channel == "union" else COMPLAINT_TOPIC
            category = rng.choice(("wage_arrears", "deposit", "working_time", "social_insurance", "injury", "other"))
            amount = round(rng.uniform(500, 20000), 2) if category == "wage_arrears" else None
            event_types = default_contracts()[topic].field("event_type").enum or ()
            steps = {step: (days, hour) for step, days, hour in COMPLAINT_STEPS if step in event_types}
            limits = {
                step: days
                for step, days in complaint_limits(e.region.jurisdiction, received).items()
                if step in steps and category == "wage_arrears"
            }
            if limits and injected(ctx.seed, ctx.rates, "late_complaint_handling", complaint_id):
                late_step = rng.choice(sorted(limits))
                overdue = (step_deadline(received, limits[late_step]) - received).days + 1
                steps[late_step] = (overdue, 10)
                for before, after in pairwise(list(steps)):
                    steps[after] = max(steps[after], steps[before])
                # closed a day after the late step at the earliest: the lead's alert is open for a night
                steps["closed"] = max(steps["closed"], (overdue + 1, 11))
                if back == 0 and received >= window_start:
                    out.violations.append(
                        Violation(
                            "late_complaint_handling",
                            e.employer.uscc,
                            e.platform.uscc,
                            None,
                            complaint_id,
                            e.region.jurisdiction,
                            received + dt.timedelta(days=overdue),
                        )
                    )
            for step, (days, hour) in steps.items():
                if received + dt.timedelta(days=days) != ctx.day:
                    continue
                out.add(
                    topic,
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
                        "conclusion": "已处理" if step in CONCLUDED_STEPS else None,
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
