"""Generate the data of perfkit's demo company (``perfkit demo``).

恒泰装备 (Hengtai Equipment, a fictional Chinese B2B seller of machine tools)
has four regions, ten teams and sixty sales reps. This script writes two years
of its records (2025-01-01 to 2026-12-31) as CSV files::

    python scripts/make_demo_data.py                # into src/perfkit/demo/data
    python scripts/make_demo_data.py --out /tmp/x   # anywhere else

The output is deterministic: the same bytes on every run, on every platform.
The only source of randomness is ``random.Random(SEED).random()`` (whose
sequence is fixed for an integer seed); every draw becomes an exact Decimal at
once and all further arithmetic is Decimal (``exp`` included, which Decimal
rounds correctly) or Fraction, so no platform's floating-point library can
change a digit. Nothing iterates over a set or reads the clock.

How targets are set (the rule src/perfkit/demo/README.md documents and
tests/test_demo_data.py recomputes from the CSVs):

* 2025 targets are inputs: they came from the 2024 plan, whose records the
  demo does not hold (``basis`` = ``plan``).
* 2026 targets come from history: a rep's won revenue in the same quarter of
  2025 (deals with stage ``won``, by ``closed_on``, cancellations included, as
  the ``revenue`` metric counts them) times the growth factor 1.15, rounded
  half-up to a multiple of 100 (``history``). A rep whose same quarter fell
  below half the team median is raised to half the team median first
  (``floor``). A rep not employed for the whole same quarter of 2025 gets the
  team median instead (``new_hire``). The team median is taken over the
  team's reps that were employed for the whole same quarter of 2025, with the
  team as of the quarter's first day (or the hire date, if later).
* Ramp: a rep's targets are scaled by the mean of the ramp factors of the
  quarter's three months: 0% in the month of hire, then 25%, 50%, 75%, and
  100% from the fifth month; a month before the hire counts 0%.
"""

from __future__ import annotations

import argparse
import csv
import decimal
import functools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SEED = 20260401
START = date(2025, 1, 1)
END = date(2026, 12, 31)
GROWTH = Decimal("1.15")
CENT = Decimal("0.01")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src" / "perfkit" / "demo" / "data"

# China's official holiday schedules (State Council notices of 2024-11-12 and
# 2025-11-04): days off, and the weekend days worked to make up for them. The
# demo policy's calendar lists the same dates.
HOLIDAY_RANGES = (
    ("2025-01-01", "2025-01-01"),
    ("2025-01-28", "2025-02-04"),
    ("2025-04-04", "2025-04-06"),
    ("2025-05-01", "2025-05-05"),
    ("2025-05-31", "2025-06-02"),
    ("2025-10-01", "2025-10-08"),
    ("2026-01-01", "2026-01-03"),
    ("2026-02-15", "2026-02-23"),
    ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"),
    ("2026-06-19", "2026-06-21"),
    ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
)
MAKE_UP_DAYS = (
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
)

# region id, Chinese name, teams with their initial number of reps
REGIONS = (
    ("east", "华东", (("east-1", 6), ("east-2", 6), ("east-3", 5))),
    ("north", "华北", (("north-1", 6), ("north-2", 5))),
    ("south", "华南", (("south-1", 6), ("south-2", 6), ("south-3", 5))),
    ("west", "西部", (("west-1", 6), ("west-2", 5))),
)
# reps hired during the data: number, team, hire date
HIRES = (
    (57, "north-2", date(2025, 10, 13)),
    (58, "east-3", date(2026, 4, 13)),
    (59, "south-3", date(2026, 5, 18)),
    (60, "west-2", date(2026, 7, 6)),
)
# reps who change team: number, new team, first day in the new team
MOVES = (
    (8, "east-3", date(2026, 5, 1)),
    (21, "west-1", date(2026, 7, 1)),
)
# deliberately weak (declining in 2026) and strong (surging in 2026) reps
WEAK = (4, 15, 27, 36, 44, 52)
STRONG = (2, 11, 19, 31, 40, 49)

# quarter seasonality of won revenue: a weak Q1 (Spring Festival), a strong Q4
SEASON = {1: Decimal("0.75"), 2: Decimal("0.95"), 3: Decimal("1.00"), 4: Decimal("1.30")}
# share of a quarter's deals closing in its first, second and third month
MONTH_WEIGHTS = (Decimal("0.27"), Decimal("0.31"), Decimal("0.42"))
# product: (median amount, log-spread, lowest, highest, weight in the mix)
PRODUCTS = {
    "laser_cutter": (Decimal(180000), Decimal("0.40"), Decimal(60000), Decimal(500000), 20),
    "cnc_lathe": (Decimal(90000), Decimal("0.45"), Decimal(25000), Decimal(400000), 35),
    "compressor": (Decimal(26000), Decimal("0.50"), Decimal(5000), Decimal(120000), 25),
    "service": (Decimal(15000), Decimal("0.50"), Decimal(5000), Decimal(80000), 20),
}
RAMP = {1: Fraction(0), 2: Fraction(1, 4), 3: Fraction(1, 2), 4: Fraction(3, 4)}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
    "宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华飞玲婷雪琳晨宇浩凯欣佳悦晓峰然博文斌亮萍颖"


class Draw:
    """Random draws as exact Decimals, from ``random.Random(seed).random()`` only."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def uniform(self, low: Decimal | str = "0", high: Decimal | str = "1") -> Decimal:
        """A Decimal uniformly in ``[low, high)``."""
        low, high = Decimal(low), Decimal(high)
        return low + (high - low) * Decimal(self._rng.random())

    def normal(self) -> Decimal:
        """An approximately standard normal draw (Irwin-Hall: 12 uniforms - 6)."""
        return sum((Decimal(self._rng.random()) for _ in range(12)), Decimal(-6))

    def lognormal(self, median: Decimal, spread: Decimal) -> Decimal:
        """``median * exp(spread * normal)``."""
        return median * (spread * self.normal()).exp()

    def chance(self, probability: Decimal | str) -> bool:
        """True with the given probability."""
        return Decimal(self._rng.random()) < Decimal(probability)

    def poisson(self, mean: Decimal) -> int:
        """A Poisson count (Knuth's method, in Decimal)."""
        if mean <= 0:
            return 0
        limit = (-mean).exp()
        count, product = 0, Decimal(self._rng.random())
        while product > limit:
            count += 1
            product *= Decimal(self._rng.random())
        return count

    def index(self, size: int) -> int:
        """An integer in ``[0, size)``."""
        return int(Decimal(self._rng.random()) * size)

    def pick(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return items[self.index(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[Decimal | int]) -> T:
        """One item, with probability proportional to its weight."""
        total = sum((Decimal(w) for w in weights), Decimal(0))
        point = Decimal(self._rng.random()) * total
        for item, weight in zip(items, weights, strict=True):
            point -= Decimal(weight)
            if point < 0:
                return item
        return items[-1]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


HOLIDAYS = frozenset(d for a, b in HOLIDAY_RANGES for d in _days(_day(a), _day(b)))
EXTRA_WORKING_DAYS = frozenset(_day(d) for d in MAKE_UP_DAYS)


def is_working_day(day: date) -> bool:
    """A weekday that is no holiday, or a make-up weekend day."""
    if day in EXTRA_WORKING_DAYS:
        return True
    return day.weekday() < 5 and day not in HOLIDAYS


@functools.cache
def working_days(start: date, end: date) -> tuple[date, ...]:
    """The working days of ``[start, end)``, in order."""
    return tuple(d for d in _days(start, end - timedelta(days=1)) if is_working_day(d))


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the one before."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: its label and half-open range."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    def months(self) -> list[tuple[date, date]]:
        """The quarter's three months as half-open ranges."""
        firsts = [date(self.year, 3 * self.number - 2 + k, 1) for k in range(3)]
        return list(zip(firsts, [*firsts[1:], self.end], strict=True))

    def last_year(self) -> Quarter:
        return Quarter(self.year - 1, self.number)


QUARTERS = [Quarter(year, number) for year in (2025, 2026) for number in (1, 2, 3, 4)]


def money(value: Decimal | Fraction, quantum: Decimal = CENT) -> Decimal:
    """``value`` rounded half-up to a multiple of ``quantum``, shown with cents."""
    exact = Fraction(value) / Fraction(quantum)
    whole = int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))
    return (Decimal(whole) * quantum).quantize(CENT)


def ramp_share(hired: date, quarter: Quarter) -> Fraction:
    """Mean ramp factor of the quarter's months: 0 in the hire month, then 25/50/75/100%."""
    total = Fraction(0)
    for first, _ in quarter.months():
        tenure = (first.year - hired.year) * 12 + first.month - hired.month + 1
        if tenure >= 1:
            total += RAMP.get(tenure, Fraction(1))
    return total / 3


def median(values: Sequence[Decimal]) -> Decimal:
    """The exact median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Rep:
    """A sales rep and the traits that drive their generated records."""

    number: int
    name: str
    team: str
    hired: date
    profile: str
    capacity: Decimal
    trend: Decimal
    win_rate: Decimal
    new_share: Decimal
    diligence: Decimal
    reliability: Decimal
    quality: Decimal
    teamwork: Decimal
    base_salary: Decimal
    target_bonus: Decimal
    # the rep's customers, each with the day from which it is an existing customer
    book: list[tuple[str, date]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"rep-{self.number:03d}"

    def team_on(self, day: date) -> str:
        """The rep's team on ``day``."""
        team = self.team
        for number, new_team, since in MOVES:
            if number == self.number and day >= since:
                team = new_team
        return team

    def window(self, quarter: Quarter) -> tuple[date, date] | None:
        """The part of the quarter the rep is employed, or None."""
        start = max(quarter.start, self.hired)
        return (start, quarter.end) if start < quarter.end else None


@dataclass
class Company:
    """Everyone, their records and their targets."""

    draw: Draw
    names: list[str] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    people: list[dict[str, str]] = field(default_factory=list)
    org: list[dict[str, str]] = field(default_factory=list)
    deals: list[dict[str, str]] = field(default_factory=list)
    activities: list[dict[str, str]] = field(default_factory=list)
    tasks: list[dict[str, str]] = field(default_factory=list)
    surveys: list[dict[str, str]] = field(default_factory=list)
    targets: list[dict[str, str]] = field(default_factory=list)
    customers: int = 0

    def name(self) -> str:
        """A Chinese name not used yet."""
        while True:
            given = self.draw.pick(GIVEN)
            if self.draw.chance("0.6"):
                given += self.draw.pick(GIVEN)
            full = self.draw.pick(SURNAMES) + given
            if full not in self.names:
                self.names.append(full)
                return full

    def customer(self) -> str:
        """A new customer id."""
        self.customers += 1
        return f"C{self.customers:05d}"


def build_people(company: Company) -> None:
    """Participants (heads, managers, reps) and the effective-dated org tree."""
    draw = company.draw
    company.org.append({"node": "company", "parent": "", "start": "", "end": ""})
    hires = {team: (number, hired) for number, team, hired in HIRES}
    number = 0
    rows: list[dict[str, str]] = []
    for region, _, teams in REGIONS:
        company.org.append({"node": region, "parent": "company", "start": "", "end": ""})
        head_hired = date(2012 + draw.index(6), 1 + draw.index(12), 1 + draw.index(28))
        rows.append(
            {
                "id": f"head-{region}",
                "name": company.name(),
                "role": "head",
                "region": region,
                "team": "",
                "manager": "",
                "hire_date": head_hired.isoformat(),
                "base_salary": str(money(draw.uniform("32000", "40000"), Decimal(10))),
                "target_bonus": str(money(draw.uniform("25000", "35000"), Decimal(100))),
            }
        )
        company.org.append(
            {"node": f"head-{region}", "parent": region, "start": head_hired.isoformat(), "end": ""}
        )
        for team, size in teams:
            company.org.append({"node": team, "parent": region, "start": "", "end": ""})
            manager_hired = date(2014 + draw.index(7), 1 + draw.index(12), 1 + draw.index(28))
            rows.append(
                {
                    "id": f"mgr-{team}",
                    "name": company.name(),
                    "role": "manager",
                    "region": region,
                    "team": team,
                    "manager": f"head-{region}",
                    "hire_date": manager_hired.isoformat(),
                    "base_salary": str(money(draw.uniform("22000", "28000"), Decimal(10))),
                    "target_bonus": str(money(draw.uniform("15000", "22000"), Decimal(100))),
                }
            )
            company.org.append(
                {
                    "node": f"mgr-{team}",
                    "parent": team,
                    "start": manager_hired.isoformat(),
                    "end": "",
                }
            )
            for _ in range(size):
                number += 1
                hired = date(2016 + draw.index(9), 1 + draw.index(12), 1 + draw.index(28))
                company.reps.append(new_rep(company, number, team, hired))
            if team in hires:
                hire_number, hired = hires[team]
                company.reps.append(new_rep(company, hire_number, team, hired))
    company.reps.sort(key=lambda r: r.number)
    for rep in company.reps:
        final_team = rep.team_on(END)
        region = final_team.split("-")[0]
        rows.append(
            {
                "id": rep.id,
                "name": rep.name,
                "role": "rep",
                "region": region,
                "team": final_team,
                "manager": f"mgr-{final_team}",
                "hire_date": rep.hired.isoformat(),
                "base_salary": str(rep.base_salary),
                "target_bonus": str(rep.target_bonus),
            }
        )
        start = rep.hired.isoformat()
        for moved, new_team, since in MOVES:
            if moved == rep.number:
                company.org.append(
                    {"node": rep.id, "parent": rep.team, "start": start, "end": since.isoformat()}
                )
                company.org.append(
                    {"node": rep.id, "parent": new_team, "start": since.isoformat(), "end": ""}
                )
                break
        else:
            company.org.append({"node": rep.id, "parent": rep.team, "start": start, "end": ""})
    company.people = sorted(rows, key=lambda r: r["id"])


def new_rep(company: Company, number: int, team: str, hired: date) -> Rep:
    """A rep with traits drawn for their profile (weak, strong or steady)."""
    draw = company.draw
    profile = "weak" if number in WEAK else "strong" if number in STRONG else "steady"
    capacity = min(
        max(draw.lognormal(Decimal(330000), Decimal("0.22")), Decimal(200000)), Decimal(600000)
    )
    # trend: 2026 revenue relative to 2025; traits: low and high bounds of the win rate,
    # visit diligence, on-time reliability, mean CSAT and joint-demo teamwork
    if profile == "weak":
        trend = draw.uniform("0.40", "0.58")
        traits = ("0.42", "0.52", "0.60", "0.75", "0.55", "0.72", "3.3", "3.8", "0.5", "0.8")
    elif profile == "strong":
        trend = draw.uniform("1.50", "1.85")
        traits = ("0.60", "0.70", "1.00", "1.25", "0.90", "0.99", "4.3", "4.7", "1.0", "1.4")
    else:
        trend = draw.uniform("0.98", "1.32")
        traits = ("0.50", "0.65", "0.80", "1.15", "0.78", "0.96", "3.8", "4.5", "0.7", "1.2")
    win_rate = draw.uniform(traits[0], traits[1])
    diligence = draw.uniform(traits[2], traits[3])
    reliability = draw.uniform(traits[4], traits[5])
    quality = draw.uniform(traits[6], traits[7])
    teamwork = draw.uniform(traits[8], traits[9])
    # pay grows with capacity: monthly base 8,000-20,000, quarterly target bonus ~70% of it
    level = (capacity - Decimal(200000)) / Decimal(400000)
    base = Decimal(8000) + Decimal(12000) * (level * Decimal("0.8") + draw.uniform("0", "0.2"))
    base_salary = money(base, Decimal(10)) + (Decimal("0.50") if draw.chance("0.2") else 0)
    target_bonus = money(base * draw.uniform("0.6", "0.8"), Decimal(100))
    rep = Rep(
        number=number,
        name=company.name(),
        team=team,
        hired=hired,
        profile=profile,
        capacity=capacity,
        trend=trend,
        win_rate=win_rate,
        new_share=draw.uniform("0.18", "0.32"),
        diligence=diligence,
        reliability=reliability,
        quality=quality,
        teamwork=teamwork,
        base_salary=base_salary.quantize(CENT),
        target_bonus=target_bonus,
    )
    if hired < START:
        rep.book = [(company.customer(), date.min) for _ in range(10 + draw.index(9))]
    return rep


def pick_day(
    draw: Draw, start: date, end: date, quarter: Quarter, *, weighted: bool
) -> date | None:
    """A working day in ``[start, end)``, favouring the quarter's last month if ``weighted``."""
    if weighted:
        choices: list[tuple[date, ...]] = []
        weights: list[Decimal] = []
        for (first, after), weight in zip(quarter.months(), MONTH_WEIGHTS, strict=True):
            days = working_days(max(first, start), min(after, end))
            if days:
                choices.append(days)
                weights.append(weight)
        if not choices:
            return None
        return draw.pick(draw.weighted(choices, weights))
    days = working_days(start, end)
    return draw.pick(days) if days else None


def amount_for(draw: Draw, product: str) -> Decimal:
    """A deal amount for the product: rounded to 10 CNY, sometimes with a discount."""
    middle, spread, low, high, _ = PRODUCTS[product]
    amount = money(draw.lognormal(middle, spread), Decimal(10))
    if draw.chance("0.25"):  # a negotiated discount leaves cents
        amount = money(amount * (1 - draw.uniform("0.01", "0.08")))
    return min(max(amount, low), high).quantize(CENT)


def expected_revenue(rep: Rep, quarter: Quarter) -> Decimal:
    """The rep's expected won revenue in a quarter (before noise)."""
    year = Decimal(1) if quarter.year == 2025 else rep.trend
    share = ramp_share(rep.hired, quarter)
    return (
        rep.capacity * SEASON[quarter.number] * year * Decimal(share.numerator) / share.denominator
    )


def make_deals(company: Company) -> None:
    """Won, lost and open deals; a few won deals are cancelled later."""
    draw = company.draw
    products = list(PRODUCTS)
    weights = [PRODUCTS[p][4] for p in products]
    raw: list[tuple[date, str, int, dict[str, str]]] = []

    def deal(rep: Rep, stage: str, closed: date | None, created: date) -> dict[str, str]:
        day = closed or created
        known = [customer for customer, since in rep.book if since <= day]
        is_new = draw.chance(rep.new_share) or not known
        customer = company.customer() if is_new else draw.pick(known)
        product = draw.weighted(products, weights)
        return {
            "owner": rep.id,
            "customer_id": customer,
            "product": product,
            "amount": str(amount_for(draw, product)),
            "stage": stage,
            "created_on": created.isoformat(),
            "closed_on": closed.isoformat() if closed else "",
            "is_new_customer": "true" if is_new else "false",
            "cancelled_on": "",
        }

    for quarter in QUARTERS:
        for rep in company.reps:
            window = rep.window(quarter)
            if window is None:
                continue
            first_close = max(window[0], rep.hired + timedelta(days=30))
            goal = expected_revenue(rep, quarter) * (Decimal("0.18") * draw.normal()).exp()
            won: list[dict[str, str]] = []
            total, attempts = Decimal(0), 0
            while total < goal and attempts < 40 and first_close < quarter.end:
                attempts += 1
                closed = pick_day(draw, first_close, quarter.end, quarter, weighted=True)
                if closed is None:
                    break
                created = previous_working_day(closed - timedelta(days=14 + draw.index(120)))
                row = deal(rep, "won", closed, created)
                amount = Decimal(row["amount"])
                if won and total + amount > goal * Decimal("1.25"):
                    continue
                won.append(row)
                total += amount
            lost_mean = len(won) * (1 - rep.win_rate) / rep.win_rate
            lost = []
            for _ in range(draw.poisson(lost_mean)):
                closed = pick_day(draw, first_close, quarter.end, quarter, weighted=True)
                if closed is None:
                    break
                created = previous_working_day(closed - timedelta(days=10 + draw.index(90)))
                lost.append(deal(rep, "lost", closed, created))
            new_customers = []
            for row in won:
                if row["is_new_customer"] == "true":
                    new_customers.append(row["customer_id"])
                if draw.chance("0.02"):
                    cancelled = next_working_day(
                        date.fromisoformat(row["closed_on"]) + timedelta(days=7 + draw.index(140))
                    )
                    if cancelled <= END:
                        row["cancelled_on"] = cancelled.isoformat()
            # a customer won this quarter is an existing customer from the next one on
            rep.book.extend((customer, quarter.end) for customer in new_customers)
            for row in won + lost:
                raw.append((date.fromisoformat(row["closed_on"]), rep.id, len(raw), row))
    for rep in company.reps:  # the pipeline at the end of the data: open deals
        for _ in range(draw.poisson(Decimal(4))):
            created = draw.pick(working_days(max(date(2026, 9, 1), rep.hired), END))
            row = deal(rep, "open", None, created)
            raw.append((created, rep.id, len(raw), row))
    raw.sort(key=lambda item: item[:3])
    company.deals = [{"id": f"D{k + 1:06d}", **row} for k, (*_, row) in enumerate(raw)]


def _present_share(window: tuple[date, date], quarter: Quarter) -> Decimal:
    return Decimal((window[1] - window[0]).days) / Decimal((quarter.end - quarter.start).days)


def make_activities(company: Company) -> None:
    """Visits, calls and joint demos (with a pre-sales engineer)."""
    draw = company.draw
    raw: list[tuple[date, str, int, dict[str, str]]] = []
    for quarter in QUARTERS:
        season = Decimal("0.85") if quarter.number == 1 else Decimal(1)
        for rep in company.reps:
            window = rep.window(quarter)
            if window is None:
                continue
            share = _present_share(window, quarter) * season
            effort = rep.diligence
            if quarter.year == 2026 and rep.profile == "weak":
                effort *= Decimal("0.75")
            counts = (
                ("visit", draw.poisson(Decimal(30) * effort * share)),
                ("call", draw.poisson(Decimal(12) * share)),
                ("demo", draw.poisson(Decimal(6) * rep.teamwork * share)),
            )
            for kind, count in counts:
                for _ in range(count):
                    done = pick_day(draw, window[0], window[1], quarter, weighted=False)
                    if done is not None:
                        row = {"owner": rep.id, "kind": kind, "done_on": done.isoformat()}
                        raw.append((done, rep.id, len(raw), row))
    raw.sort(key=lambda item: item[:3])
    company.activities = [{"id": f"A{k + 1:06d}", **row} for k, (*_, row) in enumerate(raw)]


def make_tasks(company: Company) -> None:
    """Follow-up tasks: done on time, done late, never done, or cancelled."""
    draw = company.draw
    raw: list[tuple[date, str, int, dict[str, str]]] = []
    for quarter in QUARTERS:
        for rep in company.reps:
            window = rep.window(quarter)
            if window is None:
                continue
            reliability = rep.reliability
            if quarter.year == 2026 and rep.profile == "weak":
                reliability *= Decimal("0.85")
            count = max(draw.poisson(Decimal(12) * _present_share(window, quarter)), 1)
            for _ in range(count):
                due = pick_day(draw, window[0], window[1], quarter, weighted=False)
                if due is None:
                    continue
                done: date | None
                roll = draw.uniform()
                if roll < Decimal("0.03"):
                    status, done = "cancelled", None
                elif roll < Decimal("0.07"):
                    status, done = "open", None
                elif draw.chance(reliability):
                    status = "done"
                    done = previous_working_day(due - timedelta(days=draw.index(5)))
                    done = max(done, next_working_day(window[0]))
                else:
                    status = "done"
                    done = next_working_day(due + timedelta(days=1 + draw.index(15)))
                if done is not None and done > END:
                    status, done = "open", None
                row = {
                    "owner": rep.id,
                    "due_on": due.isoformat(),
                    "done_on": done.isoformat() if done else "",
                    "status": status,
                }
                raw.append((due, rep.id, len(raw), row))
    raw.sort(key=lambda item: item[:3])
    company.tasks = [{"id": f"T{k + 1:05d}", **row} for k, (*_, row) in enumerate(raw)]


def make_surveys(company: Company) -> None:
    """Customer satisfaction answers, 1.0 to 5.0 with one decimal."""
    draw = company.draw
    raw: list[tuple[date, str, int, dict[str, str]]] = []
    for quarter in QUARTERS:
        for rep in company.reps:
            window = rep.window(quarter)
            if window is None:
                continue
            quality = rep.quality
            if quarter.year == 2026 and rep.profile == "weak":
                quality -= Decimal("0.2")
            # at least one answer a quarter, so every rep present has a CSAT mean
            count = max(draw.poisson(Decimal("5.5") * _present_share(window, quarter)), 1)
            for _ in range(count):
                answered = pick_day(draw, window[0], window[1], quarter, weighted=False)
                if answered is None:
                    continue
                score = min(max(quality + Decimal("0.45") * draw.normal(), Decimal(1)), Decimal(5))
                row = {
                    "owner": rep.id,
                    "score": str(score.quantize(Decimal("0.1"), ROUND_HALF_UP)),
                    "answered_on": answered.isoformat(),
                }
                raw.append((answered, rep.id, len(raw), row))
    raw.sort(key=lambda item: item[:3])
    company.surveys = [{"id": f"S{k + 1:05d}", **row} for k, (*_, row) in enumerate(raw)]


def won_revenue(deals: Iterable[dict[str, str]], quarter: Quarter) -> dict[str, Decimal]:
    """Won revenue per owner in a quarter, as the ``revenue`` metric counts it."""
    totals: dict[str, Decimal] = {}
    for row in deals:
        if (
            row["stage"] == "won"
            and quarter.start <= date.fromisoformat(row["closed_on"]) < quarter.end
        ):
            totals[row["owner"]] = totals.get(row["owner"], Decimal(0)) + Decimal(row["amount"])
    return totals


def make_targets(company: Company) -> None:
    """Quarterly revenue targets: 2025 from the (unseen) 2024 plan, 2026 from 2025 history."""
    draw = company.draw
    rows: list[dict[str, str]] = []
    for quarter in QUARTERS:
        present = [(rep, rep.window(quarter)) for rep in company.reps]
        reps = [rep for rep, window in present if window is not None]

        def team_of(rep: Rep, quarter: Quarter = quarter) -> str:
            return rep.team_on(max(quarter.start, rep.hired))

        if quarter.year == 2025:
            full: dict[str, Decimal] = {}
            for rep in reps:
                if rep.hired <= quarter.start:
                    planned = rep.capacity * SEASON[quarter.number] * draw.uniform("1.0", "1.25")
                    full[rep.id] = money(planned, Decimal(100))
            medians = {
                team: median([full[r.id] for r in reps if team_of(r) == team and r.id in full])
                for team in sorted({team_of(r) for r in reps})
            }
            for rep in reps:
                basis = "plan" if rep.id in full else "new_hire"
                value = full.get(rep.id, medians[team_of(rep)])
                share = ramp_share(rep.hired, quarter)
                rows.append(
                    target_row(rep, quarter, money(Fraction(value) * share, Decimal(100)), basis)
                )
            continue
        last = quarter.last_year()
        history = won_revenue(company.deals, last)
        experienced = [rep for rep in reps if rep.hired <= last.start]
        medians = {
            team: median([history.get(r.id, Decimal(0)) for r in experienced if team_of(r) == team])
            for team in sorted({team_of(r) for r in experienced})
        }
        for rep in reps:
            team_median = medians[team_of(rep)]
            if rep.hired > last.start:
                basis, base = "new_hire", team_median
            else:
                own = history.get(rep.id, Decimal(0))
                basis, base = (
                    ("history", own) if own >= team_median / 2 else ("floor", team_median / 2)
                )
            exact = Fraction(base) * Fraction(GROWTH) * ramp_share(rep.hired, quarter)
            rows.append(target_row(rep, quarter, money(exact, Decimal(100)), basis))
    company.targets = rows


def target_row(rep: Rep, quarter: Quarter, revenue: Decimal, basis: str) -> dict[str, str]:
    """One row of the targets table."""
    return {"participant": rep.id, "period": quarter.label, "revenue": str(revenue), "basis": basis}


COLUMNS = {
    "participants": (
        "id", "name", "role", "region", "team", "manager", "hire_date", "base_salary",
        "target_bonus",
    ),
    "org": ("node", "parent", "start", "end"),
    "deals": (
        "id", "owner", "customer_id", "product", "amount", "stage", "created_on", "closed_on",
        "is_new_customer", "cancelled_on",
    ),
    "activities": ("id", "owner", "kind", "done_on"),
    "tasks": ("id", "owner", "due_on", "done_on", "status"),
    "surveys": ("id", "owner", "score", "answered_on"),
    "targets": ("participant", "period", "revenue", "basis"),
}  # fmt: skip


def generate(seed: int = SEED) -> dict[str, list[dict[str, str]]]:
    """Every table of the demo company, as rows of text, in file order."""
    decimal.setcontext(decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN))
    company = Company(draw=Draw(seed))
    build_people(company)
    make_deals(company)
    make_activities(company)
    make_tasks(company)
    make_surveys(company)
    make_targets(company)
    return {
        "participants": company.people,
        "org": company.org,
        "deals": company.deals,
        "activities": company.activities,
        "tasks": company.tasks,
        "surveys": company.surveys,
        "targets": company.targets,
    }


def write(tables: dict[str, list[dict[str, str]]], out: Path) -> list[Path]:
    """Write each table to ``out/<name>.csv`` (UTF-8, newline line ends); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in tables.items():
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``--out DIR`` (default: the package's demo/data folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the CSV files")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    args = parser.parse_args(argv)
    for path in write(generate(args.seed), args.out):
        print(f"{path}  {path.stat().st_size:>9,} bytes")


if __name__ == "__main__":
    main()
