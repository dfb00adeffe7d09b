"""Actuals and history: the values of one metric per node and period.

:class:`Actuals` is the data goals are measured against: actuals to roll up
and attain, and history to decompose by (shares of last year, seasonality,
tiers from attainment). It is a plain value, not a model: it holds data and
answers sums exactly. A node's entries may not overlap in time (a month and a
week inside it would count twice); the same node and period given twice is
summed, as records of one period are.
"""

from __future__ import annotations

import decimal
import itertools
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import NamedTuple, TypeAlias

from perfkit._numbers import Number, parse_decimal
from perfkit._org import OrgTree
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError, OrgTreeError

__all__ = ["Actuals", "ActualsInput", "HistoryView", "exact_sum"]

ActualsInput: TypeAlias = (
    Mapping[tuple[str, str], Number]
    | Mapping[tuple[str, Period], Number]
    | Mapping[tuple[str, Period | str], Number]
    | Iterable[tuple[str, Period | str, Number]]
)
"""``{(node, period): value}`` or ``(node, period, value)`` triples."""

_WIDE = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.InvalidOperation])


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum Decimals exactly, whatever their number of digits."""
    total = Decimal(0)
    add = _WIDE.add
    for value in values:
        total = add(total, value)
    return total


class _Entry(NamedTuple):
    start: int  # ordinal of the first day
    end: int  # ordinal of the first day after
    value: Decimal
    period: Period


class Actuals:
    """Values of one metric per ``(node, period)``, exact, checked once.

    Args:
        values: ``{(node, period): value}`` or an iterable of ``(node, period,
            value)`` triples; a period may be a :class:`Period` or a label, read
            with ``calendar``; a value is a Decimal, int or numeric str.
        calendar: reads fiscal labels such as ``FY2025``.

    Raises:
        InvalidValueError: naming the node and period, for a bad node id, label
            or value (floats refused), or two entries of one node that overlap.
    """

    __slots__ = ("_entries", "_starts")

    def __init__(
        self,
        values: ActualsInput = (),
        *,
        calendar: Calendar | None = None,
    ) -> None:
        triples: Iterable[tuple[str, Period | str, Number]]
        if isinstance(values, Mapping):
            triples = ((key[0], key[1], value) for key, value in values.items())
        else:
            triples = values
        grouped: dict[str, dict[Period, Decimal]] = {}
        for item in triples:
            node, when, value = item
            if not isinstance(node, str) or not node or "/" in node:
                raise InvalidValueError(f"actuals: {node!r} is not a node id")
            period = Period.coerce(when, calendar)
            amount = parse_decimal(value, what=f"actual for {node!r} in {period}")
            per_node = grouped.setdefault(node, {})
            per_node[period] = _WIDE.add(per_node.get(period, Decimal(0)), amount)
        self._entries: dict[str, tuple[_Entry, ...]] = {}
        self._starts: dict[str, list[int]] = {}
        for node, periods in grouped.items():
            entries = sorted(
                _Entry(p.start.toordinal(), p.end.toordinal(), v, p) for p, v in periods.items()
            )
            for before, after in itertools.pairwise(entries):
                if after.start < before.end:
                    raise InvalidValueError(
                        f"actuals for {node!r}: {before.period} and {after.period} overlap, "
                        "so a total would count their common days twice"
                    )
            self._entries[node] = tuple(entries)
            self._starts[node] = [e.start for e in entries]

    @classmethod
    def from_records(
        cls,
        rows: Iterable[Mapping[str, object]],
        *,
        node: str = "node",
        period: str = "period",
        value: str = "value",
        calendar: Calendar | None = None,
    ) -> Actuals:
        """Build from mappings such as ``{"node": "rep-1", "period": "2026-01", "value": "9.5"}``.

        Raises:
            InvalidValueError: naming the record, for a missing key or a bad value.
        """
        triples: list[tuple[str, Period | str, Number]] = []
        for k, row in enumerate(rows):
            missing = [key for key in (node, period, value) if key not in row]
            if missing:
                raise InvalidValueError(f"actuals record {k}: missing {', '.join(missing)}")
            who, when = row[node], row[period]
            if not isinstance(who, str):
                raise InvalidValueError(f"actuals record {k}: node {who!r} is not a node id")
            if not isinstance(when, Period | str):
                raise InvalidValueError(f"actuals record {k}: {when!r} is not a period")
            amount = parse_decimal(row[value], what=f"actuals record {k}: {value}")
            triples.append((who, when, amount))
        return cls(triples, calendar=calendar)

    def _window(self, node: str, start: int, end: int) -> tuple[tuple[_Entry, ...], int, int]:
        entries = self._entries.get(node, ())
        if not entries:
            return entries, 0, 0
        starts = self._starts[node]
        lo, hi = bisect_left(starts, start), bisect_left(starts, end)
        return entries, lo, hi

    def total(self, node: str, period: Period) -> Decimal:
        """The sum of ``node``'s entries inside ``period`` (0 when there are none).

        Raises:
            InvalidValueError: if an entry lies partly inside ``period``: the
                data is coarser than the question, and splitting it would invent
                numbers.
        """
        start, end = period.start.toordinal(), period.end.toordinal()
        entries, lo, hi = self._window(node, start, end)
        if lo and entries[lo - 1].end > start:
            raise self._straddle(node, entries[lo - 1].period, period)
        if hi and entries[hi - 1].end > end:
            raise self._straddle(node, entries[hi - 1].period, period)
        return exact_sum(e.value for e in entries[lo:hi])

    def covers(self, node: str, period: Period) -> bool:
        """Whether ``node`` has at least one entry overlapping ``period``."""
        start, end = period.start.toordinal(), period.end.toordinal()
        entries, lo, hi = self._window(node, start, end)
        return hi > lo or bool(lo and entries[lo - 1].end > start)

    @staticmethod
    def _straddle(node: str, entry: Period, period: Period) -> InvalidValueError:
        return InvalidValueError(
            f"actuals for {node!r}: the entry for {entry} lies partly inside {period}; "
            f"give {node!r}'s values at a grain that nests in {period}"
        )

    def entries(self, node: str | None = None) -> Iterator[tuple[str, Period, Decimal]]:
        """Yield ``(node, period, value)``, by node then time; one node's only if given."""
        nodes = [node] if node is not None else sorted(self._entries)
        for who in nodes:
            for entry in self._entries.get(who, ()):
                yield who, entry.period, entry.value

    def nodes(self) -> tuple[str, ...]:
        """The nodes that have entries, sorted."""
        return tuple(sorted(self._entries))

    def __contains__(self, node: object) -> bool:
        return isinstance(node, str) and node in self._entries

    def __len__(self) -> int:
        return sum(len(e) for e in self._entries.values())

    def __repr__(self) -> str:
        return f"<Actuals: {len(self)} entries for {len(self._entries)} nodes>"


class HistoryView:
    """History totals per node and window, rolled up along the tree in force then.

    A node's total over a window is its own entries when it has any there;
    otherwise the sum of the entries of the nodes under it on each entry's date,
    so history may be given per rep and asked per team. ``None`` means no
    history at all for the node in the window (a zero is a value).
    """

    __slots__ = ("_actuals", "_rolled", "_tree")

    def __init__(self, actuals: Actuals | None, tree: OrgTree | None) -> None:
        self._actuals, self._tree = actuals, tree
        self._rolled: dict[tuple[int, int], dict[str, Decimal]] = {}

    @property
    def empty(self) -> bool:
        """True when there is no history at all."""
        return self._actuals is None or not len(self._actuals)

    def total(self, node: str, window: Period) -> Decimal | None:
        """``node``'s total over ``window``, or None without any history there."""
        if self._actuals is None:
            return None
        if self._actuals.covers(node, window):
            return self._actuals.total(node, window)
        return self._rolled_up(window).get(node)

    def _rolled_up(self, window: Period) -> dict[str, Decimal]:
        key = (window.start.toordinal(), window.end.toordinal())
        rolled = self._rolled.get(key)
        if rolled is not None:
            return rolled
        rolled = {}
        actuals, tree = self._actuals, self._tree
        if actuals is None or tree is None:
            return rolled
        for node in actuals.nodes():
            if not actuals.covers(node, window):
                continue
            entries, lo, hi = actuals._window(node, *key)
            if lo and entries[lo - 1].end > key[0]:
                raise actuals._straddle(node, entries[lo - 1].period, window)
            if hi and entries[hi - 1].end > key[1]:
                raise actuals._straddle(node, entries[hi - 1].period, window)
            for entry in entries[lo:hi]:
                try:
                    chain = tree.ancestors(node, entry.period.start) if node in tree else ()
                except OrgTreeError:  # not in the tree on that date: it counts only for itself
                    chain = ()
                for above in chain:
                    rolled[above] = _WIDE.add(rolled.get(above, Decimal(0)), entry.value)
        self._rolled[key] = rolled
        return rolled
