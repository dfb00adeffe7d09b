"""SMART checks: findings with codes and numbers, never exceptions (DOMAIN.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfkit._goals_actuals import Actuals
from perfkit._goals_check import check_goals
from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._org import OrgTree
from perfkit.errors import InvalidValueError, Severity

D = Decimal
HISTORY = Actuals(
    {
        ("company", "FY2023"): "800",
        ("company", "FY2024"): "900",  # +12.5%
        ("company", "FY2025"): "1000",  # +11.1%: best 12.5%, band up to 18.75%
    }
)


def goal(**fields: object) -> Goal:
    base: dict[str, object] = {
        "id": "revenue-2026",
        "metric": "revenue",
        "unit": "CNY",
        "owner": "company",
        "period": "FY2026",
        "parent": "strategy-2026",
        "levels": {"base": "1150"},
    }
    return Goal(**{**base, **fields})


def test_a_smart_goal_has_no_findings() -> None:
    assert check_goals(goal(), history=HISTORY, known_metrics={"revenue"}) == []


def test_each_smart_letter_has_its_code_and_field() -> None:
    vague = Goal(id="grow", owner="company", levels={"base": "1"})
    found = check_goals(vague, known_metrics={"revenue"})
    assert [(f.code, f.field) for f in found] == [
        ("smart.specific", "metric"),
        ("smart.specific", "unit"),
        ("smart.relevant", "parent"),
        ("smart.time-bound", "period"),
    ]
    assert all(f.goal == "grow" and f.severity is Severity.WARNING for f in found)
    unknown = check_goals(goal(metric="happiness"), known_metrics={"revenue", "visits"})
    assert [(f.code, f.field) for f in unknown] == [("smart.measurable", "metric")]
    assert "known: revenue, visits" in unknown[0].message


def test_growth_beyond_the_historical_band_is_flagged_with_its_numbers() -> None:
    """1,200 is +20% on 1,000; the best year grew 12.5%; 1.5 x 12.5% = 18.75% < 20%."""
    (finding,) = check_goals(goal(levels={"base": "1200"}), history=HISTORY)
    assert finding.code == "smart.achievable"
    assert finding.numbers == {
        "target": D("1200"),
        "last_year": D("1000"),
        "implied_growth": D("0.2000"),
        "best_growth": D("0.1250"),
        "limit": D("0.1875"),
        "factor": D("1.5000"),
    }
    assert "20% growth on last year's 1,000" in finding.message
    assert check_goals(goal(levels={"base": "1200"}), history=HISTORY, growth_factor="2") == []


def test_history_that_never_grew_supports_no_growth() -> None:
    flat = Actuals({("company", "FY2024"): "1000", ("company", "FY2025"): "900"})
    (finding,) = check_goals(goal(levels={"base": "901"}), history=flat)
    assert finding.numbers["limit"] == 0
    assert finding.numbers["best_growth"] == D("-0.1000")


def test_too_little_history_is_a_note() -> None:
    short = Actuals({("company", "FY2025"): "1000"})
    (note,) = check_goals(goal(), history=short)
    assert note.code == "smart.no-history"
    assert note.severity is Severity.INFO
    assert note.numbers["years_of_history"] == 1


def test_plans_are_checked_node_by_node() -> None:
    """Each node with a full-period target and history is judged against its own history."""
    tree = OrgTree.from_paths(["company/east", "company/west"])
    plan = decompose(
        goal(
            levels={"base": "1100"},
            decompose={"org": [{"by": "weights", "weights": {"east": 3, "west": 1}}]},
        ),
        tree,
    )
    history = Actuals(
        {("east", "FY2024"): "500", ("east", "FY2025"): "600", ("west", "FY2024"): "500",
         ("west", "FY2025"): "450"}
    )  # fmt: skip
    # company (rolled up): 1,000 -> 1,050, +5%; 1,100 is +4.8%: fine. east: +20% seen,
    # 825 is +37.5% on 600, beyond 1.5 x 20%. west: 275 on 450 is a fall: fine.
    found = check_goals(plan, history=history, tree=tree)
    assert [(f.code, f.node) for f in found] == [("smart.achievable", "east")]
    assert found[0].numbers["target"] == D("825.00")


def test_goals_checked_together_must_link_to_each_other() -> None:
    parent = goal(id="strategy-2026", parent=None)
    child = goal(parent="strategy-2025")
    found = check_goals([parent, child])
    assert [(f.goal, f.code) for f in found] == [
        ("strategy-2026", "smart.relevant"),
        ("revenue-2026", "smart.relevant"),
    ]
    assert "'strategy-2025' is not among the goals checked" in found[1].message


def test_bad_arguments_raise() -> None:
    with pytest.raises(InvalidValueError, match="growth_factor must be positive"):
        check_goals(goal(), history=HISTORY, growth_factor="0")
    with pytest.raises(InvalidValueError, match="no level 'stretch'"):
        check_goals(goal(), history=HISTORY, level="stretch")
