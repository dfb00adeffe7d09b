"""Forecasting methods for suggested targets, in plain Python floats.

Forecasts are estimates, not money: they run on floats here, and only the
targets built from them are rounded to Decimals (in :mod:`perfkit._suggest`).
Every method is a pure function of its training window, so a backtest fold and
a final forecast on the same data agree exactly, and results are deterministic.

The methods, simplest first (the order breaks ties when choosing):

- ``seasonal_naive``: each future period repeats the same period one season
  earlier. The baseline every other method has to beat.
- ``trend_seasonal``: classical decomposition. Seasonal indices from the ratio
  (or, when some values are not positive, the difference) to a centred moving
  average; a straight line through the last three seasons of seasonally
  adjusted history; the forecast is the line times (plus) the indices.
- ``hw_additive``, ``hw_additive_damped``, ``hw_multiplicative``,
  ``hw_multiplicative_damped``: Holt-Winters exponential smoothing with
  additive or multiplicative seasonality, with a linear or damped trend.
  Initial states come from a decomposition of the first seasons (the heuristic
  of Hyndman et al., 2008); the smoothing parameters minimise the one-step
  squared error, by a coarse grid and a pattern search.

``auto`` chooses among seasonal naive, trend + seasonal and the two damped
Holt-Winters variants (:data:`AUTO_METHODS`); ``holt_winters`` among the four
Holt-Winters variants.

A method returns ``None`` where it does not apply (too short a window, or
non-positive values for a multiplicative model) or when its arithmetic fails;
it never returns NaN or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from perfkit.errors import InvalidValueError

__all__ = [
    "AUTO",
    "AUTO_METHODS",
    "HOLT_WINTERS",
    "METHODS",
    "MethodSpec",
    "candidates_for",
    "decompose_indices",
    "level_forecast",
    "min_length",
    "run_method",
    "seasonal_naive",
    "trend_seasonal",
]

Forecast = list[float] | None


class MethodSpec(NamedTuple):
    """A forecasting method: its name, the shortest window it needs and its function."""

    name: str
    seasons_needed: int
    function: Callable[[Sequence[float], int, int], Forecast]


def _finite(values: list[float]) -> Forecast:
    return values if all(math.isfinite(v) for v in values) else None


def seasonal_naive(y: Sequence[float], m: int, h: int) -> Forecast:
    """Repeat the last season: the forecast for step ``k`` is ``y[n - m + (k - 1) % m]``."""
    n = len(y)
    if n < m:
        return None
    return [y[n - m + k % m] for k in range(h)]


def level_forecast(y: Sequence[float], m: int, h: int) -> Forecast:
    """The mean of the last season (or of all values when fewer), flat."""
    if not y:
        return None
    tail = y[-m:]
    return [sum(tail) / len(tail)] * h


def _centred_average(y: Sequence[float], m: int) -> list[float | None]:
    """The centred moving average of one season (2 x m when m is even)."""
    n = len(y)
    out: list[float | None] = [None] * n
    half = m // 2
    if m % 2:
        for t in range(half, n - half):
            out[t] = sum(y[t - half : t + half + 1]) / m
    else:
        for t in range(half, n - half):
            inner = sum(y[t - half + 1 : t + half])
            out[t] = (inner + 0.5 * (y[t - half] + y[t + half])) / m
    return out


def decompose_indices(y: Sequence[float], m: int) -> tuple[list[float], bool] | None:
    """Seasonal indices of ``y`` by classical decomposition, and whether they multiply.

    Indices multiply (mean 1) when every value is positive, else they add (mean 0).
    Index ``j`` belongs to positions ``t`` with ``t % m == j``. Needs two seasons.
    """
    n = len(y)
    if n < 2 * m:
        return None
    average = _centred_average(y, m)
    multiplicative = min(y) > 0
    sums, counts = [0.0] * m, [0] * m
    for t, ma in enumerate(average):
        if ma is None:
            continue
        if multiplicative:
            if ma <= 0:
                return None
            sums[t % m] += y[t] / ma
        else:
            sums[t % m] += y[t] - ma
        counts[t % m] += 1
    if min(counts) == 0:
        return None
    raw = [s / c for s, c in zip(sums, counts, strict=True)]
    mean = sum(raw) / m
    if multiplicative:
        if mean <= 0 or min(raw) <= 0:
            return None
        return [r / mean for r in raw], True
    return [r - mean for r in raw], False


def _line(values: Sequence[float], first: int) -> tuple[float, float]:
    """Least-squares ``(intercept, slope)`` of values at times first, first + 1, ..."""
    k = len(values)
    if k == 1:
        return values[0], 0.0
    mean_t = first + (k - 1) / 2
    mean_v = sum(values) / k
    num = sum((first + i - mean_t) * (v - mean_v) for i, v in enumerate(values))
    den = sum((first + i - mean_t) ** 2 for i in range(k))
    slope = num / den
    return mean_v - slope * mean_t, slope


def trend_seasonal(y: Sequence[float], m: int, h: int) -> Forecast:
    """Classical decomposition: a line through the last three seasons times the indices."""
    found = decompose_indices(y, m)
    if found is None:
        return None
    indices, multiplicative = found
    n = len(y)
    if multiplicative:
        adjusted = [y[t] / indices[t % m] for t in range(n)]
    else:
        adjusted = [y[t] - indices[t % m] for t in range(n)]
    first = max(0, n - 3 * m)
    intercept, slope = _line(adjusted[first:], first)
    out = []
    for t in range(n, n + h):
        trend = intercept + slope * t
        out.append(trend * indices[t % m] if multiplicative else trend + indices[t % m])
    return _finite(out)


# --- Holt-Winters ------------------------------------------------------------------


class _Start(NamedTuple):
    level: float
    trend: float
    season: list[float]


def _initial_state(y: Sequence[float], m: int, multiplicative: bool) -> _Start | None:
    """Initial level, trend and seasonal states from the first seasons.

    Seasonal states come from a classical decomposition of the first (up to
    three) seasons; level and trend from a line through the first
    ``max(10, 2m)`` seasonally adjusted values, read at time -1.
    """
    head = y[: min(len(y), 3 * m)]
    found = decompose_indices(head, m)
    if found is None:
        return None
    indices, is_mul = found
    if multiplicative and not is_mul:
        return None
    if not multiplicative and is_mul:
        # Additive states from multiplicative indices: scale them by the mean level.
        level = sum(head) / len(head)
        indices = [(i - 1.0) * level for i in indices]
    k = min(max(10, 2 * m), len(y))
    if multiplicative:
        adjusted = [y[t] / indices[t % m] for t in range(k)]
    else:
        adjusted = [y[t] - indices[t % m] for t in range(k)]
    intercept, slope = _line(adjusted, 0)
    return _Start(intercept - slope, slope, indices)


def _filter(
    y: Sequence[float],
    phases: Sequence[int],
    start: _Start,
    params: tuple[float, float, float, float],
    mul: bool,
) -> tuple[float, float, float, list[float]] | None:
    """Run the smoothing filter over ``y`` in error-correction form.

    Returns:
        the one-step squared error and the final level, trend and seasonal
        states; None when the level of a multiplicative model reaches zero.
    """
    alpha, beta, gamma, phi = params
    level, trend = start.level, start.trend
    season = list(start.season)
    ab = alpha * beta
    sse = 0.0
    if mul:
        for value, i in zip(y, phases, strict=True):
            s = season[i]
            damped = phi * trend
            base = level + damped
            error = value - base * s
            sse += error * error
            relative = error / s
            level = base + alpha * relative
            if level <= 0.0:
                return None
            trend = damped + ab * relative
            season[i] = s + gamma * (value / level - s)
    else:
        gc = gamma * (1.0 - alpha)
        for value, i in zip(y, phases, strict=True):
            s = season[i]
            damped = phi * trend
            error = value - level - damped - s
            sse += error * error
            level += damped + alpha * error
            trend = damped + ab * error
            season[i] = s + gc * error
    return sse, level, trend, season


def _sse(
    y: Sequence[float],
    phases: Sequence[int],
    start: _Start,
    params: tuple[float, float, float, float],
    mul: bool,
) -> float:
    """One-step squared error of the filter; infinity when it breaks down."""
    result = _filter(y, phases, start, params, mul)
    if result is None or not math.isfinite(result[0]):
        return math.inf
    return result[0]


def _hw_forecast(
    y: Sequence[float],
    phases: Sequence[int],
    m: int,
    h: int,
    start: _Start,
    params: tuple[float, float, float, float],
    mul: bool,
) -> Forecast:
    result = _filter(y, phases, start, params, mul)
    if result is None:
        return None
    _, level, trend, season = result
    phi = params[3]
    n = len(y)
    out = []
    damp = 0.0
    factor = 1.0
    for k in range(h):
        factor *= phi
        damp += factor
        s = season[(n + k) % m]
        base = level + damp * trend
        out.append(base * s if mul else base + s)
    return _finite(out)


# The search runs in a box: alpha, beta as a share of alpha, gamma as a share of
# 1 - alpha (so the usual constraints beta <= alpha, gamma <= 1 - alpha hold) and
# phi between these bounds.
_ALPHA = (0.01, 0.99)
_PHI = (0.8, 0.98)
_GRID_ALPHA = (0.15, 0.45, 0.8)
_GRID_BETA = (0.02, 0.2)
_GRID_GAMMA = (0.05, 0.35)
_GRID_PHI = (0.9, 0.98)
_MAX_EVALS = 48
_MIN_STEP = 0.01


def _params(point: tuple[float, ...], damped: bool) -> tuple[float, float, float, float]:
    alpha, beta_share, gamma_share = point[0], point[1], point[2]
    phi = point[3] if damped else 1.0
    return alpha, alpha * beta_share, (1.0 - alpha) * gamma_share, phi


def _bounds(damped: bool) -> list[tuple[float, float]]:
    box = [_ALPHA, (0.0, 1.0), (0.0, 1.0)]
    return [*box, _PHI] if damped else box


def _optimise(cost: Callable[[tuple[float, ...]], float], damped: bool) -> tuple[float, ...]:
    """A coarse grid, then a pattern search that halves its steps (deterministic)."""
    grid = [
        (a, b, g, *((p,) if damped else ()))
        for a in _GRID_ALPHA
        for b in _GRID_BETA
        for g in _GRID_GAMMA
        for p in _GRID_PHI[: 2 if damped else 1]
    ]
    best, best_cost = grid[0], math.inf
    for point in grid:
        value = cost(point)
        if value < best_cost:
            best, best_cost = point, value
    if not math.isfinite(best_cost):
        return best
    bounds = _bounds(damped)
    steps = [0.15, 0.15, 0.15, 0.04][: len(best)]
    evals = 0
    while evals < _MAX_EVALS and max(steps) >= _MIN_STEP:
        improved = False
        for d, (low, high) in enumerate(bounds):
            for sign in (1.0, -1.0):
                trial = list(best)
                trial[d] = min(high, max(low, best[d] + sign * steps[d]))
                if trial[d] == best[d]:
                    continue
                point = tuple(trial)
                value = cost(point)
                evals += 1
                if value < best_cost:
                    best, best_cost, improved = point, value, True
                    break
        if not improved:
            steps = [s / 2 for s in steps]
    return best


def _holt_winters(mul: bool, damped: bool) -> Callable[[Sequence[float], int, int], Forecast]:
    def method(y: Sequence[float], m: int, h: int) -> Forecast:
        if len(y) < 2 * m or (mul and min(y) <= 0):
            return None
        start = _initial_state(y, m, mul)
        if start is None:
            return None

        phases = [t % m for t in range(len(y))]

        def cost(point: tuple[float, ...]) -> float:
            return _sse(y, phases, start, _params(point, damped), mul)

        best = _optimise(cost, damped)
        return _hw_forecast(y, phases, m, h, start, _params(best, damped), mul)

    return method


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec("seasonal_naive", 1, seasonal_naive),
        MethodSpec("trend_seasonal", 2, trend_seasonal),
        MethodSpec("hw_additive", 2, _holt_winters(mul=False, damped=False)),
        MethodSpec("hw_additive_damped", 2, _holt_winters(mul=False, damped=True)),
        MethodSpec("hw_multiplicative", 2, _holt_winters(mul=True, damped=False)),
        MethodSpec("hw_multiplicative_damped", 2, _holt_winters(mul=True, damped=True)),
    )
}
"""The forecasting methods by name, simplest first."""


def min_length(method: str, m: int) -> int:
    """The shortest training window ``method`` can forecast from."""
    return METHODS[method].seasons_needed * m


def run_method(method: str, y: Sequence[float], m: int, h: int) -> Forecast:
    """Forecast ``h`` steps after ``y`` with ``method``; None where it does not apply."""
    return METHODS[method].function(y, m, h)


AUTO = "auto"

AUTO_METHODS = (
    "seasonal_naive",
    "trend_seasonal",
    "hw_additive_damped",
    "hw_multiplicative_damped",
)
"""What ``auto`` chooses among. Undamped Holt-Winters is left out: its trend runs on
without bound over a year's horizon, and in backtests it rarely beat the damped one."""

HOLT_WINTERS = (
    "hw_additive",
    "hw_additive_damped",
    "hw_multiplicative",
    "hw_multiplicative_damped",
)


def candidates_for(method: str) -> tuple[str, ...]:
    """The methods ``method`` names: ``auto``, ``holt_winters`` or one method.

    Raises:
        InvalidValueError: for an unknown name, listing the known ones.
    """
    if method == AUTO:
        return AUTO_METHODS
    if method == "holt_winters":
        return HOLT_WINTERS
    if method in METHODS:
        return (method,)
    known = ", ".join([AUTO, "holt_winters", *METHODS])
    raise InvalidValueError(f"method: unknown {method!r}; expected one of {known}")
