"""A goal plan: the tree of targets produced by decomposing one goal.

The plan is compact: each row (a node over its stretch of membership) keeps,
per level, its targets for the finest periods as integer quanta; a coarser
period's target is the sum of the finest periods under it, which the
decomposition guarantees equals the coarser period's own split. Decimal values
and row views are made only when asked for. Editing a target by hand pins its
parents at their values, so children that no longer sum to their parent show
up as target mismatches rather than silently changing the parent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from perfkit._goals_alloc import Weights
from perfkit._goals_findings import GoalFinding
from perfkit._goals_model import Decomposition, Goal, percent
from perfkit._goals_org import Row
from perfkit._goals_summary import PlanSummary, amount_maker
from perfkit._goals_time import TimeTree
from perfkit._numbers import Number, parse_decimal, quantize, to_fraction
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

__all__ = ["GoalPlan"]

Cell = tuple[int, int, int]  # row, level, period index


class GoalPlan:
    """The targets of one goal, by node and period, for every level.

    Made by :func:`perfkit.decompose` (or :meth:`from_json`); immutable: edits
    return a new plan. Targets of a node with several rows (someone who moved
    during the period) are the sum of its rows.
    """

    __slots__ = (
        "_amount", "_base", "_by_node", "_calendar", "_goal", "_index", "_kids", "_levels",
        "_order", "_pins", "_profile", "_profiles", "_quantum", "_rows", "_spec", "_summary",
        "_time", "_units",
    )  # fmt: skip

    def __init__(
        self,
        *,
        goal: Goal,
        decomposition: Decomposition,
        calendar: Calendar,
        time: TimeTree,
        rows: Sequence[Row],
        units: list[list[list[int]]],
        profile: Sequence[int],
        profiles: Sequence[Weights],
        summary: PlanSummary,
        pins: Mapping[Cell, int] | None = None,
    ) -> None:
        self._goal, self._spec, self._calendar, self._time = goal, decomposition, calendar, time
        self._rows, self._units = tuple(rows), units
        self._profile, self._profiles = tuple(profile), tuple(profiles)
        self._summary, self._pins = summary, dict(pins or {})
        self._levels = tuple(goal.levels)
        self._base = self._levels.index("base")
        self._quantum = decomposition.quantum
        self._amount = amount_maker(self._quantum)
        self._index = time.index()
        self._kids: list[list[int]] = [[] for _ in self._rows]
        self._by_node: dict[str, list[int]] = {}
        for k, row in enumerate(self._rows):
            if row.parent >= 0:
                self._kids[row.parent].append(k)
            self._by_node.setdefault(row.node, []).append(k)
        for kids in self._kids:
            kids.sort(key=lambda r: (self._rows[r].node, self._rows[r].start))
        order: list[int] = []
        stack = sorted((k for k, r in enumerate(self._rows) if r.parent < 0), reverse=True)
        while stack:
            k = stack.pop()
            order.append(k)
            stack.extend(reversed(self._kids[k]))
        self._order = tuple(order)

    # -- what the plan is --------------------------------------------------------------

    @property
    def goal(self) -> Goal:
        """The goal decomposed."""
        return self._goal

    @property
    def decomposition(self) -> Decomposition:
        """How it was decomposed."""
        return self._spec

    @property
    def calendar(self) -> Calendar:
        """The calendar its periods follow."""
        return self._calendar

    @property
    def period(self) -> Period:
        """The goal's period."""
        return self._time.periods[0]

    @property
    def levels(self) -> tuple[str, ...]:
        """The goal's levels, lowest first."""
        return self._levels

    @property
    def quantum(self) -> Decimal:
        """The unit every target is a whole number of."""
        return self._quantum

    @property
    def summary(self) -> PlanSummary:
        """Size and over-assignment at a glance."""
        return self._summary

    def periods(self, unit: str | None = None) -> tuple[Period, ...]:
        """Every period of the plan in pre-order, or those of one ``unit`` in time order.

        ``unit`` is ``"goal"`` or a time step's unit (``"quarter"``, ``"week"``, ...).
        """
        if unit is None:
            return self._time.periods
        depth = self._depth_of(unit)
        return tuple(
            p for p, d in zip(self._time.periods, self._time.depth, strict=True) if d == depth
        )

    def _depth_of(self, unit: str) -> int:
        if unit not in self._time.units:
            raise InvalidValueError(
                f"unit {unit!r} is not in this plan; its units are {', '.join(self._time.units)}"
            )
        return self._time.units.index(unit)

    def nodes(self) -> tuple[str, ...]:
        """Every node in the plan, parents before children, siblings by id."""
        return tuple(dict.fromkeys(self._rows[k].node for k in self._order))

    def leaves(self) -> tuple[str, ...]:
        """The nodes no org step split further, in plan order."""
        return tuple(dict.fromkeys(self._rows[k].node for k in self._order if not self._kids[k]))

    def _rows_of(self, node: str) -> list[int]:
        rows = self._by_node.get(node) if isinstance(node, str) else None
        if rows is None:
            raise InvalidValueError(f"node {node!r} is not in the plan of goal {self._goal.id!r}")
        return rows

    def children(self, node: str) -> tuple[str, ...]:
        """The node's children in the plan, sorted, over all its rows."""
        return tuple(
            sorted({self._rows[c].node for r in self._rows_of(node) for c in self._kids[r]})
        )

    def parents(self, node: str) -> tuple[str | None, ...]:
        """The node's parent in each of its rows, earliest first (None for the owner)."""
        rows = sorted(self._rows_of(node), key=lambda r: self._rows[r].start)
        return tuple(
            self._rows[self._rows[r].parent].node if self._rows[r].parent >= 0 else None
            for r in rows
        )

    def path(self, node: str) -> str:
        """The node's path from the owner (its first row's, if it moved)."""
        k = min(self._rows_of(node), key=lambda r: self._rows[r].start)
        return self._row_path(k)

    def _row_path(self, k: int) -> str:
        names = []
        while k >= 0:
            names.append(self._rows[k].node)
            k = self._rows[k].parent
        return "/".join(reversed(names))

    def _row_span(self, k: int) -> tuple[datetime.date, datetime.date]:
        """Row ``k``'s dates ``[start, end)``."""
        row = self._rows[k]
        return datetime.date.fromordinal(row.start), datetime.date.fromordinal(row.end)

    # -- targets -----------------------------------------------------------------------

    def _level(self, level: str) -> int:
        try:
            return self._levels.index(level)
        except ValueError:
            raise InvalidValueError(
                f"level {level!r} is not a level of goal {self._goal.id!r} "
                f"({', '.join(self._levels)})"
            ) from None

    def _resolve(self, period: Period | str | None) -> tuple[int, ...]:
        """The plan periods whose targets sum to ``period``'s: the largest that fit in it."""
        if period is None:
            return (0,)
        wanted = Period.coerce(period, self._calendar)
        k = self._index.get(wanted)
        if k is not None:
            return (k,)
        if not self.period.contains(wanted):
            raise InvalidValueError(f"{wanted} is not within the plan's period {self.period}")
        time, cover, stack = self._time, [], [0]
        while stack:  # the largest plan periods inside ``wanted``, in time order
            k = stack.pop()
            slot = time.periods[k]
            if wanted.contains(slot):
                cover.append(k)
            elif slot.overlaps(wanted):
                if not time.children[k]:
                    raise InvalidValueError(
                        f"{wanted} does not line up with the plan's periods: {slot} lies partly "
                        f"inside it (the finest unit is {time.units[-1]})"
                    )
                stack.extend(reversed(time.children[k]))
        return tuple(cover)

    def _cell(self, row: int, level: int, k: int) -> int:
        pinned = self._pins.get((row, level, k))
        if pinned is not None:
            return pinned
        first, end = self._time.leaf_range[k]
        return sum(self._units[row][level][first:end])

    def target(self, node: str, period: Period | str | None = None, level: str = "base") -> Decimal:
        """The node's target for ``period`` (default: the goal's period) at ``level``.

        ``period`` may be any period of the plan or a union of its finest ones
        (``2026-H1`` in a plan by months).

        Raises:
            InvalidValueError: for a node, level or period not in the plan.
        """
        j, cells = self._level(level), self._resolve(period)
        return self._amount(sum(self._cell(r, j, k) for r in self._rows_of(node) for k in cells))

    def targets(self, node: str, period: Period | str | None = None) -> dict[str, Decimal]:
        """The node's target at every level, lowest first."""
        return {level: self.target(node, period, level) for level in self._levels}

    def _row_units(self, row: int, level: int) -> list[int]:
        """Row ``row``'s targets at every plan period, in quanta (pins applied)."""
        return [self._cell(row, level, k) for k in range(len(self._time.periods))]

    # -- editing -----------------------------------------------------------------------

    def with_targets(
        self,
        edits: Mapping[tuple[str, Period | str] | tuple[str, Period | str, str], Number],
    ) -> GoalPlan:
        """A new plan with targets set by hand, keyed ``(node, period[, level])``.

        Nothing is rebalanced: each edited target's parents keep their values,
        so children that no longer sum to them are reported by
        :meth:`mismatches`. A node that moved needs a period inside one of its rows.

        Raises:
            InvalidValueError: for an unknown node, level or period, a value that is
                not a whole number of quanta, or a period spanning two rows of a node.
        """
        units = list(self._units)
        pins = dict(self._pins)
        copied: set[tuple[int, int]] = set()
        for key, value in edits.items():
            node, period, level = (*key, "base")[:3]
            j, cells = self._level(level), self._resolve(period)
            if len(cells) != 1:
                raise InvalidValueError(f"edit {key!r}: give one period of the plan, not a union")
            k = cells[0]
            row = self._edited_row(node, k)
            amount = to_fraction(parse_decimal(value, what=f"target for {key!r}"))
            exact = amount / to_fraction(self._quantum)
            if exact.denominator != 1:
                raise InvalidValueError(f"edit {key!r}: {value} is not a whole number of quanta")
            up = self._time.parent[k]
            while up >= 0:
                pins.setdefault((row, j, up), self._cell(row, j, up))
                up = self._time.parent[up]
            if self._time.children[k]:
                pins[(row, j, k)] = exact.numerator
            else:
                if (row, j) not in copied:
                    units[row] = [list(levels) for levels in units[row]]
                    copied.add((row, j))
                units[row][j][self._time.leaf_range[k][0]] = exact.numerator
        return GoalPlan(
            goal=self._goal,
            decomposition=self._spec,
            calendar=self._calendar,
            time=self._time,
            rows=self._rows,
            units=units,
            profile=self._profile,
            profiles=self._profiles,
            summary=self._summary,
            pins=pins,
        )

    def _edited_row(self, node: str, k: int) -> int:
        slot = self._time.periods[k]
        start, end = slot.start.toordinal(), slot.end.toordinal()
        rows = [
            r
            for r in self._rows_of(node)
            if self._rows[r].start < end and self._rows[r].end > start
        ]
        if len(rows) > 1:
            raise InvalidValueError(
                f"{node!r} moved during {slot}: edit a period inside one of its stretches"
            )
        return rows[0] if rows else self._rows_of(node)[0]

    # -- consistency -------------------------------------------------------------------

    def mismatches(self) -> list[GoalFinding]:
        """Targets whose children no longer sum to them (after over-assignment).

        Covers both axes: a period's parts against the period, and a row's
        children against the row's total times the step's over-assignment.
        """
        found: list[GoalFinding] = []
        time = self._time
        for row, j, k in sorted(self._pins):
            kids = time.children[k]
            if not kids:
                continue
            parent = self._cell(row, j, k)
            parts = sum(self._cell(row, j, c) for c in kids)
            if parts != parent:
                found.append(self._mismatch(row, j, time.periods[k], parent, parts, parent, None))
        for row, below in enumerate(self._kids):
            if not below:
                continue
            step = self._spec.org[self._rows[below[0]].step]
            factor = to_fraction(step.over_assign)
            for j in range(len(self._levels)):
                parent = self._cell(row, j, 0)
                expected = int(quantize(Fraction(parent) * factor, 1, self._spec.rounding))
                parts = sum(self._cell(c, j, 0) for c in below)
                if parts != expected:
                    found.append(
                        self._mismatch(
                            row, j, self.period, parent, parts, expected, step.over_assign
                        )
                    )
        return found

    def _mismatch(
        self,
        row: int,
        level: int,
        period: Period,
        parent: int,
        parts: int,
        expected: int,
        factor: Decimal | None,
    ) -> GoalFinding:
        node = self._rows[row].node
        what = "children" if factor is not None else "parts"
        times = f" x {percent(factor)}" if factor is not None and factor != 1 else ""
        numbers = {
            "parent": self._amount(parent),
            "children_sum": self._amount(parts),
            "expected": self._amount(expected),
            "difference": self._amount(parts - expected),
        }
        if factor is not None:
            numbers["factor"] = factor
        because = f" ({numbers['parent']:,}{times})" if times else ""
        return GoalFinding(
            code="goal.target-mismatch",
            message=(
                f"the {what} of {node} in {period} sum to {numbers['children_sum']:,}, not "
                f"{numbers['expected']:,}{because}; off by {numbers['difference']:,}"
            ),
            goal=self._goal.id,
            node=node,
            period=period.label,
            level=self._levels[level],
            field=f"levels.{self._levels[level]}",
            numbers=numbers,
        )

    # -- views (implemented in _goals_output) ------------------------------------------

    def iter_records(
        self, *, unit: str | None = None, levels: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield one flat dict per row and period: DataFrame-friendly, made lazily.

        Keys: ``goal, node, path, parent, depth, period, unit, start, end`` (``end``
        exclusive) and one Decimal per level. ``unit`` keeps one grain only.
        """
        from perfkit._goals_output import iter_records

        return iter_records(self, unit=unit, levels=levels)

    def to_records(
        self, *, unit: str | None = None, levels: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The rows of :meth:`iter_records` as a list (``pandas.DataFrame(plan.to_records())``)."""
        return list(self.iter_records(unit=unit, levels=levels))

    def to_json(self, *, indent: int | None = None) -> str:
        """The whole plan as JSON text; :meth:`from_json` reads it back."""
        from perfkit._goals_output import plan_to_json

        return plan_to_json(self, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> GoalPlan:
        """Read a plan written by :meth:`to_json`, hand edits included.

        Raises:
            InvalidValueError: for text that is not such a plan.
        """
        from perfkit._goals_output import plan_from_json

        return plan_from_json(text)

    def render(
        self,
        *,
        unit: str | None = None,
        levels: Sequence[str] | None = None,
        max_depth: int | None = None,
    ) -> str:
        """An indented table: one line per node and level, one column per period.

        Args:
            unit: the periods shown beside the total (default: the first step's).
            levels: the levels shown (default: all).
            max_depth: the deepest org level shown (0 = the owner only).
        """
        from perfkit._goals_output import render_plan

        return render_plan(self, unit=unit, levels=levels, max_depth=max_depth)

    def __repr__(self) -> str:
        return (
            f"<GoalPlan {self._goal.id} {self.period}: {len(self._rows)} rows x "
            f"{len(self._time.periods)} periods, levels {'/'.join(self._levels)}>"
        )

    # -- internals shared with the other goal modules (not public API) -------------------

    @property
    def _time_tree(self) -> TimeTree:
        """The plan's time axis."""
        return self._time

    @property
    def _plan_rows(self) -> tuple[Row, ...]:
        """The plan's rows."""
        return self._rows

    def _row_children(self, row: int) -> list[int]:
        """The rows under ``row``, by node then start."""
        return self._kids[row]

    def _row_order(self) -> tuple[int, ...]:
        """Rows in display order: parents first, siblings by node then start."""
        return self._order

    def _row_profile(self, row: int) -> Weights:
        """The exact time weights row ``row`` was split by."""
        return self._profiles[self._profile[row]]

    def _export_state(
        self,
    ) -> tuple[list[list[list[int]]], tuple[int, ...], tuple[Weights, ...], dict[Cell, int]]:
        """Units, profile indices, profiles and pins, for serialisation."""
        return self._units, self._profile, self._profiles, self._pins
