"""Honest accuracy: rolling-origin backtests, MASE and sMAPE, and choosing a method.

A backtest pretends to stand at an earlier point (the *origin*) of a series,
forecasts the next ``horizon`` periods from the history before it only, and
compares with what happened. Rolling the origin gives many such folds.

- **MASE** (mean absolute scaled error, Hyndman and Koehler 2006) divides each
  absolute error by the mean absolute error that "same period last season" made
  on the fold's own training history. Below 1 a method beats that in-sample
  seasonal naive forecast; 0.8 means its errors are 20% smaller. A training
  window whose seasonal differences are all zero is scaled by its mean absolute
  value instead, and one that is all zero cannot be scored.
- **sMAPE** is the mean of ``2|actual - forecast| / (|actual| + |forecast|)``,
  a fraction between 0 and 2 (0.05 means 5%); a term with both zero counts 0.

Choosing a method (``auto``) backtests every candidate on the same folds of the
series' own history (up to eight, a season apart) and ranks them by MASE;
near-ties (within a billionth) go to the simpler method. It then forecasts with
the mean of the two best (named ``a+b``), because choosing on a few folds is
noisy and averaging two good forecasts is more robust than betting on one
(the lesson of the M forecasting competitions) -- unless the second is more
than twice as far off as the best, or the mean does not beat seasonal naive on
those folds: then the best alone. Seasonal naive is the baseline: what ``auto``
chooses never has a higher backtest MASE than it.

Forecasts are memoised per method and origin, so a backtest of ``auto`` reuses
the folds the single methods already computed: choosing at each outer origin is
exactly what :func:`~perfkit._suggest.suggest_targets` would do on the history up
to that origin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from perfkit._numbers import Number, parse_decimal, quantize
from perfkit._suggest_methods import AUTO, AUTO_METHODS, METHODS, min_length, run_method
from perfkit.errors import InvalidValueError

__all__ = [
    "AUTO",
    "COMBINE",
    "BacktestReport",
    "MethodScore",
    "SeriesLab",
    "backtest",
    "metric",
    "selection_folds",
]

_TIE = 1e-9
COMBINE = "+"
"""Joins the names of two methods whose forecasts are averaged (``a+b``)."""
_METRIC_QUANTUM = Decimal("0.0001")


def metric(value: float | None) -> Decimal | None:
    """An accuracy figure as shown to people: a Decimal at 0.0001, or None."""
    if value is None or not math.isfinite(value):
        return None
    return quantize(Decimal(value), _METRIC_QUANTUM)


@dataclass(frozen=True, slots=True)
class MethodScore:
    """How one method did in a backtest.

    Attributes:
        method: the method's name.
        mase: mean absolute scaled error (below 1 beats seasonal naive in-sample),
            or None when it could not be scored.
        smape: symmetric mean absolute percentage error as a fraction (0.05 is 5%).
        folds: how many origins were scored.
        errors: how many forecast errors (folds times periods) the figures average.
    """

    method: str
    mase: Decimal | None
    smape: Decimal | None
    folds: int
    errors: int


class _Score(NamedTuple):
    """A method's pooled errors over some folds, in floats, with residuals relative to the level."""

    method: str
    mase: float
    smape: float
    folds: int
    errors: int
    # (actual - forecast) / the fold's mean absolute forecast: relative to the
    # level, so a month forecast near zero cannot blow a residual up
    residuals: tuple[float, ...]

    def public(self) -> MethodScore:
        return MethodScore(
            self.method, metric(self.mase), metric(self.smape), self.folds, self.errors
        )


def selection_folds(n: int, m: int, span: int, folds: int) -> list[tuple[int, int]]:
    """The folds ``auto`` chooses on: ``(origin, periods)``, latest first.

    Origins are a whole season apart, ``n - span``, ``n - span - m``, ..., at
    most ``folds`` of them, each leaving at least two seasons of training. When
    none fits, one shorter fold starts right after the first two seasons.
    """
    origins = [n - span - k * m for k in range(folds)]
    chosen = [(o, span) for o in origins if o >= 2 * m]
    if chosen:
        return chosen
    if n - 2 * m >= 1:
        return [(2 * m, n - 2 * m)]
    return []


class SeriesLab:
    """One series' forecasts, memoised per (method, origin), and their scores.

    Args:
        values: the series, oldest first.
        m: the season length (12 for months).
        span: how many periods each forecast covers (skip + horizon).
        skip: how many leading periods of each forecast are not scored (a gap
            between the end of history and the first suggested period).
    """

    def __init__(self, values: Sequence[float], m: int, span: int, skip: int = 0) -> None:
        self.values, self.m, self.span, self.skip = values, m, span, skip
        self._forecasts: dict[tuple[str, int], list[float] | None] = {}
        self._scales: dict[int, float] = {}

    def forecast(self, method: str, origin: int) -> list[float] | None:
        """``span`` periods forecast by ``method`` from the values before ``origin``.

        A name ``a+b`` is the mean of the forecasts of ``a`` and ``b``.
        """
        key = (method, origin)
        if key not in self._forecasts:
            if COMBINE in method:
                parts = [self.forecast(part, origin) for part in method.split(COMBINE)]
                known = [p for p in parts if p is not None]
                mean = [sum(v) / len(v) for v in zip(*known, strict=True)]
                self._forecasts[key] = mean if len(known) == len(parts) else None
            else:
                train = self.values[:origin]
                applies = len(train) >= min_length(method, self.m)
                forecast = run_method(method, train, self.m, self.span) if applies else None
                self._forecasts[key] = forecast
        return self._forecasts[key]

    def scale(self, origin: int) -> float:
        """The MASE denominator of a fold; 0 when the fold cannot be scored."""
        if origin not in self._scales:
            y, m = self.values, self.m
            diffs = [abs(y[t] - y[t - m]) for t in range(m, origin)]
            scale = sum(diffs) / len(diffs) if diffs else 0.0
            if scale == 0.0 and origin:
                scale = sum(abs(v) for v in y[:origin]) / origin
            self._scales[origin] = scale if math.isfinite(scale) else 0.0
        return self._scales[origin]

    def score(self, method: str, folds: Iterable[tuple[int, int]]) -> _Score | None:
        """Pooled errors of ``method`` over ``folds``; None if it fails on any of them."""
        y = self.values
        scaled = symmetric = 0.0
        count = used = 0
        residuals: list[float] = []
        for origin, length in folds:
            scale = self.scale(origin)
            if scale <= 0.0:
                continue
            forecast = self.forecast(method, origin)
            if forecast is None:
                return None
            used += 1
            steps = range(self.skip, min(length, self.span))
            level = sum(abs(forecast[k]) for k in steps) / len(steps) if steps else 0.0
            for k in steps:
                actual, predicted = y[origin + k], forecast[k]
                error = abs(actual - predicted)
                scaled += error / scale
                total = abs(actual) + abs(predicted)
                symmetric += 2.0 * error / total if total else 0.0
                if level:
                    residuals.append((actual - predicted) / level)
                count += 1
        if not count:
            return None
        mase, smape = scaled / count, symmetric / count
        if not (math.isfinite(mase) and math.isfinite(smape)):
            return None
        return _Score(method, mase, smape, used, count, tuple(residuals))

    def choose(
        self, candidates: Sequence[str], folds: Sequence[tuple[int, int]], *, combine: bool = False
    ) -> tuple[_Score | None, list[_Score]]:
        """The best candidate by MASE (near-ties to the earlier one) and every score.

        With ``combine``, the mean of the two best is chosen instead, unless the
        second is more than twice as far off as the best (then the best alone
        is clearly better) or the mean does not beat seasonal naive on the
        same folds (then the best alone); its score is added to the scores.
        """
        scores = [s for s in (self.score(name, folds) for name in candidates) if s is not None]
        best = _lowest(scores)
        second = _lowest([s for s in scores if s is not best])
        if not combine or best is None or second is None:
            return best, scores
        if _above(second.mase, _DOMINANCE * best.mase):
            return best, scores
        order = {name: k for k, name in enumerate(candidates)}
        pair = sorted((best.method, second.method), key=order.__getitem__)
        mean = self.score(COMBINE.join(pair), folds)
        if mean is None:
            return best, scores
        scores.append(mean)
        naive = next((s for s in scores if s.method == "seasonal_naive"), None)
        if naive is not None and _above(mean.mase, naive.mase):
            return best, scores
        return mean, scores


_DOMINANCE = 2.0


def _above(value: float, limit: float) -> bool:
    """``value > limit`` beyond a near-tie, so float noise never decides."""
    return value > limit + _TIE * max(1.0, abs(limit))


def _lowest(scores: Sequence[_Score]) -> _Score | None:
    """The lowest MASE; a near-tie goes to the earlier (simpler) method."""
    best: _Score | None = None
    for score in scores:
        if best is None or _above(best.mase, score.mase):
            best = score
    return best


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """A rolling-origin backtest of one series: a score per method, and ``auto``'s picks.

    Attributes:
        horizon: periods forecast at each origin.
        season_length: periods per season (12 for months).
        origins: the origins scored, earliest first (index of the first forecast period).
        scores: one :class:`MethodScore` per method, in the order asked.
        chosen: for ``auto``, how often each method was chosen across the origins.
    """

    horizon: int
    season_length: int
    origins: tuple[int, ...]
    scores: tuple[MethodScore, ...]
    chosen: dict[str, int]

    def score(self, method: str) -> MethodScore:
        """The score of ``method``.

        Raises:
            InvalidValueError: if ``method`` was not backtested.
        """
        for score in self.scores:
            if score.method == method:
                return score
        raise InvalidValueError(f"backtest: {method!r} was not backtested")

    def render(self) -> str:
        """A plain-text table: method, MASE, sMAPE, folds."""
        lines = [f"{'method':<28} {'MASE':>8} {'sMAPE':>8} {'folds':>6}"]
        for s in self.scores:
            mase = "—" if s.mase is None else f"{s.mase:.4f}"
            smape = "—" if s.smape is None else f"{s.smape * 100:.2f}%"
            lines.append(f"{s.method:<28} {mase:>8} {smape:>8} {s.folds:>6}")
        return "\n".join(lines)


def _check_int(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(f"{what}: expected a whole number >= {minimum}, got {value!r}")
    return value


def backtest(
    values: Sequence[Number],
    *,
    horizon: int = 12,
    season_length: int = 12,
    methods: Sequence[str] | None = None,
    step: int = 1,
    min_train: int | None = None,
    max_folds: int | None = None,
    folds: int = 8,
) -> BacktestReport:
    """Backtest forecasting methods on one series by rolling origin.

    Origins run from the latest that leaves a full ``horizon`` to test
    (``n - horizon``) back by ``step`` to ``min_train`` (two seasons by
    default), at most ``max_folds`` of them; every method is scored on the same
    origins. ``auto`` at each origin chooses among the other methods as
    :func:`~perfkit._suggest.suggest_targets` does on the history up to it
    (``folds`` selection folds a season apart).

    Args:
        values: the series, oldest first, as exact numbers (Decimal, int, str).
        horizon: periods forecast at each origin.
        season_length: periods per season.
        methods: method names and/or ``auto``; all of them by default.
        step: periods between origins.
        min_train: the shortest training window (two seasons by default; at
            least one season and a period, for seasonal naive: methods that
            need more are not scored where they cannot run).
        max_folds: keep only the latest origins.
        folds: selection folds for ``auto``.

    Returns:
        A :class:`BacktestReport`.

    Raises:
        InvalidValueError: for bad arguments, an unknown method, or a series too
            short for a single fold.
    """
    horizon = _check_int(horizon, "horizon", 1)
    m = _check_int(season_length, "season_length", 1)
    step = _check_int(step, "step", 1)
    folds = _check_int(folds, "folds", 1)
    train = _check_int(min_train if min_train is not None else 2 * m, "min_train", m + 1)
    names = list(methods) if methods is not None else [*METHODS, AUTO]
    for name in names:
        if name != AUTO and name not in METHODS:
            known = ", ".join([*METHODS, AUTO])
            raise InvalidValueError(f"backtest: unknown method {name!r}; expected one of {known}")
    y = [float(parse_decimal(v, what=f"values[{i}]")) for i, v in enumerate(values)]
    origins = list(range(len(y) - horizon, train - 1, -step))
    if max_folds is not None:
        origins = origins[: _check_int(max_folds, "max_folds", 1)]
    if not origins:
        raise InvalidValueError(
            f"backtest: {len(y)} values are too few for one fold of {train} training "
            f"and {horizon} test periods"
        )
    lab = SeriesLab(y, m, horizon)
    outer = [(o, horizon) for o in origins]
    candidates = list(AUTO_METHODS)
    scores: list[MethodScore] = []
    chosen: dict[str, int] = {}
    for name in names:
        if name != AUTO:
            result = lab.score(name, outer)
            scores.append(result.public() if result else MethodScore(name, None, None, 0, 0))
            continue
        scores.append(_backtest_auto(lab, outer, candidates, folds, chosen))
    return BacktestReport(horizon, m, tuple(sorted(origins)), tuple(scores), chosen)


def _backtest_auto(
    lab: SeriesLab,
    outer: list[tuple[int, int]],
    candidates: list[str],
    folds: int,
    chosen: dict[str, int],
) -> MethodScore:
    """Score ``auto``: at each origin, the method chosen on the history before it."""
    y = lab.values
    scaled = symmetric = 0.0
    count = used = 0
    for origin, length in outer:
        inner = selection_folds(origin, lab.m, lab.span, folds)
        best, _ = lab.choose(candidates, inner, combine=True)
        method = best.method if best else "seasonal_naive"
        forecast = lab.forecast(method, origin)
        scale = lab.scale(origin)
        if forecast is None or scale <= 0.0:
            continue
        chosen[method] = chosen.get(method, 0) + 1
        used += 1
        for k in range(length):
            error = abs(y[origin + k] - forecast[k])
            scaled += error / scale
            total = abs(y[origin + k]) + abs(forecast[k])
            symmetric += 2.0 * error / total if total else 0.0
            count += 1
    if not count:
        return MethodScore(AUTO, None, None, 0, 0)
    return MethodScore(AUTO, metric(scaled / count), metric(symmetric / count), used, count)
