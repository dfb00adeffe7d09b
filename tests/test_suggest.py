"""Suggested targets: methods chosen by backtest, fallbacks, bad input, goals from suggestions."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

import perfkit as pk
from perfkit._suggest import suggest_targets
from perfkit._suggest_records import suggest_from_records
from perfkit._suggest_result import Suggestion, SuggestionSet

D = Decimal
SEASON = [0.8, 0.85, 1.0, 0.95, 1.0, 1.05, 0.9, 0.85, 1.05, 1.0, 1.1, 1.45]


def months(count: int, first_year: int = 2023, first_month: int = 1) -> list[str]:
    index = first_year * 12 + first_month - 1
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(count)]


def seasonal(
    count: int, level: float = 10000.0, growth: float = 0.01, seed: int = 1, noise: float = 0.1
) -> dict[str, str]:
    rng = random.Random(seed)
    history = {}
    for i, label in enumerate(months(count)):
        value = level * (1 + growth) ** i * SEASON[i % 12] * rng.uniform(1 - noise, 1 + noise)
        history[label] = f"{value:.2f}"
    return history


def test_one_series_gives_a_suggestion_per_future_month() -> None:
    """A {period: value} history gives one Suggestion covering the next `horizon` months."""
    s = suggest_targets(seasonal(36), horizon=12)
    assert isinstance(s, Suggestion)
    assert [str(p.period) for p in s.periods] == months(12, 2026)
    assert s.node == "series"
    for p in s.periods:
        assert p.base == pk.quantize(p.base)
        assert p.stretch >= p.base
    assert s.base == sum(p.base for p in s.periods)
    assert s.mase is not None
    assert s.smape is not None
    assert any(score.method == "seasonal_naive" for score in s.scores)


def test_auto_beats_or_is_seasonal_naive() -> None:
    """auto's chosen method never has a higher backtest MASE than seasonal naive."""
    for seed in range(8):
        s = suggest_targets(seasonal(60, seed=seed), horizon=12)
        naive = next(x for x in s.scores if x.method == "seasonal_naive")
        assert s.mase is not None
        assert naive.mase is not None
        assert s.mase <= naive.mase


def test_a_named_method_is_used() -> None:
    """method= picks one method, or the best Holt-Winters variant."""
    history = seasonal(48)
    for method in ("seasonal_naive", "trend_seasonal", "hw_additive", "hw_multiplicative_damped"):
        assert suggest_targets(history, horizon=6, method=method).method == method
    hw = suggest_targets(history, horizon=6, method="holt_winters")
    assert hw.method.startswith("hw_")
    assert len(hw.scores) == 4
    with pytest.raises(pk.InvalidValueError, match="unknown 'arima'"):
        suggest_targets(history, horizon=6, method="arima")


def test_stretch_is_the_base_times_the_residual_quantile() -> None:
    """stretch = base × (1 + uplift) per period, the uplift an upper quantile of backtest errors."""
    s = suggest_targets(seasonal(48, noise=0.2), horizon=12)
    assert s.stretch_uplift > 0
    assert s.stretch_quantile == D("0.8")
    for p in s.periods:
        assert p.stretch == pk.quantize(p.base * (1 + s.stretch_uplift))
    higher = suggest_targets(seasonal(48, noise=0.2), horizon=12, stretch_quantile="95%")
    assert higher.stretch_uplift >= s.stretch_uplift


def test_the_goal_decomposes_back_to_the_suggested_months() -> None:
    """suggestion.goal() has the totals as levels and splits exactly into the suggested months."""
    s = suggest_targets(seasonal(36), horizon=12, name="rep-1")
    goal = s.goal(metric="revenue", unit="CNY")
    assert goal.owner == "rep-1"
    assert str(goal.period) == "FY2026"
    assert goal.levels == {"base": s.base, "stretch": s.stretch}
    plan = pk.decompose(goal, pk.OrgTree.from_paths(["rep-1"]))
    for p in s.periods:
        assert plan.target("rep-1", p.period) == p.base
        assert abs(plan.target("rep-1", p.period, level="stretch") - p.stretch) <= D("0.01")
    one = s.goal(period="2026-03", metric="revenue")
    assert str(one.period) == "2026-03"
    assert one.levels == s.at("2026-03").levels
    with pytest.raises(pk.InvalidValueError, match="no 2027-01"):
        s.at("2027-01")


def test_levels_are_goal_levels() -> None:
    """A period's levels build a Goal directly."""
    s = suggest_targets(seasonal(36), horizon=3)
    goal = pk.Goal(id="g", owner="rep-1", period=s.periods[0].period, levels=s.periods[0].levels)
    assert goal.base == s.periods[0].base


def test_many_series_give_a_set() -> None:
    """{node: {period: value}} and Actuals both give a SuggestionSet keyed by node."""
    history = {f"rep-{k}": seasonal(36, seed=k, level=1000.0 * (k + 1)) for k in range(3)}
    result = suggest_targets(history, horizon=12)
    assert isinstance(result, SuggestionSet)
    assert result.nodes == ("rep-0", "rep-1", "rep-2")
    actuals = pk.Actuals((n, p, v) for n, series in history.items() for p, v in series.items())
    assert suggest_targets(actuals, horizon=12) == result
    assert result.base == sum(s.base for s in result)
    assert len(result.to_records()) == 36
    assert "rep-2" in result.render()
    with pytest.raises(pk.InvalidValueError, match="no suggestion for 'rep-9'"):
        result["rep-9"]


def test_quarterly_history_follows_the_fiscal_calendar() -> None:
    """Quarterly history (season of 4) gives fiscal quarter labels."""
    calendar = pk.Calendar(fiscal_year_start=4)
    rng = random.Random(2)
    history = {}
    for i in range(16):
        value = 1000 * (1 + i / 20) * (1.5 if i % 4 == 3 else 1) * rng.uniform(0.9, 1.1)
        history[f"{2023 + i // 4}-Q{i % 4 + 1}"] = f"{value:.2f}"
    s = suggest_targets(history, horizon=4, calendar=calendar)
    assert [str(p.period) for p in s.periods] == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert str(s.periods[0].period.start) == "2026-04-01"
    assert str(s.goal().period) == "FY2027"


def test_start_leaves_a_gap_after_history() -> None:
    """start= suggests later periods; the backtest scores the same lead times."""
    s = suggest_targets(seasonal(36), horizon=12, start="2026-03")
    assert str(s.periods[0].period) == "2026-03"
    with pytest.raises(pk.InvalidValueError, match="inside the history"):
        suggest_targets(seasonal(36), horizon=12, start="2025-06")


# --- bad input ------------------------------------------------------------------------


def test_horizon_must_be_positive() -> None:
    """A horizon of 0 (or a bool, or a str) is an error, never an empty result."""
    for horizon in (0, -1, True, "12"):
        with pytest.raises(pk.InvalidValueError, match="horizon"):
            suggest_targets(seasonal(36), horizon=horizon)  # type: ignore[arg-type]


def test_gaps_are_an_error_a_zero_or_interpolated() -> None:
    """A missing month raises by default; zero and interpolate fill it and flag it."""
    history = seasonal(36)
    del history["2024-05"]
    with pytest.raises(pk.InvalidValueError, match="no value for 2024-05"):
        suggest_targets(history, horizon=12)
    zero = suggest_targets(history, horizon=12, gaps="zero")
    assert "suggest.gaps-filled" in zero.flag_codes
    filled = suggest_targets(history, horizon=12, gaps="interpolate")
    assert "suggest.gaps-interpolated" in filled.flag_codes
    with pytest.raises(pk.InvalidValueError, match="gaps: expected"):
        suggest_targets(history, horizon=12, gaps="drop")  # type: ignore[call-overload]


def test_negative_sales_are_flagged_and_never_suggested() -> None:
    """Net-negative months exclude multiplicative methods; targets are never negative."""
    history = seasonal(36)
    history["2025-02"] = "-5000.00"
    s = suggest_targets(history, horizon=12)
    assert "suggest.negative-values" in s.flag_codes
    assert not s.method.startswith("hw_multiplicative")
    falling = {label: str(1000 - 40 * i) for i, label in enumerate(months(36))}
    t = suggest_targets(falling, horizon=12)
    assert all(p.base >= 0 for p in t.periods)
    assert "suggest.clipped-at-zero" in t.flag_codes


def test_short_histories_fall_back_to_named_simpler_methods() -> None:
    """Under two seasons: seasonal naive from one season, the mean level below; flagged."""
    year = suggest_targets(seasonal(18), horizon=12)
    assert year.method == "seasonal_naive"
    assert "suggest.fallback" in year.flag_codes
    five = suggest_targets(seasonal(5), horizon=12)
    assert five.method == "level"
    assert "suggest.fallback" in five.flag_codes
    assert "suggest.default-stretch" in five.flag_codes
    assert len({p.base for p in five.periods}) == 1


def test_short_histories_borrow_their_parents_seasonality() -> None:
    """A 5-month rep takes its team's seasonal shape at its own level, flagged."""
    history = {f"rep-{k}": seasonal(36, seed=k) for k in range(4)}
    history["rep-new"] = dict(list(seasonal(36, level=5000.0, seed=9).items())[-5:])
    parent = dict.fromkeys(history, "team")
    result = suggest_targets(history, horizon=12, parent=parent)
    new = result["rep-new"]
    assert new.method == "borrowed_seasonal"
    assert "suggest.short-history" in new.flag_codes
    assert "suggest.borrowed-stretch" in new.flag_codes
    december = new.at("2026-12").base
    assert december == max(p.base for p in new.periods)  # the team's December peak
    assert new.base < result["rep-0"].base


def test_a_node_without_history_takes_its_peers_median() -> None:
    """A new hire gets the median of its peers per period and is flagged."""
    history = {f"rep-{k}": seasonal(36, seed=k, level=1000.0 * (k + 1)) for k in range(3)}
    result = suggest_targets(history, horizon=12, nodes=["rep-hire"])
    hire = result["rep-hire"]
    assert hire.method == "peer_median"
    assert "suggest.no-history" in hire.flag_codes
    for p in hire.periods:
        assert p.base == result["rep-1"].at(p.period).base  # median of three
    alone = suggest_targets({"a": seasonal(36)}, horizon=12, nodes=["b"])
    assert alone["b"].targets() == alone["a"].targets()


def test_all_zero_is_zero_and_flagged() -> None:
    """An all-zero series suggests zeros, with no stretch level and no error figure."""
    s = suggest_targets(dict.fromkeys(months(36), "0"), horizon=12)
    assert all(p.base == 0 and p.stretch == 0 for p in s.periods)
    assert "suggest.all-zero" in s.flag_codes
    assert "suggest.no-stretch" in s.flag_codes
    assert s.levels == {"base": D("0.00")}
    assert s.mase is None
    assert s.goal().decompose is None


def test_values_are_exact_numbers() -> None:
    """Floats, NaN and junk are refused, naming the node and period."""
    with pytest.raises(pk.InvalidValueError, match="float"):
        suggest_targets({"2026-01": 1.5}, horizon=1)  # type: ignore[arg-type]
    with pytest.raises(pk.InvalidValueError, match="not a finite number"):
        suggest_targets({"2026-01": "NaN"}, horizon=1)
    with pytest.raises(pk.InvalidValueError, match="neither a month nor a quarter"):
        suggest_targets({"2026-W05": "1"}, horizon=1)
    with pytest.raises(pk.InvalidValueError, match="not a quarter like the rest"):
        suggest_targets({"2026-Q1": "1", "2026-04": "1"}, horizon=1)
    with pytest.raises(pk.InvalidValueError, match="no series"):
        suggest_targets({}, horizon=1)


def test_other_arguments_are_checked() -> None:
    """stretch_quantile, default_stretch, folds and quantum are validated."""
    history = seasonal(36)
    with pytest.raises(pk.InvalidValueError, match="stretch_quantile"):
        suggest_targets(history, horizon=1, stretch_quantile="1")
    with pytest.raises(pk.InvalidValueError, match="default_stretch"):
        suggest_targets(history, horizon=1, default_stretch="-1%")
    with pytest.raises(pk.InvalidValueError, match="folds"):
        suggest_targets(history, horizon=1, folds=0)
    with pytest.raises(pk.InvalidValueError, match="quantum"):
        suggest_targets(history, horizon=1, quantum="0")


def test_quantum_and_rounding_are_named() -> None:
    """Targets are rounded to the quantum with the named mode."""
    s = suggest_targets(seasonal(36), horizon=12, quantum="100", rounding="down")
    assert all(p.base % 100 == 0 for p in s.periods)
    decomposition = s.goal().decompose
    assert decomposition is not None
    assert decomposition.quantum == 100


# --- records ----------------------------------------------------------------------------


def test_records_are_summed_exactly_by_month() -> None:
    """Deals are summed per owner and closing month; months without deals count as zero."""
    rows = []
    for k, (label, amount) in enumerate(seasonal(36).items()):
        if k == 7:
            continue  # a month without deals
        half = D(amount) / 2
        for part in (half, D(amount) - half):
            rows.append(
                {"owner": "rep-1", "closed_on": f"{label}-15", "amount": str(part), "stage": "won"}
            )
    rows.append({"owner": "rep-1", "closed_on": "2025-12-01", "amount": "999", "stage": "lost"})
    result = suggest_from_records(
        rows, horizon=12, node="owner", date="closed_on", where=lambda r: r["stage"] == "won"
    )
    assert result.nodes == ("rep-1",)
    assert "suggest.gaps-filled" in result["rep-1"].flag_codes
    by_label = suggest_from_records(
        [{"participant": "rep-1", "month": m, "amount": v} for m, v in seasonal(36).items()],
        horizon=12,
        period="month",
    )
    assert by_label["rep-1"].method
    with pytest.raises(pk.InvalidValueError, match="exactly one of"):
        suggest_from_records(rows, horizon=12)
    with pytest.raises(pk.InvalidValueError, match="record 0: missing amount"):
        suggest_from_records([{"participant": "a", "month": "2026-01"}], horizon=1, period="month")


def test_records_by_fiscal_quarter() -> None:
    """Dates are bucketed into the calendar's fiscal quarters."""
    calendar = pk.Calendar(fiscal_year_start=4)
    rows = [
        {"participant": "a", "day": f"{label}-10", "amount": value}
        for label, value in seasonal(36).items()
    ]
    result = suggest_from_records(rows, horizon=4, date="day", grain="quarter", calendar=calendar)
    assert str(result["a"].periods[0].period) == "2026-Q4"  # Jan-Mar 2026 is FY2026 Q4


def test_demo_deals_give_a_suggestion_per_rep() -> None:
    """The demo company's won deals give every rep a suggestion with an error figure."""
    data = pk.Dataset.from_csv_dir(_demo_data())
    result = suggest_from_records(
        data.rows("deals"),
        horizon=12,
        node="owner",
        date="closed_on",
        where=lambda r: r["stage"] == "won",
    )
    assert len(result) > 10
    assert all(p.base >= 0 for s in result for p in s.periods)


def _demo_data() -> str:
    from pathlib import Path

    import perfkit

    return str(Path(perfkit.__file__).parent / "demo" / "data")


def test_a_parent_with_its_own_history_lends_its_seasons() -> None:
    """The parent's own series is used when it has two seasons; else up the chain."""
    region = seasonal(36, level=100000.0)
    history = {"region": region, "new": dict(list(seasonal(36, seed=5).items())[-4:])}
    result = suggest_targets(history, horizon=12, parent={"new": "team", "team": "region"})
    assert result["new"].method == "borrowed_seasonal"
    shares = [p.base / result["new"].base for p in result["new"].periods]
    region_shares = [p.forecast / result["region"].base for p in result["region"].periods]
    assert max(shares) == shares[11]  # December, as in the region
    assert region_shares.index(max(region_shares)) == 11


def test_wide_bands_are_flagged() -> None:
    """A stretch more than 50% above the base is flagged as a note."""
    rng = random.Random(4)
    lumpy = {label: str(rng.choice([0, 0, 0, 0, 1000, 60000])) for label in months(48)}
    s = suggest_targets(lumpy, horizon=12)
    assert s.stretch_uplift > D("0.5")
    assert "suggest.wide-band" in s.flag_codes


def test_records_and_goals_of_a_set() -> None:
    """A set flattens to records and gives one goal per node."""
    history = {f"rep-{k}": seasonal(36, seed=k) for k in range(2)}
    result = suggest_targets(history, horizon=3)
    rows = result.to_records()
    assert rows[0].keys() == {
        "node",
        "period",
        "forecast",
        "base",
        "stretch",
        "method",
        "mase",
        "smape",
        "tier",
        "flags",
    }
    goals = result.goals(metric="revenue", unit="CNY")
    assert [g.owner for g in goals] == ["rep-0", "rep-1"]
    assert all(g.period is not None and str(g.period) == "2026-Q1" for g in goals)
