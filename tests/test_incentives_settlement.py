"""Settlement and sequences: draws, clawbacks, caps, deductions, adjustments, cumulative tiers.

A period's rules pay their lines; settlement then applies, in order, the
deductions limit, the payout caps, the draws and the negative balance, each
adding a line of its own. ``evaluate_periods`` carries balances, year-to-date
totals and the per-record ledger from one period to the next, returns closed
(``paid``) periods unchanged and pays what their recalculation finds as
adjustment lines in the first open period. The worked examples are those of
docs/incentives/; the properties pin the invariants DOMAIN.md states for them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit as pk
from perfkit import testing

D = Decimal
PROPERTY = settings(max_examples=40, deadline=None)
"""Sequences evaluate several periods per example: keep the counts modest."""

Row = dict[str, object]
MONTHS_2026 = [f"2026-{month:02d}" for month in range(1, 13)]


def dataset(deals: Iterable[Row], **tables: Iterable[Mapping[str, object]]) -> pk.Dataset:
    return pk.Dataset.from_records(
        {"deals": list(deals), **{k: list(v) for k, v in tables.items()}}
    )


def deal(key: str, owner: str, amount: str | Decimal, closed_on: str, **more: object) -> Row:
    return {"id": key, "owner": owner, "amount": amount, "closed_on": closed_on, **more}


def payouts(results: Sequence[pk.Result], who: str) -> list[Decimal]:
    return [result.payouts[who] for result in results]


def components(participant: Any) -> dict[str, Decimal]:
    """Component -> the sum of the participant's lines for it."""
    out: dict[str, Decimal] = {}
    for line in participant.lines:
        out[line.component] = out.get(line.component, D(0)) + line.amount
    return out


def amounts_of(results: Sequence[pk.Result], who: str) -> list[list[tuple[str, str, str]]]:
    """Per period: (component, amount, kind) of every line of ``who``."""
    return [
        [(line.component, str(line.amount), line.kind) for line in r.participant(who).lines]
        for r in results
    ]


# --- draws -------------------------------------------------------------------------

DRAW_PLAN = """\
perfkit: 1
name: Draw against commission
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    rate: {on: revenue, rate: 10%}
  - id: draw
    draw: DRAW
"""

# Earnings of 1,000.00, 3,800.00 and 4,500.00 (10% of these sales).
DRAW_MONTHS = dataset(
    [
        deal("D1", "ann", "10000.00", "2026-01-12"),
        deal("D2", "ann", "38000.00", "2026-02-09"),
        deal("D3", "ann", "45000.00", "2026-03-18"),
    ]
)


def draw_policy(draw: str) -> pk.Policy:
    return pk.load_policy(DRAW_PLAN.replace("DRAW", draw))


def test_recoverable_draw_is_recovered_over_three_months() -> None:
    """A 3,000 draw: +2,000 advanced, then 800 and 1,200 recovered; paid == earned."""
    policy = draw_policy("{amount: 3000, recoverable: true, recover: {share: 100%}}")
    results = pk.evaluate_periods(policy, DRAW_MONTHS, ["2026-01", "2026-02", "2026-03"])
    assert amounts_of(results, "ann") == [
        [("commission", "1000.00", "rule"), ("draw", "2000.00", "draw")],
        [("commission", "3800.00", "rule"), ("draw", "-800.00", "draw")],
        [("commission", "4500.00", "rule"), ("draw", "-1200.00", "draw")],
    ]
    assert payouts(results, "ann") == [D("3000.00"), D("3000.00"), D("3300.00")]
    assert [r.participant("ann").balances["draw"] for r in results] == [
        D("2000.00"),
        D("1200.00"),
        D("0.00"),
    ]
    assert sum(payouts(results, "ann")) == D("9300.00")  # 1,000 + 3,800 + 4,500


def test_guarantee_tops_up_and_is_never_recovered() -> None:
    """A non-recoverable draw pays 3,000, 3,800, 4,500: the 2,000 top-up is not owed."""
    policy = draw_policy("{amount: 3000, recoverable: false}")
    results = pk.evaluate_periods(policy, DRAW_MONTHS, ["2026-01", "2026-02", "2026-03"])
    assert payouts(results, "ann") == [D("3000.00"), D("3800.00"), D("4500.00")]
    assert [dict(r.participant("ann").balances) for r in results] == [{}, {}, {}]


def test_recovery_share_and_limit() -> None:
    """Recovering 50% of the excess, at most 500 a month, leaves 1,100 owed after March."""
    policy = draw_policy('{amount: 3000, recoverable: true, recover: {share: 50%, limit: "500"}}')
    results = pk.evaluate_periods(policy, DRAW_MONTHS, ["2026-01", "2026-02", "2026-03"])
    assert payouts(results, "ann") == [D("3000.00"), D("3400.00"), D("4000.00")]
    assert results[-1].participant("ann").balances["draw"] == D("1100.00")


def test_a_month_alone_owes_no_draw() -> None:
    """evaluate() of one month starts with nothing owed: February alone pays 3,800."""
    policy = draw_policy("{amount: 3000, recoverable: true, recover: {share: 100%}}")
    assert pk.evaluate(policy, DRAW_MONTHS, "2026-02").payouts == {"ann": D("3800.00")}


def test_settlement_runs_deductions_caps_draws_in_that_order() -> None:
    """Penalty limited first (+400), then the payout cap (-900), then the guarantee (+500)."""
    policy = testing.build_policy(
        tables={"deals": {"columns": {"id": "string", "owner": "string", "amount": "decimal"}}},
        metrics={"revenue": {"table": "deals", "sum": "amount"}},
        incentives=[
            {"id": "commission", "rate": {"on": "revenue", "rate": "10%"}},
            {"id": "late", "penalty": {"amount": 500}},
            {"id": "draw", "draw": {"amount": 1500, "recoverable": False}},
        ],
        payout={"deductions": "100", "cap": "1000"},
    )
    result = pk.evaluate(
        policy, dataset([{"id": "D1", "owner": "ann", "amount": "20000"}]), "2026-05"
    )
    assert amounts_of([result], "ann") == [
        [
            ("commission", "2000.00", "rule"),
            ("late", "-500.00", "rule"),
            ("payout.deductions", "400.00", "settlement"),
            ("payout.cap", "-900.00", "settlement"),
            ("draw", "500.00", "draw"),  # settled after the caps
        ]
    ]
    assert result.payouts == {"ann": D("1500.00")}


# --- clawbacks and refunds -----------------------------------------------------------

CLAWBACK_PLAN = """\
perfkit: 1
name: Commission with clawback
currency: CNY
tables:
  deals:
    columns:
      {id: string, owner: string, amount: decimal, product: string, closed_on: date,
       cancelled_on: date}
    key: id
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines:
        - {match: {product: service}, rate: 10%}
        - {rate: 5%}
  - id: clawback
    clawback: {of: commission, date: cancelled_on, within: 90}
"""


def cancellable(
    key: str, owner: str, amount: str, closed: str, cancelled: str | None, product: str = "service"
) -> Row:
    return deal(key, owner, amount, closed, product=product, cancelled_on=cancelled)


def test_clawback_in_the_next_period_at_the_amount_paid() -> None:
    """A deal paid in January and cancelled in February: one -2,000 line linked to 2026-01."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset(
        [
            cancellable("D1", "ann", "20000.00", "2026-01-10", "2026-02-05"),
            cancellable("D2", "ann", "12000.00", "2026-01-20", None, product="hardware"),
        ]
    )
    january, february = pk.evaluate_periods(policy, data, ["2026-01", "2026-02"])
    assert january.participant("ann").records == {
        "commission": {"D1": Fraction(2000), "D2": Fraction(600)}
    }
    (line,) = [x for x in february.participant("ann").lines if x.kind == "clawback"]
    assert (line.component, line.amount, line.record, line.original_period) == (
        "clawback",
        D("-2000.00"),
        "D1",
        "2026-01",
    )
    assert line.note == "reverses commission paid in 2026-01 on record D1"
    # From the stored ledger, or by evaluating January again: the same line.
    (_, from_json) = pk.evaluate_periods(
        policy, data, ["2026-01", "2026-02"], paid=[january.to_json()]
    )
    alone = pk.evaluate(policy, data, "2026-02")
    assert from_json.lines == february.lines
    assert alone.lines == february.lines


def test_clawback_reverses_what_was_paid_even_after_a_rate_change() -> None:
    """A version raising the rate from February does not change what January's deal gives back."""
    raised = CLAWBACK_PLAN + (
        "versions:\n"
        "  - from: 2026-02-01\n"
        "    incentives:\n"
        "      - id: commission\n"
        "        per_record: {metric: revenue, lines: [{rate: 20%}]}\n"
        "      - id: clawback\n"
        "        clawback: {of: commission, date: cancelled_on, within: 90}\n"
    )
    policy = pk.load_policy(raised)
    data = dataset([cancellable("D1", "ann", "20000.00", "2026-01-10", "2026-02-05")])
    _, february = pk.evaluate_periods(policy, data, ["2026-01", "2026-02"])
    assert components(february.participant("ann")) == {
        "commission": D("0.00"),
        "clawback": D("-2000.00"),  # 10% as paid in January, not 20%
    }


def test_refund_nets_to_zero_in_the_same_period() -> None:
    """A credit note of -5,000 against a 5,000 deal: +250 and -250 in one line, no clawback."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset(
        [
            cancellable("D4", "ann", "5000.00", "2026-02-12", None, product="hardware"),
            cancellable("D5", "ann", "-5000.00", "2026-02-20", None, product="hardware"),
        ]
    )
    (february,) = pk.evaluate_periods(policy, data, ["2026-02"])
    ann = february.participant("ann")
    assert components(ann) == {"commission": D("0.00"), "clawback": D("0.00")}
    assert [line.kind for line in ann.lines] == ["rule", "rule"]


def test_a_deal_cancelled_after_a_netting_refund_is_still_clawed_back() -> None:
    """January's D1 is refunded in February (R1), where D2 is sold; D2 is cancelled in March."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset(
        [
            cancellable("D1", "ann", "5000.00", "2026-01-10", None, "hardware"),
            cancellable("R1", "ann", "-5000.00", "2026-02-03", None, "hardware"),
            cancellable("D2", "ann", "5000.00", "2026-02-10", "2026-03-05", "hardware"),
        ]
    )
    results = pk.evaluate_periods(policy, data, ["2026-01", "2026-02", "2026-03"])
    assert results[1].participant("ann").records == {
        "commission": {"D2": Fraction(250), "R1": Fraction(-250)}
    }
    assert sum(payouts(results, "ann")) == 0  # every deal was taken back


def test_cancelled_in_the_period_it_closed() -> None:
    """Paid and reversed in the same month: the clawback is linked to that month."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset([cancellable("D3", "ann", "8000.00", "2026-02-11", "2026-02-25", "hardware")])
    february = pk.evaluate(policy, data, "2026-02")
    assert amounts_of([february], "ann") == [
        [("commission", "400.00", "rule"), ("clawback", "-400.00", "clawback")]
    ]
    assert february.lines[-1].original_period == "2026-02"
    assert february.payouts == {"ann": D("0.00")}


@pytest.mark.parametrize(
    ("cancelled", "clawed_back"),
    [
        ("2026-04-05", "-3000.00"),  # day 90 after 2026-01-05: inside the window
        ("2026-04-06", "0.00"),  # day 91: the commission stands
    ],
)
def test_the_window_includes_its_last_day(cancelled: str, clawed_back: str) -> None:
    """within: 90 counts cancellations from day 0 to day 90 after the record's date."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset([cancellable("D7", "bob", "30000.00", "2026-01-05", cancelled)])
    results = pk.evaluate_periods(policy, data, ["2026-01", "2026-02", "2026-03", "2026-04"])
    assert components(results[-1].participant("bob"))["clawback"] == D(clawed_back)


def test_clawback_of_several_records_nets_the_line_to_zero() -> None:
    """Cancelling every deal of a period takes back exactly the line that paid them."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    data = dataset(
        [
            cancellable("D1", "ann", "4150.50", "2026-01-10", "2026-02-05", "hardware"),
            cancellable("D2", "ann", "4150.50", "2026-01-11", "2026-02-05", "hardware"),
        ]
    )
    results = pk.evaluate_periods(policy, data, ["2026-01", "2026-02"])
    assert payouts(results, "ann")[0] == D("415.05")
    assert sum(payouts(results, "ann")) == 0


# --- prior-period adjustments and stored results ---------------------------------------

ADJUSTED_PLAN = """\
perfkit: 1
name: Monthly commission
currency: CNY
tables:
  participants: {columns: {id: string}}
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
  deals_won: {table: deals, count: true, date: closed_on, where: "amount > 0"}
incentives:
  - id: commission
    tiered:
      on: revenue
      mode: marginal
      tiers: [{from: 0, rate: 5%}, {from: 20000, rate: 8%}]
  - id: spiff
    spiff: {per: record, metric: deals_won, amount: 100}
  - id: low_sales
    penalty: {amount: 300}
    when: "revenue < 10000"
  - id: draw
    draw: {amount: 1500, recoverable: true, recover: {share: 100%}}
payout:
  deductions: "50% * earnings"
"""
PEOPLE = [{"id": "ann"}, {"id": "bob"}, {"id": "cy"}]


def people_dataset(deals: Iterable[Row]) -> pk.Dataset:
    return dataset(deals, participants=PEOPLE)


def test_adjustments_equal_the_recalculation() -> None:
    """January corrected after it was paid: February adjusts each component to the cent."""
    policy = pk.load_policy(ADJUSTED_PLAN)
    before = [
        deal("D1", "ann", "18000.00", "2026-01-10"),
        deal("D2", "ann", "10000.00", "2026-02-11"),
        deal("D3", "bob", "25000.00", "2026-01-15"),
    ]
    after = [
        deal("D1", "ann", "24000.00", "2026-01-10"),  # corrected
        before[1],
        before[2],
        deal("D4", "cy", "4000.00", "2026-01-30"),  # entered late
    ]
    (paid,) = pk.evaluate_periods(policy, people_dataset(before), ["2026-01"])
    january, february = pk.evaluate_periods(
        policy, people_dataset(after), ["2026-01", "2026-02"], paid=[paid.to_json()]
    )
    assert january.to_json() == paid.to_json()  # closed: returned as it was paid
    recalculated = pk.evaluate(policy, people_dataset(after), "2026-01")
    adjustments = {
        (line.participant, line.component): line.amount
        for line in february.lines
        if line.kind == "adjustment"
    }
    assert adjustments == {
        ("ann", "commission"): D("420.00"),  # 900.00 paid, 1,320.00 recalculated
        # cy had nothing in January: her 300.00 penalty was all given back (limit 0.00);
        # with 300.00 earned, the limit is 150.00, so 150.00 less is given back.
        ("cy", "commission"): D("200.00"),
        ("cy", "spiff"): D("100.00"),
        ("cy", "payout.deductions"): D("-150.00"),
    }
    assert all(
        line.original_period == "2026-01" for line in february.lines if line.kind == "adjustment"
    )
    (ann_adjustment,) = [
        line for line in february.participant("ann").lines if line.kind == "adjustment"
    ]
    assert ann_adjustment.note == (
        "2026-01 commission paid 900.00, recalculated 1320.00: revenue 18000.00 -> 24000.00"
    )
    for p in recalculated.participants:
        paid_lines = components(paid.participant(p.id))
        now = components(p)
        for component, amount in now.items():
            if component == "draw":
                continue  # draws settle in the open period: never adjusted
            adjustment = adjustments.get((p.id, component), D(0))
            assert paid_lines.get(component, D(0)) + adjustment == amount


def test_adjustments_are_not_capped_twice() -> None:
    """Paid + adjusted over two months == the two months recalculated, under a payout cap."""
    policy = testing.build_policy(
        tables={
            "deals": {
                "columns": {
                    "id": "string",
                    "owner": "string",
                    "amount": "decimal",
                    "closed_on": "date",
                },
                "key": "id",
            }
        },
        metrics={"revenue": {"table": "deals", "sum": "amount", "date": "closed_on"}},
        incentives=[{"id": "commission", "rate": {"on": "revenue", "rate": "5%"}}],
        payout={"cap": "1000"},
    )
    february_deal = deal("D2", "ann", "20000.00", "2026-02-11")
    before = dataset([deal("D1", "ann", "18000.00", "2026-01-10"), february_deal])
    after = dataset([deal("D1", "ann", "24000.00", "2026-01-10"), february_deal])
    (paid,) = pk.evaluate_periods(policy, before, ["2026-01"])
    adjusted = pk.evaluate_periods(policy, after, ["2026-01", "2026-02"], paid=[paid])
    right_first = pk.evaluate_periods(policy, after, ["2026-01", "2026-02"])
    assert payouts(right_first, "ann") == [D("1000.00"), D("1000.00")]
    assert sum(payouts(adjusted, "ann")) == D("2000.00")  # is 900.00 + 1,000.00


def test_adjusted_penalties_are_not_limited_twice() -> None:
    """January falls below the penalty threshold after it was paid: 1,100.00 over two months."""
    policy = testing.build_policy(
        tables={
            "deals": {
                "columns": {
                    "id": "string",
                    "owner": "string",
                    "amount": "decimal",
                    "closed_on": "date",
                },
                "key": "id",
            }
        },
        metrics={"revenue": {"table": "deals", "sum": "amount", "date": "closed_on"}},
        incentives=[
            {"id": "commission", "rate": {"on": "revenue", "rate": "10%"}},
            {"id": "low_sales", "penalty": {"amount": 300}, "when": "revenue < 10000"},
        ],
        payout={"deductions": "100"},
    )
    february_deal = deal("D2", "ann", "5000.00", "2026-02-10")
    before = dataset([deal("D1", "ann", "12000.00", "2026-01-10"), february_deal])
    after = dataset([deal("D1", "ann", "8000.00", "2026-01-10"), february_deal])
    (paid,) = pk.evaluate_periods(policy, before, ["2026-01"])
    adjusted = pk.evaluate_periods(policy, after, ["2026-01", "2026-02"], paid=[paid])
    right_first = pk.evaluate_periods(policy, after, ["2026-01", "2026-02"])
    assert payouts(right_first, "ann") == [D("700.00"), D("400.00")]
    assert sum(payouts(adjusted, "ann")) == D("1100.00")  # is 1,200.00 + 200.00


def test_no_open_period_for_the_adjustments_is_an_error() -> None:
    """Differences found in closed periods are never dropped: the call asks for the next one."""
    policy = pk.load_policy(ADJUSTED_PLAN)
    (paid,) = pk.evaluate_periods(
        policy, people_dataset([deal("D1", "ann", "100.00", "2026-01-03")]), ["2026-01"]
    )
    changed = people_dataset([deal("D1", "ann", "200.00", "2026-01-03")])
    with pytest.raises(pk.EvaluationError, match="add the next period"):
        pk.evaluate_periods(policy, changed, ["2026-01"], paid=[paid])


ROUND_TRIP_PLAN = """\
perfkit: 1
name: Three percent with clawback
currency: CNY
tables:
  deals:
    columns:
      {id: string, owner: string, amount: decimal, product: string, closed_on: date,
       cancelled_on: date}
    key: id
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    per_record: {metric: revenue, lines: [{rate: 3%}]}
  - id: clawback
    clawback: {of: commission, date: cancelled_on, within: 90}
payout:
  negative: carry
"""


def test_json_round_trip_keeps_balances_and_the_ledger() -> None:
    """Result.from_json gives back lines, balances and per-record amounts exactly."""
    policy = pk.load_policy(ROUND_TRIP_PLAN)
    data = dataset(
        [
            cancellable("D1", "ann", "4150.50", "2026-01-10", "2026-02-05"),  # 124.515
            cancellable("D2", "ann", "12000.00", "2026-01-20", None),
        ]
    )
    months = ["2026-01", "2026-02", "2026-03"]
    january, february, _ = pk.evaluate_periods(policy, data, months)
    # Each record's share of the rounded line (484.515 rounded to 484.52), kept exactly.
    scale = Fraction("484.52") / Fraction("484.515")
    ledger = january.participant("ann").records["commission"]
    assert ledger == {"D1": Fraction("124.515") * scale, "D2": 360 * scale}
    assert sum(ledger.values()) == Fraction("484.52")
    assert json.loads(january.to_json())["participants"][0]["records"] == {
        "commission": {"D1": "33516671/269175", "D2": "3876160/10767"}
    }
    assert february.payouts == {"ann": D("0.00")}  # -124.52 clawed back, carried
    assert february.participant("ann").balances == {"carried": D("124.52")}
    stored = json.loads(february.to_json())["participants"][0]
    assert stored["balances"] == {"carried": "124.52"}
    for result in (january, february):
        again = pk.Result.from_json(result.to_json())
        assert again.to_json() == result.to_json()
        assert again.participants == result.participants
    # Results, their JSON or their dicts as paid: the same sequence.
    forms: list[list[Any]] = [
        [january, february],
        [january.to_json(), february.to_json()],
        [january.to_dict(), february.to_dict()],
    ]
    runs = [pk.evaluate_periods(policy, data, months, paid=form) for form in forms]
    assert len({tuple(r.to_json() for r in run) for run in runs}) == 1


def test_a_result_read_back_cannot_be_explained() -> None:
    """The trace needs the evaluation: a stored result says so instead of guessing."""
    policy = draw_policy("{amount: 3000, recoverable: true, recover: {share: 100%}}")
    result = pk.Result.from_json(pk.evaluate(policy, DRAW_MONTHS, "2026-01").to_json())
    with pytest.raises(pk.EvaluationError, match="not produced by evaluate"):
        result.explain("ann")


# --- cumulative tiers -------------------------------------------------------------------

CUMULATIVE_PLAN = """\
perfkit: 1
name: Year-to-date tiers
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  sales: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    tiered:
      on: sales
      mode: MODE
      cumulative: true
      tiers: [{from: 0, rate: 2%}, {from: 100000, rate: 5%}, {from: 150000, rate: 8%}]
"""
MARGINAL_YTD = pk.load_policy(CUMULATIVE_PLAN.replace("MODE", "marginal"))
RETROACTIVE_YTD = pk.load_policy(CUMULATIVE_PLAN.replace("MODE", "retroactive"))


def test_cumulative_months_sum_to_the_annual_calculation() -> None:
    """60k, 70k, 50k, -10k: 1,200 + 2,300 + 3,400 - 800 = 6,100, the year's own amount."""
    data = dataset(
        [
            deal("S1", "ann", "60000.00", "2026-01-15"),
            deal("S2", "ann", "70000.00", "2026-02-10"),
            deal("S3", "ann", "50000.00", "2026-03-20"),
            deal("S4", "ann", "-10000.00", "2026-04-02"),
        ]
    )
    year = pk.evaluate_periods(MARGINAL_YTD, data, MONTHS_2026)
    monthly = payouts(year, "ann")
    assert monthly[:5] == [D("1200.00"), D("2300.00"), D("3400.00"), D("-800.00"), D("0.00")]
    assert sum(monthly) == D("6100.00") == pk.evaluate(MARGINAL_YTD, data, "FY2026").payouts["ann"]
    assert (
        year[1]
        .participant("ann")
        .notes["commission"]
        .endswith("year to date 3500.00 less 1200.00 earned before this period")
    )


def test_cumulative_tiers_on_attainment_use_the_year_target() -> None:
    """Monthly quotas of 10,000 make a year target of 120,000 for year-to-date attainment."""
    policy = pk.load_policy(
        """\
perfkit: 1
name: Annual quota paid monthly
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
  quotas: {columns: {participant: string, period: string, revenue: decimal}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
targets:
  revenue: {table: quotas, column: revenue, period: period}
incentives:
  - id: commission
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      cumulative: true
      tiers: [{from: 0, rate: 4%}, {from: 100%, rate: 10%}]
"""
    )
    data = dataset(
        [
            deal("Q1", "ann", "30000.00", "2026-01-15"),
            deal("Q2", "ann", "50000.00", "2026-02-10"),
            deal("Q3", "ann", "60000.00", "2026-03-20"),
        ],
        quotas=[{"participant": "ann", "period": m, "revenue": "10000.00"} for m in MONTHS_2026],
    )
    quarter = pk.evaluate_periods(policy, data, MONTHS_2026[:3])
    assert payouts(quarter, "ann") == [D("1200.00"), D("2000.00"), D("3600.00")]


# --- properties -----------------------------------------------------------------------

money = testing.amounts(min_value=0, max_value=200_000)
signed_money = testing.amounts(min_value=-20_000, max_value=200_000)
day_of_2026 = st.integers(min_value=0, max_value=364).map(
    lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n)
)

CAPPED = testing.build_policy(
    tables={
        "participants": {
            "columns": {"id": "string", "rule_cap": "decimal", "payout_cap": "decimal"}
        },
        "deals": {
            "columns": {"id": "string", "owner": "string", "amount": "decimal", "closed_on": "date"}
        },
    },
    metrics={"revenue": {"table": "deals", "sum": "amount", "date": "closed_on"}},
    incentives=[
        {
            "id": "commission",
            "tiered": {
                "on": "revenue",
                "mode": "retroactive",
                "tiers": [{"from": 0, "rate": "3%"}, {"from": 50000, "rate": "7%"}],
            },
            "cap": "rule_cap",
        },
        {"id": "bonus", "amount": "revenue * 1%", "cap": "rule_cap"},
    ],
    payout={"cap": "payout_cap"},
)


@PROPERTY
@given(
    caps=st.lists(st.tuples(money, money), min_size=1, max_size=3),
    sales=st.lists(st.tuples(st.integers(0, 2), signed_money, day_of_2026), max_size=8),
)
def test_rule_caps_and_the_payout_cap_are_never_exceeded(
    caps: list[tuple[Decimal, Decimal]], sales: list[tuple[int, Decimal, datetime.date]]
) -> None:
    """Every capped line is at most its cap, and every payout at most the payout cap."""
    people = [
        {"id": f"p{i}", "rule_cap": rule_cap, "payout_cap": payout_cap}
        for i, (rule_cap, payout_cap) in enumerate(caps)
    ]
    deals = [
        deal(f"d{n}", f"p{who % len(caps)}", amount, str(day))
        for n, (who, amount, day) in enumerate(sales)
    ]
    result = pk.evaluate(CAPPED, dataset(deals, participants=people), "2026-Q2")
    for i, (rule_cap, payout_cap) in enumerate(caps):
        p = result.participant(f"p{i}")
        assert all(line.amount <= rule_cap for line in p.lines if line.kind == "rule")
        assert p.payout <= payout_cap
        assert p.payout == sum(line.amount for line in p.lines)


LIMITED = testing.build_policy(
    tables={
        "participants": {
            "columns": {
                "id": "string",
                "fine": "decimal",
                "other_fine": "decimal",
                "share": "decimal",
            }
        },
        "deals": {"columns": {"id": "string", "owner": "string", "amount": "decimal"}},
    },
    metrics={"revenue": {"table": "deals", "sum": "amount"}},
    incentives=[
        {"id": "commission", "rate": {"on": "revenue", "rate": "5%"}},
        {"id": "fine_1", "penalty": {"amount": "fine"}},
        {"id": "fine_2", "penalty": {"amount": "other_fine * 1.005"}},
    ],
    payout={"deductions": "share * earnings"},
)


@PROPERTY
@given(
    fines=st.tuples(testing.amounts(max_value=5000), testing.amounts(max_value=5000)),
    share=testing.percentages(max_value=100),
    revenue=signed_money,
)
def test_the_deductions_limit_is_never_breached(
    fines: tuple[Decimal, Decimal], share: Decimal, revenue: Decimal
) -> None:
    """Penalties net of the settlement line never take more than the limit, nor give back more."""
    person = {"id": "ann", "fine": fines[0], "other_fine": fines[1], "share": share}
    data = dataset([{"id": "D1", "owner": "ann", "amount": revenue}], participants=[person])
    ann = pk.evaluate(LIMITED, data, "2026-05").participant("ann")
    lines = components(ann)
    penalties = lines["fine_1"] + lines["fine_2"]
    given_back = lines.get("payout.deductions", D(0))
    limit = max(pk.quantize(share * lines["commission"], D("0.01"), "half_up"), D(0))
    assert given_back >= 0
    assert -(penalties + given_back) <= limit
    assert -(penalties + given_back) == min(-penalties, limit)


@PROPERTY
@given(
    sales=st.lists(st.tuples(signed_money, day_of_2026), max_size=10),
    retroactive=st.booleans(),
)
def test_quarters_in_sequence_sum_to_the_year_to_date_calculation(
    sales: list[tuple[Decimal, datetime.date]], retroactive: bool
) -> None:
    """A cumulative tiered plan: four quarters summed == the year evaluated at once."""
    policy = RETROACTIVE_YTD if retroactive else MARGINAL_YTD
    data = dataset(deal(f"s{n}", "ann", amount, str(day)) for n, (amount, day) in enumerate(sales))
    quarters = pk.evaluate_periods(policy, data, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
    year = pk.evaluate(policy, data, "FY2026")
    if not sales:
        assert quarters[0].participants == () == year.participants
        return
    assert sum(payouts(quarters, "ann")) == year.payouts["ann"]
    # Each quarter evaluated alone pays the same increment.
    assert [pk.evaluate(policy, data, q.period).payouts["ann"] for q in quarters] == payouts(
        quarters, "ann"
    )


@PROPERTY
@given(
    amount=testing.amounts(min_value=1, max_value=100_000),
    product=st.sampled_from(["service", "hardware"]),
    closed=st.integers(min_value=0, max_value=58),
    delay=st.integers(min_value=0, max_value=90),
)
def test_clawback_and_original_net_to_zero_for_a_cancelled_deal(
    amount: Decimal, product: str, closed: int, delay: int
) -> None:
    """A deal cancelled within the window is paid, then taken back exactly: it nets to 0.00."""
    policy = pk.load_policy(CLAWBACK_PLAN)
    closed_on = datetime.date(2026, 1, 1) + datetime.timedelta(days=closed)
    cancelled_on = closed_on + datetime.timedelta(days=delay)
    data = dataset(
        [cancellable("D1", "ann", str(amount), str(closed_on), str(cancelled_on), product)]
    )
    results = pk.evaluate_periods(policy, data, MONTHS_2026[:6])
    assert sum(payouts(results, "ann")) == 0
    (clawback,) = [line for r in results for line in r.lines if line.kind == "clawback"]
    assert clawback.original_period == closed_on.strftime("%Y-%m")
    assert clawback.period == cancelled_on.strftime("%Y-%m")


deal_rows = st.lists(
    st.tuples(
        st.sampled_from(["ann", "bob", "cy"]),
        testing.amounts(min_value=-5_000, max_value=60_000),
        st.integers(min_value=0, max_value=58),  # a day of January or February
    ),
    max_size=8,
)


def as_deals(rows: Sequence[tuple[str, Decimal, int]], prefix: str) -> list[Row]:
    return [
        deal(
            f"{prefix}{n}",
            owner,
            amount,
            str(datetime.date(2026, 1, 1) + datetime.timedelta(days=offset)),
        )
        for n, (owner, amount, offset) in enumerate(rows)
    ]


@PROPERTY
@given(original=deal_rows, changed=deal_rows, kept=st.lists(st.booleans(), max_size=8))
def test_adjustments_plus_original_equal_the_recalculation(
    original: list[tuple[str, Decimal, int]],
    changed: list[tuple[str, Decimal, int]],
    kept: list[bool],
) -> None:
    """For every participant and component of January: paid + adjustments == recalculated."""
    policy = pk.load_policy(ADJUSTED_PLAN)
    before = as_deals(original, "a")
    after = [row for row, keep in zip(before, kept + [True] * len(before), strict=False) if keep]
    after += as_deals(changed, "b")
    (paid,) = pk.evaluate_periods(policy, people_dataset(before), ["2026-01"])
    january, february = pk.evaluate_periods(
        policy, people_dataset(after), ["2026-01", "2026-02"], paid=[paid.to_json()]
    )
    assert january.to_json() == paid.to_json()
    recalculated = pk.evaluate(policy, people_dataset(after), "2026-01")
    adjusted: dict[tuple[str, str], Decimal] = {}
    for line in february.lines:
        if line.kind == "adjustment":
            assert line.original_period == "2026-01"
            key = (line.participant, line.component)
            adjusted[key] = adjusted.get(key, D(0)) + line.amount
    for p in recalculated.participants:
        paid_lines, now = components(paid.participant(p.id)), components(p)
        for component in (set(paid_lines) | set(now)) - {"draw"}:
            total = paid_lines.get(component, D(0)) + adjusted.get((p.id, component), D(0))
            assert total == now.get(component, D(0)), (p.id, component)


def test_evaluate_alone_says_a_carried_balance_starts_from_none() -> None:
    """A draw evaluated for one period is noted; in a sequence it is not."""
    policy = pk.load_policy(
        """\
        perfkit: 1
        name: Draw alone
        currency: CNY
        tables:
          deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
        metrics:
          revenue: {table: deals, sum: amount, date: closed_on}
        incentives:
          - id: commission
            rate: {on: revenue, rate: 10%}
          - id: draw
            draw: {amount: 3000, recoverable: true, recover: {share: 100%}}
        """
    )
    data = pk.Dataset.from_records(
        {"deals": [{"id": "D1", "owner": "ann", "amount": D("1000.00"), "closed_on": "2026-02-03"}]}
    )
    (note,) = pk.evaluate(policy, data, "2026-02").diagnostics
    assert note.code == "evaluate.no-history"
    assert note.severity is pk.Severity.INFO
    assert note.message.startswith("draw carry balances or year-to-date totals between periods")
    (alone,) = pk.evaluate_periods(policy, data, ["2026-02"])
    assert alone.diagnostics == ()
