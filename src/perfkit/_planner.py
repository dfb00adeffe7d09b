"""Decomposing a policy's goals against its data: the org tree, history, hire dates.

This is what ``perfkit plan`` runs: it finds the org tree the policy declares,
computes the goal metric's monthly history per participant from the records
(for ``by: history`` and ``by: seasonality`` splits and for SMART checks), and
hands them to :func:`perfkit.decompose`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from perfkit._engine import org_tree
from perfkit._goals_actuals import Actuals
from perfkit._goals_check import check_goals
from perfkit._goals_decompose import decompose
from perfkit._goals_findings import GoalFinding
from perfkit._goals_plan import GoalPlan
from perfkit._metrics import Crediting, credited_rows
from perfkit._time import Period
from perfkit.errors import EvaluationError

if TYPE_CHECKING:
    from perfkit._dataset import Dataset, TypedData
    from perfkit._goals_model import Goal
    from perfkit._policy import Policy

__all__ = ["HISTORY_YEARS", "plan_goal"]

HISTORY_YEARS = 3
"""How many years of monthly history before a goal's period feed its splits and checks."""


def plan_goal(
    policy: Policy, dataset: Dataset, goal_id: str | None = None
) -> tuple[GoalPlan, list[GoalFinding]]:
    """Decompose one of the policy's goals (the first by default) and check it.

    Raises:
        EvaluationError: when the policy has no goals, no such goal, or no org tree.
        DataError: when the tables the goal needs are missing or malformed.
    """
    if not policy.goals:
        raise EvaluationError(f"policy {policy.name!r} has no goals: add a 'goals:' section")
    goal = policy.goal(goal_id) if goal_id is not None else policy.goals[0]
    spec = policy.participants
    required = {t for t in (spec.table, spec.org) if t and t in policy.tables}
    metric = policy.metrics.get(goal.metric) if goal.metric else None
    if metric is not None:
        required.add(metric.table)
    data = dataset.validate(policy.tables, required=required)
    tree = org_tree(policy, data)
    if tree is None:
        raise EvaluationError(
            "goals decompose down the org tree: declare participants.org (a table of node, "
            "parent, start, end) or participants.manager"
        )
    history = _history(policy, data, goal) if metric is not None else None
    plan = decompose(
        goal,
        tree,
        calendar=policy.calendar,
        history=history,
        hire_dates=_hire_dates(policy, data),
    )
    findings = check_goals(plan, history=history, known_metrics=set(policy.metrics), tree=tree)
    return plan, findings


def _history(policy: Policy, data: TypedData, goal: Goal) -> Actuals | None:
    if goal.period is None or goal.metric is None:
        return None
    metric = policy.metrics[goal.metric]
    if metric.aggregation not in ("sum", "count") or metric.date is None:
        return None
    start = goal.period.start
    window = Period.between(start.replace(year=start.year - HISTORY_YEARS), start)
    table = data.table(metric.table)
    crediting = Crediting.build(metric, table, data, set(), org_tree(policy, data))
    where = policy._expressions.get(f"metrics.{goal.metric}.where")
    key = data.schema(metric.table).key
    rows = credited_rows(metric, table, window, where, crediting, key)
    dates = table.columns[metric.date]
    values: dict[tuple[str, str], Any] = {}
    column = table.columns[metric.sum] if metric.sum else None
    for i, who, share, _ in rows:
        day: datetime.date = dates[i]
        month = f"{day.year:04d}-{day.month:02d}"
        amount = 1 if column is None else (column[i] or 0) * share
        values[(who, month)] = values.get((who, month), 0) + amount
    return Actuals(values, calendar=policy.calendar) if values else None


def _hire_dates(policy: Policy, data: TypedData) -> dict[str, Any] | None:
    spec = policy.participants
    if spec.table not in data:
        return None
    table = data.table(spec.table)
    if table.schema.columns.get("hire_date") != "date":
        return None
    ids, hired = table.columns[spec.id], table.columns["hire_date"]
    return {who: day for who, day in zip(ids, hired, strict=True) if who and day}
