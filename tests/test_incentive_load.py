"""Incentive rules that cannot pay as written are refused at load, each at its own line.

Every test loads a policy file and compares what perfkit reports as
``(code, field path, "file:line")``, so a message that points at the wrong line
or field fails as surely as a missing one. Where a small edit repairs the
policy, the test loads the repaired text too, so the check is not broader than
the mistake it names.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import perfkit as pk

Problem = tuple[str, str | None, str]
"""A diagnostic as these tests compare it: (code, field path, 'file:line')."""

Refused = Callable[[str], list[pk.Diagnostic]]


@pytest.fixture
def refused(tmp_path: Path) -> Refused:
    """Load a policy from plan.yaml; it must fail, and this returns its diagnostics."""

    def load(text: str) -> list[pk.Diagnostic]:
        plan = tmp_path / "plan.yaml"
        plan.write_text(textwrap.dedent(text), encoding="utf-8")
        with pytest.raises(pk.PolicyError) as caught:
            pk.load_policy(plan)
        return list(caught.value.diagnostics)

    return load


def located(diagnostics: list[pk.Diagnostic]) -> list[Problem]:
    """Each diagnostic's code, path and 'file:line' (the file by its name)."""
    return [
        (d.code, d.location.path, f"{Path(d.location.file or '?').name}:{d.location.line}")
        for d in diagnostics
    ]


def loads(text: str) -> pk.Policy:
    return pk.load_policy(textwrap.dedent(text))


# --- tiers ---------------------------------------------------------------------------

TIERS_OUT_OF_ORDER = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {attainment: decimal}
incentives:
  - id: commission
    tiered:
      on: attainment
      mode: marginal
      tiers:
        - {from: 0, rate: 2%}
        - {from: 100%, rate: 5%}
        - {from: 80%, rate: 8%}
"""


@pytest.mark.parametrize(
    ("edit", "at", "says"),
    [
        (("", ""), ("tiers[2]", 13), "tier 2 starts at 0.80, not above tier 1's 1.00"),
        (
            ("{from: 0, rate: 2%}", "{from: 0, to: 120%, rate: 2%}"),
            ("tiers[1]", 12),
            "overlap between tier 0 (to 1.20) and tier 1 (from 1.00)",
        ),
        (
            ("{from: 80%, rate: 8%}", "{from: 150%, to: 120%, rate: 8%}"),
            ("tiers[2]", 13),
            "the last tier ends at 1.20, not above its start",
        ),
    ],
    ids=["out-of-order", "overlap", "last-ends-below-start"],
)
def test_tier_table_errors_point_at_the_tier_at_fault(
    refused: Refused, edit: tuple[str, str], at: tuple[str, int], says: str
) -> None:
    """The error is on the line of the tier that breaks the table, not the table's."""
    (diagnostic,) = refused(TIERS_OUT_OF_ORDER.replace(*edit))
    assert located([diagnostic]) == [
        ("policy.invalid", f"incentives[0].tiered.{at[0]}", f"plan.yaml:{at[1]}")
    ]
    assert says in diagnostic.message
    loads(TIERS_OUT_OF_ORDER.replace("from: 80%", "from: 150%"))


def test_growth_tiers_out_of_order_point_at_the_tier(refused: Refused) -> None:
    """An improvement bonus's tiers are checked like a tiered rule's."""
    diagnostics = refused(
        """\
        perfkit: 1
        name: Field sales
        currency: CNY
        tables:
          deals: {columns: {id: string, owner: string, amount: decimal}}
        metrics:
          revenue: {table: deals, sum: amount}
        incentives:
          - id: growth
            improvement:
              metric: revenue
              over: previous
              mode: retroactive
              tiers:
                - {from: 10%, amount: 500}
                - {from: 5%, amount: 200}
        """
    )
    assert located(diagnostics) == [
        ("policy.invalid", "incentives[0].improvement.tiers[1]", "plan.yaml:16")
    ]


# --- negative rates ------------------------------------------------------------------

NEGATIVE_TIER = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {attainment: decimal}
incentives:
  - id: commission
    tiered:
      on: attainment
      mode: marginal
      tiers:
        - {from: 0, rate: 2%}
        - {from: 100%, rate: -1%}
"""

NEGATIVE_RATE = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {revenue: decimal}
incentives:
  - id: commission
    rate: {on: revenue, rate: -3%}
"""

NEGATIVE_LINE_RATE = """\
perfkit: 1
name: Field sales
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal}}
metrics:
  revenue: {table: deals, sum: amount}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines:
        - {rate: -5%}
"""


@pytest.mark.parametrize(
    ("text", "problem", "says"),
    [
        pytest.param(
            NEGATIVE_TIER,
            ("policy.invalid", "incentives[0].tiered.tiers[1]", "plan.yaml:12"),
            "tier 1 pays -0.01, below zero",
            id="tier-rate",
        ),
        pytest.param(
            NEGATIVE_TIER.replace("rate: -1%", "amount: -100"),
            ("policy.invalid", "incentives[0].tiered.tiers[1]", "plan.yaml:12"),
            "tier 1 pays -100, below zero",
            id="tier-amount",
        ),
        pytest.param(
            NEGATIVE_RATE,
            ("policy.invalid", "incentives[0].rate.rate", "plan.yaml:7"),
            "the rate -0.03 is below zero",
            id="rate-rule",
        ),
        pytest.param(
            NEGATIVE_LINE_RATE,
            ("policy.invalid", "incentives[0].per_record.lines[0].rate", "plan.yaml:13"),
            "the rate -0.05 is below zero",
            id="per-record-line",
        ),
    ],
)
def test_negative_rates_are_refused_where_deductions_are_not_meant(
    refused: Refused, text: str, problem: Problem, says: str
) -> None:
    """A negative rate or tier pays back money by accident: deductions are penalties."""
    (diagnostic,) = refused(text)
    assert located([diagnostic]) == [problem]
    assert says in diagnostic.message
    assert "penalty" in diagnostic.message


def test_negative_tiers_load_when_the_rule_says_negative_true() -> None:
    """'negative: true' allows a tier below zero, written before or after the tiers."""
    before = NEGATIVE_TIER.replace("      tiers:\n", "      negative: true\n      tiers:\n")
    loads(before)
    loads(NEGATIVE_TIER + "      negative: true\n")


# --- per-record lines ----------------------------------------------------------------

PER_RECORD = """\
perfkit: 1
name: Field sales
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, product: string, region: string}}
metrics:
  revenue: {table: deals, sum: amount}
  deals_won: {table: deals, count: true}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines:
        - {match: {product: software}, rate: 8%}
        - {match: {region: east}, rate: 6%}
        - {rate: 5%}
"""


def test_lines_matching_on_two_columns_need_keys(refused: Refused) -> None:
    """Which line wins for a software deal in the east must be written, in 'keys'."""
    (diagnostic,) = refused(PER_RECORD)
    assert located([diagnostic]) == [
        ("policy.per-record-keys", "incentives[0].per_record.lines", "plan.yaml:14")
    ]
    assert "'product', 'region'" in diagnostic.message
    loads(PER_RECORD.replace("      lines:\n", "      keys: [product, region]\n      lines:\n"))


def test_keys_must_list_every_match_column(refused: Refused) -> None:
    text = PER_RECORD.replace("      lines:\n", "      keys: [product]\n      lines:\n")
    (diagnostic,) = refused(text)
    assert located([diagnostic]) == [
        ("policy.per-record-keys", "incentives[0].per_record.keys", "plan.yaml:13")
    ]
    assert "'region', missing from 'keys'" in diagnostic.message


@pytest.mark.parametrize(
    ("duplicate", "says"),
    [
        ("{match: {product: software}, rate: 7%}", "lines 0 and 3 both match"),
        ("{rate: 4%}", "lines 2 and 3 are both default lines"),
    ],
    ids=["same-match", "two-defaults"],
)
def test_duplicate_lines_are_refused_at_the_second(
    refused: Refused, duplicate: str, says: str
) -> None:
    """Two lines for the same records would let a record pay either rate."""
    text = PER_RECORD.replace("      lines:\n", "      keys: [product, region]\n      lines:\n")
    diagnostics = refused(text + f"        - {duplicate}\n")
    assert located(diagnostics) == [
        ("policy.duplicate-line", "incentives[0].per_record.lines[3]", "plan.yaml:18")
    ]
    assert says in diagnostics[0].message


def test_per_record_needs_a_sum_metric(refused: Refused) -> None:
    """A count has no amount per record for a rate to apply to."""
    text = PER_RECORD.replace("metric: revenue", "metric: deals_won").replace(
        "        - {match: {region: east}, rate: 6%}\n", ""
    )
    (diagnostic,) = refused(text)
    assert located([diagnostic]) == [
        ("policy.per-record-metric", "incentives[0].per_record.metric", "plan.yaml:12")
    ]
    assert "'deals_won' is a count" in diagnostic.message


def test_per_record_metric_must_exist(refused: Refused) -> None:
    text = PER_RECORD.replace("metric: revenue", "metric: revenu").replace(
        "        - {match: {region: east}, rate: 6%}\n", ""
    )
    assert located(refused(text)) == [
        ("policy.unknown-metric", "incentives[0].per_record.metric", "plan.yaml:12")
    ]


def test_a_line_matching_an_unknown_column_is_refused_at_the_column(refused: Refused) -> None:
    text = PER_RECORD.replace("        - {match: {region: east}, rate: 6%}\n", "").replace(
        "{product: software}", "{prodcut: software}"
    )
    diagnostics = refused(text)
    assert located(diagnostics) == [
        (
            "policy.unknown-column",
            "incentives[0].per_record.lines[0].match.prodcut",
            "plan.yaml:14",
        )
    ]
    assert "'prodcut'" in diagnostics[0].message


# --- multipliers ---------------------------------------------------------------------

MULTIPLIER = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {revenue: decimal, attainment: decimal}
incentives:
  - {id: commission, amount: "revenue * 3%"}
  - id: kicker
    when: "attainment >= 120%"
    multiplier: {of: [commission], factor: 1.5}
"""


def test_a_multiplier_of_an_unknown_rule_is_refused(refused: Refused) -> None:
    diagnostics = refused(MULTIPLIER.replace("of: [commission]", "of: [comission]"))
    assert located(diagnostics) == [
        ("policy.unknown-rule", "incentives[1].multiplier.of[0]", "plan.yaml:9")
    ]
    assert "unknown incentive 'comission'; did you mean 'commission'?" in diagnostics[0].message
    loads(MULTIPLIER)


def test_a_multiplier_of_a_later_rule_is_refused(refused: Refused) -> None:
    """Rules run in order: a multiplier can only scale lines already computed."""
    later = (
        MULTIPLIER.replace('  - {id: commission, amount: "revenue * 3%"}\n', "")
        + '  - {id: commission, amount: "revenue * 3%"}\n'
    )
    diagnostics = refused(later)
    assert located(diagnostics) == [
        ("policy.rule-order", "incentives[0].multiplier.of[0]", "plan.yaml:8")
    ]
    assert "move 'commission' before 'kicker'" in diagnostics[0].message


# --- clawbacks -----------------------------------------------------------------------

CLAWBACK = """\
perfkit: 1
name: Field sales
currency: CNY
tables:
  deals:
    key: id
    columns: {id: string, owner: string, amount: decimal, closed: date, cancelled: date}
metrics:
  revenue: {table: deals, sum: amount, date: closed}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines: [{rate: 5%}]
  - {id: flat, rate: {on: revenue, rate: 5%}}
  - {id: kickoff, spiff: {per: period, amount: 500}}
  - id: reversal
    clawback: {of: commission, date: cancelled, within: 90}
"""


def test_a_clawback_of_a_per_record_rule_loads() -> None:
    loads(CLAWBACK)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (("cancelled: date}", "cancelled: string}"), "'cancelled' is not one (it is string)"),
        ((", cancelled: date}", "}"), "'cancelled' is not one"),
    ],
    ids=["not-a-date", "missing"],
)
def test_a_clawback_needs_a_date_column_of_the_table(
    refused: Refused, edit: tuple[str, str], says: str
) -> None:
    """The cancellation date must be a date column of the reversed rule's table."""
    diagnostics = refused(CLAWBACK.replace(*edit))
    assert located(diagnostics) == [
        ("policy.clawback-date", "incentives[3].clawback.date", "plan.yaml:18")
    ]
    assert diagnostics[0].message.endswith(says)


def test_a_clawback_window_needs_the_metric_date(refused: Refused) -> None:
    """'within' days count from the record's own date: the metric must have one."""
    diagnostics = refused(CLAWBACK.replace(", date: closed}", "}"))
    assert located(diagnostics) == [
        ("policy.clawback-date", "incentives[3].clawback.within", "plan.yaml:18")
    ]
    assert "metric 'revenue' has no 'date' column" in diagnostics[0].message


@pytest.mark.parametrize(
    ("of", "says"),
    [
        ("flat", "'flat', which does not pay per record"),
        ("kickoff", "'kickoff', which does not pay per record"),
        ("comission", "unknown incentive 'comission'; did you mean 'commission'?"),
    ],
    ids=["rate-rule", "spiff-per-period", "unknown"],
)
def test_a_clawback_reverses_only_a_per_record_rule(refused: Refused, of: str, says: str) -> None:
    diagnostics = refused(CLAWBACK.replace("of: commission", f"of: {of}"))
    assert located(diagnostics) == [
        ("policy.clawback-of", "incentives[3].clawback.of", "plan.yaml:18")
    ]
    assert says in diagnostics[0].message


def test_a_clawback_needs_a_table_key(refused: Refused) -> None:
    """Without a key, a cancelled record cannot be linked to the line that paid it."""
    diagnostics = refused(CLAWBACK.replace("    key: id\n", ""))
    assert located(diagnostics) == [
        ("policy.clawback-key", "incentives[3].clawback.of", "plan.yaml:17")
    ]
    assert "table 'deals' has no 'key'" in diagnostics[0].message


def test_a_clawback_before_the_rule_it_reverses_is_refused(refused: Refused) -> None:
    """It reverses what the rule paid, so the rule must have run first."""
    clawback = "  - id: reversal\n    clawback: {of: commission, date: cancelled, within: 90}\n"
    first = CLAWBACK.replace(clawback, "").replace("incentives:\n", "incentives:\n" + clawback)
    diagnostics = refused(first)
    assert located(diagnostics) == [
        ("policy.rule-order", "incentives[0].clawback.of", "plan.yaml:12")
    ]
    assert "'commission' must run first" in diagnostics[0].message


# --- draws ---------------------------------------------------------------------------

DRAW = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {revenue: decimal}
incentives:
  - {id: commission, amount: "revenue * 3%"}
  - id: advance
    draw: {amount: 3000, recoverable: true, recover: {share: 50%}}
"""


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ((", recover: {share: 50%}", ""), "a recoverable draw needs a 'recover' rule"),
        (("recoverable: true", "recoverable: false"), "a non-recoverable draw"),
    ],
    ids=["recoverable-without-recover", "guarantee-with-recover"],
)
def test_a_draw_says_how_it_is_recovered_exactly_when_it_is(
    refused: Refused, edit: tuple[str, str], says: str
) -> None:
    (diagnostic,) = refused(DRAW.replace(*edit))
    assert located([diagnostic]) == [("policy.invalid", "incentives[1].draw", "plan.yaml:8")]
    assert says in diagnostic.message
    loads(DRAW)


def test_a_recovery_share_is_above_zero_and_at_most_all(refused: Refused) -> None:
    (diagnostic,) = refused(DRAW.replace("share: 50%", "share: 150%"))
    assert located([diagnostic]) == [
        ("policy.invalid", "incentives[1].draw.recover.share", "plan.yaml:8")
    ]


def test_a_draw_before_other_rules_is_refused(refused: Refused) -> None:
    """A draw settles the period's earnings, so every other rule must come before it."""
    first = DRAW.replace('  - {id: commission, amount: "revenue * 3%"}\n', "") + (
        '  - {id: commission, amount: "revenue * 3%"}\n'
    )
    diagnostics = refused(first)
    assert located(diagnostics) == [("policy.rule-order", "incentives[0].draw", "plan.yaml:7")]
    assert "'commission' comes after it" in diagnostics[0].message


# --- pools ---------------------------------------------------------------------------

POOL = """\
perfkit: 1
name: Field sales
currency: CNY
attributes: {team: string, revenue: decimal}
incentives:
  - id: team_bonus
    pool: {group: team, fund: "team.size * 1000"}
"""


def test_a_pool_groups_by_a_participant_attribute(refused: Refused) -> None:
    diagnostics = refused(POOL.replace("group: team", "group: squad"))
    assert located(diagnostics) == [
        ("policy.unknown-attribute", "incentives[0].pool.group", "plan.yaml:7")
    ]
    assert "unknown participant attribute 'squad'" in diagnostics[0].message
    loads(POOL)


def test_a_pool_by_score_needs_a_scorecard(refused: Refused) -> None:
    diagnostics = refused(POOL.replace('1000"}', '1000", weights: score}'))
    assert located(diagnostics) == [
        ("policy.pool-score", "incentives[0].pool.weights", "plan.yaml:7")
    ]


# --- all at once ---------------------------------------------------------------------


def test_every_reference_problem_in_a_file_is_reported_at_once(refused: Refused) -> None:
    """Eleven mistakes in five rules: one PolicyError lists each at its own line."""
    diagnostics = refused(
        """\
        perfkit: 1
        name: Field sales
        currency: CNY
        tables:
          deals:
            columns: {id: string, owner: string, amount: decimal, product: string, closed: date}
        metrics:
          revenue: {table: deals, sum: amount, date: closed}
          deals_won: {table: deals, count: true}
        attributes: {team: string}
        incentives:
          - id: guarantee
            draw: {amount: 3000, recoverable: false}
          - id: commission
            per_record:
              metric: deals_won
              lines:
                - {match: {product: software}, rate: 8%}
                - {match: {regoin: east}, rate: 6%}
                - {match: {product: software}, rate: 7%}
          - id: kicker
            multiplier: {of: [bonus], factor: 1.5}
          - id: reversal
            clawback: {of: commission, date: cancelled, within: 90}
          - id: team_bonus
            pool: {group: squad, fund: "team.size * 100", weights: score}
        """
    )
    assert located(diagnostics) == [
        ("policy.rule-order", "incentives[0].draw", "plan.yaml:13"),
        ("policy.per-record-metric", "incentives[1].per_record.metric", "plan.yaml:16"),
        ("policy.per-record-keys", "incentives[1].per_record.lines", "plan.yaml:18"),
        ("policy.unknown-column", "incentives[1].per_record.lines[1].match.regoin", "plan.yaml:19"),
        ("policy.duplicate-line", "incentives[1].per_record.lines[2]", "plan.yaml:20"),
        ("policy.unknown-rule", "incentives[2].multiplier.of[0]", "plan.yaml:22"),
        ("policy.clawback-key", "incentives[3].clawback.of", "plan.yaml:24"),
        ("policy.clawback-date", "incentives[3].clawback.date", "plan.yaml:24"),
        ("policy.clawback-date", "incentives[3].clawback.within", "plan.yaml:24"),
        ("policy.unknown-attribute", "incentives[4].pool.group", "plan.yaml:26"),
        ("policy.pool-score", "incentives[4].pool.weights", "plan.yaml:26"),
    ]


def test_every_rule_shape_problem_in_a_file_is_reported_at_once(refused: Refused) -> None:
    """Shape errors of different rules come together too, in one stage.

    Names are checked only once every rule has a valid shape, so the misspelt
    multiplier ``of`` is not reported yet: it would be, after these are fixed.
    """
    diagnostics = refused(
        """\
        perfkit: 1
        name: Field sales
        currency: CNY
        attributes: {attainment: decimal, revenue: decimal}
        incentives:
          - id: commission
            tiered:
              on: attainment
              mode: marginal
              tiers:
                - {from: 0, rate: 2%}
                - {from: 100%, rate: 5%}
                - {from: 80%, rate: 8%}
          - id: flat
            rate: {on: revenue, rate: -3%}
          - id: advance
            draw: {amount: 3000, recoverable: true}
          - id: kicker
            multiplier: {of: [comission], factor: 1.5}
        """
    )
    assert located(diagnostics) == [
        ("policy.invalid", "incentives[0].tiered.tiers[2]", "plan.yaml:13"),
        ("policy.invalid", "incentives[1].rate.rate", "plan.yaml:15"),
        ("policy.invalid", "incentives[2].draw", "plan.yaml:17"),
    ]


# --- match values, keys and negative amounts (review fixes) --------------------------

MATCHING = """\
perfkit: 1
name: Matching
currency: CNY
tables:
  deals:
    columns:
      {id: string, owner: string, amount: decimal, big: bool, discount: decimal, product: string}
    key: id
metrics:
  revenue: {table: deals, sum: amount}
incentives:
  - id: commission
    per_record:
      metric: revenue
      keys: [product, big, discount, prodcut]
      lines:
        - {match: {big: "yes"}, rate: 5%}
        - {match: {discount: abc}, rate: 4%}
        - {match: {product: P-1}, rate: 3%}
        - {rate: 1%}
"""


def test_match_values_must_fit_their_columns_and_keys_must_be_columns(refused: Refused) -> None:
    """'yes' would silently match false records; 'abc' could never match a number."""
    diagnostics = refused(MATCHING)
    assert located(diagnostics) == [
        ("policy.unknown-column", "incentives[0].per_record.keys[3]", "plan.yaml:15"),
        ("policy.column-type", "incentives[0].per_record.lines[0].match.big", "plan.yaml:17"),
        ("policy.column-type", "incentives[0].per_record.lines[1].match.discount", "plan.yaml:18"),
    ]
    assert "did you mean 'product'?" in diagnostics[0].message
    assert "is not a bool (column type bool): write true or false" in diagnostics[1].message
    assert "is not a number (column type decimal)" in diagnostics[2].message
    fixed = MATCHING.replace('"yes"', "true").replace("abc", "10%").replace(", prodcut", "")
    assert loads(fixed).incentives[0].id == "commission"


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("penalty: {amount: -100}", "incentives[0].penalty.amount"),
        ("spiff: {per: period, amount: -100}", "incentives[0].spiff.amount"),
        ("multiplier: {of: base, factor: -2}", "incentives[0].multiplier.factor"),
    ],
    ids=["penalty", "spiff", "multiplier"],
)
def test_negative_literals_are_refused_where_they_would_reverse_the_rule(
    refused: Refused, rule: str, path: str
) -> None:
    """A penalty that adds money, or a bonus that deducts, is a sign mistake."""
    text = f"""\
    perfkit: 1
    name: Signs
    currency: CNY
    attributes: {{sales: decimal}}
    incentives:
      - id: x
        {rule}
    """
    (diagnostic,) = refused(text)
    assert (diagnostic.code, diagnostic.location.path) == ("policy.invalid", path)
    assert "below zero" in diagnostic.message or "positive amount" in diagnostic.message


def test_a_multiplier_cannot_scale_itself(refused: Refused) -> None:
    (diagnostic,) = refused(
        """\
        perfkit: 1
        name: Loop
        currency: CNY
        incentives:
          - id: kicker
            multiplier: {of: kicker, factor: 2}
        """
    )
    assert diagnostic.code == "policy.rule-order"
    assert diagnostic.message == "multiplier 'kicker' cannot scale itself"
