"""The effective-dated org tree: who sits under whom, on which date.

A node id is a non-empty string without ``/`` (``rep-17``); a path joins the ids
from a root down (``company/east/team-3/rep-17``). A :class:`Membership` puts a
node under a parent for the half-open range ``[start, end)``: on ``end`` it has
already left. :class:`OrgTree` checks all memberships once, when it is built,
and reports every problem together; afterwards it answers queries for any date.

Queries are fast because time is bucketed: the sorted membership boundary dates
split it into intervals within which every parent is fixed. Each node keeps,
computed on first use, its ancestor chain per run of intervals; a child's chain
is its parent's own lineage tuple, so the reps of one team share one tuple.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import date
from operator import itemgetter
from typing import Any, Self

from perfkit._org_build import (
    _NEAR,
    _RECORD_KEYS,
    Membership,
    _checked,
    _cycle_core,
    _cycles,
    _dangling,
    _Kids,
    _overlap,
    _Piece,
    _plain,
    _slice,
    _Span,
    _span_text,
    _Spans,
    _Timeline,
    _to_date,
    _under,
)
from perfkit.errors import OrgTreeError

__all__ = ["Membership", "OrgTree"]


class OrgTree:
    """An effective-dated forest of node ids, checked once and immutable after.

    Every query takes the date ``on`` (a ``date`` or ``'YYYY-MM-DD'``), because
    the answer depends on it. A node that appears only as a parent is a root on
    all dates.

    Args:
        memberships: every :class:`Membership`, in any order.

    Raises:
        OrgTreeError: listing every problem found: bad ids or dates, ``start >=
            end``, a node that is its own parent, two memberships of one node
            overlapping in time, a parent missing from the tree while a child
            sits under it, and a cycle on any date (its nodes and start date).
    """

    __slots__ = (
        "_anc", "_bounds", "_core", "_history", "_ids", "_kids", "_lin", "_roots",
        "_spans", "_static",
    )  # fmt: skip

    def __init__(self, memberships: Iterable[Membership]) -> None:
        self._build(enumerate(memberships), [], "membership")

    @classmethod
    def from_paths(cls, paths: Iterable[str]) -> Self:
        """Build a tree valid on all dates from slash paths like ``company/east/team-3``.

        Each segment is a node id, the first a root; paths may share prefixes.

        Raises:
            OrgTreeError: for empty segments, or an id found under two parents.
        """
        problems: list[str] = []
        parent_of: dict[str, str | None] = {}
        origin: dict[str, str] = {}
        items: Iterable[object] = paths
        for k, path in enumerate(items):
            parts = path.split("/") if isinstance(path, str) else [""]
            if not all(parts):
                problems.append(f"path {k}: {path!r} is not a path like 'company/east/team-3'")
                continue
            above: str | None = None
            for part in parts:
                known = parent_of.setdefault(part, above)
                where = origin.setdefault(part, str(path))
                if known != above:
                    problems.append(
                        f"node {part!r} is {_under(known)} in {where!r} "
                        f"but {_under(above)} in {path!r}"
                    )
                above = part
        tree = cls.__new__(cls)
        members = [Membership(node, parent) for node, parent in parent_of.items()]
        tree._build(enumerate(members), list(dict.fromkeys(problems)), "membership")
        return tree

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, object]]) -> Self:
        """Build a tree from mappings with keys ``node``, ``parent``, ``start``, ``end``.

        Dates may be ``date`` values or ``'YYYY-MM-DD'`` strings. A missing or
        empty (``None`` or ``""``) parent makes a root; a missing or empty
        start or end leaves the range open.

        Raises:
            OrgTreeError: listing bad records (not a mapping, unknown keys, bad
                ids or dates) together with every problem of the tree itself.
        """
        problems: list[str] = []
        members: list[tuple[int, object]] = []
        items: Iterable[object] = rows
        for k, row in enumerate(items):
            if not isinstance(row, Mapping):
                problems.append(f"record {k}: expected a mapping, got {type(row).__name__}")
                continue
            unknown = sorted(str(key) for key in row if key not in _RECORD_KEYS)
            if unknown:
                problems.append(
                    f"record {k}: unknown key(s) {', '.join(unknown)}; "
                    f"expected {', '.join(_RECORD_KEYS)}"
                )
            node: Any = row.get("node")
            values: list[Any] = [row.get(key) or None for key in _RECORD_KEYS[1:]]
            members.append((k, Membership(node, *values)))  # _build checks them
        tree = cls.__new__(cls)
        tree._build(members, problems, "record")
        return tree

    def _build(self, items: Iterable[tuple[int, object]], problems: list[str], label: str) -> None:
        """Check numbered memberships, index them by interval, or raise with every problem."""
        by_node: dict[str, list[Membership]] = {}
        boundaries: set[date | None] = set()
        referenced: set[str | None] = set()
        for k, item in items:
            m = (
                item
                if type(item) is Membership and _plain(item)
                else _checked(f"{label} {k}", item, problems)
            )
            if m is not None:
                by_node.setdefault(m.node, []).append(m)
                boundaries.add(m.start)
                boundaries.add(m.end)
                referenced.add(m.parent)
        boundaries.discard(None)
        bounds: list[date] = sorted(boundaries)  # type: ignore[arg-type]
        position: dict[date | None, int] = {d: k + 1 for k, d in enumerate(bounds)}
        last = len(bounds) + 1
        position[None] = 0

        def span(m: Membership) -> _Span:
            return position[m.start], last if m.end is None else position[m.end], m.parent

        spans: _Spans = {}
        history: dict[str, tuple[Membership, ...]] = {}
        pending: dict[str, int] = {}
        for node, ms in by_node.items():
            if len(ms) > 1:
                ms.sort(key=lambda m: position[m.start])
            spans[node] = node_spans = tuple(map(span, ms))
            history[node] = tuple(ms)
            pending[node] = sum(m.parent is not None for m in ms)
            reach = 0  # of the memberships so far, the one ending last
            for j in range(1, len(ms)):
                if node_spans[reach][1] > node_spans[j][0]:
                    problems.append(_overlap(node, ms[reach], ms[j]))
                if node_spans[j][1] > node_spans[reach][1]:
                    reach = j
        for up in referenced:
            if up is not None and up not in spans:
                spans[up], pending[up] = ((0, last, None),), 0
                history[up] = (Membership(up, None),)

        kids: _Kids = {}
        roots: list[tuple[str, int, int]] = []
        for node, node_spans in spans.items():
            for s, e, p in node_spans:
                if p is None:
                    roots.append((node, s, e))
                else:
                    kids.setdefault(p, []).append((node, s, e))
        for children in kids.values():
            children.sort()
        roots.sort()
        problems += _dangling(spans, kids, history, bounds)
        core = _cycle_core(spans, kids, pending)
        problems += _cycles(spans, core, bounds)
        if problems:
            if len(problems) == 1:
                raise OrgTreeError(f"invalid org tree: {problems[0]}")
            raise OrgTreeError(
                f"invalid org tree ({len(problems)} problems):\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
        self._bounds, self._spans, self._history = bounds, spans, history
        self._kids, self._roots, self._core = kids, roots, frozenset(core)
        self._static: dict[str, tuple[str, ...]] = {}
        self._anc: dict[str, _Timeline] = {}
        self._lin: dict[str, _Timeline] = {}
        self._ids: list[str] | None = None  # sorted, for did-you-mean hints

    # -- ancestor timelines, computed on first use ------------------------------

    def _timeline(self, node: str) -> _Timeline:
        """Runs of intervals in which ``node``'s ancestors stay the same."""
        chain = self._static.get(node)
        if chain is not None:
            return [(0, len(self._bounds) + 1, chain)]
        timeline = self._anc.get(node)
        if timeline is None:
            if not isinstance(node, str) or node not in self._spans:
                raise self._unknown(node)
            self._ensure(node)
            return self._timeline(node)
        return timeline

    def _ensure(self, node: str) -> None:
        """Compute the timelines of ``node`` and of its uncomputed ancestors, top down.

        Iterative, so a deep tree cannot hit the recursion limit. Nodes that may
        lie on an all-dates cycle are left to :meth:`_lineage`, which builds
        their chains range by range, on dates where the tree is acyclic.
        """
        order, seen = [node], {node}
        for current in order:
            for _, _, up in self._spans[current]:
                if up is None or up in seen or up in self._core:
                    continue
                if up not in self._static and up not in self._anc:
                    seen.add(up)
                    order.append(up)
        last = len(self._bounds) + 1
        for current in reversed(order):
            if current in self._static or current in self._anc:
                continue  # reached by two paths
            timeline: _Timeline = []
            for s, e, chain in self._ancestry(current, 0, last):
                if timeline and timeline[-1][1] == s and timeline[-1][2] == chain:
                    s = timeline.pop()[0]
                timeline.append((s, e, chain))
            if timeline[0][:2] == (0, last):
                self._static[current] = timeline[0][2]
            else:
                self._anc[current] = timeline

    def _ancestry(self, node: str, lo: int, hi: int) -> list[_Piece]:
        pieces: list[_Piece] = []
        for s, e, up in self._spans[node]:
            s, e = max(s, lo), min(e, hi)
            if s < e:
                pieces.extend([(s, e, ())] if up is None else self._lineage(up, s, e))
        return pieces

    def _lineage(self, node: str, lo: int, hi: int) -> list[_Piece]:
        """``(node, *ancestors)`` per run of intervals within ``[lo, hi)``."""
        timeline = self._lin.get(node)
        if timeline is None:
            if node in self._core and node not in self._anc and node not in self._static:
                return [(s, e, (node, *chain)) for s, e, chain in self._ancestry(node, lo, hi)]
            timeline = [(s, e, (node, *chain)) for s, e, chain in self._timeline(node)]
            self._lin[node] = timeline
        return _slice(timeline, lo, hi)

    # -- errors and dates -------------------------------------------------------

    def _unknown(self, node: object) -> OrgTreeError:
        if not isinstance(node, str):
            return OrgTreeError(f"node ids are str, got {type(node).__name__} {node!r}")
        # In a big tree, look only at the ids sorted next to it: difflib is slow.
        if self._ids is None:
            self._ids = sorted(self._spans)
        k = bisect_right(self._ids, node)
        near = self._ids[max(k - _NEAR, 0) : k + _NEAR]
        close = difflib.get_close_matches(node, near, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return OrgTreeError(f"unknown node {node!r}{hint}")

    def _absent(self, node: str, on: object) -> OrgTreeError:
        day, ms = _to_date(on, "on"), self._history[node]
        first, final = ms[0].start, ms[-1].end
        when = f" (before it joined on {first})" if first and day < first else ""
        when = f" (after it left on {final})" if final and day >= final else when
        had = "; ".join(f"{_span_text(m.start, m.end)} {_under(m.parent)}" for m in ms)
        return OrgTreeError(f"node {node!r} is not in the tree on {day}{when}; it is on {had}")

    def _index(self, on: object) -> int:
        """The interval ``on`` falls in."""
        return bisect_right(self._bounds, on if type(on) is date else _to_date(on, "on"))

    def _span_at(self, node: str, i: int, on: object) -> _Span:
        spans = self._spans.get(node) if isinstance(node, str) else None
        if spans is None:
            raise self._unknown(node)
        for span in spans:
            if span[0] <= i < span[1]:
                return span
        raise self._absent(node, on)

    def _kids_at(self, node: str, i: int) -> list[str]:
        return [c for c, s, e in self._kids.get(node, ()) if s <= i < e]

    # -- queries ------------------------------------------------------------------

    def ancestors(self, node: str, on: date | str) -> tuple[str, ...]:
        """The ancestors of ``node`` on ``on``, nearest first, its root last.

        Raises:
            OrgTreeError: if ``node`` is unknown or not in the tree on ``on``.
            InvalidValueError: if ``on`` is not a date.
        """
        try:
            chain = self._static.get(node)
        except TypeError:
            raise self._unknown(node) from None
        if chain is not None and type(on) is date:
            return chain
        i = self._index(on)
        timeline = self._timeline(node)
        k = bisect_right(timeline, i, key=itemgetter(0)) - 1
        if k < 0 or i >= timeline[k][1]:
            raise self._absent(node, on)
        return timeline[k][2]

    def parent(self, node: str, on: date | str) -> str | None:
        """The parent of ``node`` on ``on``, or None if it is a root then."""
        return self._span_at(node, self._index(on), on)[2]

    def children(self, node: str, on: date | str) -> tuple[str, ...]:
        """The children of ``node`` on ``on``, sorted."""
        i = self._index(on)
        self._span_at(node, i, on)
        return tuple(self._kids_at(node, i))

    def descendants(self, node: str, on: date | str) -> tuple[str, ...]:
        """Everything below ``node`` on ``on``: depth first, pre-order, children sorted."""
        i = self._index(on)
        self._span_at(node, i, on)
        found: list[str] = []
        stack = self._kids_at(node, i)[::-1]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(reversed(self._kids_at(current, i)))
        return tuple(found)

    def subtree(self, node: str, on: date | str) -> tuple[str, ...]:
        """``node`` followed by its :meth:`descendants` on ``on``."""
        return (node, *self.descendants(node, on))

    def roots(self, on: date | str) -> tuple[str, ...]:
        """The nodes without a parent on ``on``, sorted."""
        i = self._index(on)
        return tuple(n for n, s, e in self._roots if s <= i < e)

    def nodes(self, on: date | str) -> tuple[str, ...]:
        """Every node in the tree on ``on``, sorted."""
        i = self._index(on)
        return tuple(
            sorted(n for n, sp in self._spans.items() if any(s <= i < e for s, e, _ in sp))
        )

    def path(self, node: str, on: date | str) -> str:
        """The slash path from a root down to ``node`` on ``on``: ``company/east/rep-17``."""
        return "/".join((*reversed(self.ancestors(node, on)), node))

    def find(self, path: str, on: date | str) -> str:
        """The node that a full path, from a root, names on ``on``; every link is checked.

        Raises:
            OrgTreeError: for an empty segment, an unknown id, or a chain that is
                not the tree on ``on`` (the message gives the node's real path).
        """
        parts = path.split("/") if isinstance(path, str) else [""]
        if not all(parts):
            raise OrgTreeError(f"{path!r} is not a path like 'company/east/team-3'")
        for part in parts:
            if part not in self._spans:
                raise self._unknown(part)
        actual = self.path(parts[-1], on)
        if actual != path:
            raise OrgTreeError(
                f"path {path!r} is not in the tree on {_to_date(on, 'on')}: "
                f"{parts[-1]!r} is at {actual!r} then"
            )
        return parts[-1]

    def depth(self, node: str, on: date | str) -> int:
        """How many ancestors ``node`` has on ``on``: 0 for a root."""
        return len(self.ancestors(node, on))

    def contains(self, node: str, on: date | str) -> bool:
        """Whether ``node`` is in the tree on ``on`` (False for an unknown id)."""
        i = self._index(on)
        spans = self._spans.get(node, ()) if isinstance(node, str) else ()
        return any(s <= i < e for s, e, _ in spans)

    def __contains__(self, node: object) -> bool:
        """Whether ``node`` is in the tree on any date."""
        return isinstance(node, str) and node in self._spans

    def history(self, node: str) -> tuple[Membership, ...]:
        """The memberships of ``node``, earliest first; an open root for a parent-only id."""
        if not isinstance(node, str) or node not in self._history:
            raise self._unknown(node)
        return self._history[node]

    def __repr__(self) -> str:
        return f"<OrgTree: {len(self._spans)} nodes, {len(self._bounds)} boundary dates>"
