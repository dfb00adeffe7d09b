"""Tiered incentives: marginal and retroactive tiers, paid exactly and checked at load.

Tiers are half-open ``[from, to)`` on a measured value. ``marginal`` (graduated)
pays each slice of the value at its own tier's rate; ``retroactive`` (whole
amount) pays the whole value at the rate of the tier reached. A tier pays a
``rate`` per unit of the value times ``base`` (default 1), or a fixed ``amount``.

Worked examples come from public explanations of tiered commission and tax
brackets, each cited where it is used; the numbers are theirs, recomputed here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

import perfkit as pk
from perfkit import testing
from perfkit._cli import cli
from perfkit._numbers import quantize
from perfkit._plan import evaluate_participant, tiered_amount
from perfkit._policy_tests import run_policy_tests

D = Decimal
F = Fraction
CENT = D("0.01")
Table = list[dict[str, Any]]
"""A tier table as written in a policy: a list of {from, to, rate | amount}."""

# The running example of docs/incentives/marginal-vs-retroactive.md: 10% up to
# 1,000, 15% from 1,000 to 1,800, 20% above. The shape is the textbook graduated
# bracket table (tax brackets; "incremental" or "graduated" commission tiers).
BRACKETS: Table = [
    {"from": 0, "rate": "10%"},
    {"from": 1000, "rate": "15%"},
    {"from": 1800, "rate": "20%"},
]


# --- helpers -----------------------------------------------------------------------


def tiered_policy(
    mode: str,
    tiers: Sequence[Mapping[str, Any]],
    *,
    on: str = "sales",
    base: str | None = None,
    **rule: str,
) -> pk.Policy:
    """A one-rule policy paying ``commission`` on tiers of ``on`` (an attribute)."""
    spec: dict[str, Any] = {"on": on, "mode": mode, "tiers": list(tiers)}
    if base is not None:
        spec["base"] = base
    return testing.build_policy(
        attributes={"sales": "decimal", "quota": "decimal", "max_pay": "decimal"},
        incentives=[{"id": "commission", "tiered": spec, **rule}],
    )


def pay(policy: pk.Policy, **given: str | Decimal) -> Decimal:
    """The rounded ``commission`` line of ``policy`` for one participant's values."""
    return evaluate_participant(policy, given).lines["commission"]


def spec_of(policy: pk.Policy) -> Any:
    """The tier specification of the policy's first rule, as the engine reads it."""
    rule: Any = policy.incentives[0]
    return rule.tiered


def exact(policy: pk.Policy, value: Fraction | str, base: Fraction | int = 1) -> Fraction:
    """The unrounded tiered amount of ``policy``'s first rule at ``value``."""
    return tiered_amount(spec_of(policy), F(value), F(base))


def check_policy_tests(yaml_text: str) -> int:
    """Run the ``tests:`` block of a policy; fail with the report; return how many ran."""
    outcomes = list(run_policy_tests(pk.load_policy(textwrap.dedent(yaml_text))))
    failures = {o.name: o.report() for o in outcomes if not o.passed}
    assert failures == {}
    return len(outcomes)


# --- the 10 / 15 / 20 bracket table ------------------------------------------------


@pytest.mark.parametrize(
    ("sales", "expected"),
    [
        ("0", "0.00"),
        ("500", "50.00"),
        ("999.99", "100.00"),  # 99.999: the slice below 1,000 is not yet full
        ("1000", "100.00"),  # exactly 1,000 is in the 15% tier, whose slice is still empty
        ("1000.01", "100.00"),  # 100 + 0.0015
        ("1400", "160.00"),  # 100 + 400 x 15%
        ("1800", "220.00"),  # 100 + 800 x 15%
        ("2500", "360.00"),  # 100 + 120 + 700 x 20% = 100 + 120 + 140
        ("10000", "1860.00"),  # 100 + 120 + 8,200 x 20%
    ],
)
def test_marginal_brackets_pay_each_slice_at_its_rate(sales: str, expected: str) -> None:
    """Graduated brackets: 2,500 earns 1,000 x 10% + 800 x 15% + 700 x 20% = 360.00."""
    assert pay(tiered_policy("marginal", BRACKETS), sales=sales) == D(expected)


@pytest.mark.parametrize(
    ("sales", "expected"),
    [
        ("999.99", "100.00"),  # 999.99 x 10% = 99.999
        ("1000", "150.00"),  # the whole 1,000 at 15%
        ("1799.99", "270.00"),  # 1,799.99 x 15% = 269.9985
        ("1800", "360.00"),  # the whole 1,800 at 20%
        ("2500", "500.00"),  # the whole 2,500 at 20%
    ],
)
def test_retroactive_brackets_pay_the_whole_value_at_the_rate_reached(
    sales: str, expected: str
) -> None:
    """Whole-amount tiers: 2,500 earns 2,500 x 20% = 500.00."""
    assert pay(tiered_policy("retroactive", BRACKETS), sales=sales) == D(expected)


def test_retroactive_jumps_at_each_boundary_and_marginal_does_not() -> None:
    """One cent across 1,000 adds 50.001 retroactively but 0.001 marginally (exact)."""
    marginal = tiered_policy("marginal", BRACKETS)
    retroactive = tiered_policy("retroactive", BRACKETS)
    assert exact(retroactive, "1000") - exact(retroactive, "999.99") == F("50.001")
    assert exact(marginal, "1000") - exact(marginal, "999.99") == F("0.001")
    # Across 1,800: 1,800 x 20% - 1,799.99 x 15% = 360 - 269.9985
    assert exact(retroactive, "1800") - exact(retroactive, "1799.99") == F("90.0015")
    assert exact(marginal, "1800") - exact(marginal, "1799.99") == F("0.0015")
    # The jump itself (the limit from the left) is boundary x rate difference.
    tiny = F(1, 10**12)
    jump = exact(retroactive, "1000") - exact(retroactive, F(1000) - tiny)
    assert jump == 1000 * (F("0.15") - F("0.10")) + tiny * F("0.10")


def test_the_same_table_pays_more_retroactively_except_in_the_first_tier() -> None:
    """Within the first tier the modes agree; above it retroactive pays more."""
    marginal = tiered_policy("marginal", BRACKETS)
    retroactive = tiered_policy("retroactive", BRACKETS)
    for sales in ("0", "250", "999.99"):
        assert pay(marginal, sales=sales) == pay(retroactive, sales=sales)
    for sales in ("1000", "1800", "2500"):
        assert pay(marginal, sales=sales) < pay(retroactive, sales=sales)


# --- worked examples from public sources --------------------------------------------


def test_non_retroactive_example_of_a_medical_device_rep() -> None:
    """3% to 300,000, 5% to 500,000, 7% above: 600,000 earns 9,000 + 10,000 + 7,000."""
    # Source: SparrowGenie, "Non-Retroactive Commission: A Complete Guide",
    # https://www.sparrowgenie.com/sales-commission-models/non-retroactive-commission
    tiers: Table = [
        {"from": 0, "rate": "3%"},
        {"from": 300000, "rate": "5%"},
        {"from": 500000, "rate": "7%"},
    ]
    assert pay(tiered_policy("marginal", tiers), sales="600000") == D("26000.00")


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        ("400", "100.00"),  # 400 x 25%
        ("100", "25.00"),  # 100 x 25%
        ("5000", "1675.00"),  # 500 x 25% + 2,500 x 30% + 2,000 x 40% = 125 + 750 + 800
        # The page prints 424.98 for 1,500; its own terms (499.99 x 25% + 1,000.01 x
        # 30%) sum to 425.0005. Half-open tiers [0, 500) lose no cent: exactly 425.00.
        ("1500", "425.00"),
    ],
)
def test_tiered_commission_above_earned_breakdown(revenue: str, expected: str) -> None:
    """25% to 500, 30% to 3,000, 40% above, each on the amount above the previous tier."""
    # Source: MyTime Help Center, "Tiered Commission by Revenue Amount (Above Earned
    # Breakdown)", https://help.mytime.com/hc/en-us/articles/360046956372
    tiers: Table = [
        {"from": 0, "rate": "25%"},
        {"from": 500, "rate": "30%"},
        {"from": 3000, "rate": "40%"},
    ]
    assert pay(tiered_policy("marginal", tiers), sales=revenue) == D(expected)


@pytest.mark.parametrize(
    ("brackets", "income", "expected"),
    [
        ([(3, "50%"), (7, "10%"), (12, "25%")], "10", "2.65"),  # 1.50 + 0.40 + 0.75
        ([(1, "0%"), (4, "25%"), (5, "50%")], "2", "0.25"),  # 0 + 1 x 25%
        ([(2, "50%")], "0", "0.00"),
    ],
)
def test_tax_brackets_given_by_upper_bounds(
    brackets: list[tuple[int, str]], income: str, expected: str
) -> None:
    """Brackets written as [upper, percent] are tiers with a closed last tier (``to``)."""
    # Source: LeetCode 2303, "Calculate Amount Paid in Taxes" (examples 1-3),
    # https://leetcode.com/problems/calculate-amount-paid-in-taxes/
    tiers: list[dict[str, Any]] = []
    lower = 0
    for upper, percent in brackets:
        tiers.append({"from": lower, "rate": percent})
        lower = upper
    tiers[-1]["to"] = lower
    assert pay(tiered_policy("marginal", tiers), sales=income) == D(expected)


@pytest.mark.parametrize(("order", "expected"), [("37.5", "7.00"), ("136", "16.11")])
def test_degressive_tranches_falling_rates(order: str, expected: str) -> None:
    """21% to 25, 14% to 40, 11% to 100, 6% above: falling marginal rates still add up."""
    # Source: TrakiTrak Help Center, "Commission system for stores",
    # https://help-stores.trakitrak.com/en/articles/8488621-commission-system-for-stores
    # 136 = 25 x 21% + 15 x 14% + 60 x 11% + 36 x 6% = 5.25 + 2.10 + 6.60 + 2.16
    tiers: Table = [
        {"from": 0, "rate": "21%"},
        {"from": 25, "rate": "14%"},
        {"from": 40, "rate": "11%"},
        {"from": 100, "rate": "6%"},
    ]
    assert pay(tiered_policy("marginal", tiers), sales=order) == D(expected)


@pytest.mark.parametrize(
    ("sales", "expected"),
    [
        ("50000", "1000.00"),  # 500 before the minimum
        ("100000", "1000.00"),
        ("200000", "2000.00"),
        ("400000", "3500.00"),  # 300,000 x 1% + 100,000 x 0.5%
        ("800000", "5500.00"),  # 300,000 x 1% + 500,000 x 0.5%
    ],
)
def test_falling_rate_with_a_minimum_commission(sales: str, expected: str) -> None:
    """1% to 300,000, 0.5% above, at least 1,000: a rule ``floor`` under marginal tiers."""
    # Source: Mike Salkin, "Commission Calculation Examples",
    # http://www.mikesalkin.com/examples.txt
    tiers: Table = [{"from": 0, "rate": "1%"}, {"from": 300000, "rate": "0.5%"}]
    assert pay(tiered_policy("marginal", tiers, floor="1000"), sales=sales) == D(expected)


def test_retroactive_performance_incentive_jumps_at_1000() -> None:
    """5% below 1,000 and 6% from 1,000 on everything: 999 earns 49.95, 1,000 earns 60."""
    # Source: ABestWeb forum, "Performance incentives" (the 5% -> 6% illustration),
    # http://www.abestweb.com/forums/showthread.php?58442-Performance-incentives
    tiers: Table = [{"from": 0, "rate": "5%"}, {"from": 1000, "rate": "6%"}]
    policy = tiered_policy("retroactive", tiers)
    assert pay(policy, sales="999") == D("49.95")
    assert pay(policy, sales="1000") == D("60.00")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("retroactive", "8800.00"),  # non-cumulative: only tier B counts, on all revenue
        ("marginal", "6800.00"),  # cumulative: 100,000 x 6% (tier A) + 10,000 x 8% (tier B)
    ],
)
def test_cumulative_and_non_cumulative_tiers_on_quota_attainment(mode: str, expected: str) -> None:
    """6% under 100% of quota, 8% to 150%, 10% above; a rep at 110% of a 100,000 quota."""
    # Source: Sales Cookie knowledge base, "What is the difference between cumulative
    # and non-cumulative tiers?", https://support2.salescookie.com/portal/en/kb/articles/
    # kb-what-is-the-difference-between-cumulative-and-non-cumulative-tiers
    tiers: Table = [
        {"from": 0, "rate": "6%"},
        {"from": "100%", "rate": "8%"},
        {"from": "150%", "rate": "10%"},
    ]
    policy = tiered_policy(mode, tiers, on="sales / quota", base="quota")
    assert pay(policy, sales=D("110000.00"), quota=D("100000.00")) == D(expected)


# --- plan shapes: excess bonus, accelerator, decelerator, gate, fixed amounts ---------

EXCESS_POLICY = """\
perfkit: 1
name: Bonus on the excess over quota
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal}}
  targets: {columns: {participant: string, revenue: decimal}}
metrics:
  revenue: {table: deals, sum: amount}
targets:
  revenue: {table: targets, column: revenue}
incentives:
  - id: excess
    tiered:
      on: attainment.revenue
      base: target.revenue          # one unit of attainment is worth the whole target
      mode: marginal
      tiers:
        - {from: 0, rate: 0}        # nothing on the quota itself
        - {from: 100%, rate: 10%}   # 10% of every unit above it
  - id: whole_if_over
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: retroactive             # the same table read the other way
      tiers:
        - {from: 0, rate: 0}
        - {from: 100%, rate: 10%}
tests:
  - name: below quota nothing is paid
    given: {revenue: 90000.00, target.revenue: 100000.00}
    expect: {excess: 0, whole_if_over: 0}
  - name: exactly at quota the excess is zero, but retroactive pays on everything
    given: {revenue: 100000.00, target.revenue: 100000.00}
    expect: {excess: 0, whole_if_over: 10000.00}
  - name: one cent over pays a tenth of a cent, rounded
    given: {revenue: 100000.01, target.revenue: 100000.00}
    expect: {excess: 0.00, whole_if_over: 10000.00}
  - name: 30,000 over quota pays 10% of the 30,000
    given: {revenue: 130000.00, target.revenue: 100000.00}
    expect: {attainment.revenue: 1.3, excess: 3000.00, whole_if_over: 13000.00, payout: 16000.00}
"""


def test_bonus_on_the_excess_over_quota_only() -> None:
    """Tiers [0: 0%, 100%: 10%] on attainment with base target pay 10% of the excess."""
    assert check_policy_tests(EXCESS_POLICY) == 4


ACCELERATOR_POLICY = """\
perfkit: 1
name: Decelerator and accelerators
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal}}
  targets: {columns: {participant: string, revenue: decimal}}
metrics:
  revenue: {table: deals, sum: amount}
targets:
  revenue: {table: targets, column: revenue}
incentives:
  - id: commission
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      tiers:
        - {from: 0, rate: 2.5%}     # decelerator: half rate below 60%
        - {from: 60%, rate: 5%}     # the base rate up to target
        - {from: 100%, rate: 10%}   # accelerator: double rate above target
        - {from: 150%, rate: 12%}   # and more above 150%
tests:
  - name: at 50% only the decelerated rate applies
    given: {revenue: 50000.00, target.revenue: 100000.00}
    expect: {commission: 1250.00}
  - name: at target, 60,000 x 2.5% + 40,000 x 5%
    given: {revenue: 100000.00, target.revenue: 100000.00}
    expect: {commission: 3500.00}
  - name: at 120% the 20,000 above target is accelerated
    given: {revenue: 120000.00, target.revenue: 100000.00}
    expect: {commission: 5500.00}
  - name: at 200%, 3,500 + 50,000 x 10% + 50,000 x 12%
    given: {revenue: 200000.00, target.revenue: 100000.00}
    expect: {commission: 14500.00}
"""


def test_decelerator_below_a_threshold_and_accelerators_above_target() -> None:
    """The policy's own examples pass: slower below 60%, faster above 100% and 150%."""
    assert check_policy_tests(ACCELERATOR_POLICY) == 4


def test_accelerator_changes_the_pay_for_one_more_unit_not_the_units_before() -> None:
    """Marginal: 1,000 more revenue pays 25, 50, 100 or 120 depending on where it lands."""
    policy = pk.load_policy(ACCELERATOR_POLICY)
    spec, target = spec_of(policy), F(100000)
    for revenue, extra_pay in [(10000, 25), (70000, 50), (110000, 100), (160000, 120)]:
        low = tiered_amount(spec, F(revenue) / target, target)
        high = tiered_amount(spec, F(revenue + 1000) / target, target)
        assert high - low == extra_pay


@pytest.mark.parametrize(
    ("attainment", "expected"), [("0.4999", "0.00"), ("0.5", "2500.00"), ("0.8", "4000.00")]
)
def test_gate_as_a_zero_first_tier_in_retroactive_mode(attainment: str, expected: str) -> None:
    """A 0% tier below 50% is a gate: nothing below it, the whole value at 5% from it."""
    tiers: Table = [{"from": 0, "rate": 0}, {"from": "50%", "rate": "5%"}]
    policy = tiered_policy("retroactive", tiers, on="sales", base="quota")
    assert pay(policy, sales=attainment, quota=D("100000.00")) == D(expected)


STEPS: Table = [
    {"from": 0, "amount": 0},
    {"from": "80%", "amount": 500},
    {"from": "100%", "amount": 1000},
    {"from": "120%", "amount": 1500},
]


@pytest.mark.parametrize(
    ("attainment", "expected"),
    [("0.7999", "0.00"), ("0.8", "500.00"), ("1", "1000.00"), ("1.5", "1500.00")],
)
def test_fixed_amount_tiers_retroactive_pay_the_amount_of_the_tier_reached(
    attainment: str, expected: str
) -> None:
    """A step bonus: 500 at 80%, 1,000 at 100%, 1,500 at 120%; ``base`` does not scale it."""
    policy = tiered_policy("retroactive", STEPS, base="quota")
    assert pay(policy, sales=attainment, quota=D("100000.00")) == D(expected)


@pytest.mark.parametrize(
    ("attainment", "expected"),
    [("0.7999", "0.00"), ("0.8", "500.00"), ("1", "1500.00"), ("1.5", "3000.00")],
)
def test_fixed_amount_tiers_marginal_add_up_every_tier_reached(
    attainment: str, expected: str
) -> None:
    """Marginal fixed amounts are one-off payments per tier reached, summed: 500 + 1,000."""
    policy = tiered_policy("marginal", STEPS, base="quota")
    assert pay(policy, sales=attainment, quota=D("100000.00")) == D(expected)


def test_marginal_mixes_a_fixed_amount_tier_with_rate_tiers() -> None:
    """A fixed tier pays its amount once; its own slice earns no rate; rates resume above."""
    tiers: Table = [
        {"from": 0, "rate": 0},
        {"from": "100%", "amount": 1000},
        {"from": "120%", "rate": "10%"},
    ]
    policy = tiered_policy("marginal", tiers, on="sales / quota", base="quota")
    quota = D("100000.00")
    assert pay(policy, sales=D("99999.99"), quota=quota) == D("0.00")
    assert pay(policy, sales=D("110000.00"), quota=quota) == D("1000.00")
    assert pay(policy, sales=D("130000.00"), quota=quota) == D("2000.00")  # + 10,000 x 10%


# --- edges: the last tier's ``to``, values below the first tier, negative values ------


def test_to_on_the_last_tier_ends_marginal_pay_there() -> None:
    """Marginal: nothing is paid on the part of the value at or above the last ``to``."""
    tiers: Table = [{"from": 0, "rate": "10%"}, {"from": 1000, "to": 2000, "rate": "15%"}]
    policy = tiered_policy("marginal", tiers)
    assert pay(policy, sales="1500") == D("175.00")
    assert pay(policy, sales="2000") == D("250.00")
    assert pay(policy, sales="3000") == D("250.00")


def test_to_on_the_last_tier_ends_what_retroactive_mode_pays() -> None:
    """Retroactive pays the last tier's rate on the value up to its ``to``, as marginal stops."""
    tiers: Table = [{"from": 0, "rate": "10%"}, {"from": 1000, "to": 2000, "rate": "15%"}]
    policy = tiered_policy("retroactive", tiers)
    assert pay(policy, sales="1500") == D("225.00")
    assert pay(policy, sales="3000") == D("300.00")
    assert pay(tiered_policy("marginal", tiers), sales="3000") == D("250.00")


@pytest.mark.parametrize("mode", ["marginal", "retroactive"])
def test_below_the_first_tier_nothing_is_paid(mode: str) -> None:
    """Net refunds below zero, or a value under a first tier starting above 0, pay 0."""
    assert pay(tiered_policy(mode, BRACKETS), sales="-500.00") == D("0.00")
    gated = [{"from": 500, "rate": "10%"}]
    assert pay(tiered_policy(mode, gated), sales="499.99") == D("0.00")


def test_a_first_tier_above_zero_marginal_pays_from_its_start_retroactive_on_all() -> None:
    """With one tier from 500 at 10%, 1,000 pays 50 marginally and 100 retroactively."""
    tiers: Table = [{"from": 500, "rate": "10%"}]
    assert pay(tiered_policy("marginal", tiers), sales="1000") == D("50.00")
    assert pay(tiered_policy("retroactive", tiers), sales="1000") == D("100.00")


def test_tiers_below_zero_marginal_and_retroactive_disagree_in_sign() -> None:
    """A tier from -100: marginal measures the slice from -100, retroactive multiplies.

    At -50 marginal pays +5 (the 50 above -100 at 10%) and retroactive -5 (-50 x 10%);
    at 0 marginal already pays 10. Pinned as the engine behaves today.
    """
    tiers: Table = [{"from": -100, "rate": "10%"}, {"from": 0, "rate": "20%"}]
    assert pay(tiered_policy("marginal", tiers), sales="-50") == D("5.00")
    assert pay(tiered_policy("retroactive", tiers), sales="-50") == D("-5.00")
    assert pay(tiered_policy("marginal", tiers), sales="0") == D("10.00")


def test_a_rule_cap_bites_after_the_tiers() -> None:
    """The cap applies to the tiered amount: 2,500 would earn 500 retroactively, capped 400."""
    policy = tiered_policy("retroactive", BRACKETS, cap="max_pay")
    assert pay(policy, sales="2500", max_pay=D("400.00")) == D("400.00")
    assert pay(policy, sales="1000", max_pay=D("400.00")) == D("150.00")


# --- through perfkit.evaluate on a Dataset ------------------------------------------

DATASET_POLICY = """\
perfkit: 1
name: Brackets on records
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}}
  targets: {columns: {participant: string, sales: decimal}}
metrics:
  sales: {table: deals, sum: amount, date: closed_on}
targets:
  sales: {table: targets, column: sales}
incentives:
  - id: graduated
    tiered:
      on: sales
      mode: marginal
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
  - id: whole
    tiered:
      on: sales
      mode: retroactive
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
  - id: excess
    tiered:
      on: attainment.sales
      base: target.sales
      mode: marginal
      tiers: [{from: 0, rate: 0}, {from: 100%, rate: 10%}]
"""


def bracket_records() -> pk.Dataset:
    """Four reps whose Q2 deals (one with a refund, one outside Q2) sum to the boundaries."""
    deals = [
        ("d1", "ann", "600.00", "2026-04-03"),
        ("d2", "ann", "399.99", "2026-05-03"),  # ann: 999.99
        ("d3", "bob", "1200.00", "2026-04-10"),
        ("d4", "bob", "-200.00", "2026-06-10"),  # a refund: bob nets exactly 1,000.00
        ("d5", "cat", "1800.00", "2026-06-30"),  # cat: exactly 1,800.00
        ("d6", "dan", "2500.00", "2026-05-15"),
        ("d7", "dan", "9999.00", "2026-07-01"),  # Q3: not counted, dan has 2,500.00
    ]
    return testing.build_dataset(
        deals=[
            {"id": i, "owner": who, "amount": D(amount), "closed_on": day}
            for i, who, amount, day in deals
        ],
        targets=[
            {"participant": who, "sales": D("2000.00")} for who in ("ann", "bob", "cat", "dan")
        ],
    )


def test_evaluate_pays_both_modes_on_records_to_the_cent() -> None:
    """perfkit.evaluate on records gives the same lines as the table above, per rep."""
    result = pk.evaluate(pk.load_policy(DATASET_POLICY), bracket_records(), "2026-Q2")
    lines = {
        rep.id: {line.component: line.amount for line in rep.lines} for rep in result.participants
    }
    assert lines == {
        "ann": {"graduated": D("100.00"), "whole": D("100.00"), "excess": D("0.00")},
        "bob": {"graduated": D("100.00"), "whole": D("150.00"), "excess": D("0.00")},
        "cat": {"graduated": D("220.00"), "whole": D("360.00"), "excess": D("0.00")},
        # 500 over a target of 2,000: 25% of attainment x 10% x 2,000 = 50.00
        "dan": {"graduated": D("360.00"), "whole": D("500.00"), "excess": D("50.00")},
    }
    assert result.payouts == {
        "ann": D("200.00"),
        "bob": D("250.00"),
        "cat": D("580.00"),
        "dan": D("910.00"),
    }


def test_evaluate_explains_the_tiers_and_the_top_tier_reached() -> None:
    """The trace lists the half-open tiers, the mode and the top tier reached."""
    result = pk.evaluate(pk.load_policy(DATASET_POLICY), bracket_records(), "2026-Q2")
    graduated = str(result.explain("dan", "graduated"))
    assert "line graduated = 360.00" in graduated
    assert "marginal tiers on sales: [0, 1000) 0.10, [1000, 1800) 0.15, [1800, …) 0.20" in (
        graduated
    )
    assert "top tier reached: from 1800" in graduated
    whole = str(result.explain("bob", "whole"))
    assert "line whole = 150.00" in whole
    assert "retroactive; top tier reached: from 1000" in whole


BRACKET_POLICY_WITH_TESTS = """\
perfkit: 1
name: Brackets with examples
currency: CNY
attributes: {sales: decimal}
incentives:
  - id: graduated
    tiered:
      on: sales
      mode: marginal
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
  - id: whole
    tiered:
      on: sales
      mode: retroactive
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
tests:
  - name: one cent below the first boundary
    given: {sales: 999.99}
    expect: {graduated: 100.00, whole: 100.00}
  - name: exactly at the first boundary
    given: {sales: 1000.00}
    expect: {graduated: 100.00, whole: 150.00}
  - name: exactly at the second boundary
    given: {sales: 1800.00}
    expect: {graduated: 220.00, whole: 360.00}
  - name: 2,500 is 100 + 120 + 140 marginally, 2,500 x 20% retroactively
    given: {sales: 2500.00}
    expect: {graduated: 360.00, whole: 500.00, payout: 860.00}
"""


def test_perfkit_test_runs_the_policy_examples(tmp_path: Path) -> None:
    """``perfkit test`` passes every boundary example the policy carries."""
    assert check_policy_tests(BRACKET_POLICY_WITH_TESTS) == 4
    path = tmp_path / "brackets.yaml"
    path.write_text(BRACKET_POLICY_WITH_TESTS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("4 passed, 0 failed\n")


def test_perfkit_test_catches_a_wrong_reading_of_the_mode(tmp_path: Path) -> None:
    """An example written for the other mode fails, showing expected and actual."""
    wrong = BRACKET_POLICY_WITH_TESTS.replace(
        "expect: {graduated: 100.00, whole: 150.00}", "expect: {graduated: 150.00, whole: 150.00}"
    )
    path = tmp_path / "brackets.yaml"
    path.write_text(wrong, encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)], catch_exceptions=False)
    assert result.exit_code != 0
    assert "graduated  expected 150.00, got 100.00" in result.output


# --- properties ---------------------------------------------------------------------


@st.composite
def tier_tables(
    draw: st.DrawFn,
    *,
    increasing: bool = False,
    amounts: bool = False,
    closed: bool | None = None,
) -> Table:
    """Valid tier tables with bounds >= 0 in cents and rates >= 0.

    ``increasing`` makes rates non-decreasing; ``amounts`` lets tiers pay fixed
    amounts; ``closed`` forces (True) or forbids (False) a ``to`` on the last tier.
    """
    count = draw(st.integers(min_value=1, max_value=5))
    cents = sorted(draw(st.sets(st.integers(0, 500_000), min_size=count + 1, max_size=count + 1)))
    starts, end = cents[:count], cents[count]
    if draw(st.booleans()):
        starts[0] = 0
    rates = draw(st.lists(st.integers(0, 5_000), min_size=count, max_size=count))
    if increasing:
        rates.sort()
    table: Table = []
    for start, rate in zip(starts, rates, strict=True):
        tier: dict[str, Any] = {"from": D(start).scaleb(-2)}
        if amounts and draw(st.booleans()):
            tier["amount"] = D(draw(st.integers(0, 100_000))).scaleb(-2)
        else:
            tier["rate"] = D(rate).scaleb(-4)  # 0% to 50%, in basis points
        table.append(tier)
    if closed if closed is not None else draw(st.booleans()):
        table[-1]["to"] = D(end).scaleb(-2)
    return table


def rate_of(tier: Mapping[str, Any]) -> Fraction:
    return F(tier.get("rate", 0))


def boundaries(table: Table) -> list[Fraction]:
    """Every tier's start, and the last tier's end if it has one."""
    points = [F(t["from"]) for t in table]
    return [*points, F(table[-1]["to"])] if "to" in table[-1] else points


def spec(mode: str, table: Table) -> Any:
    return spec_of(tiered_policy(mode, table))


def bracket_reference(table: Table, value: Fraction, base: Fraction) -> Fraction:
    """Tax-bracket arithmetic, written independently: rate x clipped slice, per tier."""
    uppers: list[Fraction | None] = [F(t["from"]) for t in table[1:]]
    uppers.append(F(table[-1]["to"]) if "to" in table[-1] else None)
    total = F(0)
    for tier, upper in zip(table, uppers, strict=True):
        lower = F(tier["from"])
        if "amount" in tier:
            total += F(tier["amount"]) if value >= lower else 0
            continue
        top = value if upper is None else min(value, upper)
        total += rate_of(tier) * base * max(F(0), top - lower)
    return total


values = st.fractions(min_value=-100, max_value=6_000, max_denominator=10**6)
bases = st.integers(min_value=1, max_value=10**7).map(lambda n: F(n, 100))
epsilons = st.integers(min_value=1, max_value=10**15).map(lambda n: F(1, n))


@given(tier_tables(amounts=True), values, bases)
def test_marginal_equals_tax_bracket_arithmetic(
    table: Table, value: Fraction, base: Fraction
) -> None:
    """Marginal tiers pay sum(rate x base x clipped slice) plus every fixed amount reached."""
    assert tiered_amount(spec("marginal", table), value, base) == bracket_reference(
        table, value, base
    )


@given(tier_tables(amounts=True), values, values, bases)
def test_marginal_payout_never_falls_as_the_value_rises(
    table: Table, a: Fraction, b: Fraction, base: Fraction
) -> None:
    """With rates and amounts >= 0 (in any order, even falling), more never pays less."""
    low, high = sorted((a, b))
    tiers = spec("marginal", table)
    assert tiered_amount(tiers, low, base) <= tiered_amount(tiers, high, base)


@given(tier_tables(increasing=True), values, values, bases)
def test_retroactive_payout_never_falls_with_non_decreasing_rates(
    table: Table, a: Fraction, b: Fraction, base: Fraction
) -> None:
    """Whole-amount tiers are monotone when rates never fall and bounds are >= 0."""
    low, high = sorted((a, b))
    tiers = spec("retroactive", table)
    assert tiered_amount(tiers, low, base) <= tiered_amount(tiers, high, base)


def test_retroactive_with_a_falling_rate_pays_less_for_more() -> None:
    """The counterexample the property above excludes: crossing into a lower rate."""
    tiers: Table = [{"from": 0, "rate": "10%"}, {"from": 1000, "rate": "5%"}]
    policy = tiered_policy("retroactive", tiers)
    assert pay(policy, sales="999.99") == D("100.00")
    assert pay(policy, sales="1000") == D("50.00")


@given(tier_tables(increasing=True), values, bases)
def test_retroactive_pays_at_least_marginal_with_non_decreasing_rates(
    table: Table, value: Fraction, base: Fraction
) -> None:
    """Paying everything at the top rate reached is never less than slice by slice."""
    assert tiered_amount(spec("retroactive", table), value, base) >= tiered_amount(
        spec("marginal", table), value, base
    )


@given(tier_tables(), bases, epsilons, st.data())
def test_marginal_tiers_are_continuous_at_every_boundary(
    table: Table, base: Fraction, eps: Fraction, data: st.DataObject
) -> None:
    """Approaching a boundary b from the left, |f(b) - f(b - eps)| <= max_rate x base x eps.

    Below the width of the tier under b the difference is exactly that tier's rate
    x base x eps, so the amount at b is the limit from the left: no jump, ever.
    """
    tiers = spec("marginal", table)
    max_rate = max(rate_of(t) for t in table)
    b = data.draw(st.sampled_from(boundaries(table)))
    at_b = tiered_amount(tiers, b, base)
    left = tiered_amount(tiers, b - eps, base)
    right = tiered_amount(tiers, b + eps, base)
    assert abs(at_b - left) <= max_rate * base * eps
    assert abs(right - at_b) <= max_rate * base * eps
    starts = [F(t["from"]) for t in table]
    below = [i for i, start in enumerate(starts) if start < b]
    if below and eps <= b - starts[below[-1]]:
        assert at_b - left == rate_of(table[below[-1]]) * base * eps
    elif not below:
        assert at_b == left == 0


@given(tier_tables(closed=False), bases, epsilons, st.data())
def test_retroactive_jumps_by_the_rate_difference_times_the_boundary(
    table: Table, base: Fraction, eps: Fraction, data: st.DataObject
) -> None:
    """At a boundary b between rates r0 and r1, f(b) - f(b - eps) = (r1 b - r0 (b - eps)) base."""
    assume(len(table) > 1)
    index = data.draw(st.integers(min_value=1, max_value=len(table) - 1))
    b, width = F(table[index]["from"]), F(table[index]["from"]) - F(table[index - 1]["from"])
    assume(eps <= width)
    tiers = spec("retroactive", table)
    r0, r1 = rate_of(table[index - 1]), rate_of(table[index])
    jump = tiered_amount(tiers, b, base) - tiered_amount(tiers, b - eps, base)
    assert jump == (r1 * b - r0 * (b - eps)) * base


@given(
    tier_tables(amounts=True),
    st.sampled_from(["marginal", "retroactive"]),
    testing.amounts(min_value=0, max_value=10_000),
    testing.amounts(min_value=-100, max_value=60_000),
)
def test_a_rule_cap_is_never_exceeded(
    table: Table, mode: str, cap: Decimal, sales: Decimal
) -> None:
    """Whatever the tiers pay, the rounded line is min(rounded amount, cap), never above cap."""
    policy = tiered_policy(mode, table, cap="max_pay")
    line = pay(policy, sales=sales, max_pay=cap)
    assert line <= cap
    uncapped = quantize(tiered_amount(spec_of(policy), F(sales), F(1)), CENT, "half_up")
    assert line == min(uncapped, cap)


# --- load-time errors ---------------------------------------------------------------

HEAD = """\
perfkit: 1
name: Bad tiers
currency: CNY
attributes: {sales: decimal}
incentives:
  - id: commission
    tiered:
      on: sales
      mode: marginal
      tiers:
"""
TIERS_LINE = 11  # the line of the first tier, where the tiers list starts


def tier_location(diag: pk.Diagnostic, table: str, bad: int, first_line: int) -> None:
    """The diagnostic points at tier ``bad`` of ``table``: the tier that breaks it.

    That is the one starting too low, or not meeting the previous tier's ``to``.
    """
    assert diag.location.path == f"{table}[{bad}]"
    assert diag.location.line == first_line + bad


@pytest.mark.parametrize(
    ("tiers", "bad", "message"),
    [
        (
            ["{from: 0, rate: 10%}", "{from: 1800, rate: 15%}", "{from: 1000, rate: 20%}"],
            2,
            "tiers must be in increasing order: tier 2 starts at 1000, not above tier 1's 1800",
        ),
        (
            ["{from: 0, rate: 10%}", "{from: 1000, rate: 15%}", "{from: 1000, rate: 20%}"],
            2,
            "tiers must be in increasing order: tier 2 starts at 1000, not above tier 1's 1000",
        ),
        (
            ["{from: 0, to: 900, rate: 10%}", "{from: 1000, rate: 15%}"],
            1,
            (
                "gap between tier 0 (to 900) and tier 1 (from 1000): tiers are half-open "
                "[from, to) and must meet"
            ),
        ),
        (
            [
                "{from: 0, rate: 10%}",
                "{from: 1000, to: 1900, rate: 15%}",
                "{from: 1800, rate: 20%}",
            ],
            2,
            (
                "overlap between tier 1 (to 1900) and tier 2 (from 1800): tiers are half-open "
                "[from, to) and must meet"
            ),
        ),
    ],
    ids=["out-of-order", "repeated-start", "gap", "overlap"],
)
def test_tiers_out_of_order_with_a_gap_or_overlap_do_not_load(
    tmp_path: Path, tiers: list[str], bad: int, message: str
) -> None:
    """Each is a PolicyError at file:line of the tier table, with the path and a fix."""
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD + "".join(f"        - {t}\n" for t in tiers), encoding="utf-8")
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(path)
    (diag,) = caught.value.diagnostics
    assert diag.code == "policy.invalid"
    assert diag.message == message
    assert diag.location.file == str(path)
    tier_location(diag, "incentives[0].tiered.tiers", bad, TIERS_LINE)
    where = f"{path}:{diag.location.line}:"
    assert diag.render().startswith(f"{where}{diag.location.column}: {diag.location.path}: ")
    assert diag.render().endswith(f"{message} [policy.invalid]")


def test_every_bad_tier_table_is_reported_at_once(tmp_path: Path) -> None:
    """Problems in several rules and a rate table come back together, each at its place."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            perfkit: 1
            name: Many bad tiers
            currency: CNY
            attributes: {sales: decimal}
            rate_tables:
              bands:
                tiers: [{from: 0, to: 5, rate: 1%}, {from: 6, rate: 2%}]
            incentives:
              - id: a
                tiered:
                  on: sales
                  mode: marginal
                  tiers: [{from: 10, rate: 1%}, {from: 5, rate: 2%}]
              - id: b
                tiered:
                  on: sales
                  mode: retroactive
                  tiers:
                    - {from: 0, rate: 1%, amount: 5}
              - id: c
                tiered:
                  on: sales
                  tiers: [{from: 0, rate: 1%}]
              - id: d
                tiered:
                  on: sales
                  mode: graduated
                  tiers: [{from: 0, to: 0, rate: 1%}]
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(path)
    diags = {d.location.path: d for d in caught.value.diagnostics}
    assert len(diags) == 6

    # Flow-style tables sit on one line, so every tier of a table has its line.
    assert diags["rate_tables.bands.tiers[1]"].location.line == 7
    assert diags["incentives[0].tiered.tiers[1]"].location.line == 13
    assert diags["incentives[1].tiered.tiers[0]"].location.line == 19  # rate and amount
    assert diags["incentives[2].tiered.mode"].code == "policy.missing-key"
    assert diags["incentives[2].tiered.mode"].location.line == 22  # the mapping's first key
    assert diags["incentives[3].tiered.mode"].code == "policy.choice"
    assert diags["incentives[3].tiered.mode"].location.line == 27
    last = diags["incentives[3].tiered.tiers[0]"]
    assert last.location.line == 28
    assert "the last tier ends at 0, not above its start" in last.message
    assert all(d.location.file == str(path) for d in caught.value.diagnostics)
