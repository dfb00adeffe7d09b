"""bench_engine's rule-kind plans and their seeded data.

The policies of the four rule-kind scenarios (``_engine_rules`` describes them)
are written from the constants here, so the pandas baselines read the same
tiers, rates and window; ``generate_year`` makes a year of deals with products,
categories and cancellations, monthly targets and draws, and ``with_products``
gives the reference quarter's deals a product and a category.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections.abc import Mapping, Sequence
from decimal import Decimal

Tables = dict[str, list[dict[str, object]]]

YEAR = 2026
WITHIN = 90
CLAWBACK_MONTH = 4  # its 90-day window reaches back to 1 January
TIERS = ((Decimal(0), "2%"), (Decimal("0.5"), "5%"), (Decimal(1), "8%"))
DRAW_SHARE = "50%"

PRODUCTS = tuple(f"P-{n:02d}" for n in range(1, 21))
CATEGORIES = ("hardware", "software", "services", "support", "training")
HOME = {product: CATEGORIES[n % len(CATEGORIES)] for n, product in enumerate(PRODUCTS)}
BOTH_LINES = {("P-01", "services"): "9.5%"}
PRODUCT_LINES = {"P-01": "12%", "P-04": "10.5%", "P-07": "7.25%", "P-12": "6.75%", "P-19": "15%"}
CATEGORY_LINES = {
    "hardware": "4%",
    "software": "8%",
    "services": "6%",
    "support": "3.5%",
    "training": "5%",
}
DEFAULT_RATE = "2.5%"
LINE_COUNT = len(BOTH_LINES) + len(PRODUCT_LINES) + len(CATEGORY_LINES) + 1

HEAD = """\
perfkit: 1
name: Benchmark {name}
currency: CNY
rounding: {{quantum: "0.01", mode: half_up}}
"""


def _tiers_yaml(indent: str) -> str:
    return "".join(f"{indent}- {{from: {low}, rate: {rate}}}\n" for low, rate in TIERS)


def _lines_yaml(indent: str) -> str:
    lines = [
        f"{{match: {{product: {product}, category: {category}}}, rate: {rate}}}"
        for (product, category), rate in BOTH_LINES.items()
    ]
    lines += [f"{{match: {{product: {p}}}, rate: {rate}}}" for p, rate in PRODUCT_LINES.items()]
    lines += [f"{{match: {{category: {c}}}, rate: {rate}}}" for c, rate in CATEGORY_LINES.items()]
    lines.append(f"{{rate: {DEFAULT_RATE}}}")
    return "".join(f"{indent}- {line}\n" for line in lines)


TIERED_POLICY = (
    HEAD.format(name="marginal tiers")
    + """
tables:
  participants:
    columns: {id: string}
  deals:
    columns: {id: string, owner: string, amount: decimal, closed_on: date}
    key: id
  targets:
    columns: {participant: string, revenue: decimal}

metrics:
  revenue: {table: deals, sum: amount, date: closed_on}

targets:
  revenue: {table: targets, column: revenue}

incentives:
  - id: commission
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      tiers:
"""
    + _tiers_yaml("        ")
)

PER_RECORD_RULE = """\
  - id: commission
    per_record:
      metric: revenue
      keys: [product, category]
      lines:
""" + _lines_yaml("        ")

PER_RECORD_POLICY = (
    HEAD.format(name="per-record lines")
    + """
tables:
  participants:
    columns: {id: string}
  deals:
    columns: {id: string, owner: string, amount: decimal, product: string, category: string,
              closed_on: date}
    key: id

metrics:
  revenue: {table: deals, sum: amount, date: closed_on}

incentives:
"""
    + PER_RECORD_RULE
)

CLAWBACK_POLICY = (
    HEAD.format(name="per-record lines with a clawback")
    + """
tables:
  participants:
    columns: {id: string}
  deals:
    columns: {id: string, owner: string, amount: decimal, product: string, category: string,
              closed_on: date, cancelled_on: date}
    key: id

metrics:
  revenue: {table: deals, sum: amount, date: closed_on}

incentives:
"""
    + PER_RECORD_RULE
    + f"""  - id: clawback
    clawback: {{of: commission, date: cancelled_on, within: {WITHIN}}}
"""
)

SEQUENCE_POLICY = (
    HEAD.format(name="cumulative tiers and a recoverable draw")
    + """
tables:
  participants:
    columns: {id: string, monthly_draw: decimal}
  deals:
    columns: {id: string, owner: string, amount: decimal, closed_on: date}
    key: id
  targets:
    columns: {participant: string, period: string, revenue: decimal}

metrics:
  revenue: {table: deals, sum: amount, date: closed_on}

targets:
  revenue: {table: targets, column: revenue, period: period}

incentives:
  - id: commission
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      cumulative: true
      tiers:
"""
    + _tiers_yaml("        ")
    + f"""  - id: draw
    draw: {{amount: monthly_draw, recoverable: true, recover: {{share: {DRAW_SHARE}}}}}
"""
)


# --- data -------------------------------------------------------------------------


def _cents(units: int) -> Decimal:
    return Decimal(units).scaleb(-2)


def products(count: int, seed: int) -> tuple[list[str], list[str | None]]:
    """Seeded products (a long tail) and categories: mostly the product's own, some not."""
    rng = random.Random(seed + 1)
    weights = [1 / (n + 1) ** 0.8 for n in range(len(PRODUCTS))]
    chosen = rng.choices(PRODUCTS, weights=weights, k=count)
    categories: list[str | None] = []
    for product in chosen:
        draw = rng.random()
        if draw < 0.04:
            categories.append(None)  # uncategorised: only the default line matches
        elif draw < 0.12:
            categories.append(rng.choice(CATEGORIES))  # cross-sold
        else:
            categories.append(HOME[product])
    return chosen, categories


def with_products(deals: Sequence[Mapping[str, object]], seed: int) -> list[dict[str, object]]:
    """The deals again, each with a product and a category."""
    chosen, categories = products(len(deals), seed)
    return [
        {**deal, "product": product, "category": category}
        for deal, product, category in zip(deals, chosen, categories, strict=True)
    ]


def month_label(month: int) -> str:
    """``2026-04`` for 4."""
    return f"{YEAR}-{month:02d}"


def generate_year(deals: int, reps: int, seed: int) -> Tables:
    """Seeded records over the months of 2026: participants, deals, monthly targets.

    Deals carry a product, a category and, for 2% of them, a cancellation 0 to
    90 days after closing (0.5% more are cancelled 91 to 180 days after, too
    late to claw back). Each rep has a monthly draw and twelve monthly targets
    that put the year's attainment between ~0.6 and ~1.7.
    """
    rng = random.Random(seed)
    ids = [f"rep-{i:05d}" for i in range(reps)]
    weights = [rng.uniform(0.3, 1.7) for _ in ids]
    cum = list(itertools.accumulate(weights))
    first = datetime.date(YEAR, 1, 1)
    days = [first + datetime.timedelta(days=d) for d in range(365)]
    owners = rng.choices(range(reps), cum_weights=cum, k=deals)
    chosen, categories = products(deals, seed)
    deal_rows: list[dict[str, object]] = []
    for n, (who, day) in enumerate(zip(owners, rng.choices(days, k=deals), strict=True)):
        cancelled: datetime.date | None = None
        draw = rng.random()
        if draw < 0.02:
            cancelled = day + datetime.timedelta(days=rng.randint(0, WITHIN))
        elif draw < 0.025:
            cancelled = day + datetime.timedelta(days=rng.randint(WITHIN + 1, 2 * WITHIN))
        deal_rows.append(
            {
                "id": f"D{n:07d}",
                "owner": ids[who],
                "amount": _cents(rng.randrange(50_00, 25_000_00)),
                "product": chosen[n],
                "category": categories[n],
                "closed_on": day,
                "cancelled_on": cancelled,
            }
        )
    per_weight = deals / 12 * 12_525 / cum[-1]  # a rep's expected monthly revenue per weight
    participant_rows: list[dict[str, object]] = []
    target_rows: list[dict[str, object]] = []
    for who, name in enumerate(ids):
        monthly = per_weight * weights[who] / rng.uniform(0.6, 1.7)
        participant_rows.append(
            {"id": name, "monthly_draw": _cents(rng.randrange(20, 60) * 100_00)}
        )
        target = _cents(max(1, round(monthly / 100)) * 100_00)
        target_rows += [
            {"participant": name, "period": month_label(m), "revenue": target} for m in range(1, 13)
        ]
    return {"participants": participant_rows, "deals": deal_rows, "targets": target_rows}
