"""A goal plan: queries, flat records, JSON both ways, the text table, hand edits."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._goals_plan import GoalPlan
from perfkit._org import Membership, OrgTree
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

D = Decimal


@pytest.fixture
def plan() -> GoalPlan:
    tree = OrgTree(
        [
            Membership("east", "company"),
            Membership("west", "company"),
            Membership("rep-1", "east"),
            Membership("rep-2", "east"),
            Membership("rep-3", "west", end=date(2026, 7, 1)),
            Membership("rep-3", "east", start=date(2026, 7, 1)),
        ]
    )
    goal = Goal(
        id="revenue-2026",
        metric="revenue",
        unit="CNY",
        owner="company",
        period="FY2026",
        levels={"base": "1200000", "stretch": "1500000"},
        decompose={
            "org": [
                {"by": "weights", "weights": {"east": 2, "west": 1}, "over_assign": "110%"},
                {"by": "even"},
            ],
            "time": [{"into": "quarter"}, {"into": "month", "by": "working_days"}],
        },
    )
    return decompose(goal, tree)


def test_queries_by_node_period_and_level(plan: GoalPlan) -> None:
    assert plan.levels == ("base", "stretch")
    assert plan.period == Period.parse("FY2026")
    assert [p.label for p in plan.periods("quarter")] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert len(plan.periods()) == 1 + 4 + 12
    assert plan.target("company") == D("1200000.00")
    assert plan.target("company", "2026-Q1") + plan.target("company", "2026-Q2") == plan.target(
        "company", "2026-H1"
    )
    assert plan.targets("west") == {"base": D("440000.00"), "stretch": D("550000.00")}
    with pytest.raises(InvalidValueError, match="node 'north' is not in the plan"):
        plan.target("north")
    with pytest.raises(InvalidValueError, match="level 'hero' is not a level"):
        plan.target("east", level="hero")
    with pytest.raises(InvalidValueError, match="does not line up with the plan's periods"):
        plan.target("east", "2026-W10")
    with pytest.raises(InvalidValueError, match="not within the plan's period"):
        plan.target("east", "2027-01")
    with pytest.raises(InvalidValueError, match="unit 'week' is not in this plan"):
        plan.periods("week")


def test_a_mover_has_a_row_per_stretch(plan: GoalPlan) -> None:
    """rep-3 is in west until July, then in east: its targets are the sum of both rows."""
    assert plan.parents("rep-3") == ("west", "east")
    assert plan.children("east") == ("rep-1", "rep-2", "rep-3")
    assert plan.target("rep-3", "2026-Q1") > 0
    assert plan.target("rep-3", "2026-Q3") > 0
    rows = [r for r in plan.to_records(unit="goal") if r["node"] == "rep-3"]
    assert [(r["parent"], r["path"]) for r in rows] == [
        ("east", "company/east/rep-3"),
        ("west", "company/west/rep-3"),
    ]


def test_records_are_flat_and_dataframe_friendly(plan: GoalPlan) -> None:
    records = plan.to_records()
    assert len(records) == len(plan._plan_rows) * len(plan.periods())
    first = records[0]
    assert list(first) == [
        "goal", "node", "path", "parent", "depth", "period", "unit", "start", "end", "base",
        "stretch",
    ]  # fmt: skip
    assert first["node"] == "company"
    assert first["period"] == "FY2026"
    assert first["start"] == date(2026, 1, 1)
    assert first["end"] == date(2027, 1, 1)
    monthly = plan.to_records(unit="month", levels=["stretch"])
    assert {r["unit"] for r in monthly} == {"month"}
    assert "base" not in monthly[0]
    assert sum(r["stretch"] for r in monthly if r["node"] == "company") == D("1500000.00")


def test_json_round_trip(plan: GoalPlan) -> None:
    text = plan.to_json(indent=1)
    document = json.loads(text)
    assert document["format"] == "perfkit.goal-plan/1"
    assert document["rows"][0]["targets"]["base"]["FY2026"] == "1200000.00"
    again = GoalPlan.from_json(text)
    assert again.to_records() == plan.to_records()
    assert again.summary == plan.summary
    with pytest.raises(InvalidValueError, match="not a perfkit goal plan"):
        GoalPlan.from_json('{"format": "x"}')


def test_fiscal_plans_round_trip_with_their_calendar() -> None:
    calendar = Calendar(fiscal_year_start=4)
    goal = Goal.model_validate(
        {"id": "g", "owner": "rep-1", "period": "FY2027", "levels": {"base": "1000"},
         "decompose": {"time": [{"into": "quarter"}]}},
        context={"calendar": calendar},
    )  # fmt: skip
    plan = decompose(goal, OrgTree.from_paths(["rep-1"]), calendar=calendar)
    again = GoalPlan.from_json(plan.to_json())
    assert again.period.start == date(2026, 4, 1)
    assert again.periods("quarter")[0].label == "2027-Q1"


def test_render_is_an_indented_table(plan: GoalPlan) -> None:
    text = plan.render(max_depth=1, levels=["base"])
    assert "org step 0 over-assigns x110%: base 1,200,000.00 -> 1,320,000.00" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("node"))
    assert header.split() == ["node", "level", "FY2026", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert any(line.startswith("  east ") for line in lines)
    assert "rep-1" not in text
    full = plan.render(unit="month")
    assert "rep-3 (2026-01-01..2026-06-30)" in full
    assert "2026-12" in full


def test_hand_edits_show_as_target_mismatches(plan: GoalPlan) -> None:
    """Children edited by hand no longer sum to the parent: Zoho's "Target Mismatch"."""
    assert plan.mismatches() == []
    edited = plan.with_targets(
        {("rep-1", "2026-02"): "1000", ("west", "FY2026", "stretch"): "600000"}
    )
    assert plan.target("rep-1", "2026-02") != D("1000")  # the original is untouched
    assert edited.target("rep-1", "2026-02") == D("1000.00")
    assert edited.target("rep-1", "2026-Q1") == plan.target("rep-1", "2026-Q1")  # pinned
    findings = edited.mismatches()
    assert [(f.node, f.period, f.level, f.message.split()[1]) for f in findings] == [
        ("west", "FY2026", "stretch", "parts"),  # its quarters no longer sum to it
        ("rep-1", "2026-Q1", "base", "parts"),  # its months no longer sum to it
        ("company", "FY2026", "stretch", "children"),  # its children: not 110% of it
        ("west", "FY2026", "stretch", "children"),  # its reps no longer sum to it
    ]
    found = {(f.node, f.message.split()[1]): f for f in findings}
    company = found[("company", "children")]
    assert company.code == "goal.target-mismatch"
    assert company.numbers["expected"] == D("1650000.00")
    assert company.numbers["children_sum"] == D("1700000.00")
    assert company.numbers["difference"] == D("50000.00")
    assert company.numbers["factor"] == D("1.1")
    assert "x 110%" in company.message
    # edits survive JSON
    assert GoalPlan.from_json(edited.to_json()).mismatches() == findings


def test_bad_edits(plan: GoalPlan) -> None:
    with pytest.raises(InvalidValueError, match="not a whole number of quanta"):
        plan.with_targets({("rep-1", "2026-02"): "10.001"})
    with pytest.raises(InvalidValueError, match="'rep-3' moved during FY2026"):
        plan.with_targets({("rep-3", "FY2026"): "10"})
    with pytest.raises(InvalidValueError, match="not a union"):
        plan.with_targets({("rep-1", "2026-H1"): "10"})
