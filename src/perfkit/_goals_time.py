"""The time axis of a plan: the goal period split step by step, with exact weights.

A :class:`TimeTree` holds every period of the split (the goal period, its
quarters, their months, ...) numbered in pre-order, so the leaves under any
period are a contiguous run and a period's value is the sum of its leaves.
Each step gives the parts of a period their shares of it (calendar days,
working days, seasonality from history, explicit percentages); a leaf's weight
is the product of its shares down the path, exact, then scaled to integers once
so that every row of the plan can split its amount by them in integer quanta.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from perfkit._goals_model import TimeSplit, percent
from perfkit._time import Calendar, Period, Unit
from perfkit.errors import InvalidValueError

if TYPE_CHECKING:
    from perfkit._goals_actuals import HistoryView

__all__ = ["TimeTree", "build_time_tree", "shift_back"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip
_PART_LABEL = re.compile(r"\d{4}-([qhw]\d+)")


@dataclass(frozen=True, slots=True)
class TimeTree:
    """Every period of a plan's time axis, in pre-order, with integer leaf weights.

    Attributes:
        periods: index 0 is the goal period; each period is followed by its parts.
        parent: the index of each period's parent (-1 for the goal period).
        children: the indices of each period's parts, in time order.
        depth: 0 for the goal period, 1 for the first step's parts, ...
        leaf_range: each period's leaves as ``(first, end)`` positions in ``leaves``.
        leaves: the indices of the finest periods, in time order.
        units: the unit of each depth: ``("goal", "quarter", "month")``.
        weights: each leaf's weight, integers proportional to its exact share.
    """

    periods: tuple[Period, ...]
    parent: tuple[int, ...]
    children: tuple[tuple[int, ...], ...]
    depth: tuple[int, ...]
    leaf_range: tuple[tuple[int, int], ...]
    leaves: tuple[int, ...]
    units: tuple[str, ...]
    weights: tuple[int, ...]

    def index(self) -> dict[Period, int]:
        """Period -> its index."""
        return {p: k for k, p in enumerate(self.periods)}

    def leaf_slots(self) -> list[tuple[int, int]]:
        """Each leaf as ``(start ordinal, end ordinal)``."""
        return [
            (self.periods[k].start.toordinal(), self.periods[k].end.toordinal())
            for k in self.leaves
        ]


def shift_back(period: Period, years: int, unit: str) -> Period:
    """The same part ``years`` back: whole years for months and up, 52 weeks for weeks and days.

    Weeks and days move by 364 days so that a Monday stays a Monday.
    """
    if unit in ("week", "day"):
        return Period(
            period.start.subtract(days=364 * years), period.end.subtract(days=364 * years)
        )
    return Period(period.start.subtract(years=years), period.end.subtract(years=years))


def _names(part: Period, unit: Unit) -> set[str]:
    """The keys a percentage may use for ``part``: its label and its short name."""
    names = {part.label.lower()}
    if unit == "month":
        names.add(_MONTHS[part.start.month - 1])
    match = _PART_LABEL.fullmatch(part.label.lower())
    if match and unit in ("quarter", "half", "week"):
        names.add(match[1])
    return names


def _key(text: str) -> str:
    key = text.strip().lower()
    return _MONTHS[_FULL_MONTHS.index(key)] if key in _FULL_MONTHS else key


class _Builder:
    """Builds a :class:`TimeTree`; one instance per decomposition."""

    def __init__(
        self,
        steps: Sequence[TimeSplit],
        calendar: Calendar,
        history: HistoryView | None,
        owner: str,
    ) -> None:
        self.steps, self.calendar, self.history, self.owner = steps, calendar, history, owner
        self.used_keys: list[set[str]] = [set() for _ in steps]

    def shares(self, k: int, parent: Period, parts: tuple[Period, ...]) -> list[Fraction]:
        """The exact shares of ``parent`` that its ``parts`` carry at step ``k``."""
        step = self.steps[k]
        if step.by == "days":
            return [Fraction(p.days(), parent.days()) for p in parts]
        if step.by == "working_days":
            days = [p.working_days(self.calendar) for p in parts]
            if not sum(days):
                raise InvalidValueError(
                    f"decompose.time[{k}]: {parent} has no working days to split by; "
                    "use by: days, or check the calendar's weekend and holidays"
                )
            return [Fraction(d, sum(days)) for d in days]
        if step.by == "percentages":
            return self._percentages(k, step, parent, parts)
        return self._seasonal(k, step, parent, parts)

    def _percentages(
        self, k: int, step: TimeSplit, parent: Period, parts: tuple[Period, ...]
    ) -> list[Fraction]:
        given: dict[str, tuple[str, Decimal]] = {}
        for text, share in (step.percentages or {}).items():
            key = _key(text)
            if key in given:
                raise InvalidValueError(
                    f"decompose.time[{k}].percentages: {given[key][0]!r} and {text!r} name "
                    "the same part"
                )
            given[key] = (text, share)
        shares = []
        for part in parts:
            found = sorted(_names(part, step.into) & given.keys())
            if not found:
                hint = " or ".join(repr(n) for n in sorted(_names(part, step.into)))
                raise InvalidValueError(
                    f"decompose.time[{k}].percentages: no percentage for {part} (write {hint}); "
                    "a missing part is an error, never a silent 0%"
                )
            if len(found) > 1:
                raise InvalidValueError(
                    f"decompose.time[{k}].percentages: {part} is given twice "
                    f"({', '.join(repr(given[f][0]) for f in found)})"
                )
            self.used_keys[k].add(found[0])
            shares.append(Fraction(given[found[0]][1]))
        total = sum(shares, Fraction(0))
        if total != 1:
            raise InvalidValueError(
                f"decompose.time[{k}].percentages: the parts of {parent} total "
                f"{percent(Decimal(total.numerator) / total.denominator)}, not 100%"
            )
        return shares

    def check_unused(self) -> None:
        """Refuse percentages that named no part: a typo would otherwise pass unseen."""
        for k, step in enumerate(self.steps):
            if step.percentages is None:
                continue
            unused = sorted(t for t in step.percentages if _key(t) not in self.used_keys[k])
            if unused:
                raise InvalidValueError(
                    f"decompose.time[{k}].percentages: {', '.join(repr(u) for u in unused)} "
                    f"name no {step.into} of the plan"
                )

    def _seasonal(
        self, k: int, step: TimeSplit, parent: Period, parts: tuple[Period, ...]
    ) -> list[Fraction]:
        basis = step.seasonality_basis
        node = basis.node or self.owner
        if self.history is None or self.history.empty:
            raise InvalidValueError(f"decompose.time[{k}]: by: seasonality needs history")
        blended = [Fraction(0)] * len(parts)
        for years, weight in basis.years_back.items():
            windows = [shift_back(p, years, step.into) for p in parts]
            values = [self.history.total(node, w) for w in windows]
            where = f"decompose.time[{k}]: the history of {node!r} {years} year(s) before {parent}"
            shares = _shares(values, basis.missing, where, [str(w) for w in windows])
            blended = [b + Fraction(weight) * s for b, s in zip(blended, shares, strict=True)]
        return blended


def _shares(
    values: Sequence[Decimal | None], missing: str, where: str, names: Sequence[str]
) -> list[Fraction]:
    """Shares of each value in their total; ``None`` (no history) per the ``missing`` rule."""
    for name, value in zip(names, values, strict=True):
        if value is None and missing == "error":
            raise InvalidValueError(
                f"{where}: no history for {name}; add it, or set missing: zero or mean"
            )
        if value is not None and value < 0:
            raise InvalidValueError(f"{where}: the history for {name} is negative ({value})")
    known = [Fraction(v) for v in values if v is not None]
    total = sum(known, Fraction(0))
    if total == 0:
        raise InvalidValueError(f"{where}: the history totals zero, so it gives no shares")
    mean = total / len(known) if missing == "mean" else Fraction(0)
    exact = [Fraction(v) if v is not None else mean for v in values]
    grand = sum(exact, Fraction(0))
    return [v / grand for v in exact]


def build_time_tree(
    period: Period,
    steps: Sequence[TimeSplit],
    calendar: Calendar,
    history: HistoryView | None,
    owner: str,
) -> TimeTree:
    """Split ``period`` by ``steps``, coarse to fine, into a :class:`TimeTree`.

    Raises:
        InvalidValueError: naming the step and period, for missing or unknown
            percentages, percentages of a period not totalling 100%, a period
            with no working days, or seasonality without usable history.
    """
    builder = _Builder(steps, calendar, history, owner)
    periods: list[Period] = []
    parent: list[int] = []
    depth: list[int] = []
    share: list[Fraction] = []

    def visit(node: Period, up: int, level: int, exact: Fraction) -> None:
        index = len(periods)
        periods.append(node)
        parent.append(up)
        depth.append(level)
        share.append(exact)
        if level < len(steps):
            parts = node.split(steps[level].into, calendar)
            for part, part_share in zip(parts, builder.shares(level, node, parts), strict=True):
                visit(part, index, level + 1, exact * part_share)

    visit(period, -1, 0, Fraction(1))
    builder.check_unused()
    children: list[list[int]] = [[] for _ in periods]
    for index, up in enumerate(parent):
        if up >= 0:
            children[up].append(index)
    leaves = tuple(k for k, kids in enumerate(children) if not kids)
    position = {k: n for n, k in enumerate(leaves)}
    ranges: list[tuple[int, int]] = [(0, 0)] * len(periods)
    for index in range(len(periods) - 1, -1, -1):
        kids = children[index]
        if not kids:
            ranges[index] = (position[index], position[index] + 1)
        else:
            ranges[index] = (ranges[kids[0]][0], ranges[kids[-1]][1])
    scale = math.lcm(*(share[k].denominator for k in leaves))
    weights = tuple(int(share[k] * scale) for k in leaves)
    return TimeTree(
        periods=tuple(periods),
        parent=tuple(parent),
        children=tuple(tuple(kids) for kids in children),
        depth=tuple(depth),
        leaf_range=tuple(ranges),
        leaves=leaves,
        units=("goal", *(step.into for step in steps)),
        weights=weights,
    )
