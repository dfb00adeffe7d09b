"""Building blocks of the org tree: the Membership record and construction checks.

Kept apart from :mod:`perfkit._org` so the query code stays short: these
functions parse and check membership records and find overlaps, dangling
parents and cycles, returning problems as text for one combined error.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime
from operator import itemgetter
from typing import TypeAlias

from perfkit.errors import InvalidValueError

__all__ = ["Membership"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RECORD_KEYS = ("node", "parent", "start", "end")
_NEAR = 1_000  # ids each side of an unknown one to look at for a did-you-mean hint

# A membership in interval indices: [first interval, end interval), parent.
_Span: TypeAlias = tuple[int, int, str | None]
_Spans: TypeAlias = dict[str, tuple[_Span, ...]]
_Kids: TypeAlias = dict[str, list[tuple[str, int, int]]]
_Piece: TypeAlias = tuple[int, int, tuple[str, ...]]
# Runs of intervals with a constant chain, in order; gaps where the node is absent.
_Timeline: TypeAlias = list[_Piece]


@dataclass(frozen=True, slots=True)
class Membership:
    """``node`` sits under ``parent`` from ``start`` (inclusive) to ``end`` (exclusive).

    ``parent=None`` makes the node a root for that range; ``start=None`` and
    ``end=None`` leave the range open towards the past or the future. A record
    is not checked on its own: :class:`OrgTree` checks them all together.
    """

    node: str
    parent: str | None
    start: date | None = None
    end: date | None = None


def _to_date(value: object, what: str) -> date:
    """Accept a ``date`` (pendulum's included) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        raise InvalidValueError(f"{what}: got the datetime {value!r}; pass a date")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidValueError(f"{what}: expected a date or a 'YYYY-MM-DD' string, got {value!r}")


def _span_text(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "all dates"
    return f"[{start or 'open'}, {end or 'open'})"


def _under(parent: str | None) -> str:
    return "as a root" if parent is None else f"under {parent!r}"


def _id_problem(value: object, what: str) -> str | None:
    if not isinstance(value, str):
        return f"{what} must be a str, got {type(value).__name__} {value!r}"
    if not value:
        return f"{what} is empty"
    if "/" in value:
        return f"{what} {value!r} contains '/', which separates path segments"
    return None


def _plain(m: Membership) -> bool:
    """True for a well-formed membership with exact ``date`` bounds (the fast path)."""
    node, parent, start, end = m.node, m.parent, m.start, m.end
    return (
        type(node) is str
        and node != ""
        and "/" not in node
        and (parent is None or (type(parent) is str and "/" not in parent and "" != parent != node))
        and (start is None or type(start) is date)
        and (end is None or (type(end) is date and (start is None or start < end)))
    )


def _checked(where: str, item: object, problems: list[str]) -> Membership | None:
    """The slow path: say what is wrong with ``item``, or return it with dates parsed."""
    if not isinstance(item, Membership):
        problems.append(f"{where}: expected a Membership, got {type(item).__name__}")
        return None
    bad = [_id_problem(item.node, "node id")]
    if item.parent is not None:
        bad.append(_id_problem(item.parent, "parent id"))
    dates: list[date | None] = []
    for what, value in (("start", item.start), ("end", item.end)):
        try:
            dates.append(None if value is None else _to_date(value, what))
        except InvalidValueError as exc:
            bad.append(str(exc))
    if any(bad):
        problems.extend(f"{where} ({item.node!r}): {p}" for p in bad if p)
        return None
    start, end = dates
    if start is not None and end is not None and start >= end:
        problems.append(
            f"node {item.node!r} {_under(item.parent)}: start {start} is not before end {end} "
            f"(ranges are half-open, [start, end))"
        )
        return None
    if item.parent == item.node:
        problems.append(f"node {item.node!r} is its own parent on {_span_text(start, end)}")
        return None
    return replace(item, start=start, end=end)


def _overlap(node: str, a: Membership, b: Membership) -> str:
    """Describe two memberships of ``node`` overlapping; ``a`` starts no later than ``b``."""
    end = a.end if b.end is None or (a.end is not None and a.end < b.end) else b.end
    what = "two parents at once" if a.parent != b.parent else "overlapping memberships"
    return (
        f"node {node!r} has {what}: {_under(a.parent)} on {_span_text(a.start, a.end)} "
        f"and {_under(b.parent)} on {_span_text(b.start, b.end)} overlap on "
        f"{_span_text(b.start, end)}"
    )


def _date_at(bounds: list[date], k: int) -> date | None:
    """The date interval ``k`` starts on (None before the first boundary or at the end)."""
    return bounds[k - 1] if 0 < k <= len(bounds) else None


def _dangling(
    spans: _Spans, kids: _Kids, history: dict[str, tuple[Membership, ...]], bounds: list[date]
) -> list[str]:
    """Children sitting under a parent on dates when the parent is not in the tree."""
    problems: list[str] = []
    for parent, children in kids.items():
        cover = sorted((s, e) for s, e, _ in spans[parent])
        if cover == [(0, len(bounds) + 1)]:
            continue
        ranges = ", ".join(_span_text(m.start, m.end) for m in history[parent])
        for child, lo, hi in children:
            gaps, cur = [], lo
            for a, b in cover:
                if a < hi and b > cur:
                    gaps.extend([(cur, a)] if a > cur else [])
                    cur = b
            gaps.extend([(cur, hi)] if cur < hi else [])
            problems.extend(
                f"node {child!r} is under {parent!r} on "
                f"{_span_text(_date_at(bounds, a), _date_at(bounds, b))} but {parent!r} "
                f"is not in the tree then (it is on {ranges})"
                for a, b in gaps
            )
    return problems


def _cycle_core(spans: _Spans, kids: _Kids, pending: dict[str, int]) -> set[str]:
    """Nodes that may lie on a cycle of the parent graph taken over all dates.

    A tree acyclic on each date can still have such cycles (two nodes swapping
    places). Peeling nodes whose parents are all peeled, then nodes whose
    children are all peeled, leaves every node on a cycle (and perhaps a few
    between two cycles). ``pending`` counts each node's memberships with a parent.
    """
    ready = [n for n, count in pending.items() if not count]
    for node in ready:
        for child, _, _ in kids.get(node, ()):
            pending[child] -= 1
            if not pending[child]:
                ready.append(child)
    below = {n: 0 for n, count in pending.items() if count}
    for node in below:
        below[node] += sum(child in below for child, _, _ in kids.get(node, ()))
    ready = [n for n, count in below.items() if not count]
    for node in ready:
        for _, _, up in spans[node]:
            if up is not None and up in below:
                below[up] -= 1
                if not below[up]:
                    ready.append(up)
    return {n for n, count in below.items() if count}


def _cycles(spans: _Spans, core: set[str], bounds: list[date]) -> list[str]:
    """Every cycle, found on the latest start date among its links, where it begins."""
    problems: list[str] = []
    seen: set[tuple[frozenset[str], int]] = set()
    for node in core:
        for start, _, up in spans[node]:
            loop, step = [node], up
            while step is not None and step in core and step not in loop:
                loop.append(step)
                step = next((p for s, e, p in spans[step] if s <= start < e), None)
            if step != node or (frozenset(loop), start) in seen:
                continue
            seen.add((frozenset(loop), start))
            k = loop.index(min(loop))
            loop = loop[k:] + loop[:k]
            until = _date_at(bounds, min(e for x in loop for s, e, _ in spans[x] if s <= start < e))
            begin = _date_at(bounds, start)
            problems.append(
                f"cycle starting {begin or 'before any dated membership'}"
                f"{f' until {until}' if until else ''}: "
                f"{' -> '.join(repr(x) for x in [*loop, loop[0]])} (each under the next)"
            )
    return problems


def _slice(timeline: _Timeline, lo: int, hi: int) -> _Timeline:
    if lo <= timeline[0][0] and timeline[-1][1] <= hi:
        return timeline
    k = max(bisect_right(timeline, lo, key=itemgetter(0)) - 1, 0)
    return [(max(s, lo), min(e, hi), c) for s, e, c in timeline[k:] if s < hi and e > lo]
