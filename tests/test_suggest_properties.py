"""Properties of suggested targets (hypothesis; profiles in conftest.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from perfkit._numbers import quantize
from perfkit._suggest import suggest_targets
from perfkit._suggest_model import Market
from perfkit._suggest_result import Suggestion

D = Decimal
CENT = D("0.01")


def months(count: int) -> list[str]:
    return [f"{2020 + i // 12:04d}-{i % 12 + 1:02d}" for i in range(count)]


def as_history(cents: list[int]) -> dict[str, str]:
    return {label: str(D(c) / 100) for label, c in zip(months(len(cents)), cents, strict=True)}


def future(count: int, horizon: int) -> list[str]:
    return months(count + horizon)[count:]


cents = st.integers(min_value=0, max_value=10**9)
seasonal_shapes = st.lists(st.integers(min_value=50, max_value=200), min_size=12, max_size=12)


@st.composite
def sales(draw: st.DrawFn, min_size: int = 12, max_size: int = 48) -> list[int]:
    """Positive monthly sales in cents: a level, a trend, a seasonal shape and noise."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    level = draw(st.integers(min_value=10**4, max_value=10**8))
    trend = draw(st.integers(min_value=-5, max_value=20))
    shape = draw(seasonal_shapes)
    noise = draw(st.lists(st.integers(min_value=80, max_value=120), min_size=n, max_size=n))
    return [
        max(1, level * (1000 + trend * t) // 1000 * shape[t % 12] // 100 * noise[t] // 100)
        for t in range(n)
    ]


@given(st.lists(cents, min_size=12, max_size=48), st.integers(min_value=1, max_value=30))
def test_seasonal_naive_reproduces_the_last_season(values: list[int], horizon: int) -> None:
    """Seasonal naive repeats the last season exactly, to the cent."""
    s = suggest_targets(as_history(values), horizon=horizon, method="seasonal_naive")
    assert isinstance(s, Suggestion)
    assert s.method == "seasonal_naive"
    last = values[-12:]
    assert [p.base for p in s.periods] == [D(last[k % 12]) / 100 for k in range(horizon)]


@given(sales(min_size=12, max_size=40), st.sampled_from(["3", "7", "0.5", "1000", "0.013"]))
def test_suggestions_scale_with_the_history(values: list[int], factor: str) -> None:
    """Scaling the history by c scales every target by c, up to rounding."""
    c = D(factor)
    plain = suggest_targets(as_history(values), horizon=12)
    scaled_history = {k: str(D(v) * c) for k, v in as_history(values).items()}
    scaled = suggest_targets(scaled_history, horizon=12)
    assert scaled.method == plain.method
    assert scaled.mase == plain.mase
    for a, b in zip(plain.periods, scaled.periods, strict=True):
        slack = (c + 1) * CENT + abs(b.base) * D("1e-9")
        assert abs(b.base - a.base * c) <= slack
        # the stretch rounds the rounded base once more, and its uplift is shown at 0.0001
        stretch_slack = (c + 2) * CENT + abs(b.base) * D("0.0001")
        assert abs(b.stretch - a.stretch * c) <= stretch_slack


@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=-100, max_value=10**4),
    st.integers(min_value=25, max_value=60),
    st.integers(min_value=1, max_value=24),
)
def test_a_pure_linear_trend_is_recovered(a: int, b: int, n: int, horizon: int) -> None:
    """Noise-free y = a + b·t with more than two seasons is continued exactly."""
    if a + b * (n + horizon) <= 0:
        b = 0
    history = {label: str(a + b * t) for t, label in enumerate(months(n))}
    s = suggest_targets(history, horizon=horizon)
    assert [p.base for p in s.periods] == [D(a + b * t) for t in range(n, n + horizon)]
    assert s.mase is not None
    assert s.mase < D("0.001")


@st.composite
def markets(draw: st.DrawFn, nodes: list[str]) -> Market:
    capacity = {
        node: str(draw(st.integers(min_value=0, max_value=10**7)))
        for node in nodes
        if draw(st.booleans())
    }
    segments = {node: draw(st.sampled_from(["north", "south"])) for node in nodes}
    sizes = {
        segment: str(draw(st.integers(min_value=0, max_value=2 * 10**7)))
        for segment in sorted(set(segments.values()))
        if draw(st.booleans())
    }
    growth = draw(st.sampled_from(["0", "5%", "50%", "-20%"]))
    return Market(growth=growth, capacity=capacity, segments=segments, market_size=sizes)


@given(st.data())
def test_the_market_ceiling_is_never_exceeded(data: st.DataObject) -> None:
    """Capacity and market size bound the totals of base and stretch; stretch >= base >= 0."""
    count = data.draw(st.integers(min_value=1, max_value=4))
    nodes = [f"rep-{k}" for k in range(count)]
    history = {node: as_history(data.draw(sales(min_size=24, max_size=36))) for node in nodes}
    size = min(len(h) for h in history.values())
    history = {node: dict(list(h.items())[:size]) for node, h in history.items()}
    market = data.draw(markets(nodes))
    result = suggest_targets(history, horizon=12, market=market)
    for node, ceiling in market.capacity.items():
        assert result[node].base <= ceiling
        assert result[node].stretch <= ceiling
    for segment, ceiling in market.market_size.items():
        members = [n for n, s in market.segments.items() if s == segment]
        assert sum(result[n].base for n in members) <= ceiling
        assert sum(result[n].stretch for n in members) <= ceiling
    for s in result:
        assert all(0 <= p.base <= p.stretch for p in s.periods)
        assert all(p.base == quantize(p.base) for p in s.periods)


@given(st.lists(sales(min_size=6, max_size=30), min_size=1, max_size=4), st.randoms())
def test_suggestions_are_deterministic(series: list[list[int]], rng: object) -> None:
    """The same history gives the same suggestions, whatever the order nodes come in."""
    history = {f"rep-{k}": as_history(values) for k, values in enumerate(series)}
    end = max(len(v) for v in series)
    history = {  # align every series to end in the same month
        node: dict(zip(months(end)[end - len(h) :], h.values(), strict=True))
        for node, h in history.items()
    }
    parent = dict.fromkeys(history, "team")
    first = suggest_targets(history, horizon=12, parent=parent, gaps="zero")
    order = list(history)
    rng.shuffle(order)  # type: ignore[attr-defined]
    shuffled = {node: history[node] for node in order}
    again = suggest_targets(shuffled, horizon=12, parent=parent, gaps="zero")
    assert again == first
    assert [s.to_records() for s in [again]] == [first.to_records()]
