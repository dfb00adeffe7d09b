"""Decomposition down the org tree and over time (DOMAIN.md, "Goals and targets")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from perfkit._goals_actuals import Actuals
from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._goals_plan import GoalPlan
from perfkit._goals_presence import prorate
from perfkit._numbers import allocate
from perfkit._org import Membership, OrgTree
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError, OrgTreeError

D = Decimal
QUARTERS = {"Q1": "20%", "Q2": "20%", "Q3": "20%", "Q4": "40%"}


def make_goal(decompose: dict[str, object], **fields: object) -> Goal:
    base: dict[str, object] = {
        "id": "revenue-2026",
        "metric": "revenue",
        "unit": "CNY",
        "owner": "company",
        "period": "FY2026",
        "levels": {"base": "100000", "stretch": "120000"},
        "decompose": decompose,
    }
    return Goal(**{**base, **fields})


@pytest.fixture
def tree() -> OrgTree:
    return OrgTree.from_paths(
        ["company/east/rep-1", "company/east/rep-2", "company/west/rep-3", "company/west/rep-4"]
    )


def assert_consistent(plan: GoalPlan) -> None:
    """Every period's parts sum to it and every node's children to it (after over-assignment)."""
    assert plan.mismatches() == []
    time = plan._time_tree
    for r in range(len(plan._plan_rows)):
        for j in range(len(plan.levels)):
            cells = plan._row_units(r, j)
            for k, kids in enumerate(time.children):
                if kids:
                    assert cells[k] == sum(cells[c] for c in kids)
            if j:
                below = plan._row_units(r, j - 1)
                assert all(a <= b for a, b in zip(below, cells, strict=True))


# -- down the org tree ---------------------------------------------------------------------


def test_even_split_is_allocate(tree: OrgTree) -> None:
    """Evenly, 100,000.00 over two regions and then their reps, exactly as allocate splits."""
    plan = decompose(make_goal({"org": [{"by": "even"}, {"by": "even"}]}), tree)
    assert plan.target("east") == plan.target("west") == D("50000.00")
    assert plan.targets("rep-1") == {"base": D("25000.00"), "stretch": D("30000.00")}
    assert plan.nodes() == ("company", "east", "rep-1", "rep-2", "west", "rep-3", "rep-4")
    assert plan.leaves() == ("rep-1", "rep-2", "rep-3", "rep-4")
    assert plan.children("east") == ("rep-1", "rep-2")
    assert plan.path("rep-3") == "company/west/rep-3"
    assert_consistent(plan)


def test_three_ways_gets_the_extra_cent_by_key() -> None:
    """100.00 over three reps: 33.34 to the first by id, as perfkit.allocate gives it."""
    tree = OrgTree.from_paths(["team/rep-c", "team/rep-a", "team/rep-b"])
    g = make_goal({"org": [{"by": "even"}]}, owner="team", levels={"base": "100"})
    plan = decompose(g, tree)
    expected = allocate(D(100), {"rep-a": 1, "rep-b": 1, "rep-c": 1})
    assert {n: plan.target(n) for n in plan.leaves()} == expected


def test_explicit_weights_and_over_assignment_are_reported(tree: OrgTree) -> None:
    """Children carry 110% of the parent; the summary states it with the totals."""
    g = make_goal(
        {
            "org": [
                {"by": "weights", "weights": {"east": 3, "west": 1}, "over_assign": "110%"},
                {"by": "even"},
            ]
        }
    )
    plan = decompose(g, tree)
    assert plan.target("east") == D("82500.00")
    assert plan.target("west") == D("27500.00")
    assert plan.target("east", level="stretch") == D("99000.00")
    first, second = plan.summary.over_assignment
    assert first.factor == D("1.1")
    assert second.factor == 1
    assert first.parents == {"base": D("100000.00"), "stretch": D("120000.00")}
    assert first.children == {"base": D("110000.00"), "stretch": D("132000.00")}
    assert "org step 0 over-assigns x110%" in plan.summary.render()
    assert_consistent(plan)


def test_history_shares_last_year_trailing_and_blend(tree: OrgTree) -> None:
    """By history: last year's shares, trailing 12 months, or 50% LY + 50% the year before."""
    history = Actuals(
        {
            ("east", "FY2025"): "300",
            ("west", "FY2025"): "100",
            ("east", "FY2024"): "100",
            ("west", "FY2024"): "100",
        }
    )
    last_year = make_goal({"org": [{"by": "history"}]})
    assert decompose(last_year, tree, history=history).target("east") == D("75000.00")
    trailing = make_goal({"org": [{"by": "history", "history": "trailing_12_months"}]})
    assert decompose(trailing, tree, history=history).target("east") == D("75000.00")
    blend = make_goal({"org": [{"by": "history", "history": {"years_back": {1: "50%", 2: "50%"}}}]})
    # east's shares: 75% and 50%, blended 62.5%
    assert decompose(blend, tree, history=history).target("east") == D("62500.00")


def test_history_rolls_up_from_reps_along_last_years_tree() -> None:
    """Team shares come from their reps' history, on the tree in force last year."""
    tree = OrgTree(
        [
            Membership("east", "company"),
            Membership("west", "company"),
            Membership("rep-1", "east"),
            Membership("rep-2", "west", end=date(2026, 1, 1)),
            Membership("rep-2", "east", start=date(2026, 1, 1)),
            Membership("rep-3", "west"),
        ]
    )
    history = Actuals(
        {("rep-1", "2025-06"): "10", ("rep-2", "2025-06"): "20", ("rep-3", "2025-06"): "10"}
    )
    plan = decompose(make_goal({"org": [{"by": "history"}]}), tree, history=history)
    # last year rep-2 sat in west: west 30 of 40
    assert plan.target("west") == D("75000.00")


def test_missing_history_is_an_error_or_a_choice(tree: OrgTree) -> None:
    history = Actuals({("east", "FY2025"): "300"})
    with pytest.raises(InvalidValueError, match=r"org\[0\].*no history for 'west'"):
        decompose(make_goal({"org": [{"by": "history"}]}), tree, history=history)
    zero = make_goal({"org": [{"by": "history", "history": {"missing": "zero"}}]})
    assert decompose(zero, tree, history=history).target("west") == 0
    mean = make_goal({"org": [{"by": "history", "history": {"missing": "mean"}}]})
    assert decompose(mean, tree, history=history).target("west") == D("50000.00")


def test_tiers_assigned_or_from_attainment(tree: OrgTree) -> None:
    """Tier A carries 3 per head, B 2, C 1; a tier comes from assignment or last year."""
    assigned = make_goal(
        {
            "org": [
                {"by": "even"},
                {"by": "tier", "tiers": {"A": 3, "B": 1}, "assign": {"rep-1": "A", "rep-2": "B"},
                 "default_tier": "B"},
            ]
        }
    )  # fmt: skip
    plan = decompose(assigned, tree)
    assert plan.target("rep-1") == D("37500.00")
    assert plan.target("rep-2") == D("12500.00")
    history = Actuals({("rep-3", "FY2025"): "120", ("rep-4", "FY2025"): "80"})
    targets = Actuals({("rep-3", "FY2025"): "100", ("rep-4", "FY2025"): "100"})
    by_attainment = make_goal(
        {
            "org": [
                {"by": "even"},
                {"by": "tier", "tiers": {"A": 3, "B": 2, "C": 1},
                 "tier_by_attainment": {"A": "110%", "B": "90%", "C": "0%"}, "default_tier": "C"},
            ]
        }
    )  # fmt: skip
    plan = decompose(by_attainment, tree, history=history, history_targets=targets)
    assert plan.target("rep-3") == D("37500.00")  # 120%: tier A, weight 3 of 4
    assert plan.target("rep-1") == D("25000.00")  # no history: default tier C for both


def test_a_child_without_a_tier_is_an_error(tree: OrgTree) -> None:
    g = make_goal({"org": [{"by": "tier", "tiers": {"A": 1}, "assign": {"east": "A"}}]})
    with pytest.raises(InvalidValueError, match="no tier for 'west'"):
        decompose(g, tree)


# -- over time -----------------------------------------------------------------------------


def test_calendar_days_then_months() -> None:
    """Year -> quarters -> months by calendar days: each level is exact in its parent."""
    tree = OrgTree.from_paths(["rep-1"])
    g = make_goal({"time": [{"into": "quarter"}, {"into": "month"}]}, owner="rep-1")
    plan = decompose(g, tree)
    q1 = allocate(D(100000), {q: q.days() for q in Period.parse("FY2026").split("quarter")})
    assert [plan.target("rep-1", q) for q in plan.periods("quarter")] == list(q1.values())
    assert (
        plan.target("rep-1", "2026-H1") == q1[Period.parse("2026-Q1")] + q1[Period.parse("2026-Q2")]
    )
    assert_consistent(plan)


def test_working_days_follow_the_calendar() -> None:
    """Holidays weigh nothing; an extra working day (a make-up Saturday) weighs one day."""
    calendar = Calendar(holidays=["2026-05-01", "2026-05-04"], extra_working_days=["2026-05-09"])
    tree = OrgTree.from_paths(["rep-1"])
    g = make_goal(
        {"time": [{"into": "week", "by": "working_days"}]},
        owner="rep-1",
        period="2026-05",
        levels={"base": "2000"},
    )
    plan = decompose(g, tree, calendar=calendar)
    days = {w: w.working_days(calendar) for w in Period.parse("2026-05").split("week")}
    assert sum(days.values()) == 20
    assert [plan.target("rep-1", w) for w in days] == list(allocate(D(2000), days).values())
    assert plan.target("rep-1", "2026-05-04..2026-05-10") == D("500.00")  # 4 + 1 days of 20


def test_explicit_percentages_by_month_name_or_label() -> None:
    tree = OrgTree.from_paths(["rep-1"])
    months = dict.fromkeys(["jan", "feb", "mar", "apr", "may", "jun"], "5%") | dict.fromkeys(
        ["jul", "aug", "sep", "oct", "nov"], "10%"
    )
    g = make_goal(
        {
            "time": [
                {"into": "month", "by": "percentages", "percentages": {**months, "2026-12": "20%"}}
            ]
        },
        owner="rep-1",
    )
    plan = decompose(g, tree)
    assert plan.target("rep-1", "2026-01") == D("5000.00")
    assert plan.target("rep-1", "2026-12") == D("20000.00")


@pytest.mark.parametrize(
    ("percentages", "message"),
    [
        ({"Q1": "20%", "Q2": "20%", "Q3": "20%"}, "no percentage for 2026-Q4 .*never a silent 0%"),
        ({"Q1": "20%", "Q2": "20%", "Q3": "20%", "Q4": "30%"}, "total 90%, not 100%"),
        ({**QUARTERS, "Q5": "0%"}, "'Q5' name no quarter of the plan"),
        ({**QUARTERS, "2026-q1": "20%"}, "2026-Q1 is given twice"),
    ],
)
def test_bad_percentages_are_errors_not_findings(percentages: dict[str, str], message: str) -> None:
    tree = OrgTree.from_paths(["rep-1"])
    g = make_goal(
        {"time": [{"into": "quarter", "by": "percentages", "percentages": percentages}]},
        owner="rep-1",
    )
    with pytest.raises(InvalidValueError, match=message):
        decompose(g, tree)


def test_percentages_are_shares_of_each_parent() -> None:
    """Under quarters, each quarter's months must total 100% of that quarter."""
    tree = OrgTree.from_paths(["rep-1"])
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    thirds = {m: "40%" if m in ("mar", "jun", "sep", "dec") else "30%" for m in names}
    g = make_goal(
        {
            "time": [
                {"into": "quarter", "by": "percentages", "percentages": QUARTERS},
                {"into": "month", "by": "percentages", "percentages": thirds},
            ]
        },
        owner="rep-1",
    )
    plan = decompose(g, tree)
    assert plan.target("rep-1", "2026-03") == D("8000.00")  # 40% of Q1's 20,000
    assert plan.target("rep-1", "2026-12") == D("16000.00")


def test_seasonality_from_last_years_months() -> None:
    """Seasonality: each month's share of last year's owner history."""
    tree = OrgTree.from_paths(["company/rep-1"])
    history = Actuals({("rep-1", f"2025-{m:02d}"): str(m) for m in range(1, 13)})  # 1..12: 78
    g = make_goal({"time": [{"into": "month", "by": "seasonality"}]}, levels={"base": "78000"})
    plan = decompose(g, tree, history=history)  # company's history rolled up from rep-1
    assert [plan.target("company", m) for m in plan.periods("month")] == [
        D(1000 * m).quantize(D("0.01")) for m in range(1, 13)
    ]
    with pytest.raises(InvalidValueError, match="by: seasonality needs history"):
        decompose(g, tree)


def test_both_axes_company_year_to_rep_weeks() -> None:
    """Company year -> regions -> reps -> quarters -> months -> weeks, all exact."""
    tree = OrgTree.from_paths(
        [f"company/{r}/{r}-rep-{i}" for r in ("east", "west") for i in range(3)]
    )
    g = make_goal(
        {
            "org": [{"by": "weights", "weights": {"east": "60%", "west": "40%"}}, {"by": "even"}],
            "time": [
                {"into": "quarter", "by": "percentages", "percentages": QUARTERS},
                {"into": "month", "by": "working_days"},
                {"into": "week", "by": "working_days"},
            ],
        },
        levels={"base": "1000000", "stretch": "1234567.89"},
    )
    plan = decompose(g, tree)
    assert plan._time_tree.units == ("goal", "quarter", "month", "week")
    assert plan.target("company", "2026-Q4") == D("400000.00")
    week = plan.periods("week")[10]
    assert sum(plan.target(n, week) for n in plan.leaves() if n.startswith("east")) <= (
        plan.target("east", week) + D("0.03")
    )
    assert_consistent(plan)


# -- presence, moves and ramps ---------------------------------------------------------------


def test_domain_proration_example_months_and_days() -> None:
    """DOMAIN.md: 100,000, quarters 20/20/20/40, start 1 March: 86,666.67 (months rule)."""
    weights = {"2026-Q1": 20, "2026-Q2": 20, "2026-Q3": 20, "2026-Q4": 40}
    assert prorate("100000", "FY2026", start="2026-03-01", weights=weights) == D("86666.67")
    assert prorate("100000", "FY2026", start="2026-03-01", weights=weights, rule="days") == D(
        "86888.89"
    )  # Q1 x 31/90


def test_month_rule_counts_a_month_present_on_its_cutoff_day() -> None:
    weights = {"2026-Q1": 20, "2026-Q2": 20, "2026-Q3": 20, "2026-Q4": 40}
    on_15th = prorate("100000", "FY2026", start="2026-03-15", weights=weights)
    on_16th = prorate("100000", "FY2026", start="2026-03-16", weights=weights)
    assert (on_15th, on_16th) == (D("86666.67"), D("80000.00"))
    assert prorate(
        "100000", "FY2026", start="2026-03-16", month_cutoff_day=20
    ) == on_15th.__class__("83333.33")
    leaves = prorate("100000", "FY2026", end="2026-07-01", weights=weights)
    assert leaves == D("40000.00")


def test_a_joiner_shares_the_team_target_for_the_time_present() -> None:
    """rep-3 joins on 1 March: its weight is its presence under the plan's time weights."""
    tree = OrgTree(
        [
            Membership("rep-1", "team"),
            Membership("rep-2", "team"),
            Membership("rep-3", "team", start=date(2026, 3, 1)),
        ]
    )
    g = make_goal(
        {
            "org": [{"by": "even"}],
            "time": [{"into": "quarter", "by": "percentages", "percentages": QUARTERS}],
        },
        owner="team",
        levels={"base": "280000"},
    )
    plan = decompose(g, tree)
    # rep-3 carries 20%/3 + 80% = 13/15 of a full share: 1 : 1 : 13/15
    assert plan.target("rep-3") == D("84651.16")  # 280,000 x 13/43
    assert plan.target("rep-3", "2026-Q1") == D("6511.63")  # 1/13 of it: March only
    assert plan.parents("rep-3") == ("team",)
    assert_consistent(plan)


def test_a_mover_carries_each_teams_share_for_its_time_there() -> None:
    """rep-9 moves from east to west on 1 July: one row under each, each for its half."""
    move = date(2026, 7, 1)
    tree = OrgTree(
        [
            Membership("east", "company"),
            Membership("west", "company"),
            Membership("rep-1", "east"),
            Membership("rep-2", "west"),
            Membership("rep-9", "east", end=move),
            Membership("rep-9", "west", start=move),
        ]
    )
    g = make_goal({"org": [{"by": "even"}, {"by": "even"}], "time": [{"into": "half"}]})
    plan = decompose(g, tree)
    assert plan.parents("rep-9") == ("east", "west")
    assert plan.target("rep-9") == plan.target("rep-9", "2026-H1") + plan.target("rep-9", "2026-H2")
    # east's halves follow its members' presence: they hold what its members' halves hold
    records = plan.to_records(unit="half")
    for half in ("2026-H1", "2026-H2"):
        members = sum(r["base"] for r in records if r["parent"] == "east" and r["period"] == half)
        assert abs(plan.target("east", half) - members) <= D("0.02")
    assert plan.target("east", "2026-H1") > plan.target("east", "2026-H2")
    assert_consistent(plan)


def test_ramp_by_tenure_month() -> None:
    """A hire on 1 April ramps 0%, 50% then carries 100%: April is 0, May is half of June."""
    tree = OrgTree(
        [Membership("rep-1", "team"), Membership("rep-2", "team", start=date(2026, 4, 1))]
    )
    g = make_goal(
        {"org": [{"by": "even"}], "time": [{"into": "month"}], "ramp": ["0", "50%"]},
        owner="team",
    )
    plan = decompose(g, tree)
    assert plan.target("rep-2", "2026-03") == 0
    assert plan.target("rep-2", "2026-04") == 0
    may, june = plan.target("rep-2", "2026-05"), plan.target("rep-2", "2026-06")
    assert abs(may * 2 * 30 / 31 - june) < D("0.03")  # by days: May has 31, June 30
    tenured = decompose(g, tree, hire_dates={"rep-2": "2020-01-01"})
    assert tenured.target("rep-2", "2026-05") > may


def test_a_team_with_nobody_present_is_an_error() -> None:
    tree = OrgTree([Membership("rep-1", "team", start=date(2026, 12, 20))])
    g = make_goal({"org": [{"by": "even"}]}, owner="team")
    with pytest.raises(
        InvalidValueError, match="none of the children of 'team' carries any weight"
    ):
        decompose(g, tree)


# -- levels -----------------------------------------------------------------------------------


def test_stretch_stays_at_or_above_base_everywhere() -> None:
    """Levels are split together: no child's stretch falls below its base."""
    tree = OrgTree.from_paths([f"team/rep-{i}" for i in range(7)])
    g = make_goal(
        {"org": [{"by": "weights", "weights": {f"rep-{i}": i + 1 for i in range(7)}}],
         "time": [{"into": "month"}]},
        owner="team",
        levels={"threshold": "999.99", "base": "1000.00", "stretch": "1000.05"},
    )  # fmt: skip
    assert_consistent(decompose(g, tree))


# -- bad input --------------------------------------------------------------------------------


def test_bad_input_names_the_node_period_or_field(tree: OrgTree) -> None:
    with pytest.raises(OrgTreeError, match="unknown node 'compnay'; did you mean 'company'"):
        decompose(make_goal({}, owner="compnay"), tree)
    with pytest.raises(OrgTreeError, match=r"org\[0\]\.weights: unknown node 'esat'"):
        decompose(make_goal({"org": [{"by": "weights", "weights": {"esat": 1, "east": 1}}]}), tree)
    with pytest.raises(InvalidValueError, match=r"no weight for 'west' \(children of 'company'"):
        decompose(make_goal({"org": [{"by": "weights", "weights": {"east": 1}}]}), tree)
    with pytest.raises(InvalidValueError, match="'rep-1' is not a child of any node split"):
        decompose(
            make_goal({"org": [{"by": "weights", "weights": {"east": 1, "west": 1, "rep-1": 1}}]}),
            tree,
        )
    with pytest.raises(InvalidValueError, match="period: a goal needs a period"):
        decompose(make_goal({}, period=None), tree)
    with pytest.raises(InvalidValueError, match=r"levels\.base: 100\.005 is not a whole number"):
        decompose(make_goal({}, levels={"base": "100.005"}), tree)
    with pytest.raises(OrgTreeError, match="is not in the org tree during 2024-Q1"):
        decompose(
            make_goal({}, owner="rep-1", period="2024-Q1"),
            OrgTree([Membership("rep-1", "east", start=date(2025, 1, 1))]),
        )


def test_cycles_and_two_parents_are_refused_by_the_tree() -> None:
    """The org tree a plan follows is checked when built: cycles, two parents at once."""
    with pytest.raises(OrgTreeError, match="cycle"):
        OrgTree([Membership("a", "b"), Membership("b", "a")])
    with pytest.raises(OrgTreeError, match="'rep-1' has two parents at once"):
        OrgTree([Membership("rep-1", "east"), Membership("rep-1", "west", start=date(2026, 3, 1))])
