"""Record-level and team incentives: per-record lines, SPIFFs, multipliers, growth, pools.

Every expected amount here is worked out by hand (in the comments) or with
``Fraction`` and an independent half-up rounding (:func:`cents`), never read
back from perfkit. Policies are inline YAML, as a plan's author would write them;
the matching cookbook pages are docs/incentives/per-record.md, spiff.md,
multiplier.md, improvement.md, pool.md and manager-overlay.md.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit as pk

D = Decimal
F = Fraction
Row = dict[str, Any]


# --- helpers -----------------------------------------------------------------------


def cents(value: Fraction) -> Decimal:
    """``value`` rounded to 0.01, ties away from zero, without perfkit's rounding."""
    scaled = abs(value) * 100
    whole = int(scaled)  # floor, as scaled >= 0
    if scaled - whole >= F(1, 2):
        whole += 1
    signed = -whole if value < 0 else whole
    return D(signed).scaleb(-2)


def policy(text: str) -> pk.Policy:
    """A policy from indented inline YAML."""
    return pk.load_policy(textwrap.dedent(text))


def run(plan: pk.Policy, period: str = "2026-Q2", **tables: Sequence[Row]) -> pk.Result:
    """Evaluate ``plan`` on tables given as lists of rows."""
    return pk.evaluate(plan, pk.Dataset.from_records(dict(tables)), period)


def lines(result: pk.Result, who: str) -> dict[str, Decimal]:
    """A participant's lines by component."""
    return {line.component: line.amount for line in result.participant(who).lines}


def line(result: pk.Result, who: str, component: str) -> Decimal:
    """One line of one participant."""
    return lines(result, who)[component]


def deal(key: str, owner: str, amount: str, day: str = "2026-05-15", **columns: Any) -> Row:
    """A deal row."""
    return {"id": key, "owner": owner, "amount": amount, "closed_on": day, **columns}


# --- per_record: which line wins ------------------------------------------------------

PRODUCT_LINES = """\
perfkit: 1
name: Product lines
currency: CNY
tables:
  deals:
    columns: {id: string, owner: string, product: string, category: string, region: string,
              code: string, size: decimal, discount: decimal, amount: decimal, closed_on: date}
    key: id
rate_tables:
  discount_rates:
    tiers: [{from: 0, rate: 8%}, {from: 10%, rate: 6%}, {from: 20%, rate: 4%}]
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    per_record:
      metric: revenue
      KEYS
      lines:
LINES
"""


def product_policy(lines_yaml: Sequence[str], keys: str | None = None) -> pk.Policy:
    """PRODUCT_LINES with these lines (YAML flow maps) and this ``keys`` list."""
    text = PRODUCT_LINES.replace("KEYS", f"keys: {keys}" if keys else "")
    text = text.replace("LINES", "\n".join(f"        - {item}" for item in lines_yaml))
    return pk.load_policy(text)


def product(key: str, owner: str, amount: str = "1000.00", **columns: Any) -> Row:
    """A deal with every match column set (to values no line matches by default)."""
    row: Row = {
        "product": "OTHER",
        "category": "other",
        "region": "south",
        "code": "0",
        "size": "0",
        "discount": "0",
    }
    row.update(columns)
    return deal(key, owner, amount, **row)


THREE_LINES = [
    "{match: {product: X-PRO}, rate: 12%}",
    "{match: {category: hardware}, rate: 8%}",
    "{rate: 5%}",
]


def test_each_record_pays_the_most_specific_line_it_matches() -> None:
    """Product beats category beats the default line: 12%, 8% and 5% of 1,000.00."""
    plan = product_policy(THREE_LINES, "[product, category]")
    result = run(
        plan,
        deals=[
            product("D1", "ann", product="X-PRO", category="hardware"),  # lines 0, 1, 2
            product("D2", "bob", product="X-LITE", category="hardware"),  # lines 1, 2
            product("D3", "cy", product="S-CLOUD", category="software"),  # line 2
        ],
    )
    assert result.payouts == {"ann": D("120.00"), "bob": D("80.00"), "cy": D("50.00")}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [("[product, category]", "120.00"), ("[category, product]", "80.00")],
)
def test_keys_order_decides_between_lines_on_different_columns(keys: str, expected: str) -> None:
    """An X-PRO that is hardware pays the line of whichever column ``keys`` lists first."""
    plan = product_policy(THREE_LINES, keys)
    result = run(plan, deals=[product("D1", "ann", product="X-PRO", category="hardware")])
    assert result.payouts == {"ann": D(expected)}


def test_a_more_important_column_beats_a_line_matching_more_columns() -> None:
    """{product} wins over {category, region}: the first key decides before any count."""
    plan = product_policy(
        [
            "{match: {category: hardware, region: north}, rate: 9%}",
            "{match: {product: X-PRO}, rate: 12%}",
            "{rate: 5%}",
        ],
        "[product, category, region]",
    )
    result = run(
        plan,
        deals=[
            product("D1", "ann", product="X-PRO", category="hardware", region="north"),
            product("D2", "bob", product="X-LITE", category="hardware", region="north"),
        ],
    )
    assert result.payouts == {"ann": D("120.00"), "bob": D("90.00")}


def test_when_lines_agree_on_a_column_the_next_key_decides() -> None:
    """{category, region} beats {category} for a northern record; a southern one pays 8%."""
    plan = product_policy(
        [
            "{match: {category: hardware}, rate: 8%}",
            "{match: {category: hardware, region: north}, rate: 9%}",
            "{match: {region: north}, rate: 7%}",
        ],
        "[category, region]",
    )
    result = run(
        plan,
        deals=[
            product("D1", "ann", category="hardware", region="north"),  # all three match
            product("D2", "bob", category="hardware", region="south"),
            product("D3", "cy", category="software", region="north"),
        ],
    )
    assert result.payouts == {"ann": D("90.00"), "bob": D("80.00"), "cy": D("70.00")}


def test_the_order_of_the_lines_in_the_policy_plays_no_part() -> None:
    """Every permutation of the three lines pays the same amounts."""
    deals = [
        product("D1", "ann", product="X-PRO", category="hardware"),
        product("D2", "bob", product="X-LITE", category="hardware"),
        product("D3", "cy", product="S-CLOUD", category="software"),
    ]
    expected = {"ann": D("120.00"), "bob": D("80.00"), "cy": D("50.00")}
    for order in itertools.permutations(THREE_LINES):
        plan = product_policy(order, "[product, category]")
        assert run(plan, deals=deals).payouts == expected, order


@pytest.mark.parametrize(
    ("match", "value", "pays"),
    [
        ("{code: 100}", "100", "100.00"),  # a number written for a string column
        ("{code: 007}", "007", "100.00"),  # the text as written: 007, not 7
        ("{code: 007}", "7", "0.00"),
        ("{code: '100'}", "100", "100.00"),
        ("{code: 100}", "100.0", "0.00"),  # text compares as text
    ],
)
def test_match_values_for_string_columns_compare_as_written(
    match: str, value: str, pays: str
) -> None:
    """A number in `match` for a string column is the text it was written as."""
    plan = product_policy([f"{{match: {match}, rate: 10%}}"])
    assert run(plan, deals=[product("D1", "ann", code=value)]).payouts == {"ann": D(pays)}


@pytest.mark.parametrize("match", ["{size: 100}", "{size: '100.0'}", "{size: 100.00}"])
def test_match_values_for_decimal_columns_compare_as_numbers(match: str) -> None:
    """In a decimal column 100, '100.0' and 100.00 all match the value 100."""
    plan = product_policy([f"{{match: {match}, rate: 10%}}"])
    result = run(plan, deals=[product("D1", "ann", size="100"), product("D2", "bob", size="10")])
    assert result.payouts == {"ann": D("100.00"), "bob": D("0.00")}


BOOL_MATCH = """\
perfkit: 1
name: VIP deals
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, vip: bool, amount: decimal, closed_on: date}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines: [{match: {vip: MATCH}, rate: 10%}]
"""


def test_bool_columns_match_true_and_false() -> None:
    """`vip: true` pays the VIP deal only, `vip: false` the other one."""
    deals = [deal("D1", "ann", "1000", vip=True), deal("D2", "bob", "1000", vip=False)]
    vip = pk.load_policy(BOOL_MATCH.replace("MATCH", "true"))
    other = pk.load_policy(BOOL_MATCH.replace("MATCH", "false"))
    assert run(vip, deals=deals).payouts == {"ann": D("100.00"), "bob": D("0.00")}
    assert run(other, deals=deals).payouts == {"ann": D("0.00"), "bob": D("100.00")}


@pytest.mark.parametrize(
    ("value", "shown"), [("1", "1"), ("0", "0"), ("yes", "'yes'"), ("'true'", "'true'")]
)
def test_a_bool_match_that_is_not_true_or_false_is_refused_at_load(value: str, shown: str) -> None:
    """`vip: 1`, a typo or the text 'true' is a load error, never a silent false."""
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(BOOL_MATCH.replace("MATCH", value))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "policy.column-type"
    assert diagnostic.message == (
        f"match value {shown} is not a bool (column type bool): write true or false"
    )
    assert diagnostic.location.path == "incentives[0].per_record.lines[0].match.vip"


def test_a_bool_match_on_a_string_column_matches_the_text_true_or_false() -> None:
    """`code: true` in a string column is the text "true", as written: not "True"."""
    yes = product_policy(["{match: {code: true}, rate: 10%}"])
    no = product_policy(["{match: {code: false}, rate: 10%}"])
    deals = [
        product("D1", "ann", code="true"),
        product("D2", "bob", code="True"),
        product("D3", "cy", code="false"),
    ]
    assert run(yes, deals=deals).payouts == {"ann": D("100.00"), "bob": D("0.00"), "cy": D("0.00")}
    assert run(no, deals=deals).payouts == {"ann": D("0.00"), "bob": D("0.00"), "cy": D("100.00")}


# --- per_record: unmatched records, rates per record, rounding ------------------------


def test_records_matching_no_line_pay_nothing_and_are_counted_and_traced() -> None:
    """Without a default line, software pays 0 and the line's note counts the records."""
    plan = product_policy(THREE_LINES[:2], "[product, category]")
    result = run(
        plan,
        deals=[
            product("D1", "ann", "5000.00", product="X-PRO"),
            product("D2", "ann", "3000.00", category="software"),
            product("D3", "ann", "7000.00", category="software"),
            product("D4", "bob", "9000.00", category="software"),
        ],
    )
    assert result.payouts == {"ann": D("600.00"), "bob": D("0.00")}  # 5,000 x 12%
    assert result.participant("ann").notes == {
        "commission": "2 record(s) match no line and pay nothing"
    }
    assert result.participant("ann").metrics["revenue"] == D("15000.00")  # still revenue
    trace = str(result.explain("ann", "commission")).splitlines()
    assert trace[2:] == [  # D1: 5,000.00 x 0.12 = 600, at line 0 (line 20 of the policy)
        (
            "    record D1 = 600  (line 0 (product = X-PRO): rate 0.12 x 5000.00)"
            "  [<input>:20:11: incentives[0].per_record.lines[0]]"
        ),
        "    record D2  (matches no line: pays nothing)  [deals[1]]",
        "    record D3  (matches no line: pays nothing)  [deals[2]]",
    ]
    bob = str(result.explain("bob", "commission")).splitlines()
    assert bob[2:] == ["    record D4  (matches no line: pays nothing)  [deals[3]]"]


def test_a_participant_whose_records_all_match_no_line_is_noted_too() -> None:
    """Bob's only record matches no line: his line is 0.00 and its note says why."""
    plan = product_policy(THREE_LINES[:2], "[product, category]")
    result = run(plan, deals=[product("D4", "bob", "9000.00", category="software")])
    assert result.payouts == {"bob": D("0.00")}
    assert result.participant("bob").notes == {
        "commission": "1 record(s) match no line and pay nothing"
    }
    trace = str(result.explain("bob", "commission")).splitlines()
    assert "1 record(s) match no line and pay nothing" in trace[1]
    assert trace[2:] == ["    record D4  (matches no line: pays nothing)  [deals[0]]"]


def test_a_record_with_an_empty_match_column_falls_to_the_default_line() -> None:
    """An empty product matches no product line, only lines that do not name product."""
    plan = product_policy(THREE_LINES, "[product, category]")
    result = run(plan, deals=[product("D1", "ann", product=None, category=None)])
    assert result.payouts == {"ann": D("50.00")}


@pytest.mark.parametrize(
    ("discount", "rate"),
    [("0", "0.08"), ("0.0999", "0.08"), ("0.10", "0.06"), ("0.1999", "0.06"), ("0.20", "0.04")],
)
def test_a_rate_expression_reads_the_record_through_a_rate_table(discount: str, rate: str) -> None:
    """tier(discount, discount_rates) is half-open: a 10% discount pays the 6% band."""
    plan = product_policy(["{rate: 'tier(discount, discount_rates)'}"])
    result = run(plan, deals=[product("D1", "ann", "2345.67", discount=discount)])
    assert result.payouts == {"ann": cents(F("2345.67") * F(rate))}


def test_a_rate_expression_trace_shows_the_rate_the_record_got() -> None:
    """A 15% discount is the 6% band: the node is 2,345.67 x 0.06 = 140.7402, unrounded."""
    plan = product_policy(["{rate: 'tier(discount, discount_rates)'}"])
    result = run(plan, deals=[product("D1", "ann", "2345.67", discount="0.15")])
    assert F("2345.67") * F("0.06") == F("140.7402")
    trace = str(result.explain("ann", "commission")).splitlines()
    assert trace[2:] == [
        (
            "    record D1 = 140.7402  (line 0 (default): rate 0.06 x 2345.67)"
            "  [<input>:20:11: incentives[0].per_record.lines[0]]"
        ),
    ]
    assert result.payouts == {"ann": D("140.74")}


def test_a_rate_expression_may_test_the_record_columns() -> None:
    """'12% if amount >= 10000 else 6%' is decided per record, not on the total."""
    plan = product_policy(["{rate: '12% if amount >= 10000 else 6%'}"])
    result = run(
        plan,
        deals=[product("D1", "ann", "10000.00"), product("D2", "ann", "9999.99")],
    )
    assert result.payouts == {"ann": cents(F(10000) * F("0.12") + F("9999.99") * F("0.06"))}


def test_a_fixed_amount_line_pays_per_record_whatever_its_amount() -> None:
    """amount: 25 per X-PRO record: three records, 75.00; the 5% default for the rest."""
    plan = product_policy(
        ["{match: {product: X-PRO}, amount: 25}", "{rate: 5%}"],
    )
    deals = [product(f"D{i}", "ann", "1.00", product="X-PRO") for i in range(3)]
    deals.append(product("D9", "ann", "100.00"))
    result = run(plan, deals=deals)
    assert result.payouts == {"ann": D("80.00")}
    trace = str(result.explain("ann", "commission")).splitlines()
    assert trace[2:] == [
        *(
            f"    record D{i} = 25  (line 0 (product = X-PRO): amount 25)"
            "  [<input>:20:11: incentives[0].per_record.lines[0]]"
            for i in range(3)
        ),
        (
            "    record D9 = 5  (line 1 (default): rate 0.05 x 100.00)"  # 100.00 x 5%
            "  [<input>:21:11: incentives[0].per_record.lines[1]]"
        ),
    ]


def test_a_line_is_rounded_once_not_per_record() -> None:
    """Three records of 0.10 at 5%: 0.015 rounds to 0.02, not 3 x 0.01."""
    plan = product_policy(["{rate: 5%}"])
    deals = [product(f"D{i}", "ann", "0.10") for i in range(3)]
    result = run(plan, deals=deals)
    assert result.payouts == {"ann": D("0.02")}
    # each record node shows its exact 0.10 x 0.05 = 0.005; only the line is rounded
    trace = str(result.explain("ann", "commission")).splitlines()
    assert trace[2:] == [
        f"    record D{i} = 0.005  (line 0 (default): rate 0.05 x 0.10)"
        "  [<input>:20:11: incentives[0].per_record.lines[0]]"
        for i in range(3)
    ]


def test_refunds_net_against_the_original_at_the_same_line() -> None:
    """A refund matching the same line takes back its own commission, in its own period."""
    plan = product_policy(THREE_LINES, "[product, category]")
    deals = [
        product("D1", "ann", "1000.00", day="2026-04-10", product="X-PRO"),
        product("R1", "ann", "-400.00", day="2026-06-10", product="X-PRO"),  # same quarter
        product("R2", "ann", "-250.00", day="2026-07-10", product="X-PRO"),  # next quarter
    ]
    result = run(plan, deals=deals)
    assert result.payouts == {"ann": D("72.00")}  # (1,000 - 400) x 12%
    trace = str(result.explain("ann", "commission")).splitlines()
    assert [row.split("  (")[0] for row in trace[2:]] == [
        "    record D1 = 120",  # 1,000 x 0.12
        "    record R1 = -48",  # -400 x 0.12
    ]
    later = run(plan, "2026-Q3", deals=deals)
    assert later.payouts == {"ann": D("-30.00")}  # -250 x 12%: the line may be negative


# --- per_record: split deals ------------------------------------------------------------

SPLIT_LINES = """\
perfkit: 1
name: Shared deals
currency: CNY
participants: {table: people}
tables:
  people: {columns: {id: string}}
  deals: {columns: {id: string, product: string, amount: decimal, closed_on: date}, key: id}
  splits: {columns: {record: string, participant: string, share: decimal, overlay: bool}}
metrics:
  revenue:
    table: deals
    sum: amount
    date: closed_on
    credit: {splits: splits, overlay: overlay}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines:
        - {match: {product: X-PRO}, rate: 12%}
        - {rate: 7%}
"""
SPLIT_PLAN = pk.load_policy(SPLIT_LINES)
PEOPLE = [{"id": "ann"}, {"id": "bob"}, {"id": "sam"}]


def split_row(record: str, who: str, share: str, *, overlay: bool = False) -> Row:
    """A row of the split table."""
    return {"record": record, "participant": who, "share": share, "overlay": overlay}


def test_a_split_deal_pays_each_rep_amount_times_share_times_rate() -> None:
    """60/40 of 10,000 at 12%: 720.00 and 480.00, which add up to the deal's 1,200.00."""
    result = run(
        SPLIT_PLAN,
        people=PEOPLE,
        deals=[deal("S1", "", "10000.00", product="X-PRO")],
        splits=[split_row("S1", "ann", "60%"), split_row("S1", "bob", "40%")],
    )
    assert result.payouts == {"ann": D("720.00"), "bob": D("480.00"), "sam": D("0.00")}
    trace = str(result.explain("bob", "commission")).splitlines()
    assert trace[2:] == [  # 10,000.00 x 40% x 0.12 = 480
        (
            "    record S1 = 480  (line 0 (product = X-PRO): rate 0.12 x 10000.00; share 40%)"
            "  [<input>:20:11: incentives[0].per_record.lines[0]]"
        ),
    ]


def test_split_amounts_are_summed_exactly_before_the_line_is_rounded() -> None:
    """Thirds of odd amounts: each rep's line is round(sum of amount x share x rate)."""
    amounts = {"S1": "999.99", "S2": "1234.57", "S3": "0.10", "S4": "-333.33"}
    shares = {"ann": "33.33%", "bob": "33.33%", "sam": "33.34%"}
    result = run(
        SPLIT_PLAN,
        people=PEOPLE,
        deals=[deal(key, "", amount, product="X-PRO") for key, amount in amounts.items()],
        splits=[split_row(key, who, share) for key in amounts for who, share in shares.items()],
    )
    total = sum((F(amount) for amount in amounts.values()), F(0))
    expected = {
        who: cents(total * F(share[:-1]) / 100 * F("0.12")) for who, share in shares.items()
    }
    assert result.payouts == expected
    # the four amounts net to 1,901.33: ann 1,901.33 x 0.3333 x 0.12 = 76.0455...
    assert expected == {"ann": D("76.05"), "bob": D("76.05"), "sam": D("76.07")}
    # the record nodes hold the exact amounts, which add up to the line before rounding
    for who, share in shares.items():
        trace = result.explain(who, "commission").children[0]
        paid = [F(node.value) for node in trace.children]
        assert len(paid) == len(amounts)
        assert sum(paid, F(0)) == total * F(share[:-1]) / 100 * F("0.12")


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-(10**7), max_value=10**8),  # amount in cents
            st.integers(min_value=0, max_value=100),  # ann's share in percent
        ),
        min_size=1,
        max_size=6,
    )
)
def test_split_lines_are_exact_for_any_amounts_and_shares(deals: list[tuple[int, int]]) -> None:
    """Each rep's line is the rounded exact sum; the two differ from the whole by <= 0.01."""
    rows = [
        deal(f"S{i}", "", str(D(c).scaleb(-2)), product="OTHER") for i, (c, _) in enumerate(deals)
    ]
    splits: list[Row] = []
    for i, (_, pct) in enumerate(deals):
        if pct:
            splits.append(split_row(f"S{i}", "ann", f"{pct}%"))
        if pct < 100:
            splits.append(split_row(f"S{i}", "bob", f"{100 - pct}%"))
    result = run(SPLIT_PLAN, people=PEOPLE, deals=rows, splits=splits)
    rate = F("0.07")
    ann = sum((F(c, 100) * F(p, 100) * rate for c, p in deals), F(0))
    bob = sum((F(c, 100) * F(100 - p, 100) * rate for c, p in deals), F(0))
    assert line(result, "ann", "commission") == cents(ann)
    assert line(result, "bob", "commission") == cents(bob)
    whole = cents(ann + bob)
    assert abs(cents(ann) + cents(bob) - whole) <= D("0.01")


def test_an_overlay_is_paid_on_the_whole_amount_beside_the_reps() -> None:
    """Sam's overlay credit of 100% pays 12% of the whole deal; the reps keep 60/40."""
    result = run(
        SPLIT_PLAN,
        people=PEOPLE,
        deals=[deal("S1", "", "10000.00", product="X-PRO")],
        splits=[
            split_row("S1", "ann", "60%"),
            split_row("S1", "bob", "40%"),
            split_row("S1", "sam", "100%", overlay=True),
        ],
    )
    assert result.payouts == {"ann": D("720.00"), "bob": D("480.00"), "sam": D("1200.00")}
    trace = str(result.explain("sam", "commission")).splitlines()
    assert trace[2:] == [  # no share: the overlay is paid on the whole 10,000.00
        (
            "    record S1 = 1200  (line 0 (product = X-PRO): rate 0.12 x 10000.00)"
            "  [<input>:20:11: incentives[0].per_record.lines[0]]"
        ),
    ]


# --- SPIFFs -------------------------------------------------------------------------------

SPIFFS = """\
perfkit: 1
name: Launch SPIFFs
currency: CNY
participants: {table: people}
tables:
  people: {columns: {id: string}}
  deals:
    columns: {id: string, owner: string, product: string, amount: decimal, closed_on: date}
    key: id
  splits: {columns: {record: string, participant: string, share: decimal}}
metrics:
  launch_deals:
    table: deals
    count: true
    where: "product == 'NOVA' and amount >= 5000"
    date: closed_on
    CREDIT
incentives:
  - id: launch_bonus
    spiff: {per: record, metric: launch_deals, amount: 150}
  - id: launch_share
    spiff: {per: record, metric: launch_deals, amount: "min(1% * amount, 300)"}
  - id: fast_start
    when: "launch_deals >= 2"
    spiff: {per: period, amount: "500 + 50 * (launch_deals - 2)"}
"""
SPIFF_PLAN = pk.load_policy(SPIFFS.replace("CREDIT", ""))
NOVA = [
    deal("N1", "ann", "8000.00", "2026-04-10", product="NOVA"),
    deal("N2", "ann", "45000.00", "2026-04-20", product="NOVA"),
    deal("N3", "ann", "5000.00", "2026-05-07", product="NOVA"),  # exactly 5,000 qualifies
    deal("N4", "ann", "4999.99", "2026-05-20", product="NOVA"),  # just under: does not
    deal("N5", "ann", "9000.00", "2026-05-21", product="ATLAS"),  # not NOVA
    deal("N6", "ann", "7000.00", "2026-07-01", product="NOVA"),  # next quarter
    deal("N7", "bob", "6000.00", "2026-06-01", product="NOVA"),
]


def test_a_spiff_per_record_pays_each_record_its_metric_keeps() -> None:
    """N1, N2 and N3 qualify (the where, the window): 3 x 150.00 = 450.00."""
    result = run(SPIFF_PLAN, people=[{"id": "ann"}, {"id": "bob"}], deals=NOVA)
    assert line(result, "ann", "launch_bonus") == D("450.00")
    assert line(result, "bob", "launch_bonus") == D("150.00")
    assert result.participant("ann").metrics["launch_deals"] == 3


def test_a_spiff_formula_per_record_reads_each_record() -> None:
    """min(1% x amount, 300) per deal: 80 + 300 + 50 = 430.00, not min(1% x total, 300)."""
    result = run(SPIFF_PLAN, people=[{"id": "ann"}, {"id": "bob"}], deals=NOVA)
    assert line(result, "ann", "launch_share") == D("430.00")
    assert line(result, "bob", "launch_share") == D("60.00")


def test_a_spiff_per_period_pays_once_when_its_condition_holds() -> None:
    """Ann's 3 qualifying deals pay 500 + 50 x 1 once; Bob's single deal pays nothing."""
    result = run(SPIFF_PLAN, people=[{"id": "ann"}, {"id": "bob"}], deals=NOVA)
    assert line(result, "ann", "fast_start") == D("550.00")
    assert line(result, "bob", "fast_start") == D("0.00")
    assert result.participant("bob").notes == {
        "fast_start": "not paid: 'when: launch_deals >= 2' does not hold"
    }
    assert result.payouts == {"ann": D("1430.00"), "bob": D("210.00")}


def test_a_spiff_per_record_is_paid_times_the_credit_share() -> None:
    """A 70/30 split of a qualifying deal pays 105.00 and 45.00: 150.00 once in all."""
    plan = pk.load_policy(SPIFFS.replace("CREDIT", "credit: {splits: splits}"))
    result = run(
        plan,
        people=[{"id": "ann"}, {"id": "bob"}],
        deals=[deal("N1", "", "10000.00", product="NOVA")],
        splits=[
            {"record": "N1", "participant": "ann", "share": "70%"},
            {"record": "N1", "participant": "bob", "share": "30%"},
        ],
    )
    assert line(result, "ann", "launch_bonus") == D("105.00")
    assert line(result, "bob", "launch_bonus") == D("45.00")
    # 1% of the deal is 100, times each share
    assert line(result, "ann", "launch_share") == D("70.00")
    assert line(result, "bob", "launch_share") == D("30.00")
    # the count counts the deal once for each of them
    assert [result.participant(w).metrics["launch_deals"] for w in ("ann", "bob")] == [1, 1]
    # each record node shows the share paid: 150 x 70% = 105, and 100 x 30% = 30
    ann = str(result.explain("ann", "launch_bonus")).splitlines()
    assert ann[2:] == [
        (
            "    record N1 = 105  (SPIFF 150 per record; share 70%)"
            "  [<input>:20:12: incentives[0].spiff]"
        )
    ]
    bob = str(result.explain("bob", "launch_share")).splitlines()
    assert bob[2:] == [
        (
            "    record N1 = 30  (SPIFF 100 per record; share 30%)"
            "  [<input>:22:12: incentives[1].spiff]"
        )
    ]


def test_a_spiff_per_record_trace_lists_the_records_paid() -> None:
    """The trace names each qualifying record and what it paid, at the rule's spiff."""
    result = run(SPIFF_PLAN, people=[{"id": "ann"}, {"id": "bob"}], deals=NOVA)
    trace = str(result.explain("ann", "launch_bonus")).splitlines()
    assert trace[2:] == [
        f"    record N{i} = 150  (SPIFF 150 per record)  [<input>:20:12: incentives[0].spiff]"
        for i in (1, 2, 3)
    ]


def test_a_spiff_formula_trace_shows_each_records_own_amount() -> None:
    """min(1% x amount, 300): 80 for 8,000, 300 for 45,000 (not 450), 50 for 5,000."""
    result = run(SPIFF_PLAN, people=[{"id": "ann"}, {"id": "bob"}], deals=NOVA)
    trace = str(result.explain("ann", "launch_share")).splitlines()
    assert trace[2:] == [
        f"    record {key} = {paid}  (SPIFF {paid} per record)"
        "  [<input>:22:12: incentives[1].spiff]"
        for key, paid in (("N1", 80), ("N2", 300), ("N3", 50))
    ]


# --- multipliers -----------------------------------------------------------------------

KICKERS = """\
perfkit: 1
name: Kickers
currency: CNY
tables:
  participants: {columns: {id: string, quota: decimal}}
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
targets:
  revenue: {value: quota}
incentives:
  - id: commission
    rate: {on: revenue, rate: 5%}
  - id: kicker
    when: "attainment.revenue >= 120%"
    multiplier: {of: commission, factor: 1.5}
  - id: decelerator
    when: "attainment.revenue < 50%"
    multiplier: {of: commission, factor: 0.5}
"""
KICKER_PLAN = pk.load_policy(KICKERS)


def kicked(revenue: str, plan: pk.Policy = KICKER_PLAN) -> list[Decimal]:
    """commission, kicker, decelerator of one rep with a 100,000.00 target."""
    result = run(
        plan,
        participants=[{"id": "ann", "quota": "100000.00"}],
        deals=[deal("D1", "ann", revenue)],
    )
    return list(lines(result, "ann").values())


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        ("130000.00", ["6500.00", "3250.00", "0.00"]),  # (1.5 - 1) x 6,500
        ("120000.00", ["6000.00", "3000.00", "0.00"]),  # exactly 120%: the kicker holds
        ("119999.99", ["6000.00", "0.00", "0.00"]),  # 5,999.9995 and no kicker
        ("50000.00", ["2500.00", "0.00", "0.00"]),  # exactly 50%: no decelerator
        ("49999.99", ["2500.00", "0.00", "-1250.00"]),  # (0.5 - 1) x 2,500.00 as paid
        ("40000.00", ["2000.00", "0.00", "-1000.00"]),
    ],
)
def test_a_kicker_and_a_decelerator_pay_factor_minus_one_times_the_line(
    revenue: str, expected: list[str]
) -> None:
    """Kicker x1.5 from 120% (included), decelerator x0.5 below 50% (excluded)."""
    assert kicked(revenue) == [D(amount) for amount in expected]


def test_a_multiplier_scales_the_rounded_line_and_rounds_its_own() -> None:
    """123.45 x (0.5 - 1) = -61.725 rounds away from zero to -61.73: payout 61.72."""
    assert kicked("2469.00") == [D("123.45"), D("0.00"), D("-61.73")]


def test_multipliers_compound_only_when_one_scales_the_other() -> None:
    """x1.5 and x1.2 of the same line add 500 + 200; x1.2 of both lines adds 300."""
    plan = policy(
        """\
        perfkit: 1
        name: Stacked
        currency: CNY
        tables:
          participants: {columns: {id: string, base: decimal}}
        incentives:
          - {id: commission, amount: base}
          - {id: first, multiplier: {of: commission, factor: 1.5}}
          - {id: apart, multiplier: {of: commission, factor: 1.2}}
          - {id: stacked, multiplier: {of: [commission, first], factor: 1.2}}
        """
    )
    result = run(plan, participants=[{"id": "ann", "base": "1000.00"}])
    assert lines(result, "ann") == {
        "commission": D("1000.00"),
        "first": D("500.00"),
        "apart": D("200.00"),
        "stacked": D("300.00"),  # 0.2 x (1,000 + 500): 1,000 x 1.5 x 1.2 = 1,800
    }


def test_a_factor_may_be_an_expression_of_the_participant() -> None:
    """factor clamp(attainment, 1, 1.5) at 130%: (1.3 - 1) x 6,500 = 1,950.00."""
    plan = pk.load_policy(
        KICKERS.replace("factor: 1.5", 'factor: "clamp(attainment.revenue, 1, 1.5)"')
    )
    assert kicked("130000.00", plan)[1] == D("1950.00")
    assert kicked("200000.00", plan)[1] == D("5000.00")  # clamped at 1.5: 0.5 x 10,000


def test_a_kicker_trace_shows_its_arithmetic_and_condition() -> None:
    """The note gives (factor - 1) x the lines scaled; attainment is a child."""
    result = run(
        KICKER_PLAN,
        participants=[{"id": "ann", "quota": "100000.00"}],
        deals=[deal("D1", "ann", "130000.00")],
    )
    trace = str(result.explain("ann", "kicker")).splitlines()
    assert "(1.50 - 1) x commission (6500.00)" in trace[1]
    assert trace[2] == "    attainment.revenue = 1.3  (revenue / target.revenue)"


# --- improvement ---------------------------------------------------------------------

IMPROVERS = """\
perfkit: 1
name: Improvers
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: growth
    improvement: {metric: revenue, over: previous, rate: 10%}
  - id: yoy_bonus
    improvement:
      metric: revenue
      over: last_year
      mode: retroactive
      tiers: [{from: 0, amount: 0}, {from: 10%, amount: 500}, {from: 25%, amount: 1200}]
  - id: yoy_rate
    improvement:
      metric: revenue
      over: last_year
      mode: marginal
      base: last_year.revenue
      tiers: [{from: 0, rate: 0}, {from: 10%, rate: 5%}]
"""
IMPROVER_PLAN = pk.load_policy(IMPROVERS)


def improved(last_year: str | None, previous: str | None, now: str) -> dict[str, Decimal]:
    """The lines of a rep with these 2025-Q2, 2026-Q1 and 2026-Q2 revenues."""
    rows = [deal("N", "ann", now, "2026-05-18")]
    if last_year is not None:
        rows.append(deal("L", "ann", last_year, "2025-06-30"))
    if previous is not None:
        rows.append(deal("P", "ann", previous, "2026-03-31"))
    return lines(run(IMPROVER_PLAN, deals=rows), "ann")


def test_growth_over_the_previous_period_pays_a_rate_on_the_increase() -> None:
    """52,000 after 45,000: 10% of the 7,000 increase."""
    assert improved("40000", "45000", "52000")["growth"] == D("700.00")


def test_a_decline_pays_nothing_not_a_negative_amount() -> None:
    """20,000 after 30,000 pays 0.00; the note still shows the increase of -10,000."""
    result = run(
        IMPROVER_PLAN,
        deals=[deal("P", "ann", "30000", "2026-03-09"), deal("N", "ann", "20000", "2026-04-22")],
    )
    assert line(result, "ann", "growth") == D("0.00")
    assert result.participant("ann").notes["growth"] == "increase over previous.revenue: -10000.00"


@pytest.mark.parametrize(
    ("last_year", "now", "bonus"),
    [
        ("40000", "52000", "1200.00"),  # 30%
        ("40000", "50000", "1200.00"),  # exactly 25%
        ("40000", "49999.99", "500.00"),  # just under 25%
        ("40000", "44000", "500.00"),  # exactly 10%
        ("40000", "43999.99", "0.00"),
        ("18000", "20000", "500.00"),  # 1/9, 11.1...%
    ],
)
def test_growth_tiers_over_last_year_pay_at_the_boundaries(
    last_year: str, now: str, bonus: str
) -> None:
    """Retroactive amounts on the growth ratio: from 10% 500.00, from 25% 1,200.00."""
    assert improved(last_year, None, now)["yoy_bonus"] == D(bonus)


@pytest.mark.parametrize(
    ("last_year", "now"),
    [("40000", "52000"), ("18000", "20000"), ("30000", "33000"), ("33333.33", "40000.01")],
)
def test_marginal_growth_tiers_with_a_base_pay_a_rate_above_the_threshold(
    last_year: str, now: str
) -> None:
    """(growth - 10%) x 5% x last year = 5% of the revenue above 110% of last year's."""
    growth = F(now) / F(last_year) - 1
    expected = max(growth - F("0.10"), F(0)) * F("0.05") * F(last_year)
    assert expected == max(F(now) - F(last_year) * F("1.1"), F(0)) * F("0.05")
    assert improved(last_year, None, now)["yoy_rate"] == cents(expected)


def test_a_zero_baseline_pays_the_rate_on_everything_and_no_growth_tiers() -> None:
    """A newcomer: 10% of 10,000 over a zero baseline; tiers need a ratio, so 0.00."""
    result = run(IMPROVER_PLAN, deals=[deal("N", "cy", "10000", "2026-06-15")])
    assert lines(result, "cy") == {
        "growth": D("1000.00"),
        "yoy_bonus": D("0.00"),
        "yoy_rate": D("0.00"),
    }
    assert result.participant("cy").notes["yoy_bonus"] == (
        "not paid: no growth ratio, last_year.revenue is 0.00"
    )


def test_a_negative_baseline_has_no_growth_ratio_either() -> None:
    """Refunds above sales last year: no tiers paid; the rate pays on the full increase."""
    lines_ = improved("-1000", None, "5000")
    assert lines_["yoy_bonus"] == D("0.00")
    assert lines_["growth"] == D("500.00")  # previous quarter empty: 10% of 5,000


def test_the_previous_period_has_the_length_of_the_period() -> None:
    """For 2026-05, 'previous' is April, not the quarter before."""
    result = run(
        IMPROVER_PLAN,
        "2026-05",
        deals=[
            deal("A", "ann", "1000", "2026-03-31"),
            deal("B", "ann", "2000", "2026-04-30"),
            deal("C", "ann", "2500", "2026-05-01"),
        ],
    )
    assert line(result, "ann", "growth") == D("50.00")  # (2,500 - 2,000) x 10%


def test_an_improvement_trace_shows_the_metric_now_and_in_the_baseline() -> None:
    """Both values appear under the line, each with its records."""
    result = run(
        IMPROVER_PLAN,
        deals=[deal("P", "ann", "45000", "2026-02-10"), deal("N", "ann", "52000", "2026-05-18")],
    )
    trace = str(result.explain("ann", "growth")).splitlines()
    assert "    metric revenue = 52000  [<input>:7:12: metrics.revenue]" in trace
    assert "    previous.revenue = 45000" in trace
    assert "        record P = 45000  [deals[0]]" in trace


def test_an_improvement_trace_lists_a_baseline_used_as_base_once() -> None:
    """yoy_rate reads last_year.revenue as baseline and as base: it is listed once."""
    result = run(
        IMPROVER_PLAN,
        deals=[deal("L", "ann", "40000", "2025-06-30"), deal("N", "ann", "52000", "2026-05-18")],
    )
    assert line(result, "ann", "yoy_rate") == D("400.00")  # (30% - 10%) x 5% x 40,000
    trace = str(result.explain("ann", "yoy_rate")).splitlines()
    assert trace[2:] == [
        "    last_year.revenue = 40000",
        "      1 records  (sum of deals in 2025-04-01..2025-06-30)",
        "        record L = 40000  [deals[0]]",
        "    metric revenue = 52000  [<input>:7:12: metrics.revenue]",
        "      1 records  (sum of deals in 2026-Q2)",
        "        record N = 52000  [deals[1]]",
    ]


CSAT_GROWTH = """\
perfkit: 1
name: CSAT growth
currency: CNY
tables:
  surveys: {columns: {id: string, owner: string, score: decimal, answered_on: date}}
metrics:
  csat: {table: surveys, mean: score, date: answered_on}
incentives:
  - id: better
    improvement: {metric: csat, over: previous, rate: 100}
  - id: stepped
    improvement:
      metric: csat
      over: previous
      mode: retroactive
      tiers: [{from: 0, amount: 0}, {from: 5%, amount: 300}]
"""
CSAT_PLAN = pk.load_policy(CSAT_GROWTH)


def survey(key: str, who: str, score: str, day: str) -> Row:
    """A row of the surveys table."""
    return {"id": key, "owner": who, "score": score, "answered_on": day}


@pytest.mark.parametrize(
    ("day", "missing"),
    [("2026-05-01", "previous.csat"), ("2026-02-01", "csat")],
)
def test_a_missing_baseline_or_current_value_pays_nothing(day: str, missing: str) -> None:
    """A mean with no surveys in one of the two periods has no value, not 0: nothing to pay."""
    result = run(CSAT_PLAN, surveys=[survey("1", "ann", "4.5", day)])
    assert result.payouts == {"ann": D("0.00")}  # not 100 x 4.5, nor 100 x -4.5
    note = f"not paid: {missing} has no value (no records)"
    assert result.participant("ann").notes == {"better": note, "stepped": note}
    trace = str(result.explain("ann", "better")).splitlines()
    assert trace[1] == (
        "  line better = 0.00  (improvement of csat over previous; "
        f"{note})  [<input>:9:5: incentives[0]]"
    )


def test_a_mean_with_values_in_both_periods_is_paid_on_its_growth() -> None:
    """CSAT 4.0 then 4.5: rate 100 x 0.5 = 50.00; growth 12.5% reaches the 5% step."""
    result = run(
        CSAT_PLAN,
        surveys=[survey("1", "ann", "4.0", "2026-02-01"), survey("2", "ann", "4.5", "2026-05-01")],
    )
    assert lines(result, "ann") == {"better": D("50.00"), "stepped": D("300.00")}


# --- pools ---------------------------------------------------------------------------

POOLS = """\
perfkit: 1
name: Team pools
currency: CNY
tables:
  participants: {columns: {id: string, team: string, quota: decimal}}
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
  pledges: {columns: {id: string, owner: string, amount: decimal, given_on: date}}
  visits: {columns: {id: string, owner: string, visited_on: date}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
  pledged: {table: pledges, sum: amount, date: given_on}
  visits: {table: visits, count: true, date: visited_on}
targets:
  revenue: {value: quota}
scorecard:
  components:
    - {metric: visits, weight: 100%, on: value, curve: [[0, 0], [20, 100]]}
incentives:
  - id: team_bonus
    pool: {group: team, fund: "if_(team.attainment.revenue >= 100%, 1000, 0)"}
  - id: sales_pool
    pool: {group: team, fund: "1% * team.revenue", weights: contribution, contribution: revenue}
  - id: activity_pool
    pool: {group: team, fund: "200 * team.size", weights: score}
  - id: pledged_pool
    pool: {group: team, fund: "team.pledged", weights: contribution, contribution: revenue}
"""
POOL_PLAN = pk.load_policy(POOLS)


def pooled(
    members: Mapping[str, tuple[str, str]],
    *,
    visits: Mapping[str, int] | None = None,
    pledge: str = "0",
    quota: str = "50000.00",
    plan: pk.Policy = POOL_PLAN,
) -> pk.Result:
    """Evaluate the pools: member -> (team, revenue); the whole pledge on the first member."""
    first = next(iter(members))
    return run(
        plan,
        participants=[
            {"id": who, "team": team, "quota": quota} for who, (team, _) in members.items()
        ],
        deals=[deal(f"D-{who}", who, revenue) for who, (_, revenue) in members.items()],
        pledges=[{"id": "P", "owner": first, "amount": pledge, "given_on": "2026-04-01"}],
        visits=[
            {"id": f"{who}-{n}", "owner": who, "visited_on": "2026-04-20"}
            for who, count in (visits or {}).items()
            for n in range(count)
        ],
    )


def shares(result: pk.Result, rule: str) -> dict[str, Decimal]:
    """Each participant's line of one pool rule."""
    return {p.id: line(result, p.id, rule) for p in result.participants}


EAST = {"ann": ("east", "80000"), "bob": ("east", "50000"), "cy": ("east", "20000")}


def test_an_equal_pool_gives_the_extra_cent_by_name() -> None:
    """1,000.00 over three: 333.34 to ann (ties by name), 333.33 to bob and cy."""
    expected = {"ann": D("333.34"), "bob": D("333.33"), "cy": D("333.33")}
    assert shares(pooled(EAST), "team_bonus") == expected
    reordered = {who: EAST[who] for who in ("cy", "bob", "ann")}
    assert shares(pooled(reordered), "team_bonus") == expected


def test_a_pool_funded_by_team_attainment_pays_from_exactly_100_percent() -> None:
    """The fund is 1,000 when the team's revenue reaches the sum of its quotas, else 0."""
    short = {**EAST, "cy": ("east", "19999.99")}
    assert sum(shares(pooled(short), "team_bonus").values()) == D("0.00")
    assert sum(shares(pooled(EAST), "team_bonus").values()) == D("1000.00")


def test_a_pool_by_contribution_follows_each_members_revenue() -> None:
    """1% of 150,000 = 1,500 by 80 : 50 : 20 = 800, 500, 200."""
    assert shares(pooled(EAST), "sales_pool") == {
        "ann": D("800.00"),
        "bob": D("500.00"),
        "cy": D("200.00"),
    }


def test_a_pool_by_score_follows_the_scorecard() -> None:
    """600.00 by scores 100 : 50 : 0 (24 visits capped at 100, 10 visits, none)."""
    result = pooled(EAST, visits={"ann": 24, "bob": 10})
    assert shares(result, "activity_pool") == {
        "ann": D("400.00"),
        "bob": D("200.00"),
        "cy": D("0.00"),
    }


def test_all_zero_weights_share_the_pool_equally_and_say_so() -> None:
    """Nobody made a visit: 400.00 by score is 200.00 each, noted as a fallback."""
    west = {"dee": ("west", "30000"), "eve": ("west", "10000")}
    result = pooled(west)
    assert shares(result, "activity_pool") == {"dee": D("200.00"), "eve": D("200.00")}
    assert result.participant("dee").notes["activity_pool"] == (
        "team west: pool 400.00 (200 * team.size) shared by equal shares "
        "(every score weight is zero) among 2: weight 1 of 2"
    )


def test_a_negative_contribution_counts_as_zero_weight() -> None:
    """A member whose refunds exceed sales gets none of a contribution pool."""
    team = {"ann": ("east", "3000"), "bob": ("east", "-1000")}
    result = pooled(team, pledge="99.99")
    assert shares(result, "pledged_pool") == {"ann": D("99.99"), "bob": D("0.00")}


def test_a_negative_fund_pays_nothing() -> None:
    """1% of a net negative team revenue is a fund of zero, not a deduction."""
    team = {"ann": ("east", "-3000"), "bob": ("east", "1000")}
    assert shares(pooled(team), "sales_pool") == {"ann": D("0.00"), "bob": D("0.00")}


def test_each_team_has_its_own_fund() -> None:
    """East and West are pooled apart: 1% of each team's own revenue."""
    both = {**EAST, "dee": ("west", "30000"), "eve": ("west", "10000")}
    got = shares(pooled(both), "sales_pool")
    assert got["dee"] + got["eve"] == D("400.00")
    assert got["ann"] + got["bob"] + got["cy"] == D("1500.00")
    assert (got["dee"], got["eve"]) == (D("300.00"), D("100.00"))


def test_a_participant_without_a_team_is_in_no_pool() -> None:
    """An empty group value: no share of any pool, and no effect on the team's fund."""
    result = run(
        POOL_PLAN,
        participants=[
            {"id": "ann", "team": "east", "quota": "100.00"},
            {"id": "bob", "team": None, "quota": "100.00"},
        ],
        deals=[deal("D1", "ann", "100.00"), deal("D2", "bob", "5000.00")],
        pledges=[],
        visits=[],
    )
    assert lines(result, "bob") == dict.fromkeys(
        ("team_bonus", "sales_pool", "activity_pool", "pledged_pool"), D("0.00")
    )
    # ann alone is east: 1,000 (100% of her quota) + 1% of her 100.00 + 200 x 1
    assert result.payouts["ann"] == D("1201.00")


def test_a_pool_rule_when_drops_a_members_share_without_sharing_it_out() -> None:
    """`when` applies to each member's share after allocation: the team gets less."""
    plan = pk.load_policy(
        POOLS.replace(
            '  - id: team_bonus\n    pool: {group: team, fund: "if_(',
            '  - id: team_bonus\n    when: "revenue >= 50000"\n    pool: {group: team, fund: "if_(',
        )
    )
    got = shares(pooled(EAST, plan=plan), "team_bonus")
    assert got == {"ann": D("333.34"), "bob": D("333.33"), "cy": D("0.00")}


def hamilton(total: Decimal, weights: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Largest-remainder shares of ``total`` at 0.01, ties by name: an independent reference."""
    units = int(total * 100)
    whole = sum(weights.values(), F(0))
    if whole == 0:
        weights = dict.fromkeys(weights, F(1))
        whole = F(len(weights))
    exact = {who: units * w / whole for who, w in weights.items()}
    floors = {who: int(value) for who, value in exact.items()}  # value >= 0
    left = units - sum(floors.values())
    by_remainder = sorted(exact, key=lambda who: (-(exact[who] - floors[who]), who))
    for who in by_remainder[:left]:
        floors[who] += 1
    return {who: D(n).scaleb(-2) for who, n in floors.items()}


@given(
    weights=st.lists(
        st.one_of(st.just(0), st.integers(min_value=0, max_value=10**8)),  # revenue in cents
        min_size=1,
        max_size=6,
    ),
    fund=st.integers(min_value=-(10**6), max_value=10**9),  # the pledge, in 0.0001
)
def test_pool_shares_always_sum_to_the_rounded_fund(weights: list[int], fund: int) -> None:
    """Any fund, any non-negative weights: shares sum to round(fund), by largest remainder."""
    members = {f"m{i}": ("t", str(D(c).scaleb(-2))) for i, c in enumerate(weights)}
    pledge = D(fund).scaleb(-4)
    result = pooled(members, pledge=str(pledge))
    got = shares(result, "pledged_pool")
    rounded = max(cents(F(pledge)), D("0.00"))
    assert sum(got.values(), D(0)) == rounded
    expected = hamilton(rounded, {who: F(c, 100) for who, c in zip(members, weights, strict=True)})
    assert got == expected
    total = sum(weights)
    for who, c in zip(members, weights, strict=True):
        exact = F(rounded) * (F(c, total) if total else F(1, len(weights)))
        assert abs(F(got[who]) - exact) < F(1, 100)
        if total and c == 0:
            assert got[who] == 0


# --- managers and overlays -----------------------------------------------------------

MANAGERS = """\
perfkit: 1
name: Managers and overlays
currency: CNY
participants: {table: people, manager: manager}
tables:
  people: {columns: {id: string, manager: string, role: string, quota: decimal}}
  deals: {columns: {id: string, product: string, amount: decimal, closed_on: date}, key: id}
  splits: {columns: {record: string, participant: string, share: decimal, overlay: bool}}
metrics:
  revenue:
    table: deals
    sum: amount
    date: closed_on
    credit: {splits: splits, overlay: overlay, roll_up: true}
  deals_won:
    table: deals
    count: true
    where: "amount > 0"
    date: closed_on
    credit: {splits: splits, overlay: overlay, roll_up: true}
targets:
  revenue: {value: quota}
incentives:
  - id: rep_commission
    when: "role == 'rep'"
    rate: {on: revenue, rate: 5%}
  - id: manager_override
    when: "role == 'manager'"
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      tiers: [{from: 0, rate: 1%}, {from: 100%, rate: 2%}]
  - id: overlay_commission
    when: "role == 'specialist'"
    per_record:
      metric: revenue
      lines: [{match: {product: X-PRO}, rate: 2%}, {rate: 1%}]
"""
MANAGER_PLAN = pk.load_policy(MANAGERS)


def person(who: str, manager: str | None, role: str, quota: str) -> Row:
    """A row of the people table."""
    return {"id": who, "manager": manager, "role": role, "quota": quota}


def org(sam_reports_to: str | None = None, bob_reports_to: str = "mia") -> pk.Result:
    """Mia manages Ann (and Bob); Sam is the overlay on D1."""
    return run(
        MANAGER_PLAN,
        people=[
            person("mia", None, "manager", "200000.00"),
            person("noa", None, "manager", "100000.00"),
            person("ann", "mia", "rep", "100000.00"),
            person("bob", bob_reports_to, "rep", "100000.00"),
            person("sam", sam_reports_to, "specialist", "50000.00"),
        ],
        deals=[
            deal("D1", "", "150000.00", "2026-04-10", product="X-PRO"),
            deal("D2", "", "100000.00", "2026-05-10", product="X-LITE"),
            deal("D3", "", "-10000.00", "2026-06-10", product="X-LITE"),
        ],
        splits=[
            split_row("D1", "ann", "60%"),
            split_row("D1", "bob", "40%"),
            split_row("D1", "sam", "100%", overlay=True),
            split_row("D2", "bob", "100%"),
            split_row("D3", "bob", "100%"),
        ],
    )


def test_a_manager_is_paid_on_the_rolled_up_attainment_of_the_team() -> None:
    """Mia: 150,000 + 100,000 - 10,000 = 240,000 of 200,000; 2,000 + 800 marginally."""
    result = org()
    mia = result.participant("mia")
    assert mia.metrics["revenue"] == D("240000")
    assert mia.attainment["revenue"] == F(6, 5)
    assert line(result, "mia", "manager_override") == D("2800.00")
    assert result.payouts["ann"] == D("4500.00")  # 90,000 x 5%
    assert result.payouts["bob"] == D("7500.00")  # (60,000 + 100,000 - 10,000) x 5%


def test_a_split_deal_counts_once_in_full_for_the_manager_of_both_reps() -> None:
    """D1 split 60/40 within Mia's team is one deal of 150,000 for her, not two."""
    result = org()
    assert result.participant("mia").metrics["deals_won"] == 2  # D1 and D2
    trace = str(result.explain("mia", "manager_override"))
    assert trace.count("record D1 = 150000.00") == 1


def test_a_manager_of_one_rep_of_a_split_gets_that_reps_share() -> None:
    """With Bob under Noa, Mia gets Ann's 60% of D1 and Noa the rest of Bob's."""
    result = org(bob_reports_to="noa")
    assert result.participant("mia").metrics["revenue"] == D("90000")
    assert result.participant("noa").metrics["revenue"] == D("150000")
    # Noa: 150,000 / 100,000 = 150%: 1% x 100,000 + 2% x 50,000
    assert line(result, "noa", "manager_override") == D("2000.00")


def test_an_overlay_is_credited_in_full_and_takes_nothing_from_the_reps() -> None:
    """Sam's per-record overlay pays 2% of the whole X-PRO deal; Ann and Bob keep 60/40."""
    result = org()
    assert result.participant("sam").metrics["revenue"] == D("150000")
    assert line(result, "sam", "overlay_commission") == D("3000.00")
    assert result.participant("ann").metrics["revenue"] == D("90000")
    assert line(result, "ann", "overlay_commission") == D("0.00")  # the rule's when


def test_an_overlay_reporting_to_the_manager_does_not_count_twice() -> None:
    """Sam under Mia: D1 reaches her through reps and overlay, and counts once."""
    result = org(sam_reports_to="mia")
    assert result.participant("mia").metrics["revenue"] == D("240000")
    assert result.participant("mia").metrics["deals_won"] == 2


def test_an_overlay_record_reaching_a_manager_only_by_overlay_counts_in_full() -> None:
    """Sam under Noa, Ann and Bob under Mia: Noa sees D1 whole, through Sam alone."""
    result = org(sam_reports_to="noa")
    assert result.participant("noa").metrics["revenue"] == D("150000")
    trace = str(result.explain("sam", "overlay_commission")).splitlines()
    assert trace[2:] == [
        "    role = specialist",
        # the whole 150,000.00 (no share) x 0.02 = 3,000, at line 0 on line 38 of MANAGERS
        (
            "    record D1 = 3000  (line 0 (product = X-PRO): rate 0.02 x 150000.00)"
            "  [<input>:38:15: incentives[2].per_record.lines[0]]"
        ),
    ]
