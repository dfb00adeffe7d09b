"""Roll-up and attainment: actuals per leaf, summed up the plan, against its targets.

Each actual belongs to the row of its node whose dates hold the actual's
period, so it rolls up along the tree in force then: a person who moved
credits the old team before the move and the new one after. Within a row an
actual counts for every plan period that holds its period; a plan period that
an actual only partly overlaps (a monthly actual against weekly targets) has
no known actual rather than a wrong one. Attainment is actual / target, exact,
rounded only when shown; a zero target is an explicit choice (``when_zero``).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from perfkit._goals_actuals import Actuals, exact_sum
from perfkit._goals_findings import GoalFinding
from perfkit._goals_model import Goal
from perfkit._goals_output import row_label, table
from perfkit._goals_plan import GoalPlan
from perfkit._numbers import Number, allocate, parse_decimal, quantize, to_fraction
from perfkit._time import Period
from perfkit.errors import EvaluationError, InvalidValueError, Severity

__all__ = ["RollUp", "WhenZero", "credit_shared", "rollup"]

WhenZero = Literal["none", "error", "zero", "full"]
"""Attainment against a zero target: None, an error, 0, or 100%."""

_WIDE = decimal.Context(prec=decimal.MAX_PREC)
_ATTAINMENT_QUANTUM = Decimal("0.0001")


def credit_shared(
    goal: Goal, actual: Number, *, quantum: Number | None = None
) -> dict[str, Decimal]:
    """Credit a shared goal's actual to each contributing department by its weight.

    The credits sum exactly to ``actual`` (largest remainder at ``quantum``; by
    default the finer of 0.01 and the actual's own last digit, so nothing is lost).

    Raises:
        InvalidValueError: if the goal has no contributors.
    """
    if not goal.contributors:
        raise InvalidValueError(f"goal {goal.id!r} has no contributors to credit")
    amount = parse_decimal(actual, what="actual")
    if quantum is None:
        exponent = amount.as_tuple().exponent
        finest = min(-2, exponent if isinstance(exponent, int) else -2)
        quantum = Decimal(1).scaleb(finest)
    return allocate(amount, goal.contributors, quantum=quantum)


class RollUp:
    """Actuals and attainment per node, period and level of one plan.

    Made by :func:`rollup`. ``findings`` holds target mismatches and actuals
    the plan has no place for.
    """

    __slots__ = ("_partial", "_plan", "_sums", "_when_zero", "findings")

    def __init__(
        self,
        plan: GoalPlan,
        sums: list[dict[int, Decimal]],
        partial: list[set[int]],
        findings: Sequence[GoalFinding],
        when_zero: WhenZero,
    ) -> None:
        self._plan, self._sums, self._partial = plan, sums, partial
        self._when_zero = when_zero
        self.findings: tuple[GoalFinding, ...] = tuple(findings)

    @property
    def plan(self) -> GoalPlan:
        """The plan rolled up against."""
        return self._plan

    def _row_actual(self, row: int, k: int) -> Decimal | None:
        """Row ``row``'s actual in plan period ``k``, None when not known at that grain."""
        if k in self._partial[row]:
            return None
        return self._sums[row].get(k, Decimal(0))

    def actual(self, node: str, period: Period | str | None = None) -> Decimal | None:
        """The node's actual in ``period`` (default: the goal's period), rolled up.

        None when some actual only partly overlaps ``period`` (it is not known at
        that grain).
        """
        cells = self._plan._resolve(period)
        values = [self._row_actual(r, k) for r in self._plan._rows_of(node) for k in cells]
        if any(v is None for v in values):
            return None
        return exact_sum(v for v in values if v is not None)

    def attainment(
        self,
        node: str,
        period: Period | str | None = None,
        level: str = "base",
        *,
        quantum: Number = _ATTAINMENT_QUANTUM,
    ) -> Decimal | None:
        """Actual / target for the node, period and level, rounded half-up at ``quantum``.

        None when the actual is not known, or the target is zero and
        ``when_zero`` is ``"none"``.

        Raises:
            EvaluationError: for a zero target when ``when_zero`` is ``"error"``.
        """
        exact = self.exact_attainment(node, period, level)
        return None if exact is None else quantize(exact, quantum)

    def exact_attainment(
        self, node: str, period: Period | str | None = None, level: str = "base"
    ) -> Fraction | None:
        """Actual / target as an exact fraction (see :meth:`attainment`)."""
        actual = self.actual(node, period)
        target = self._plan.target(node, period, level)
        if actual is None:
            return None
        if target == 0:
            if self._when_zero == "error":
                raise EvaluationError(
                    f"{node} has a zero {level} target in {period or self._plan.period}, so "
                    "attainment is undefined; choose when_zero: none, zero or full"
                )
            return {"none": None, "zero": Fraction(0), "full": Fraction(1)}[self._when_zero]
        return to_fraction(actual) / to_fraction(target)

    def shared_credit(self, period: Period | str | None = None) -> dict[str, Decimal]:
        """The goal's actual in ``period`` credited to its contributors by weight."""
        actual = self.actual(self._plan.goal.owner, period)
        if actual is None:
            raise InvalidValueError(f"the actual for {period} is not known at the plan's grain")
        return credit_shared(self._plan.goal, actual)

    def to_records(self, *, unit: str | None = None) -> list[dict[str, Any]]:
        """One dict per row and period: actual, and per level target and attainment.

        Attainment is rounded half-up at 0.0001, and None for a zero target.
        """
        plan, time = self._plan, self._plan._time_tree
        wanted = None if unit is None else plan._depth_of(unit)
        records: list[dict[str, Any]] = []
        for r in plan._row_order():
            row = plan._plan_rows[r]
            targets = [plan._row_units(r, j) for j in range(len(plan.levels))]
            for k, period in enumerate(time.periods):
                if wanted is not None and time.depth[k] != wanted:
                    continue
                actual = self._row_actual(r, k)
                record: dict[str, Any] = {
                    "goal": plan.goal.id,
                    "node": row.node,
                    "path": plan._row_path(r),
                    "period": period.label,
                    "unit": time.units[time.depth[k]],
                    "actual": actual,
                }
                for j, level in enumerate(plan.levels):
                    target = plan._amount(targets[j][k])
                    record[level] = target
                    record[f"attainment_{level}"] = (
                        None
                        if actual is None or target == 0
                        else quantize(
                            to_fraction(actual) / to_fraction(target), _ATTAINMENT_QUANTUM
                        )
                    )
                records.append(record)
        return records

    def render(
        self, *, unit: str | None = None, level: str = "base", max_depth: int | None = None
    ) -> str:
        """An indented table of actual, target and attainment per node and period."""
        plan, time = self._plan, self._plan._time_tree
        unit = unit or (time.units[1] if len(time.units) > 1 else "goal")
        depth, j = plan._depth_of(unit), plan._level(level)
        columns = [0] + [k for k in range(1, len(time.periods)) if time.depth[k] == depth]
        header = ["node", "", *(time.periods[k].label for k in columns)]
        lines = []
        for r in plan._row_order():
            if max_depth is not None and plan._plan_rows[r].depth > max_depth:
                continue
            targets = plan._row_units(r, j)
            actuals = [self._row_actual(r, k) for k in columns]
            shown = []
            for k, actual in zip(columns, actuals, strict=True):
                target = to_fraction(plan._amount(targets[k]))
                shown.append(
                    "-"
                    if actual is None or not target
                    else f"{quantize(to_fraction(actual) / target * 100, '0.1')}%"
                )
            lines.append([row_label(plan, r), "actual", *(_text(a) for a in actuals)])
            lines.append(["", level, *(f"{plan._amount(targets[k]):,}" for k in columns)])
            lines.append(["", "attained", *shown])
        return table(header, lines)


def _text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,}"


def _deepest(plan: GoalPlan, period: Period) -> int:
    """The finest plan period holding ``period``."""
    time, k = plan._time_tree, 0
    while True:
        inside = [c for c in time.children[k] if time.periods[c].contains(period)]
        if not inside:
            return k
        k = inside[0]


def _unknown_below(plan: GoalPlan, k: int, period: Period, into: set[int]) -> None:
    """Mark the periods under ``k`` that ``period`` overlaps: their actual is not known.

    An actual given for a whole period (or a span within it) says nothing about
    how it falls among that period's parts.
    """
    time = plan._time_tree
    stack = list(time.children[k])
    while stack:
        c = stack.pop()
        if time.periods[c].overlaps(period):
            into.add(c)
            stack.extend(time.children[c])


def rollup(plan: GoalPlan, actuals: Actuals, *, when_zero: WhenZero = "none") -> RollUp:
    """Roll actuals per leaf up the plan; attainment per node, period and level.

    Args:
        plan: the plan.
        actuals: per leaf node and period; periods must lie inside one row's
            dates of their node (finer than any move).
        when_zero: attainment against a zero target: ``none`` (no attainment),
            ``error``, ``zero`` or ``full``.

    Returns:
        the roll-up; its ``findings`` list target mismatches and actuals the
        plan has no place for (a node not in the plan, or dates it is not in it).

    Raises:
        InvalidValueError: for an actual on a node the plan splits further (give
            its leaves'), or one whose period spans a move or the plan's edge.
    """
    if when_zero not in ("none", "error", "zero", "full"):
        raise InvalidValueError(f"when_zero: {when_zero!r} is not none, error, zero or full")
    time, rows = plan._time_tree, plan._plan_rows
    sums: list[dict[int, Decimal]] = [{} for _ in rows]
    partial: list[set[int]] = [set() for _ in rows]
    outside: dict[str, list[Decimal]] = {}
    window = plan.period
    add = _WIDE.add
    for node, period, value in actuals.entries():
        if node not in plan._by_node or not period.overlaps(window):
            outside.setdefault(node, []).append(value)
            continue
        if not window.contains(period):
            raise InvalidValueError(
                f"actual for {node!r} in {period} lies partly outside the plan's period {window}"
            )
        start, end = period.start.toordinal(), period.end.toordinal()
        hits = [r for r in plan._rows_of(node) if rows[r].start < end and rows[r].end > start]
        if not hits:
            outside.setdefault(node, []).append(value)
            continue
        r = hits[0]
        if len(hits) > 1 or not (rows[r].start <= start and end <= rows[r].end):
            raise InvalidValueError(
                f"actual for {node!r} in {period} spans a change of {node!r}'s place in the "
                "plan; give it at a grain that does not cross the move"
            )
        if plan._row_children(r):
            raise InvalidValueError(
                f"actual for {node!r} in {period}: {node!r} is split further in the plan; "
                "give its leaves' actuals and let the roll-up sum them"
            )
        k = _deepest(plan, period)
        _unknown_below(plan, k, period, partial[r])
        while k >= 0:
            sums[r][k] = add(sums[r].get(k, Decimal(0)), value)
            k = time.parent[k]
    for r in range(len(rows) - 1, 0, -1):
        up = rows[r].parent
        if up < 0:
            continue
        for k, value in sums[r].items():
            sums[up][k] = add(sums[up].get(k, Decimal(0)), value)
        partial[up] |= partial[r]
    findings = plan.mismatches()
    for node, values in sorted(outside.items()):
        total = exact_sum(values)
        findings.append(
            GoalFinding(
                code="goal.unplanned-actual",
                message=(
                    f"{len(values)} actual(s) of {node} totalling {total:,} fall where the plan "
                    f"has no row for {node} (not under {plan.goal.owner} then, or outside "
                    f"{window}); they are not rolled up"
                ),
                severity=Severity.INFO,
                goal=plan.goal.id,
                node=node,
                numbers={"total": total, "count": Decimal(len(values))},
            )
        )
    return RollUp(plan, sums, partial, findings, when_zero)
