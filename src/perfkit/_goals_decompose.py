"""Decompose a goal into a plan: down the org tree, then over time, exact to the quantum.

The org steps give every row (a node over its stretch of membership) its
totals per level; then each row's totals are split over the time tree, period
by period, by the row's own time weights (the plan's weights times the row's
presence and ramp). Every split is the largest-remainder method in integer
quanta, so every level of every split sums exactly to its parent, after the
stated over-assignment.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from perfkit._goals_actuals import Actuals, HistoryView
from perfkit._goals_alloc import Weights
from perfkit._goals_model import Decomposition, Goal
from perfkit._goals_org import OrgResult, plan_rows
from perfkit._goals_plan import GoalPlan
from perfkit._goals_presence import Presence
from perfkit._goals_summary import OverAssignment, PlanSummary, amount_maker
from perfkit._goals_time import TimeTree, build_time_tree
from perfkit._numbers import to_fraction
from perfkit._org import OrgTree
from perfkit._time import Calendar, DateLike, to_date
from perfkit.errors import InvalidValueError

__all__ = ["decompose"]

_Steps = list[tuple[int, tuple[int, ...], Weights | None]]


def _level_units(goal: Goal, quantum: Decimal) -> list[int]:
    units = []
    for name, value in goal.levels.items():
        exact = to_fraction(value) / to_fraction(quantum)
        if exact.denominator != 1:
            raise InvalidValueError(
                f"goal {goal.id!r}: levels.{name}: {value} is not a whole number of "
                f"quanta of {quantum}; round it first or choose a finer quantum"
            )
        units.append(exact.numerator)
    return units


def _steps(time: TimeTree, profile: Weights) -> _Steps:
    """Each period with parts, its parts, and their weights under ``profile`` (pre-order)."""
    steps: _Steps = []
    values = profile.values
    for k, kids in enumerate(time.children):
        if kids:
            weights = [sum(values[slice(*time.leaf_range[c])]) for c in kids]
            steps.append((k, kids, Weights(weights) if any(weights) else None))
    return steps


def _split_row(
    totals: list[int], profile: Weights, steps: _Steps, time: TimeTree, base: int, node: str
) -> list[list[int]]:
    """Split a row's totals over the time tree; per level, its leaves' units."""
    if not steps:
        return [[u] for u in totals]
    if len(steps) == 1:  # the goal period straight into its finest parts
        if profile.total == 0:
            return _nothing(totals, len(time.leaves), node, time)
        return profile.split_levels(totals, base)
    cells = [dict.fromkeys(range(len(time.periods)), 0) for _ in totals]
    for j, units in enumerate(totals):
        cells[j][0] = units
    for k, kids, weights in steps:
        values = [level[k] for level in cells]
        if weights is None:
            if any(values):
                _nothing(values, 0, node, time)
            continue
        for j, parts in enumerate(weights.split_levels(values, base)):
            for c, part in zip(kids, parts, strict=True):
                cells[j][c] = part
    return [[level[k] for k in time.leaves] for level in cells]


def _nothing(totals: list[int], count: int, node: str, time: TimeTree) -> list[list[int]]:
    if any(totals):
        raise InvalidValueError(
            f"{node!r} carries a target in {time.periods[0]} but is present for none of it "
            "under the proration rule (check its dates and the month cutoff day)"
        )
    return [[0] * count for _ in totals]


def _summary(goal: Goal, spec: Decomposition, time: TimeTree, org: OrgResult) -> PlanSummary:
    make = amount_maker(spec.quantum)
    names = list(goal.levels)
    parents = {row.parent for row in org.rows}
    return PlanSummary(
        goal=goal.id,
        period=time.periods[0],
        levels=dict(goal.levels),
        rows=len(org.rows),
        leaves=sum(1 for k in range(len(org.rows)) if k not in parents),
        periods=len(time.periods),
        over_assignment=tuple(
            OverAssignment(
                step=k,
                factor=step.over_assign,
                parents={n: make(u) for n, u in zip(names, org.handed[k], strict=True)},
                children={n: make(u) for n, u in zip(names, org.received[k], strict=True)},
            )
            for k, step in enumerate(spec.org)
        ),
    )


def decompose(
    goal: Goal,
    tree: OrgTree,
    *,
    decomposition: Decomposition | None = None,
    calendar: Calendar | None = None,
    history: Actuals | None = None,
    history_targets: Actuals | None = None,
    hire_dates: Mapping[str, DateLike] | None = None,
) -> GoalPlan:
    """Split a goal down the org tree and over time into a :class:`GoalPlan`.

    Args:
        goal: the goal; its ``decompose`` block is used unless ``decomposition``
            is given.
        tree: the org tree; the plan follows it on every date of the period.
        decomposition: the org and time steps, proration and ramp.
        calendar: fiscal year, weekends and holidays (the default calendar if None).
        history: past actuals per node and period, for ``by: history``,
            ``by: seasonality`` and tiers from attainment.
        history_targets: past targets per node and period, for tiers from attainment.
        hire_dates: node -> the start of its tenure, for the ramp; by default a
            node's first membership start.

    Returns:
        the plan: every level of every split sums exactly to its parent.

    Raises:
        InvalidValueError: naming the field, node and period, for a goal without a
            period, levels that are not whole quanta, unusable weights, history or
            percentages.
        OrgTreeError: for an owner not in the tree during the period, or an
            unknown node named in weights.
    """
    spec = decomposition or goal.decompose or Decomposition()
    if goal.period is None:
        raise InvalidValueError(f"goal {goal.id!r}: period: a goal needs a period to decompose")
    if not isinstance(tree, OrgTree):
        raise InvalidValueError(f"decompose: tree must be an OrgTree, got {type(tree).__name__}")
    cal = calendar or Calendar()
    period = goal.period
    levels = _level_units(goal, spec.quantum)
    base = list(goal.levels).index("base")
    history_view = HistoryView(history, tree)
    time = build_time_tree(period, spec.time, cal, history_view, goal.owner)
    window = (period.start.toordinal(), period.end.toordinal())
    presence = Presence(spec.proration, spec.month_cutoff_day, cal, window)
    hires: dict[str, datetime.date] = {
        node: to_date(day, what=f"hire date of {node!r}")
        for node, day in (hire_dates or {}).items()
    }
    org = plan_rows(
        goal,
        period,
        spec,
        tree,
        time,
        presence,
        history_view,
        HistoryView(history_targets, tree),
        hires,
        levels,
        base,
    )
    steps_by_profile: dict[int, _Steps] = {}
    units = []
    for row, totals, profile_index in zip(org.rows, org.totals, org.profile, strict=True):
        profile = org.profiles[profile_index]
        steps = steps_by_profile.get(profile_index)
        if steps is None:
            steps = steps_by_profile[profile_index] = _steps(time, profile)
        units.append(_split_row(totals, profile, steps, time, base, row.node))
    return GoalPlan(
        goal=goal,
        decomposition=spec,
        calendar=cal,
        time=time,
        rows=org.rows,
        units=units,
        profile=org.profile,
        profiles=org.profiles,
        summary=_summary(goal, spec, time, org),
        pins=None,
    )
