"""The synthetic agencies' world: platforms, partner firms, workers and who works for whom.

Everything derives from (seed, workers) through random.Random instances seeded with strings,
so a world is identical on every machine and run. Regions and minimum wages come from the
dbt seeds (dbt_project/seeds/), the same reference data the models use.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from stdnum.cn import ric, uscc

from core.config import DBT_PROJECT_DIR

INDUSTRY_OCCUPATION = {
    "food_delivery": "delivery_rider",
    "ride_hailing": "ride_hailing_driver",
    "freight": "truck_driver",
    "express": "courier",
    "live_commerce": "live_streamer",
}
PARTNER_KINDS = ("labour_dispatch", "franchisee", "agent", "outsourcer")
# Birth-place codes that stdnum.cn.ric accepts (its table is of historical birth places).
BIRTH_PLACES = ("210122", "210321", "430121", "430221", "330122", "530121", "532322", "110101", "310101")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
BRANDS = ("速达", "飞驰", "安行", "畅运", "优送", "星链", "云途", "快驿", "鲸选", "锦程")
# The platform of each industry that carries a brand of the occupational-injury pilot
# (ref_occupational_injury_pilot_platforms); the other platforms have none, so both kinds are in every world.
PILOT_BRAND = {"food_delivery": "美团", "ride_hailing": "曹操出行", "freight": "货拉拉"}
SUFFIX = {
    "platform": "网络科技有限公司",
    "labour_dispatch": "劳务派遣有限公司",
    "franchisee": "配送服务有限公司",
    "agent": "商务代理有限公司",
    "outsourcer": "人力资源外包有限公司",
}
Record = dict[str, object]  # one record of a feed, as an agency exports it
EPOCH = dt.date(2024, 1, 1)  # onboarding dates fall between EPOCH and ONBOARDING_END
ONBOARDING_END = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    province: str
    jurisdiction: str
    tier: int
    monthly_min: float
    hourly_min: float
    city: str  # the prefecture-level city, whose 人社局 decides its blacklist cases


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    legal_rep_name: str
    legal_rep_id: str
    region: Region
    kind: str
    industry: str
    registered: dt.date
    platforms: tuple[str, ...]  # for a partner firm: the platforms it works for
    brand: str | None = None  # a platform's brand, as the occupational-injury pilot notices name it


@dataclass(frozen=True)
class Worker:
    id_number: str
    name: str
    phone: str
    bank_account: str


@dataclass(frozen=True)
class Engagement:
    """One worker working through one platform for one employer of record."""

    key: str
    worker: Worker
    platform: Enterprise
    employer: Enterprise
    role: str
    occupation: str
    relationship: str
    part_time: bool
    written_agreement: bool
    onboarding: dt.date
    daily_minutes: int  # typical online minutes on a working day
    pay_factor: float  # pay as a multiple of the minimum wage (clean pay is well above it)

    @property
    def region(self) -> Region:
        return self.employer.region

    @property
    def paid_through_wage_account(self) -> bool:
        return self.relationship in ("labour_contract", "not_fully")

    def injury_pilot_binds(self, day: dt.date) -> bool:
        """Whether the occupational-injury pilot binds the platform at the workplace on the day: a pilot brand
        in a pilot province (the region code's first two digits), each in the pilot by then (人社部发〔2021〕110号,
        人社部发〔2025〕24号; the dbt seeds ref_occupational_injury_pilot_*)."""
        platforms, provinces = injury_pilots()
        return self.platform.brand is not None and all(
            key in spells and any(start <= day <= end for start, end in spells[key])
            for key, spells in ((self.platform.brand, platforms), (self.region.code[:2], provinces))
        )


@dataclass(frozen=True)
class World:
    seed: int
    regions: tuple[Region, ...]
    platforms: tuple[Enterprise, ...]
    partners: tuple[Enterprise, ...]
    engagements: tuple[Engagement, ...]

    @property
    def enterprises(self) -> tuple[Enterprise, ...]:
        return self.platforms + self.partners

    @cached_property
    def workers(self) -> tuple[Worker, ...]:
        """Every worker once, in the order they were made."""
        return tuple(dict.fromkeys(e.worker for e in self.engagements))

    @cached_property
    def workers_by_employer(self) -> dict[str, tuple[Worker, ...]]:
        """Employer of record's USCC -> its workers, each once."""
        workers: dict[str, dict[Worker, None]] = {}
        for e in self.engagements:
            workers.setdefault(e.employer.uscc, {})[e.worker] = None
        return {uscc: tuple(w) for uscc, w in workers.items()}

    @cached_property
    def memo(self) -> dict[tuple[str, dt.date], Any]:
        """What is derived from the world by day and asked for again on later days (the orders and cases
        of an issue day: each data day looks back over many): computed once, the world being immutable."""
        return {}


def read_seed(name: str) -> Iterator[dict[str, str]]:
    """The rows of a dbt seed (dbt_project/seeds/<name>.csv): the reference data the models use."""
    path: Path = DBT_PROJECT_DIR / "seeds" / f"{name}.csv"
    with path.open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


PilotSpells = dict[str, list[tuple[dt.date, dt.date]]]


@cache
def injury_pilots() -> tuple[PilotSpells, PilotSpells]:
    """The occupational-injury pilot's platforms (by brand) and provinces (by code), each with its spells."""

    def spells(seed: str, key: str) -> PilotSpells:
        out: PilotSpells = {}
        for r in read_seed(seed):
            end = dt.date.fromisoformat(r["valid_to"]) if r["valid_to"] else dt.date.max
            out.setdefault(r[key], []).append((dt.date.fromisoformat(r["valid_from"]), end))
        return out

    return (
        spells("ref_occupational_injury_pilot_platforms", "platform_brand"),
        spells("ref_occupational_injury_pilot_provinces", "province_code"),
    )


@cache
def load_regions() -> tuple[Region, ...]:
    # The standard in force last (the seed is a history: valid_from, valid_to): clean pay is well above it.
    latest = sorted(read_seed("ref_minimum_wages"), key=lambda r: r.get("valid_from") or "")
    wages = {(r["province"], int(r["tier"])): r for r in latest}
    return tuple(
        Region(
            r["region_code"],
            r["region_name"],
            r["province"],
            r["jurisdiction"],
            int(r["min_wage_tier"]),
            float(wages[(r["province"], int(r["min_wage_tier"]))]["monthly_min"]),
            float(wages[(r["province"], int(r["min_wage_tier"]))]["hourly_min"]),
            r["city"],
        )
        for r in read_seed("ref_regions")
    )


def make_uscc(rng: random.Random, region_code: str) -> str:
    """A USCC that passes GB 32100's check character: 9 (SAMR) 1 (enterprise) + region + org code."""
    body = "91" + region_code + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def make_resident_id(rng: random.Random) -> str:
    """A resident ID that passes GB 11643 (birth place, birth date and check digit)."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(34 * 365))
    body = rng.choice(BIRTH_PLACES) + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _enterprise(
    rng: random.Random, kind: str, industry: str, region: Region, platforms: tuple[str, ...], brand: str | None = None
) -> Enterprise:
    return Enterprise(
        uscc=make_uscc(rng, region.code),
        name=f"{region.name}{rng.choice(BRANDS)}{rng.choice(BRANDS)}{SUFFIX[kind if kind in SUFFIX else 'platform']}",
        legal_rep_name=_person_name(rng),
        legal_rep_id=make_resident_id(rng),
        region=region,
        kind=kind,
        industry=industry,
        registered=EPOCH - dt.timedelta(days=rng.randrange(3000)),
        platforms=platforms,
        brand=brand,
    )


def build_world(seed: int, workers: int) -> World:
    rng = random.Random(f"gigshield-world:{seed}:{workers}")
    regions = load_regions()
    platforms = tuple(
        _enterprise(
            rng,
            "platform",
            industry,
            regions[(i * 2 + j) % len(regions)],
            (),
            PILOT_BRAND.get(industry) if j == 0 else None,
        )
        for i, industry in enumerate(INDUSTRY_OCCUPATION)
        for j in range(2)
    )
    partners = []
    for _ in range(max(10, workers // 50)):
        first = rng.choice(platforms)
        same_industry = [p for p in platforms if p.industry == first.industry and p is not first]
        served = (first.uscc, same_industry[0].uscc) if rng.random() < 0.15 else (first.uscc,)
        partners.append(_enterprise(rng, rng.choice(PARTNER_KINDS), first.industry, rng.choice(regions), served))
    partners_of = {p.uscc: [f for f in partners if p.uscc in f.platforms] for p in platforms}

    engagements = []
    for w in range(workers):
        worker = Worker(
            make_resident_id(rng),
            _person_name(rng),
            f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            f"62{rng.randrange(10**17):017d}",
        )
        chosen = rng.sample(platforms, 2) if rng.random() < 0.12 else [rng.choice(platforms)]  # multi-platform workers
        for n, platform in enumerate(chosen):
            candidates = partners_of[platform.uscc]
            employer = platform if not candidates or rng.random() < 0.3 else rng.choice(candidates)
            relationship = rng.choices(("labour_contract", "not_fully", "civil"), (35, 45, 20))[0]
            engagements.append(
                Engagement(
                    key=f"{w}:{n}",
                    worker=worker,
                    platform=platform,
                    employer=employer,
                    role="platform_self" if employer is platform else employer.kind,
                    occupation=INDUSTRY_OCCUPATION[platform.industry],
                    relationship=relationship,
                    part_time=relationship == "labour_contract" and rng.random() < 0.15,
                    written_agreement=relationship != "civil" or rng.random() < 0.5,
                    onboarding=EPOCH + dt.timedelta(days=rng.randrange((ONBOARDING_END - EPOCH).days)),
                    daily_minutes=rng.randrange(240, 450),
                    pay_factor=round(rng.uniform(1.4, 2.5), 2),
                )
            )
    return World(seed, regions, platforms, tuple(partners), tuple(engagements))
