"""Re-planning: after some periods have actuals, spread what is left to do.

For every row of the plan and every level, the remaining gap is its target
minus what it achieved in the closed periods (never below zero unless asked),
rounded to the plan's quantum, and spread over the open periods by the row's
original time weights, exactly. The original plan is kept beside the revised
one, and each open period shows the catch-up it now needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from perfkit._goals_actuals import Actuals, exact_sum
from perfkit._goals_alloc import Weights
from perfkit._goals_findings import GoalFinding
from perfkit._goals_output import row_label, table
from perfkit._goals_plan import GoalPlan
from perfkit._goals_rollup import RollUp, rollup
from perfkit._numbers import quantize, to_fraction
from perfkit._time import Period
from perfkit.errors import InvalidValueError

__all__ = ["Replan", "replan"]


class Replan:
    """An original plan and its revision after the closed periods, side by side.

    Made by :func:`replan`. Queries take a node (summing its rows) and a period
    of the re-plan's unit; ``revised`` is the actual for a closed period and
    the new target for an open one.
    """

    __slots__ = (
        "_actual", "_closed", "_gap", "_ks", "_plan", "_revised", "after", "findings", "periods",
        "unit",
    )  # fmt: skip

    def __init__(
        self,
        plan: GoalPlan,
        after: Period,
        unit: str,
        periods: Sequence[int],
        closed: int,
        actual: list[dict[int, Decimal]],
        revised: list[list[dict[int, int]]],
        gap: list[list[int]],
        findings: Sequence[GoalFinding],
    ) -> None:
        self._plan, self.after, self.unit = plan, after, unit
        self._closed, self._actual, self._revised, self._gap = closed, actual, revised, gap
        self.periods: tuple[Period, ...] = tuple(plan._time_tree.periods[k] for k in periods)
        self._ks = tuple(periods)
        self.findings: tuple[GoalFinding, ...] = tuple(findings)

    @property
    def plan(self) -> GoalPlan:
        """The original plan."""
        return self._plan

    @property
    def closed(self) -> tuple[Period, ...]:
        """The periods with actuals, up to ``after``."""
        return self.periods[: self._closed]

    @property
    def remaining(self) -> tuple[Period, ...]:
        """The periods the gap is spread over."""
        return self.periods[self._closed :]

    def _k(self, period: Period | str) -> tuple[int, bool]:
        wanted = Period.coerce(period, self._plan.calendar)
        for n, p in enumerate(self.periods):
            if p == wanted:
                return self._ks[n], n < self._closed
        raise InvalidValueError(f"{wanted} is not a {self.unit} of this re-plan")

    def original(self, node: str, period: Period | str, level: str = "base") -> Decimal:
        """The original target."""
        return self._plan.target(node, period, level)

    def actual(self, node: str, period: Period | str) -> Decimal | None:
        """The actual of a closed period (None for an open one)."""
        k, closed = self._k(period)
        if not closed:
            return None
        return exact_sum(self._actual[r][k] for r in self._plan._rows_of(node))

    def revised(self, node: str, period: Period | str, level: str = "base") -> Decimal:
        """The actual of a closed period, the revised target of an open one."""
        k, closed = self._k(period)
        if closed:
            value = self.actual(node, period)
            assert value is not None
            return value
        j = self._plan._level(level)
        return self._plan._amount(sum(self._revised[r][j][k] for r in self._plan._rows_of(node)))

    def catch_up(self, node: str, period: Period | str, level: str = "base") -> Decimal | None:
        """Revised minus original target for an open period (None for a closed one)."""
        _, closed = self._k(period)
        if closed:
            return None
        return self.revised(node, period, level) - self.original(node, period, level)

    def gap(self, node: str, level: str = "base") -> Decimal:
        """The target left after the closed periods, as spread (rounded to the quantum)."""
        j = self._plan._level(level)
        return self._plan._amount(sum(self._gap[r][j] for r in self._plan._rows_of(node)))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row and period: status, and per level original, revised, catch-up."""
        plan, records = self._plan, []
        for r in plan._row_order():
            originals = [plan._row_units(r, j) for j in range(len(plan.levels))]
            for n, k in enumerate(self._ks):
                closed = n < self._closed
                record: dict[str, Any] = {
                    "goal": plan.goal.id,
                    "node": plan._plan_rows[r].node,
                    "path": plan._row_path(r),
                    "period": plan._time_tree.periods[k].label,
                    "status": "closed" if closed else "open",
                    "actual": self._actual[r][k] if closed else None,
                }
                for j, level in enumerate(plan.levels):
                    original = plan._amount(originals[j][k])
                    revised = self._actual[r][k] if closed else plan._amount(self._revised[r][j][k])
                    record[f"original_{level}"] = original
                    record[f"revised_{level}"] = revised
                    record[f"catch_up_{level}"] = None if closed else revised - original
                records.append(record)
        return records

    def render(self, *, level: str = "base", max_depth: int | None = None) -> str:
        """Original and revised side by side: one block of lines per node."""
        plan = self._plan
        j = plan._level(level)
        header = ["node", "period", "original", "actual", "revised", "catch-up"]
        lines = []
        for r in plan._row_order():
            if max_depth is not None and plan._plan_rows[r].depth > max_depth:
                continue
            originals = plan._row_units(r, j)
            for n, k in enumerate(self._ks):
                closed = n < self._closed
                original = plan._amount(originals[k])
                label = row_label(plan, r) if n == 0 else ""
                if closed:
                    actual = self._actual[r][k]
                    lines.append(
                        [label, self.periods[n].label, f"{original:,}", f"{actual:,}", "", ""]
                    )
                else:
                    revised = plan._amount(self._revised[r][j][k])
                    lines.append(
                        [label, self.periods[n].label, f"{original:,}", "", f"{revised:,}",
                         f"{revised - original:+,}"]
                    )  # fmt: skip
        title = f"re-plan of {plan.goal.id} ({level}) after {self.after}, by {self.unit}"
        return title + "\n\n" + table(header, lines)


def replan(
    plan: GoalPlan,
    actuals: Actuals | RollUp,
    *,
    after: Period | str,
    unit: str | None = None,
    allow_negative: bool = False,
) -> Replan:
    """Revise a plan for the periods after ``after``, given the actuals before it.

    Args:
        plan: the original plan.
        actuals: actuals per leaf (or their :func:`rollup`).
        after: the last closed period (or any period ending where the closed ones end).
        unit: the grain of the re-plan (default: the plan's finest).
        allow_negative: let an overachieved row's remaining gap go below zero
            (the open periods then carry negative targets) instead of zero.

    Raises:
        InvalidValueError: if ``after`` does not end where a period of ``unit``
            ends, or a closed period's actual is not known at that grain.
    """
    rolled = actuals if isinstance(actuals, RollUp) else rollup(plan, actuals)
    if rolled.plan is not plan:
        raise InvalidValueError("replan: the roll-up was made for another plan")
    time = plan._time_tree
    unit = unit or time.units[-1]
    depth = plan._depth_of(unit)
    cut = Period.coerce(after, plan.calendar)
    ks = [k for k in range(len(time.periods)) if time.depth[k] == depth]
    ends = [time.periods[k].end for k in ks]
    if cut.end not in ends:
        raise InvalidValueError(
            f"after: {cut} does not end where a {unit} of the plan ends; choose a "
            f"{unit} boundary (or another unit)"
        )
    closed = ends.index(cut.end) + 1
    if closed == len(ks):
        raise InvalidValueError(f"after: {cut} closes the whole plan; nothing is left to re-plan")
    actual: list[dict[int, Decimal]] = []
    revised: list[list[dict[int, int]]] = []
    gaps: list[list[int]] = []
    findings: list[GoalFinding] = []
    quantum = to_fraction(plan.quantum)
    base = plan.levels.index("base")
    for r, row in enumerate(plan._plan_rows):
        done = {}
        for k in ks[:closed]:
            value = rolled._row_actual(r, k)
            if value is None:
                raise InvalidValueError(
                    f"replan: the actual of {row.node!r} in {time.periods[k]} is not known by "
                    f"{unit}; give actuals at that grain or finer"
                )
            done[k] = value
        actual.append(done)
        achieved = to_fraction(exact_sum(done.values())) / quantum
        row_gaps = []
        for j in range(len(plan.levels)):
            left = Fraction(plan._cell(r, j, 0)) - achieved
            row_gaps.append(int(quantize(left if allow_negative else max(left, Fraction(0)), 1)))
        gaps.append(row_gaps)
        profile = plan._row_profile(r).values
        open_ks = ks[closed:]
        weights = [sum(profile[slice(*time.leaf_range[k])]) for k in open_ks]
        if not any(weights):
            revised.append([dict.fromkeys(open_ks, 0) for _ in row_gaps])
            if any(row_gaps):
                findings.append(_stranded(plan, r, row_gaps[base], cut))
            continue
        parts = Weights(weights).split_levels(row_gaps, base)
        revised.append([dict(zip(open_ks, level, strict=True)) for level in parts])
    return Replan(plan, cut, unit, ks, closed, actual, revised, gaps, findings)


def _stranded(plan: GoalPlan, r: int, gap: int, after: Period) -> GoalFinding:
    amount = plan._amount(gap)
    node = plan._plan_rows[r].node
    return GoalFinding(
        code="goal.replan-unallocated",
        message=(
            f"{node} still has {amount:,} to achieve after {after} but is not present in "
            "any open period to carry it"
        ),
        goal=plan.goal.id,
        node=node,
        period=after.label,
        level="base",
        numbers={"gap": amount},
    )
