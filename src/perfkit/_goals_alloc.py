"""Exact splitting in integer quanta, for every level of a goal at once.

:func:`hamilton` is :func:`perfkit.allocate` specialised for the hot loop of a
decomposition: the amount is a whole number of quanta, the weights are already
integers and the parts are given in their tie order (by node id, by period
start), so ties go to the earlier part, exactly as ``allocate`` breaks them by
key. It gives the same parts as ``allocate``; a property test pins that.

:func:`split_levels` splits several levels (base, stretch, ...) by the same
weights so that each part of a higher level is never below the same part of the
level beneath it. Splitting each level on its own cannot promise that: the
largest-remainder method has the Alabama paradox, where a larger total gives one
part less. So every part is its exact share rounded down or up (within one
quantum), the base takes the remainder quanta ``allocate`` gives it, and each
higher level first gives a quantum to the parts that need one to stay in order.
When a level has fewer quanta to hand out than its order needs, the level below
trades some of its own remainder quanta to parts whose share rises past the next
quantum anyway; for two levels such a trade always exists, so a base and a
stretch are always both within one quantum (the base then differs from
``allocate`` by a quantum moved between two parts). With three or more levels,
if no trade exists (no case is known), a level is the one below plus the split
of the gap between them: still exact and in order, within two quanta.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

__all__ = ["Weights", "hamilton", "split_levels"]


def hamilton(units: int, weights: Sequence[int], total: int) -> list[int]:
    """Split ``units`` quanta by integer ``weights`` (summing to ``total`` > 0), exactly.

    Parts come in the order of ``weights``, which must be their tie order.
    Negative ``units`` give the negated split of ``-units``, as ``allocate`` does.
    """
    if units < 0:
        return [-part for part in hamilton(-units, weights, total)]
    if units == 0:
        return [0] * len(weights)
    pairs = [divmod(units * w, total) for w in weights]
    parts = [q for q, _ in pairs]
    left = units - sum(parts)
    if left:
        rests = [r for _, r in pairs]
        # A stable sort, reversed: largest remainder first, ties in input order.
        for k in sorted(range(len(rests)), key=rests.__getitem__, reverse=True)[:left]:
            parts[k] += 1
    return parts


def _floors(units: int, weights: Sequence[int], total: int) -> tuple[list[int], list[int]]:
    """Each part's exact share ``units * w / total`` as its floor and its remainder (>= 0)."""
    pairs = [divmod(units * w, total) for w in weights]
    return [q for q, _ in pairs], [r for _, r in pairs]


def _priority(units: int, rests: list[int]) -> list[int]:
    """Parts in the order they receive a remainder quantum, as ``allocate`` orders them.

    Largest remainder first; ties to the earlier part for a positive amount and
    to the later one for a negative amount, because ``allocate(-x) == -allocate(x)``
    rounds the negative amount's magnitude.
    """
    count = len(rests)
    if units >= 0:
        order = sorted(range(count), key=rests.__getitem__, reverse=True)
    else:
        order = sorted(range(count - 1, -1, -1), key=rests.__getitem__, reverse=True)
    return [k for k in order if rests[k]]


def _chain(
    levels: Sequence[int],
    weights: Sequence[int],
    total: int,
    first: set[int] | None = None,
    held: frozenset[int] = frozenset(),
) -> list[list[int]]:
    """Split non-decreasing ``levels`` so that parts never decrease from a level to the next.

    Every part is its exact share's floor or floor + 1. Level 0 takes the
    remainder quanta ``allocate`` would give it. Each higher level must give one
    to every part that shares its floor with the level below and got one there;
    the rest go by priority. When those required quanta are more than the level
    has, the level below trades some of them for parts whose floor rises anyway
    (a two-level split always can), and only if it cannot is the level the one
    below plus the split of the gap, within two quanta.

    ``first`` gives level 0's remainder quanta instead (a base already chosen),
    and ``held`` the parts whose level-0 quantum a level beneath it requires.
    """
    floors, rests = zip(*(_floors(units, weights, total) for units in levels), strict=True)
    left = [units - sum(f) for units, f in zip(levels, floors, strict=True)]
    ups = [set(_priority(levels[0], rests[0])[: left[0]]) if first is None else set(first)]
    for j in range(1, len(levels)):
        below_f, below_r, here_f = floors[j - 1], rests[j - 1], floors[j]
        tied = {k for k in range(len(weights)) if below_f[k] == here_f[k] and below_r[k]}
        required = ups[j - 1] & tied
        if len(required) > left[j]:
            traded = _trade(j - 1, len(required) - left[j], tied, ups, floors, rests, levels, held)
            if traded is None:
                return _with_gaps(levels, weights, total, floors, ups, j)
            required = traded
        extra = [k for k in _priority(levels[j], rests[j]) if k not in required]
        ups.append(required | set(extra[: left[j] - len(required)]))
    return [[q + (k in up) for k, q in enumerate(f)] for f, up in zip(floors, ups, strict=True)]


def _trade(
    j: int,
    need: int,
    tied: set[int],
    ups: list[set[int]],
    floors: Sequence[list[int]],
    rests: Sequence[list[int]],
    levels: Sequence[int],
    held: frozenset[int] | set[int],
) -> set[int] | None:
    """Move ``need`` of level ``j``'s quanta from tied parts to untied ones, or None."""
    if j > 0:
        f0, r0 = floors[j - 1], rests[j - 1]
        held = {k for k in ups[j - 1] if f0[k] == floors[j][k] and r0[k]}
    order = _priority(levels[j], rests[j])
    give_up = [k for k in reversed(order) if k in ups[j] and k in tied and k not in held]
    take = [k for k in order if k not in ups[j] and k not in tied]
    if len(give_up) < need or len(take) < need:
        return None
    ups[j] = (ups[j] - set(give_up[:need])) | set(take[:need])
    return ups[j] & tied


def _with_gaps(
    levels: Sequence[int],
    weights: Sequence[int],
    total: int,
    floors: Sequence[list[int]],
    ups: list[set[int]],
    j: int,
) -> list[list[int]]:
    """Levels below ``j`` as chosen; from ``j`` on, the level below plus its gap's split."""
    result = [[q + (k in up) for k, q in enumerate(f)] for f, up in zip(floors, ups, strict=False)]
    for level in range(j, len(levels)):
        gap = hamilton(levels[level] - levels[level - 1], weights, total)
        result.append([b + g for b, g in zip(result[-1], gap, strict=True)])
    return result


def split_levels(
    levels: Sequence[int], weights: Sequence[int], total: int, base: int
) -> list[list[int]]:
    """Split each level's units by ``weights``; parts keep the levels' order.

    The ``base`` level is split exactly as ``allocate`` would, unless keeping a
    higher level within one quantum of its exact share needs one of the base's
    remainder quanta moved (rare: the Alabama paradox of largest remainders).

    Args:
        levels: units per level, lowest level first (non-decreasing).
        weights: integer weights in tie order.
        total: the sum of ``weights``, > 0.
        base: the index of the level that ``allocate`` would split.

    Returns:
        per level, the parts in the order of ``weights``.
    """
    if len(levels) == 1:
        return [hamilton(levels[0], weights, total)]
    if base == 0:
        return _chain(levels, weights, total)
    # Levels below the base: the same chain on the negated, reversed levels.
    mirrored = _chain([-units for units in reversed(levels[: base + 1])], weights, total)
    lower = [[-part for part in parts] for parts in reversed(mirrored)]
    floors, _ = _floors(levels[base], weights, total)
    first = {k for k, part in enumerate(lower[-1]) if part > floors[k]}
    below, _ = _floors(levels[base - 1], weights, total)
    held = frozenset(k for k in first if below[k] == floors[k] and lower[-2][k] > below[k])
    upper = _chain(levels[base:], weights, total, first, held)
    return lower[:-1] + upper


class Weights:
    """Integer weights in tie order, prepared for splitting many amounts fast.

    Parts with equal weights have equal shares, so each distinct weight is
    divided once, and a remainder quantum given to such a class goes to its
    earliest parts: a year's 53 week slots have two or three distinct weights,
    and a team's reps split evenly have one. The results are exactly those of
    :func:`hamilton` and :func:`split_levels`.
    """

    __slots__ = ("_classes", "_common", "_ranges", "total", "values")

    def __init__(self, values: Sequence[int]) -> None:
        self.values = tuple(values)
        self.total = sum(self.values)
        groups: dict[int, list[int]] = {}
        for k, w in enumerate(self.values):
            groups.setdefault(w, []).append(k)
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
        self._common = ordered[0][0] if ordered else 0
        self._classes = tuple((w, tuple(idx)) for w, idx in ordered)
        self._ranges = tuple(
            (idx[0], idx[-1] + 1) if idx[-1] - idx[0] + 1 == len(idx) else None
            for _, idx in self._classes
        )

    def __len__(self) -> int:
        return len(self.values)

    def _shares(self, units: int) -> list[tuple[int, int]]:
        """Per class, for ``units >= 0``: each part's floor and how many parts get one more."""
        total, classes = self.total, self._classes
        floors, rests = [], []
        given = 0
        for w, idx in classes:
            q, r = divmod(units * w, total)
            floors.append(q)
            rests.append(r)
            given += q * len(idx)
        ups = [0] * len(classes)
        left = units - given
        if left:
            order = sorted(range(len(classes)), key=rests.__getitem__, reverse=True)
            i = 0
            while left:
                j = i + 1
                while j < len(order) and rests[order[j]] == rests[order[i]]:
                    j += 1
                if j == i + 1:  # one class with this remainder: its first parts
                    take = min(left, len(classes[order[i]][1]))
                    ups[order[i]] = take
                    left -= take
                else:  # classes tied on remainder: by part order across them
                    tied = sorted((k, c) for c in order[i:j] for k in classes[c][1])
                    for _, c in tied[:left]:
                        ups[c] += 1
                    left -= min(left, len(tied))
                i = j
        return list(zip(floors, ups, strict=True))

    def _expand(self, shares: list[tuple[int, int]]) -> list[int]:
        parts = [shares[0][0]] * len(self.values) if shares else []
        for (q, up), (w, idx), span in zip(shares, self._classes, self._ranges, strict=True):
            if span is not None:
                a, b = span
                if up:
                    parts[a : a + up] = [q + 1] * up
                if w != self._common:
                    parts[a + up : b] = [q] * (b - a - up)
                continue
            for n, k in enumerate(idx):
                parts[k] = q + 1 if n < up else q
        return parts

    def split(self, units: int) -> list[int]:
        """Split ``units`` quanta exactly as :func:`hamilton` does (``total`` must be > 0)."""
        if units < 0:
            return [-part for part in self.split(-units)]
        return self._expand(self._shares(units))

    def split_levels(self, levels: Sequence[int], base: int) -> list[list[int]]:
        """Split several levels exactly as :func:`split_levels` does."""
        if levels and levels[0] >= 0:
            shares = [self._shares(units) for units in levels]
            for low, high in itertools.pairwise(shares):
                for (qb, ub), (qs, us) in zip(low, high, strict=True):
                    if qs < qb or (qs == qb and us < ub):
                        return split_levels(levels, self.values, self.total, base)
            return [self._expand(s) for s in shares]
        parts = [self.split(units) for units in levels]
        for below, above in itertools.pairwise(parts):
            if not all(map(operator.le, below, above)):
                return split_levels(levels, self.values, self.total, base)
        return parts
