"""SMART checks: findings, not exceptions, about whether goals are well made.

- specific (``smart.specific``): the goal names a metric and a unit;
- measurable (``smart.measurable``): the metric is one the data can compute;
- achievable (``smart.achievable``): the growth the target implies over last
  year is within ``growth_factor`` times the best year-over-year growth history
  shows (with no growth in history, any growth is flagged); where history is too
  short to judge, ``smart.no-history`` says so;
- relevant (``smart.relevant``): the goal is linked to a parent goal;
- time-bound (``smart.time-bound``): the goal has a period.

Every finding carries the numbers behind it. Errors in the goals themselves
(percentages not totalling 100%, levels out of order) are raised when the goals
are built, never reported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from decimal import Decimal
from fractions import Fraction

from perfkit._goals_actuals import Actuals, HistoryView
from perfkit._goals_findings import GoalFinding
from perfkit._goals_model import Goal, percent
from perfkit._goals_plan import GoalPlan
from perfkit._goals_time import shift_back
from perfkit._numbers import Number, parse_decimal, quantize, to_fraction
from perfkit._org import OrgTree
from perfkit._time import Period
from perfkit.errors import InvalidValueError, Severity

__all__ = ["check_goals"]

_RATIO = Decimal("0.0001")
_MAX_YEARS = 10


def _ratio(value: Fraction) -> Decimal:
    return quantize(value, _RATIO)


def _shape(goal: Goal, known_metrics: Collection[str] | None) -> list[GoalFinding]:
    found = []

    def note(code: str, field: str, message: str) -> None:
        found.append(GoalFinding(code=code, message=message, goal=goal.id, field=field))

    if not goal.metric:
        note("smart.specific", "metric", "the goal names no metric: say what is measured")
    if not goal.unit:
        note("smart.specific", "unit", "the goal names no unit: say what the numbers count")
    if goal.metric and known_metrics is not None and goal.metric not in known_metrics:
        known = ", ".join(sorted(known_metrics)) or "none"
        note(
            "smart.measurable",
            "metric",
            f"metric {goal.metric!r} is not one the data can compute (known: {known})",
        )
    if goal.parent is None:
        note("smart.relevant", "parent", "the goal is linked to no parent goal it supports")
    if goal.period is None:
        note("smart.time-bound", "period", "the goal has no period: say by when")
    return found


def _history(view: HistoryView, node: str, period: Period) -> list[Decimal]:
    """The node's totals for the same period 1, 2, ... years back, while there are any."""
    values = []
    for years in range(1, _MAX_YEARS + 1):
        value = view.total(node, shift_back(period, years, "goal"))
        if value is None:
            break
        values.append(value)
    return values


class _Judge:
    """Judges achievability for one goal: target growth against history's band."""

    def __init__(
        self, goal: Goal, period: Period, view: HistoryView, factor: Fraction, level: str
    ) -> None:
        self.goal, self.period, self.view = goal, period, view
        self.factor, self.level = factor, level

    def __call__(self, node: str, target: Decimal, *, quiet: bool) -> list[GoalFinding]:
        """Findings for ``node``'s ``target``; ``quiet`` drops the no-history note."""
        past = _history(self.view, node, self.period)
        growths = [
            to_fraction(recent) / to_fraction(before) - 1
            for recent, before in itertools.pairwise(past)
            if before > 0
        ]
        if not past or past[0] <= 0 or not growths:
            return [] if quiet else [self._no_history(node, target, len(past))]
        implied = to_fraction(target) / to_fraction(past[0]) - 1
        best = max(growths)
        limit = self.factor * best if best > 0 else Fraction(0)
        if implied <= limit:
            return []
        numbers = {
            "target": target,
            "last_year": past[0],
            "implied_growth": _ratio(implied),
            "best_growth": _ratio(best),
            "limit": _ratio(limit),
            "factor": _ratio(self.factor),
        }
        return [
            GoalFinding(
                code="smart.achievable",
                message=(
                    f"{target:,} is {percent(numbers['implied_growth'])} growth on last "
                    f"year's {past[0]:,}; history's best year grew "
                    f"{percent(numbers['best_growth'])}, so the band ends at "
                    f"{percent(numbers['limit'])}"
                ),
                goal=self.goal.id,
                node=node,
                period=self.period.label,
                level=self.level,
                field=f"levels.{self.level}",
                numbers=numbers,
            )
        ]

    def _no_history(self, node: str, target: Decimal, years: int) -> GoalFinding:
        return GoalFinding(
            code="smart.no-history",
            message=(
                f"cannot judge whether {target:,} is achievable: it needs two years of "
                f"positive history before {self.period}, found {years}"
            ),
            severity=Severity.INFO,
            goal=self.goal.id,
            node=node,
            period=self.period.label,
            level=self.level,
            field=f"levels.{self.level}",
            numbers={"target": target, "years_of_history": Decimal(years)},
        )


def check_goals(
    goals: GoalPlan | Goal | Iterable[GoalPlan | Goal],
    *,
    history: Actuals | None = None,
    known_metrics: Collection[str] | None = None,
    growth_factor: Number = "1.5",
    level: str = "base",
    tree: OrgTree | None = None,
) -> list[GoalFinding]:
    """Check goals (or plans) against SMART and return the findings.

    For a plan, achievability is judged for the goal's owner and for every node
    that carries its own target for the whole period and has history.

    Args:
        goals: a goal, a plan, or several.
        history: past actuals per node and period; the same period in earlier
            years gives the growth band.
        known_metrics: the metric names the data can compute (skip the
            measurable check when None).
        growth_factor: flag growth beyond this multiple of the best historical
            year-over-year growth.
        level: the level judged for achievability.
        tree: rolls history given per rep up to teams; without it, history is
            read per node as given.

    Returns:
        findings in the order of the goals, each with a code and its numbers.
    """
    factor = to_fraction(parse_decimal(growth_factor, what="growth_factor"))
    if factor <= 0:
        raise InvalidValueError(f"growth_factor must be positive, got {growth_factor}")
    items = [goals] if isinstance(goals, GoalPlan | Goal) else list(goals)
    ids = {(item.goal if isinstance(item, GoalPlan) else item).id for item in items}
    view = HistoryView(history, tree)
    found: list[GoalFinding] = []
    for item in items:
        plan = item if isinstance(item, GoalPlan) else None
        goal = item.goal if isinstance(item, GoalPlan) else item
        found += _shape(goal, known_metrics)
        if goal.parent is not None and len(items) > 1 and goal.parent not in ids:
            found.append(
                GoalFinding(
                    code="smart.relevant",
                    message=f"parent goal {goal.parent!r} is not among the goals checked",
                    goal=goal.id,
                    field="parent",
                )
            )
        if goal.period is None or history is None:
            continue
        if level not in goal.levels:
            raise InvalidValueError(f"goal {goal.id!r} has no level {level!r}")
        judge = _Judge(goal, goal.period, view, factor, level)
        found += judge(goal.owner, goal.levels[level], quiet=False)
        if plan is not None:
            found += _plan_nodes(plan, judge, level)
    return found


def _plan_nodes(plan: GoalPlan, judge: _Judge, level: str) -> list[GoalFinding]:
    """Achievability of every node below the owner with one row over the whole period."""
    found: list[GoalFinding] = []
    full = (plan.period.start.toordinal(), plan.period.end.toordinal())
    for node in plan.nodes()[1:]:
        rows = plan._rows_of(node)
        if (
            len(rows) == 1
            and (plan._plan_rows[rows[0]].start, plan._plan_rows[rows[0]].end) == full
        ):
            found += judge(node, plan.target(node, None, level), quiet=True)
    return found
