"""Forecasting one series for a suggestion: choose a method, fall back, borrow seasonality.

For each series this picks what to trust, in floats, and says why in flags:

- more than two seasons: the methods asked for (``auto``: seasonal naive,
  trend + seasonal indices and damped Holt-Winters, additive and
  multiplicative) are backtested on the series' own history; the lowest MASE
  wins (for ``auto``, the mean of the two best, see
  :mod:`perfkit._suggest_backtest`); with exactly two seasons nothing can be
  backtested but seasonal naive, which is used, flagged;
- fewer than two seasons: the level of the series' own history times seasonal
  indices borrowed from its parent (the parent's history, or its children's
  sum) when there is one (``borrowed_seasonal``), else seasonal naive with a
  season, else the mean level (``level``), flagged;
- all zero: zeros, flagged.

The stretch uplift is the chosen quantile of the backtest's errors, each
relative to its fold's mean forecast (so a month forecast near zero cannot
blow it up).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from perfkit._goals_findings import GoalFinding
from perfkit._suggest_backtest import MethodScore, SeriesLab, selection_folds
from perfkit._suggest_input import Series, finding
from perfkit._suggest_methods import AUTO, candidates_for, decompose_indices, level_forecast
from perfkit.errors import InvalidValueError

__all__ = [
    "Draft",
    "ParentSeasons",
    "forecast_series",
    "quantile",
]


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile by linear interpolation between order statistics."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@dataclass
class Draft:
    """A node's forecast while the suggestion is being made."""

    node: str
    method: str
    forecast: list[float]
    scores: tuple[MethodScore, ...] = ()
    uplift: float | None = None
    flags: list[GoalFinding] = field(default_factory=list)


def forecast_series(
    series: Series,
    *,
    m: int,
    horizon: int,
    skip: int,
    method: str,
    folds: int,
    q: float,
    borrowed: list[float] | None,
) -> Draft:
    """Forecast ``horizon`` periods, ``skip`` periods after the end of ``series``.

    Args:
        series: the node's history.
        m: the season length.
        horizon: how many periods to forecast.
        skip: periods between the end of history and the first forecast one.
        method: ``auto``, ``holt_winters`` or a method's name.
        folds: at most this many selection folds.
        q: the quantile of backtest errors (relative to the level) that sets
            the stretch uplift.
        borrowed: seasonal indices (mean 1) by step index modulo ``m``, for a
            series shorter than two seasons; None when there are none.

    Returns:
        the draft: method, forecast, scores, uplift (None without a backtest), flags.
    """
    y, node = series.values, series.node
    n, span = len(y), skip + horizon
    flags = list(series.flags)
    if series.all_zero:
        flags.append(finding("suggest.all-zero", node, "every period is zero: so is the forecast"))
        method = "seasonal_naive" if n >= m else "level"
        return Draft(node, method, [0.0] * horizon, uplift=0.0, flags=flags)
    if n < 2 * m and borrowed is not None:
        return _borrow(series, m, horizon, skip, borrowed, flags)
    candidates = candidates_for(method)
    if n <= 2 * m:
        fallback = "seasonal_naive" if n >= m else "level"
        if candidates != (fallback,):
            flags.append(
                finding(
                    "suggest.fallback",
                    node,
                    f"{n} periods are too few to backtest {method} (it needs more than "
                    f"{2 * m}): {fallback.replace('_', ' ')} instead",
                )
            )
        if n < m:
            return Draft(node, "level", _tail(level_forecast(y, m, span), skip), flags=flags)
        candidates = ("seasonal_naive",)
    lab = SeriesLab(y, m, span, skip)
    first_origin = 2 * m if candidates != ("seasonal_naive",) else m + 1
    folds_used = _folds(n, m, span, folds, first_origin)
    combine = method == AUTO
    best, scores = lab.choose(candidates, folds_used, combine=combine) if folds_used else (None, [])
    chosen = best.method if best is not None else candidates[0]
    forecast = lab.forecast(chosen, n)
    if forecast is None and chosen != "seasonal_naive":
        flags.append(
            finding(
                "suggest.fallback", node, f"{chosen} failed on this series: seasonal naive instead"
            )
        )
        chosen = "seasonal_naive"
        best = next((s for s in scores if s.method == chosen), None)
        forecast = lab.forecast(chosen, n)
    if forecast is None:  # pragma: no cover - seasonal naive applies from one season on
        raise InvalidValueError(f"history for {node!r}: no method could forecast it")
    uplift = None
    if best is not None and best.residuals:
        uplift = max(0.0, quantile(best.residuals, q))
    elif not folds_used:
        flags.append(
            finding(
                "suggest.no-backtest",
                node,
                f"{n} periods leave nothing to backtest on: the error is unknown",
            )
        )
    return Draft(
        node, chosen, _tail(forecast, skip), tuple(s.public() for s in scores), uplift, flags
    )


def _folds(n: int, m: int, span: int, folds: int, first_origin: int) -> list[tuple[int, int]]:
    if first_origin == 2 * m:
        return selection_folds(n, m, span, folds)
    origins = [n - span - k * m for k in range(folds)]
    chosen = [(o, span) for o in origins if o >= first_origin]
    if chosen:
        return chosen
    return [(first_origin, n - first_origin)] if n - first_origin >= 1 else []


def _tail(values: list[float] | None, skip: int) -> list[float]:
    if values is None:  # pragma: no cover - level_forecast applies to any non-empty series
        raise InvalidValueError("no forecast")
    return values[skip:]


def _borrow(
    series: Series, m: int, horizon: int, skip: int, indices: list[float], flags: list[GoalFinding]
) -> Draft:
    y, node = series.values, series.node
    n = len(y)
    k = min(n, m)
    steps = range(series.first + n - k, series.first + n)
    weight = sum(indices[t % m] for t in steps)
    level = sum(y[-k:]) / weight if weight > 0 else sum(y[-k:]) / k
    out_first = series.first + n + skip
    forecast = [level * indices[t % m] for t in range(out_first, out_first + horizon)]
    flags.append(
        finding(
            "suggest.short-history",
            node,
            f"{n} periods, fewer than two seasons: its own level times seasonality "
            "borrowed from its parent",
        )
    )
    return Draft(node, "borrowed_seasonal", forecast, flags=flags)


class ParentSeasons:
    """Seasonal indices of parents, for series too short to have their own.

    A parent's series is its own history when it has two seasons of it, else the
    sum of its children's histories; when neither is long enough, its own
    parent's indices are used, up the chain.

    Args:
        series: every node's series.
        parent: node -> parent node.
        m: the season length.
    """

    def __init__(self, series: Mapping[str, Series], parent: Mapping[str, str], m: int) -> None:
        self._series, self._parent, self._m = series, parent, m
        self._children: dict[str, list[str]] = {}
        for child, above in sorted(parent.items()):
            self._children.setdefault(above, []).append(child)
        self._cache: dict[str, list[float] | None] = {}

    def indices(self, node: str) -> list[float] | None:
        """Indices (mean 1) by step index modulo the season for ``node``'s parent chain."""
        seen = {node}
        above = self._parent.get(node)
        while above is not None and above not in seen:
            found = self._own(above)
            if found is not None:
                return found
            seen.add(above)
            above = self._parent.get(above)
        return None

    def _own(self, node: str) -> list[float] | None:
        if node not in self._cache:
            self._cache[node] = self._compute(node)
        return self._cache[node]

    def _compute(self, node: str) -> list[float] | None:
        m = self._m
        own = self._series.get(node)
        if own is not None and len(own.values) >= 2 * m:
            first, values = own.first, list(own.values)
        else:
            members = [self._series[c] for c in self._children.get(node, ()) if c in self._series]
            if not members:
                return None
            first = min(s.first for s in members)
            end = max(s.first + len(s.values) for s in members)
            values = [0.0] * (end - first)
            for s in members:
                for i, v in enumerate(s.values):
                    values[s.first - first + i] += v
        found = decompose_indices(values, m)
        if found is None:
            return None
        indices, multiplicative = found
        if not multiplicative:
            level = sum(values) / len(values)
            if level <= 0:
                return None
            indices = [1.0 + i / level for i in indices]
            if min(indices) <= 0:
                return None
        by_phase = [0.0] * m
        for j, value in enumerate(indices):
            by_phase[(first + j) % m] = value
        return by_phase
