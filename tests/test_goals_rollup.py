"""Roll-up of actuals, attainment, shared goals and re-planning (DOMAIN.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from perfkit._goals_actuals import Actuals
from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._goals_plan import GoalPlan
from perfkit._goals_replan import replan
from perfkit._goals_rollup import credit_shared, rollup
from perfkit._org import Membership, OrgTree
from perfkit.errors import EvaluationError, InvalidValueError, Severity

D = Decimal
QUARTERS = {"Q1": "25%", "Q2": "25%", "Q3": "25%", "Q4": "25%"}


@pytest.fixture
def plan() -> GoalPlan:
    """company 400,000: east and west evenly, reps evenly, quarters evenly, then months."""
    tree = OrgTree(
        [
            Membership("east", "company"),
            Membership("west", "company"),
            Membership("rep-1", "east"),
            Membership("rep-2", "east"),
            Membership("rep-3", "west", end=date(2026, 7, 1)),
            Membership("rep-3", "east", start=date(2026, 7, 1)),
            Membership("rep-4", "west"),
        ]
    )
    goal = Goal(
        id="revenue-2026",
        metric="revenue",
        unit="CNY",
        owner="company",
        period="FY2026",
        levels={"base": "400000", "stretch": "480000"},
        contributors={"sales": "70%", "marketing": "30%"},
        decompose={
            "org": [{"by": "even"}, {"by": "even"}],
            "time": [
                {"into": "quarter", "by": "percentages", "percentages": QUARTERS},
                {"into": "month"},
            ],
        },
    )
    return decompose(goal, tree)


def test_actuals_roll_up_along_the_tree_in_force(plan: GoalPlan) -> None:
    """rep-3 credits west before its move and east after it."""
    actuals = Actuals(
        {
            ("rep-1", "2026-01"): "30000",
            ("rep-3", "2026-02"): "5000",
            ("rep-3", "2026-08"): "7000",
            ("rep-4", "2026-Q1"): "20000",
        }
    )
    result = rollup(plan, actuals)
    assert result.actual("company") == D("62000")
    assert result.actual("west", "2026-Q1") == D("25000")
    assert result.actual("east", "2026-Q3") == D("7000")
    assert result.actual("rep-3") == D("12000")
    # rep-4 gave a quarter: its months, and west's, are not known
    assert result.actual("rep-4", "2026-01") is None
    assert result.actual("west", "2026-02") is None
    assert result.actual("east", "2026-01") == D("30000")


def test_attainment_per_level_and_zero_targets(plan: GoalPlan) -> None:
    actuals = Actuals({("rep-1", "2026-01"): "30000", ("rep-2", "2026-03"): "20000"})
    result = rollup(plan, actuals)
    # east's Q1 holds what rep-1's and rep-2's Q1 hold: rep-3 joins east only in July
    assert plan.target("east", "2026-Q1") == D("40000.00")
    assert result.attainment("east", "2026-Q1") == D("1.2500")
    assert result.attainment("east", "2026-Q1", "stretch") == D("1.0417")
    assert result.exact_attainment("east", "2026-Q1", "stretch") == Fraction(50000, 48000)
    edited = plan.with_targets({("rep-1", "2026-01"): "0"})
    assert rollup(edited, actuals).attainment("rep-1", "2026-01") is None
    assert rollup(edited, actuals, when_zero="full").attainment("rep-1", "2026-01") == 1
    assert rollup(edited, actuals, when_zero="zero").attainment("rep-1", "2026-01") == 0
    with pytest.raises(EvaluationError, match="zero base target"):
        rollup(edited, actuals, when_zero="error").attainment("rep-1", "2026-01")


def test_rollup_reports_mismatches_and_unplanned_actuals(plan: GoalPlan) -> None:
    edited = plan.with_targets({("rep-1", "2026-01"): "1"})
    actuals = Actuals({("rep-9", "2026-01"): "5", ("rep-1", "2025-12"): "8"})
    findings = rollup(edited, actuals).findings
    assert [f.code for f in findings] == [
        "goal.target-mismatch",
        "goal.unplanned-actual",
        "goal.unplanned-actual",
    ]
    unplanned = findings[1:]
    assert all(f.severity is Severity.INFO for f in unplanned)
    assert {f.node: f.numbers["total"] for f in unplanned} == {"rep-1": 8, "rep-9": 5}


def test_bad_actuals_are_errors(plan: GoalPlan) -> None:
    with pytest.raises(InvalidValueError, match="'east' is split further"):
        rollup(plan, Actuals({("east", "2026-01"): "1"}))
    with pytest.raises(InvalidValueError, match="spans a change of 'rep-3'"):
        rollup(plan, Actuals({("rep-3", "FY2026"): "1"}))
    with pytest.raises(InvalidValueError, match="partly outside the plan's period"):
        rollup(plan, Actuals({("rep-1", "2025-12-01..2026-01-31"): "1"}))
    with pytest.raises(InvalidValueError, match="overlap"):
        Actuals({("rep-1", "2026-01"): "1", ("rep-1", "2026-Q1"): "1"})


def test_shared_goal_credit_by_contribution_weight(plan: GoalPlan) -> None:
    """A cross-department goal credits each department its weighted share, exactly."""
    assert credit_shared(plan.goal, "1000.01") == {"sales": D("700.01"), "marketing": D("300.00")}
    assert credit_shared(plan.goal, "7") == {"sales": D("4.90"), "marketing": D("2.10")}
    # a tie at the finest digit goes by key, as in allocate
    assert credit_shared(plan.goal, "0.005") == {"sales": D("0.003"), "marketing": D("0.002")}
    result = rollup(plan, Actuals({("rep-1", "2026-01"): "100", ("rep-4", "2026-05"): "50"}))
    assert result.shared_credit() == {"sales": D("105.00"), "marketing": D("45.00")}
    assert result.shared_credit("2026-Q2") == {"sales": D("35.00"), "marketing": D("15.00")}
    with pytest.raises(InvalidValueError, match="has no contributors"):
        credit_shared(Goal(id="g", owner="x", levels={"base": 1}), "1")


def test_rollup_views(plan: GoalPlan) -> None:
    result = rollup(plan, Actuals({("rep-1", "2026-01"): "30000"}))
    records = result.to_records(unit="quarter")
    company_q1 = next(r for r in records if r["node"] == "company" and r["period"] == "2026-Q1")
    assert company_q1["actual"] == D("30000")
    # west carries rep-3's first half and east its second: the company's Q1 is 106,666.67
    assert company_q1["base"] == D("106666.67")
    assert company_q1["attainment_base"] == D("0.2812")
    text = result.render(max_depth=1)
    assert "attained" in text
    assert "28.1%" in text


def test_replan_after_q1_spreads_the_gap_by_the_original_weights(plan: GoalPlan) -> None:
    actuals = Actuals(
        {("rep-1", "2026-Q1"): "40000", ("rep-2", "2026-Q1"): "0", ("rep-3", "2026-Q1"): "10000",
         ("rep-4", "2026-Q1"): "10000"}
    )  # fmt: skip
    revised = replan(plan, actuals, after="2026-Q1", unit="quarter")
    assert [p.label for p in revised.closed] == ["2026-Q1"]
    assert [p.label for p in revised.remaining] == ["2026-Q2", "2026-Q3", "2026-Q4"]
    # company: 400,000 - 60,000 achieved = 340,000, spread 8 : 7 : 7 like the
    # original Q2..Q4 (106,666.67, 93,333.33, 93,333.33: west carries rep-3 until July)
    assert revised.gap("company") == D("340000.00")
    assert [revised.revised("company", q) for q in revised.remaining] == [
        D("123636.36"),
        D("108181.82"),
        D("108181.82"),
    ]
    assert revised.catch_up("company", "2026-Q2") == D("16969.69")
    assert revised.revised("company", "2026-Q1") == D("60000")  # closed: the actual
    assert revised.catch_up("company", "2026-Q1") is None
    # rep-1 (80,000 for the year) doubled its Q1 target of 20,000
    assert revised.gap("rep-1") == D("40000.00")
    assert revised.original("rep-1", "2026-Q2") == D("20000.00")
    assert revised.revised("rep-1", "2026-Q2") == D("13333.34")
    assert revised.catch_up("rep-1", "2026-Q2") == D("-6666.66")
    assert revised.revised("rep-1", "2026-Q2", "stretch") >= revised.revised("rep-1", "2026-Q2")
    assert "re-plan of revenue-2026 (base) after 2026-Q1, by quarter" in revised.render()
    records = revised.to_records()
    assert {r["status"] for r in records} == {"closed", "open"}


def test_replan_gap_never_below_zero_unless_asked(plan: GoalPlan) -> None:
    actuals = Actuals({("rep-1", f"2026-{m:02d}"): "50000" for m in range(1, 7)})
    clamped = replan(plan, actuals, after="2026-06")
    assert clamped.gap("rep-1") == 0
    assert all(clamped.revised("rep-1", f"2026-{m:02d}") == 0 for m in range(7, 13))
    negative = replan(plan, actuals, after="2026-06", allow_negative=True)
    assert negative.gap("rep-1") == D("-220000.00")  # 80,000 - 300,000
    assert sum(negative.revised("rep-1", f"2026-{m:02d}") for m in range(7, 13)) == D("-220000.00")


def test_replan_needs_a_boundary_and_known_actuals(plan: GoalPlan) -> None:
    with pytest.raises(InvalidValueError, match="does not end where a quarter"):
        replan(plan, Actuals(), after="2026-02", unit="quarter")
    with pytest.raises(InvalidValueError, match="not known by month"):
        replan(plan, Actuals({("rep-1", "2026-Q1"): "1"}), after="2026-02")
    with pytest.raises(InvalidValueError, match="nothing is left"):
        replan(plan, Actuals(), after="2026-Q4", unit="quarter")
