"""Properties of decomposition, proration and ramps (hypothesis; profiles in conftest.py)."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from perfkit._goals_alloc import Weights, hamilton, split_levels
from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._goals_plan import GoalPlan
from perfkit._goals_presence import Presence, prorate
from perfkit._numbers import allocate, quantize
from perfkit._org import OrgTree
from perfkit._time import Calendar, Period

D = Decimal
weight_lists = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40).filter(
    any
)
amounts = st.integers(min_value=-(10**12), max_value=10**12)


@given(amounts, weight_lists)
def test_the_fast_split_is_allocate(units: int, weights: list[int]) -> None:
    """hamilton and Weights.split give exactly perfkit.allocate's parts, ties by key."""
    expected = allocate(D(units), {f"k{i:03d}": w for i, w in enumerate(weights)}, quantum=1)
    parts = [int(v) for v in expected.values()]
    assert hamilton(units, weights, sum(weights)) == parts
    assert Weights(weights).split(units) == parts


@given(
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=2, max_size=2).map(sorted),
    weight_lists,
)
def test_two_levels_stay_in_order_within_one_quantum(levels: list[int], weights: list[int]) -> None:
    """Base and stretch: exact sums, stretch never below base, each within one quantum."""
    total = sum(weights)
    parts = split_levels(levels, weights, total, 0)
    assert Weights(weights).split_levels(levels, 0) == parts
    for level, level_parts in zip(levels, parts, strict=True):
        assert sum(level_parts) == level
        for w, part in zip(weights, level_parts, strict=True):
            assert abs(part - Fraction(level * w, total)) < 1
    assert all(b <= s for b, s in zip(*parts, strict=True))


@given(
    st.lists(st.integers(min_value=-(10**5), max_value=10**6), min_size=1, max_size=4).map(sorted),
    weight_lists,
    st.data(),
)
def test_any_levels_stay_in_order(
    levels: list[int], weights: list[int], data: st.DataObject
) -> None:
    """Any number of levels, any base among them: exact sums and order, within two quanta."""
    base = data.draw(st.integers(min_value=0, max_value=len(levels) - 1))
    total = sum(weights)
    parts = split_levels(levels, weights, total, base)
    for level, level_parts in zip(levels, parts, strict=True):
        assert sum(level_parts) == level
        for w, part in zip(weights, level_parts, strict=True):
            assert abs(part - Fraction(level * w, total)) < 2
    for low, high in itertools.pairwise(parts):
        assert all(a <= b for a, b in zip(low, high, strict=True))


# -- whole decompositions --------------------------------------------------------------------

TIME_STEPS = [
    [],
    [{"into": "quarter"}],
    [{"into": "month", "by": "working_days"}],
    [{"into": "quarter", "by": "percentages",
      "percentages": {"Q1": "10%", "Q2": "20%", "Q3": "30%", "Q4": "40%"}},
     {"into": "month"}, {"into": "week", "by": "working_days"}],
    [{"into": "half"}, {"into": "week"}],
]  # fmt: skip


@st.composite
def plans(draw: st.DrawFn) -> tuple[OrgTree, Goal, dict[str, int], Decimal]:
    regions = draw(st.integers(min_value=1, max_value=3))
    paths, weights = [], {}
    for r in range(regions):
        for p in range(draw(st.integers(min_value=1, max_value=4))):
            rep = f"rep-{r}-{p}"
            paths.append(f"company/region-{r}/{rep}")
            weights[rep] = draw(st.integers(min_value=0, max_value=50))
        assume(any(weights[f"rep-{r}-{p}"] for p in range(10) if f"rep-{r}-{p}" in weights))
    factor = draw(st.sampled_from(["1", "1.1", "1.05", "0.95", "1.333"]))
    base = draw(st.integers(min_value=0, max_value=10**9))
    gap = draw(st.integers(min_value=1, max_value=10**7))
    goal = Goal(
        id="g",
        owner="company",
        period="FY2026",
        levels={"base": str(D(base).scaleb(-2)), "stretch": str(D(base + gap).scaleb(-2))},
        decompose={
            "org": [{"by": "even", "over_assign": factor}, {"by": "weights", "weights": {
                k: str(v) for k, v in weights.items()}}],
            "time": draw(st.sampled_from(TIME_STEPS)),
        },
    )  # fmt: skip
    return OrgTree.from_paths(paths), goal, weights, D(factor)


def check_exact_shares(plan: GoalPlan, weights: dict[str, int], factor: Decimal) -> None:
    """Every part is within one quantum of its exact share, on both axes."""
    q = Fraction(plan.quantum)
    time = plan._time_tree
    for r, row in enumerate(plan._plan_rows):
        kids = plan._row_children(r)
        if kids:
            for j in range(len(plan.levels)):
                parent = Fraction(
                    quantize(
                        Fraction(plan._row_units(r, j)[0]) * Fraction(factor)
                        if row.depth == 0
                        else plan._row_units(r, j)[0],
                        1,
                    )
                )
                w = [1 if row.depth == 0 else weights[plan._plan_rows[c].node] for c in kids]
                for c, wc in zip(kids, w, strict=True):
                    exact = parent * wc / sum(w)
                    assert abs(plan._row_units(c, j)[0] - exact) < 1
        profile = plan._row_profile(r).values
        for j in range(len(plan.levels)):
            cells = plan._row_units(r, j)
            for k, parts in enumerate(time.children):
                if not parts or not cells[k]:
                    continue
                shares = [sum(profile[slice(*time.leaf_range[c])]) for c in parts]
                for c, share in zip(parts, shares, strict=True):
                    assert abs(cells[c] - Fraction(cells[k] * share, sum(shares))) < 1
    assert q > 0


@given(plans())
def test_every_level_sums_to_its_parent_within_a_quantum(
    case: tuple[OrgTree, Goal, dict[str, int], Decimal],
) -> None:
    """Exact sums on both axes after the stated over-assignment; parts near their shares."""
    tree, goal, weights, factor = case
    plan = decompose(goal, tree)
    assert plan.mismatches() == []
    company = plan._row_units(0, 0)[0]
    regions = sum(plan._row_units(c, 0)[0] for c in plan._row_children(0))
    assert regions == int(quantize(Fraction(company) * Fraction(factor), 1))
    for r in range(len(plan._plan_rows)):
        base, stretch = plan._row_units(r, 0), plan._row_units(r, 1)
        assert all(b <= s for b, s in zip(base, stretch, strict=True))
    check_exact_shares(plan, weights, factor)


@given(plans(), st.randoms(use_true_random=False))
def test_reordering_children_changes_nothing(
    case: tuple[OrgTree, Goal, dict[str, int], Decimal], rng: random.Random
) -> None:
    """The same org and weights written in another order give the same plan."""
    tree, goal, _, _ = case
    plan = decompose(goal, tree)
    members = [m for node in plan.nodes() for m in tree.history(node)]
    rng.shuffle(members)
    assert goal.decompose is not None
    steps = [s.model_dump() for s in goal.decompose.org]
    shuffled = list(steps[1]["weights"].items())
    rng.shuffle(shuffled)
    steps[1]["weights"] = dict(shuffled)
    reordered = goal.model_copy(
        update={"decompose": goal.decompose.model_copy(update={"org": tuple(
            type(goal.decompose.org[0]).model_validate(s) for s in steps)})}
    )  # fmt: skip
    assert decompose(reordered, OrgTree(members)).to_records() == plan.to_records()


# -- proration and ramps ------------------------------------------------------------------------

QUARTER_WEIGHTS = {"2026-Q1": 20, "2026-Q2": 20, "2026-Q3": 20, "2026-Q4": 40}
RULES = st.sampled_from(["months", "days", "working_days"])
DAYS = st.integers(min_value=0, max_value=364).map(lambda n: date(2026, 1, 1) + timedelta(n))


@given(st.integers(min_value=0, max_value=10**9), RULES)
def test_a_full_period_participant_carries_the_full_target(cents: int, rule: str) -> None:
    amount = D(cents).scaleb(-2)
    full = prorate(amount, "FY2026", weights=QUARTER_WEIGHTS, rule=rule)  # type: ignore[arg-type]
    assert full == amount
    explicit = prorate(amount, "FY2026", start="2026-01-01", end="2027-01-01", rule=rule)  # type: ignore[arg-type]
    assert explicit == amount


@given(st.integers(min_value=0, max_value=10**9), RULES, DAYS, DAYS)
def test_prorated_target_never_increases_as_the_start_moves_later(
    cents: int, rule: str, a: date, b: date
) -> None:
    earlier, later = min(a, b), max(a, b)
    amount = D(cents).scaleb(-2)
    first = prorate(amount, "FY2026", start=earlier, weights=QUARTER_WEIGHTS, rule=rule)  # type: ignore[arg-type]
    second = prorate(amount, "FY2026", start=later, weights=QUARTER_WEIGHTS, rule=rule)  # type: ignore[arg-type]
    assert second <= first <= amount


@given(
    st.lists(st.sampled_from(["0", "0.25", "0.5", "0.75", "1", "0.1"]), min_size=1, max_size=6),
    DAYS,
    RULES,
)
def test_ramps_end_at_100_percent(ramp: list[str], hired: date, rule: str) -> None:
    """After the schedule every day counts in full; before it, never more than in full."""
    window = Period.parse("2026-01-01..2028-12-31")
    presence = Presence(rule, 15, Calendar(), (window.start.toordinal(), window.end.toordinal()))  # type: ignore[arg-type]
    segments = presence.ramp(hired, [D(f) for f in ramp])
    months = window.split("month")
    slots = [(m.start.toordinal(), m.end.toordinal()) for m in months]
    span = (hired.toordinal(), window.end.toordinal())
    carried = presence.availability(slots, span, segments)
    assert all(0 <= c <= 1 for c in carried)
    assert carried[-12:] == [1] * 12  # the schedule is at most 6 months long
