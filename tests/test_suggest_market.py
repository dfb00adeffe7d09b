"""Market inputs and capability tiers: growth, ceilings, pipeline, top-down gap, tiers."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

import perfkit as pk
from perfkit._suggest import suggest_targets
from perfkit._suggest_model import Market, Tiers
from perfkit._suggest_result import SuggestionSet

D = Decimal
SEASON = [0.8, 0.85, 1.0, 0.95, 1.0, 1.05, 0.9, 0.85, 1.05, 1.0, 1.1, 1.45]


def history(levels: dict[str, float], count: int = 36) -> dict[str, dict[str, str]]:
    out = {}
    for k, (node, level) in enumerate(levels.items()):
        rng = random.Random(k)
        out[node] = {
            f"{2023 + i // 12}-{i % 12 + 1:02d}": f"{level * SEASON[i % 12] * noise:.2f}"
            for i, noise in enumerate(rng.uniform(0.9, 1.1) for _ in range(count))
        }
    return out


TEAM = history({"ann": 10000.0, "bob": 20000.0, "cy": 30000.0, "dee": 40000.0})


def many(**kwargs: object) -> SuggestionSet:
    return suggest_targets(TEAM, horizon=12, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_growth_multiplies_the_forecast() -> None:
    """Market growth scales the base over the forecast; a segment's rate overrides it."""
    plain = many()
    market = Market(growth="10%", segments={"ann": "east"}, segment_growth={"east": "50%"})
    grown = many(market=market)
    for p, q in zip(plain["bob"].periods, grown["bob"].periods, strict=True):
        assert q.forecast == p.forecast
        assert q.base == pk.quantize(p.forecast * D("1.1"))
    assert grown["bob"].growth == D("0.1")
    assert grown["ann"].growth == D("0.5")
    assert grown["ann"].periods[0].base == pk.quantize(plain["ann"].periods[0].forecast * D("1.5"))


def test_capacity_caps_a_node_exactly() -> None:
    """A capacity below the suggestion caps the total exactly at it, flagged with the numbers."""
    plain = many()
    cap = (plain["dee"].base / 2).quantize(D("1"))
    capped = many(market=Market(capacity={"dee": str(cap)}))
    dee = capped["dee"]
    assert dee.base == cap
    assert dee.stretch == cap
    assert dee.ceiling == cap
    assert "suggest.capped" in dee.flag_codes
    assert "would total" in next(f.message for f in dee.flags if f.code == "suggest.capped")
    shares = [p.base / dee.base for p in dee.periods]
    expected = [p.base / plain["dee"].base for p in plain["dee"].periods]
    assert all(abs(a - b) < D("0.001") for a, b in zip(shares, expected, strict=True))
    roomy = many(market=Market(capacity={"dee": "1000000000"}))
    assert roomy["dee"] == plain["dee"]


def test_capping_only_the_stretch_keeps_the_base() -> None:
    """A ceiling between base and stretch leaves the base and fills the stretch up to it."""
    plain = many()["cy"]
    ceiling = plain.base + (plain.stretch - plain.base) / 2
    capped = many(market=Market(capacity={"cy": str(ceiling)}))["cy"]
    assert capped.base == plain.base
    assert capped.stretch == pk.quantize(ceiling, mode="down")
    assert all(p.stretch >= p.base for p in capped.periods)


def test_market_size_caps_a_segment() -> None:
    """A segment's market size bounds the sum of its members; members outside are untouched."""
    plain = many()
    market = Market(segments={"ann": "east", "bob": "east"}, market_size={"east": "100000"})
    result = many(market=market)
    assert result["ann"].base + result["bob"].base == D("100000.00")
    assert result["cy"] == plain["cy"]
    assert "suggest.capped" in result["ann"].flag_codes


def test_pipeline_coverage_is_reported() -> None:
    """Open pipeline × win rate is set against the target and flagged when it falls short."""
    market = Market(pipeline={"ann": "200000", "bob": "1000000"}, win_rate="25%")
    result = many(market=market)
    ann, bob = result["ann"], result["bob"]
    assert ann.pipeline is not None
    assert ann.pipeline.expected == D("50000.00")
    assert ann.pipeline.coverage == pk.quantize(D("50000.00") / ann.base, "0.0001")
    assert "suggest.pipeline-short" in ann.flag_codes
    assert bob.pipeline is not None
    assert bob.pipeline.coverage is not None
    assert bob.pipeline.coverage > 1
    assert "suggest.pipeline-short" not in bob.flag_codes
    assert result["cy"].pipeline is None


def test_top_down_gap_is_reported() -> None:
    """The sum of suggestions is reconciled to the company number: gap and over-assignment."""
    plain = many()
    result = many(market=Market(top_down="1000000"))
    r = result.reconciliation
    assert r is not None
    assert r.base == plain.base
    assert r.gap == D("1000000") - plain.base
    assert r.over_assignment == pk.quantize(plain.base / D("1000000"), "0.0001")
    assert "top-down" in result.render()
    with pytest.raises(pk.InvalidValueError, match="top_down reconciles many"):
        suggest_targets(TEAM["ann"], horizon=12, market=Market(top_down="1"))


def test_market_inputs_are_checked() -> None:
    """Bad market inputs are refused naming the field; unknown nodes are refused at use."""
    with pytest.raises(pk.InvalidValueError, match="growth is -1"):
        Market(growth="-100%")
    with pytest.raises(pk.InvalidValueError, match="win rate is between"):
        Market(win_rate="120%")
    with pytest.raises(pk.InvalidValueError, match="pipeline needs a win_rate"):
        Market(pipeline={"ann": "1"})
    with pytest.raises(pk.InvalidValueError, match="no node is in segment"):
        Market(market_size={"west": "1"})
    with pytest.raises(pk.InvalidValueError, match=r"capacity\['ann'\] is negative"):
        Market(capacity={"ann": "-1"})
    with pytest.raises(pk.InvalidValueError, match="exact number"):
        Market(growth=0.1)
    with pytest.raises(pk.InvalidValueError, match=r"market\.capacity names 'zed'"):
        many(market=Market(capacity={"zed": "1"}))


def test_tiers_from_relative_history_apply_their_growth() -> None:
    """Without attainment, the score is the last season over the median; tiers add growth."""
    tiers = Tiers(cuts={"A": "140%", "B": "70%", "C": "0"}, growth={"A": "2%", "C": "10%"})
    plain, tiered = many(), many(tiers=tiers)
    assert {s.node: s.tier for s in tiered} == {"ann": "C", "bob": "B", "cy": "B", "dee": "A"}
    dee = tiered["dee"]
    assert dee.tier_score is not None
    assert dee.tier_score > D("1.2")
    assert dee.tier_growth == D("0.02")
    assert dee.periods[0].base == pk.quantize(plain["dee"].periods[0].forecast * D("1.02"))
    assert tiered["cy"].periods == plain["cy"].periods


def test_tiers_from_given_attainment() -> None:
    """Given attainment decides the tier; a new hire takes the default tier's median."""
    tiers = Tiers(cuts={"A": "1.1", "B": "0.9", "C": "0"}, default="B")
    attainment = {"ann": "1.3", "bob": "0.95", "cy": "0.92", "dee": "0.5"}
    result = many(tiers=tiers, attainment=attainment, nodes=["new"])
    assert [result[n].tier for n in ("ann", "bob", "cy", "dee", "new")] == ["A", "B", "B", "C", "B"]
    assert result["ann"].tier_score == D("1.3")
    new = result["new"]
    assert "in tier B" in new.flags[0].message
    for p in new.periods:
        pair = sorted([result["bob"].at(p.period).base, result["cy"].at(p.period).base])
        assert p.base == pk.quantize((pair[0] + pair[1]) / 2)


def test_tiers_are_checked() -> None:
    """Cut points must fall, and every named tier must exist."""
    with pytest.raises(pk.InvalidValueError, match="cuts out of order"):
        Tiers(cuts={"A": "0.9", "B": "1.1"})
    with pytest.raises(pk.InvalidValueError, match="unknown tier"):
        Tiers(cuts={"A": "1"}, growth={"Z": "1%"})
    with pytest.raises(pk.InvalidValueError, match="unknown tier"):
        Tiers(cuts={"A": "1"}, default="Z")
    assert Tiers(cuts={"A": "1", "B": "0.5"}).tier_of(D("0.1")) == "B"
