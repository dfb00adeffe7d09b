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
from perfkit._suggest import suggest_targets
from perfkit._suggest_result import SuggestionSet
from perfkit._time import Period
from perfkit.errors import EvaluationError

if TYPE_CHECKING:
    from perfkit._dataset import Dataset, TypedData
    from perfkit._goals_model import Goal
    from perfkit._policy import Policy

__all__ = ["HISTORY_YEARS", "monthly_history", "plan_goal", "suggest_for_policy"]

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
    return monthly_history(policy, data, goal.metric, before=goal.period.start)


def monthly_history(
    policy: Policy,
    data: TypedData,
    metric_name: str,
    *,
    before: datetime.date,
    years: int = HISTORY_YEARS,
) -> Actuals | None:
    """A metric's monthly values per participant over ``years`` before a date.

    Records are filtered and credited exactly as the metric says (``where``,
    owner or splits, roll-up); only additive metrics (sum, count) with a date
    column have a monthly history.
    """
    metric = policy.metrics[metric_name]
    if metric.aggregation not in ("sum", "count") or metric.date is None:
        return None
    window = Period.between(before.replace(year=before.year - years), before)
    table = data.table(metric.table)
    crediting = Crediting.build(metric, table, data, set(), org_tree(policy, data))
    where = policy._expressions.get(f"metrics.{metric_name}.where")
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


def suggest_for_policy(
    policy: Policy,
    dataset: Dataset,
    metric_name: str,
    *,
    horizon: int,
    start: Period | None = None,
    method: str = "auto",
) -> SuggestionSet:
    """Suggest targets for every evaluated participant from a metric's history.

    The history is the metric's monthly values over the three years before
    ``start`` (by default the month after the metric's latest record); each
    participant's team (their parent in the org tree) lends its
    seasonality to short histories.

    Raises:
        EvaluationError: for an unknown or non-additive metric, or no history.
    """
    if metric_name not in policy.metrics:
        known = ", ".join(policy.metrics) or "none"
        raise EvaluationError(
            f"no metric {metric_name!r} in policy {policy.name!r}; metrics: {known}"
        )
    spec = policy.participants
    required = {t for t in (spec.table, spec.org) if t and t in policy.tables}
    required.add(policy.metrics[metric_name].table)
    data = dataset.validate(policy.tables, required=required)
    if start is None:
        start = _month_after_last_record(policy, data, metric_name)
    history = monthly_history(policy, data, metric_name, before=start.start)
    if history is None:
        raise EvaluationError(
            f"metric {metric_name!r} has no monthly history before {start.start}: suggestions "
            "need an additive metric (sum or count) with a date column, and records"
        )
    tree = org_tree(policy, data)
    on = start.start - datetime.timedelta(days=1)
    nodes = history.nodes()
    parent = {}
    if tree is not None:
        for node in nodes:
            if tree.contains(node, on):
                up = tree.parent(node, on)
                if up is not None:
                    parent[node] = up
    return suggest_targets(
        history,
        horizon=horizon,
        calendar=policy.calendar,
        method=method,
        start=start,
        gaps="zero",
        parent=parent or None,
        quantum=policy.rounding.quantum,
        rounding=policy.rounding.mode.value,
    )


def _month_after_last_record(policy: Policy, data: TypedData, metric_name: str) -> Period:
    metric = policy.metrics[metric_name]
    if metric.date is None:
        raise EvaluationError(f"metric {metric_name!r} has no date column to build a history from")
    dates = [d for d in data.table(metric.table).columns[metric.date] if d is not None]
    if not dates:
        raise EvaluationError(
            f"metric {metric_name!r}: table {metric.table!r} has no dated records"
        )
    last = max(dates)
    month = Period.parse(f"{last.year:04d}-{last.month:02d}")
    return _next_month(month)


def _next_month(month: Period) -> Period:
    day = month.end
    return Period.parse(f"{day.year:04d}-{day.month:02d}")


def _hire_dates(policy: Policy, data: TypedData) -> dict[str, Any] | None:
    spec = policy.participants
    if spec.table not in data:
        return None
    table = data.table(spec.table)
    if table.schema.columns.get("hire_date") != "date":
        return None
    ids, hired = table.columns[spec.id], table.columns["hire_date"]
    return {who: day for who, day in zip(ids, hired, strict=True) if who and day}
