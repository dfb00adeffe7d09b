"""Forecasting methods and the rolling-origin backtest: MASE, sMAPE, choosing a method."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

import perfkit as pk
from perfkit._suggest import suggest_targets
from perfkit._suggest_backtest import SeriesLab, backtest, selection_folds
from perfkit._suggest_methods import METHODS, decompose_indices, run_method

D = Decimal
SHAPE = [0.8, 0.85, 1.0, 0.95, 1.0, 1.05, 0.9, 0.85, 1.05, 1.0, 1.1, 1.45]


def noisy(n: int, seed: int = 1, growth: float = 0.005) -> list[float]:
    rng = random.Random(seed)
    return [1000 * (1 + growth) ** t * SHAPE[t % 12] * rng.uniform(0.9, 1.1) for t in range(n)]


def test_methods_continue_a_clean_multiplicative_season() -> None:
    """Every method forecasts a trend-free seasonal series almost exactly."""
    y = [1000 * SHAPE[t % 12] for t in range(48)]
    for name in METHODS:
        forecast = run_method(name, y, 12, 12)
        assert forecast is not None, name
        for k, value in enumerate(forecast):
            assert math.isclose(value, 1000 * SHAPE[k % 12], rel_tol=0.02), name


def test_methods_refuse_what_they_cannot_do() -> None:
    """Too short a window, or non-positive values for multiplicative models, give None."""
    assert run_method("seasonal_naive", [1.0] * 11, 12, 3) is None
    assert run_method("trend_seasonal", [1.0] * 23, 12, 3) is None
    y = noisy(36)
    y[5] = 0.0
    assert run_method("hw_multiplicative", y, 12, 3) is None
    assert run_method("hw_additive", y, 12, 3) is not None


def test_holt_winters_never_returns_nan() -> None:
    """Wild series give finite forecasts or None, never NaN or infinity."""
    rng = random.Random(4)
    for _ in range(30):
        y = [rng.choice([0.001, 1.0, 1e6, 1e9]) * rng.random() + 1e-9 for _ in range(36)]
        for name in METHODS:
            forecast = run_method(name, y, 12, 12)
            assert forecast is None or all(math.isfinite(v) for v in forecast)


def test_decomposition_indices_multiply_or_add() -> None:
    """Indices have mean 1 for positive series and mean 0 otherwise."""
    found = decompose_indices([1000 * SHAPE[t % 12] for t in range(36)], 12)
    assert found is not None
    indices, multiplicative = found
    assert multiplicative
    assert math.isclose(sum(indices) / 12, 1.0)
    found = decompose_indices([100 * (SHAPE[t % 12] - 1) for t in range(36)], 12)
    assert found is not None
    assert not found[1]
    assert math.isclose(sum(found[0]), 0.0, abs_tol=1e-9)


def test_mase_of_seasonal_naive_on_a_linear_trend_is_one() -> None:
    """On y = t, seasonal naive errs by one season's growth: exactly its in-sample scale."""
    report = backtest([str(t) for t in range(1, 61)], methods=["seasonal_naive"])
    score = report.score("seasonal_naive")
    assert score.mase == D("1.0000")
    assert score.folds == len(report.origins) == 60 - 12 - 24 + 1
    assert score.errors == score.folds * 12


def test_smape_is_a_fraction() -> None:
    """sMAPE is 2|a - f| / (|a| + |f|) averaged, as a fraction (0.05 is 5%)."""
    lab = SeriesLab([1.0] * 12 + [2.0] * 12 + [4.0] * 12, 12, 12)
    score = lab.score("seasonal_naive", [(24, 12)])
    assert score is not None
    assert math.isclose(score.smape, 2 * 2 / 6)
    assert math.isclose(score.mase, 2.0 / 1.0)  # scale: |2 - 1| in the training window


def test_a_flat_training_window_is_scaled_by_its_level() -> None:
    """Seasonal differences all zero: MASE divides by the mean absolute value instead."""
    lab = SeriesLab([5.0] * 24 + [6.0] * 12, 12, 12)
    assert lab.scale(24) == 5.0
    zero = SeriesLab([0.0] * 24 + [6.0] * 12, 12, 12)
    assert zero.scale(24) == 0.0
    assert zero.score("seasonal_naive", [(24, 12)]) is None


def test_backtest_reports_every_method_and_auto() -> None:
    """The report scores each method on the same origins, and auto's picks add up."""
    report = backtest([f"{v:.2f}" for v in noisy(72)], step=3)
    names = [s.method for s in report.scores]
    assert names == [*METHODS, "auto"]
    assert sum(report.chosen.values()) == report.score("auto").folds
    assert all(s.folds == len(report.origins) for s in report.scores)
    assert "MASE" in report.render()
    with pytest.raises(pk.InvalidValueError, match="was not backtested"):
        report.score("arima")


def test_backtest_refuses_bad_arguments() -> None:
    """Too few values, unknown methods and bad numbers are errors."""
    with pytest.raises(pk.InvalidValueError, match="too few for one fold"):
        backtest(["1"] * 30)
    with pytest.raises(pk.InvalidValueError, match="unknown method"):
        backtest(["1"] * 60, methods=["arima"])
    with pytest.raises(pk.InvalidValueError, match="horizon"):
        backtest(["1"] * 60, horizon=0)
    with pytest.raises(pk.InvalidValueError, match="min_train"):
        backtest(["1"] * 60, min_train=10)
    with pytest.raises(pk.InvalidValueError, match="float"):
        backtest([1.5] * 60)  # type: ignore[list-item]


def test_auto_in_a_backtest_is_auto_on_the_truncated_history() -> None:
    """auto at an origin chooses what suggest_targets chooses on the history before it."""
    y = noisy(60, seed=3)
    values = [f"{v:.2f}" for v in y]
    report = backtest(values, methods=["auto"], max_folds=1)
    origin = report.origins[0]
    labels = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(origin)]
    s = suggest_targets(dict(zip(labels, values[:origin], strict=True)), horizon=12)
    assert report.chosen == {s.method: 1}


def test_selection_folds_are_a_season_apart() -> None:
    """Folds go back a season at a time, keeping two seasons of training."""
    assert selection_folds(60, 12, 12, 8) == [(48, 12), (36, 12), (24, 12)]
    assert selection_folds(30, 12, 12, 8) == [(24, 6)]
    assert selection_folds(24, 12, 12, 8) == []


def test_auto_averages_the_two_best_unless_one_is_far_ahead() -> None:
    """auto forecasts with the mean of the two best; a clear winner stays alone."""
    lab = SeriesLab(noisy(60, seed=5), 12, 12)
    folds = selection_folds(60, 12, 12, 8)
    methods = ["seasonal_naive", "trend_seasonal", "hw_additive_damped"]
    best, scores = lab.choose(methods, folds, combine=True)
    assert best is not None
    names = [s.method for s in scores]
    if "+" in best.method:
        first, second = best.method.split("+")
        one, two = lab.forecast(first, 60) or [], lab.forecast(second, 60) or []
        mean = [(a + b) / 2 for a, b in zip(one, two, strict=True)]
        assert lab.forecast(best.method, 60) == mean
        assert best.method in names
    linear = SeriesLab([float(t + 100) for t in range(60)], 12, 12)
    alone, _ = linear.choose(methods, folds, combine=True)
    assert alone is not None
    assert alone.method == "trend_seasonal"  # exact: nothing else is within twice its error
