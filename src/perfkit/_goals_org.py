"""The org axis of a plan: one row per node and stretch of membership, with its totals.

The owner's row carries the goal's levels. Each org step splits every row made
by the step before among the children the node has during the row's dates:
a child that sits under the node for part of them gets a row for that part
only, so a person who moves teams mid-year has one row under each team, each
carrying that team's share for the time spent in it. A child's weight is its
step weight (even, explicit, history, tier) times its availability: the share
of the parent's time profile it is present for, ramp included. The children's
totals are the parent's times the step's over-assignment, rounded at the quantum,
split exactly by :func:`~perfkit._goals_alloc.split_levels`. Finally each split
row takes its children's combined time profile, so that a team's periods hold
what its members' periods hold when people join, leave or move.

The org tree answers questions for one date; a plan needs every child a node
has over a period, so this module reads the tree's memberships once (the one
place goals look inside :class:`~perfkit.OrgTree`).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from perfkit._goals_actuals import HistoryView
from perfkit._goals_alloc import Weights
from perfkit._goals_model import Decomposition, Goal, OrgSplit
from perfkit._goals_presence import Presence, Segment
from perfkit._goals_time import TimeTree, _shares, shift_back
from perfkit._numbers import quantize, to_fraction
from perfkit._org import OrgTree
from perfkit._time import Period
from perfkit.errors import InvalidValueError, OrgTreeError

__all__ = ["OrgResult", "Row", "plan_rows"]

_OPEN_START = datetime.date.min.toordinal()
_OPEN_END = datetime.date.max.toordinal()


class Row(NamedTuple):
    """A node's stretch ``[start, end)`` (ordinals) under its parent row in a plan."""

    node: str
    parent: int  # the parent row, -1 for the owner's
    start: int
    end: int
    depth: int  # 0 for the owner
    step: int  # the org step that made it, -1 for the owner's row


@dataclass
class OrgResult:
    """Rows, their totals per level (in quanta), and each row's time profile."""

    rows: list[Row] = field(default_factory=list)
    totals: list[list[int]] = field(default_factory=list)
    profile: list[int] = field(default_factory=list)  # index into ``profiles``
    profiles: list[Weights] = field(default_factory=list)
    handed: list[list[int]] = field(default_factory=list)  # org steps: parents' totals per level
    received: list[list[int]] = field(default_factory=list)


def _children_index(tree: OrgTree) -> dict[str, list[tuple[str, int, int]]]:
    """Parent -> ``(child, start, end)`` for every membership, merged where adjacent.

    OrgTree answers queries for one date; a plan needs every child a node has
    over a period, so this reads its memberships once (``OrgTree.history`` per
    node, over the node ids the tree holds).
    """
    index: dict[str, list[tuple[str, int, int]]] = {}
    for node, memberships in tree._history.items():  # every node id the tree knows
        for m in memberships:
            if m.parent is None:
                continue
            start = _OPEN_START if m.start is None else m.start.toordinal()
            end = _OPEN_END if m.end is None else m.end.toordinal()
            index.setdefault(m.parent, []).append((node, start, end))
    for kids in index.values():
        kids.sort()
        merged: list[tuple[str, int, int]] = []
        for kid in kids:
            if merged and merged[-1][0] == kid[0] and merged[-1][2] == kid[1]:
                merged[-1] = (kid[0], merged[-1][1], kid[2])
            else:
                merged.append(kid)
        kids[:] = merged
    return index


def _ratio(value: Fraction | Decimal | int) -> tuple[int, int]:
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        return value.as_integer_ratio()
    return value.numerator, value.denominator


def _to_ints(values: Sequence[Fraction | Decimal | int]) -> list[int]:
    """Exact weights as integers with one common scale."""
    ratios = [_ratio(v) for v in values]
    scale = math.lcm(*{den for _, den in ratios}) if ratios else 1
    return [num * (scale // den) for num, den in ratios]


class _Planner:
    """Builds the rows of one decomposition."""

    def __init__(
        self,
        goal: Goal,
        period: Period,
        spec: Decomposition,
        tree: OrgTree,
        time: TimeTree,
        presence: Presence,
        history: HistoryView,
        targets: HistoryView,
        hire_dates: Mapping[str, datetime.date],
    ) -> None:
        self.goal, self.period, self.spec, self.tree, self.time = goal, period, spec, tree, time
        self.presence, self.history, self.targets, self.hire_dates = (
            presence,
            history,
            targets,
            hire_dates,
        )
        self.window = presence.window
        self.kids = _children_index(tree)
        self.slots = time.leaf_slots()
        self.result = OrgResult()
        self.result.profiles.append(Weights(time.weights))
        self._profile_keys: dict[tuple[int, int, tuple[Segment, ...]], int] = {}
        self._splits: dict[int, tuple[list[int], list[int]]] = {}
        self._availability: list[Fraction] = []

    # -- presence ---------------------------------------------------------------

    def _is_person(self, node: str) -> bool:
        low, high = self.window
        return not any(s < high and e > low for _, s, e in self.kids.get(node, ()))

    def _segments(self, node: str) -> tuple[Segment, ...]:
        if not self.spec.ramp or not self._is_person(node):
            return self.presence.ramp(datetime.date(1, 1, 1), ())
        start = self.hire_dates.get(node)
        if start is None:
            start = self.tree.history(node)[0].start
        if start is None:  # present since always: tenured
            return self.presence.ramp(datetime.date(1, 1, 1), ())
        return self.presence.ramp(start, self.spec.ramp)

    def _profile(self, node: str, start: int, end: int) -> tuple[int, Fraction]:
        """The row's time profile (an index) and its availability weight."""
        segments = self._segments(node)
        if (start, end) == self.window and len(segments) == 1:
            return 0, Fraction(self.result.profiles[0].total)
        key = (start, end, segments)
        index = self._profile_keys.get(key)
        if index is None:
            carried = self.presence.availability(self.slots, (start, end), segments)
            exact = [w * a for w, a in zip(self.time.weights, carried, strict=True)]
            index = len(self.result.profiles)
            self.result.profiles.append(Weights(_to_ints(exact)))
            self._profile_keys[key] = index
            self._availability.append(sum(exact, Fraction(0)))
        return index, self._availability[index - 1]

    def _add(self, row: Row, totals: list[int], profile: int) -> int:
        result = self.result
        result.rows.append(row)
        result.totals.append(totals)
        result.profile.append(profile)
        return len(result.rows) - 1

    # -- the steps ----------------------------------------------------------------

    def run(self, levels: list[int], base: int) -> OrgResult:
        owner = self.goal.owner
        spans = sorted(
            (max(m.start.toordinal() if m.start else _OPEN_START, self.window[0]),
             min(m.end.toordinal() if m.end else _OPEN_END, self.window[1]))
            for m in self.tree.history(owner)
        )  # fmt: skip
        spans = [s for s in spans if s[0] < s[1]]
        if not spans:
            raise OrgTreeError(f"goal.owner: {owner!r} is not in the org tree during {self.period}")
        start, end = spans[0]
        for s, e in spans[1:]:
            if s > end:
                raise OrgTreeError(
                    f"goal.owner: {owner!r} leaves and rejoins the org tree during "
                    f"{self.period}; give one goal per stretch"
                )
            end = max(end, e)
        root = Row(owner, -1, start, end, 0, -1)
        frontier = [self._add(root, levels, self._profile(owner, start, end)[0])]
        for k, step in enumerate(self.spec.org):
            frontier = self._step(k, step, frontier, base)
        self._aggregate()
        return self.result

    def _aggregate(self) -> None:
        """Give each split row its children's combined time profile, bottom up.

        A child's profile is the plan's time weights times its presence; its
        parent's periods then hold what its children's periods hold (up to
        rounding and over-assignment), even when people join, leave or move.
        With everyone present throughout, every profile is the plan's own.
        """
        result = self.result
        for r in range(len(result.rows) - 1, -1, -1):
            split = self._splits.get(r)
            if split is None:
                continue
            kids, ints = split
            if all(result.profile[c] == 0 for c in kids) and result.profile[r] == 0:
                continue  # everyone present throughout: the plan's own weights
            combined = [Fraction(0)] * len(self.slots)
            for c, weight in zip(kids, ints, strict=True):
                profile = result.profiles[result.profile[c]]
                if weight and profile.total:
                    scale = Fraction(weight, profile.total)
                    for t, value in enumerate(profile.values):
                        if value:
                            combined[t] += scale * value
            if any(combined):
                result.profiles.append(Weights(_to_ints(combined)))
                result.profile[r] = len(result.profiles) - 1

    def _step(self, k: int, step: OrgSplit, frontier: list[int], base: int) -> list[int]:
        for node in sorted(step.weights or {}):
            if node not in self.tree:  # a typo: the tree's message suggests near ids
                try:
                    self.tree.history(node)
                except OrgTreeError as exc:
                    raise OrgTreeError(f"decompose.org[{k}].weights: {exc}") from None
        made: list[int] = []
        handed = [0] * len(self.result.totals[0])
        received = [0] * len(handed)
        used: set[str] = set()
        for parent in frontier:
            row = self.result.rows[parent]
            kids = [
                (child, max(s, row.start), min(e, row.end))
                for child, s, e in self.kids.get(row.node, ())
                if s < row.end and e > row.start
            ]
            if not kids:
                continue  # a leaf before the last step stays a leaf
            weights = self._weights(k, step, row, [c for c, _, _ in kids], used)
            profiles = [self._profile(child, s, e) for child, s, e in kids]
            if all(index == 0 for index, _ in profiles):  # all present throughout: no factor
                ints = _to_ints([weights[child] for child, _, _ in kids])
            else:
                ints = _to_ints(
                    [
                        to_fraction(weights[child]) * available
                        for (child, _, _), (_, available) in zip(kids, profiles, strict=True)
                    ]
                )
            parent_totals = self.result.totals[parent]
            totals = [
                int(quantize(Fraction(u) * to_fraction(step.over_assign), 1, self.spec.rounding))
                for u in parent_totals
            ]
            if not sum(ints):
                if any(totals):
                    raise InvalidValueError(
                        f"decompose.org[{k}]: none of the children of {row.node!r} carries any "
                        f"weight on {_span(row.start, row.end)}, so its target has nobody "
                        "to go to (check weights, history and presence)"
                    )
                parts = [[0] * len(kids) for _ in totals]
            else:
                parts = Weights(ints).split_levels(totals, base)
            first = len(self.result.rows)
            for j, (child, s, e) in enumerate(kids):
                child_row = Row(child, parent, s, e, row.depth + 1, k)
                totals_j = [level[j] for level in parts]
                made.append(self._add(child_row, totals_j, profiles[j][0]))
            self._splits[parent] = (list(range(first, len(self.result.rows))), ints)
            handed = [h + u for h, u in zip(handed, parent_totals, strict=True)]
            received = [r + u for r, u in zip(received, totals, strict=True)]
        if step.by == "weights":
            self._check_unused(k, step, used)
        self.result.handed.append(handed)
        self.result.received.append(received)
        return made

    def _check_unused(self, k: int, step: OrgSplit, used: set[str]) -> None:
        for node in sorted(set(step.weights or {}) - used):
            raise InvalidValueError(
                f"decompose.org[{k}].weights: {node!r} is not a child of any node split "
                f"at this step during {self.period}"
            )

    def _weights(
        self, k: int, step: OrgSplit, row: Row, children: list[str], used: set[str]
    ) -> dict[str, Fraction | Decimal | int]:
        nodes = list(dict.fromkeys(children))
        if step.by == "even":
            return dict.fromkeys(nodes, 1)
        if step.by == "weights":
            given = step.weights or {}
            missing = [n for n in nodes if n not in given]
            if missing:
                raise InvalidValueError(
                    f"decompose.org[{k}].weights: no weight for {', '.join(map(repr, missing))} "
                    f"(children of {row.node!r} during {_span(row.start, row.end)})"
                )
            used.update(nodes)
            return {n: given[n] for n in nodes}
        if step.by == "history":
            return dict(self._history_weights(k, step, row, nodes))
        return dict(self._tier_weights(k, step, row, nodes))

    def _windows(self, step: OrgSplit) -> list[tuple[Period, Decimal]]:
        basis = step.history_basis
        if basis.trailing_12_months:
            start = self.period.start
            return [(Period(start.subtract(months=12), start), Decimal(1))]
        return [(shift_back(self.period, y, "goal"), w) for y, w in basis.years_back.items()]

    def _history_weights(
        self, k: int, step: OrgSplit, row: Row, nodes: list[str]
    ) -> dict[str, Fraction]:
        blended = dict.fromkeys(nodes, Fraction(0))
        for window, weight in self._windows(step):
            values = [self.history.total(n, window) for n in nodes]
            where = f"decompose.org[{k}]: the history in {window} of the children of {row.node!r}"
            shares = _shares(values, step.history_basis.missing, where, [repr(n) for n in nodes])
            for node, share in zip(nodes, shares, strict=True):
                blended[node] += to_fraction(weight) * share
        return blended

    def _tier_weights(
        self, k: int, step: OrgSplit, row: Row, nodes: list[str]
    ) -> dict[str, Decimal]:
        tiers = step.tiers or {}
        assign = step.assign or {}
        last_year = shift_back(self.period, 1, "goal")
        result: dict[str, Decimal] = {}
        for node in nodes:
            tier = assign.get(node)
            if tier is None and step.tier_by_attainment is not None:
                tier = self._tier_from_attainment(step, node, last_year)
            tier = tier or step.default_tier
            if tier is None:
                raise InvalidValueError(
                    f"decompose.org[{k}]: no tier for {node!r} (a child of {row.node!r}): "
                    f"assign one, give its history for {last_year}, or set default_tier"
                )
            result[node] = tiers[tier]
        return result

    def _tier_from_attainment(self, step: OrgSplit, node: str, window: Period) -> str | None:
        actual = self.history.total(node, window)
        target = self.targets.total(node, window)
        if actual is None or not target:
            return None
        attainment = to_fraction(actual) / to_fraction(target)
        reached = [
            (minimum, tier)
            for tier, minimum in (step.tier_by_attainment or {}).items()
            if attainment >= minimum
        ]
        return max(reached)[1] if reached else None


def _span(start: int, end: int) -> str:
    last = datetime.date.fromordinal(end - 1)
    return f"{datetime.date.fromordinal(start)}..{last}"


def plan_rows(
    goal: Goal,
    period: Period,
    spec: Decomposition,
    tree: OrgTree,
    time: TimeTree,
    presence: Presence,
    history: HistoryView,
    targets: HistoryView,
    hire_dates: Mapping[str, datetime.date],
    levels: list[int],
    base: int,
) -> OrgResult:
    """Split ``levels`` (units, lowest first) from the goal's owner down the org steps.

    Raises:
        OrgTreeError: for an owner not in the tree during the period, or an
            unknown node in explicit weights.
        InvalidValueError: naming the step, node and dates, for missing
            weights, unusable history, a child without a tier, or a parent whose
            children carry no weight.
    """
    planner = _Planner(goal, period, spec, tree, time, presence, history, targets, hire_dates)
    return planner.run(levels, base)
