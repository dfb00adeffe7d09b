"""Numbers: Decimal construction, named rounding and exact allocation (DOMAIN.md)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit as pk
from perfkit._numbers import RoundingMode, to_fraction

D = Decimal
Weights = dict[str, Decimal | int | Fraction]

cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: D(n).scaleb(-2))
weights_values = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=1000, max_denominator=97),
)
weight_maps = st.dictionaries(
    st.text(alphabet="abcdefghij-0123", min_size=1, max_size=6),
    weights_values,
    min_size=1,
    max_size=40,
).filter(lambda w: any(v > 0 for v in w.values()))


# --- parse_decimal ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19.99", D("19.99")),
        ("5%", D("0.05")),
        ("12.5%", D("0.125")),
        (" -3 % ", D("-0.03")),
        ("1_000", D("1000")),
        (7, D(7)),
        (D("0.10"), D("0.10")),
    ],
)
def test_parse_decimal_reads_text_exactly(text: object, expected: Decimal) -> None:
    """Text, ints and Decimals become the exact Decimal they spell; 'x%' is x/100."""
    assert pk.parse_decimal(text) == expected


def test_parse_decimal_keeps_the_written_scale() -> None:
    """'0.10' keeps its two places, so published values print as written."""
    assert str(pk.parse_decimal("0.10")) == "0.10"


def test_float_is_refused_with_a_hint() -> None:
    """A float is refused, naming the value and suggesting a string."""
    with pytest.raises(pk.InvalidValueError, match=r"float 0\.1.*'0\.1'"):
        pk.parse_decimal(0.1, what="rate")


@pytest.mark.parametrize(
    "bad", ["", "abc", "1,000", "5%%", "NaN", "inf", "-Infinity", True, None, [1]]
)
def test_bad_numbers_raise_invalid_value(bad: object) -> None:
    """Unparseable text, non-finite values, booleans and other types raise InvalidValueError."""
    with pytest.raises(pk.InvalidValueError):
        pk.parse_decimal(bad, what="amount")


def test_invalid_value_is_a_value_error_and_a_perfkit_error() -> None:
    """Hosts may catch either ValueError or the perfkit root."""
    with pytest.raises(ValueError, match="amount"):
        pk.parse_decimal("x", what="amount")
    assert issubclass(pk.InvalidValueError, pk.PerfkitError)


# --- quantize ----------------------------------------------------------------


def test_named_rounding_examples() -> None:
    """2.665 rounds to 2.67 half_up and 2.66 half_even (DOMAIN.md)."""
    assert pk.quantize(D("2.665")) == D("2.67")
    assert pk.quantize(D("2.665"), mode="half_even") == D("2.66")
    assert pk.quantize(D("2.665"), mode="down") == D("2.66")
    assert pk.quantize(D("2.661"), mode="up") == D("2.67")
    assert pk.quantize(D("2.665"), mode="half_down") == D("2.66")


def test_worked_example_penalty_tie_rounds_away_from_zero() -> None:
    """The worked example's -450.005 rounds to -450.01 (half_up is away from zero)."""
    assert pk.quantize(D("-450.005")) == D("-450.01")


def test_quantize_keeps_the_quantum_scale_and_unsigned_zero() -> None:
    """Results carry the quantum's places, and a rounded -0.001 is 0.00, not -0.00."""
    assert str(pk.quantize(D("3"))) == "3.00"
    assert str(pk.quantize(D("-0.001"))) == "0.00"
    assert str(pk.quantize(Fraction(-1, 1000))) == "0.00"


def test_quantize_fraction_exactly() -> None:
    """Exact rationals round by the mode, not by an accident of precision: 1/8 at 0.01."""
    assert pk.quantize(Fraction(1, 8)) == D("0.13")
    assert pk.quantize(Fraction(1, 8), mode="half_even") == D("0.12")
    assert pk.quantize(Fraction(1, 3)) == D("0.33")


def test_quantize_large_values_do_not_overflow_context() -> None:
    """A 40-digit amount rounds without decimal.InvalidOperation."""
    big = D("1234567890123456789012345678901234567890.125")
    assert pk.quantize(big) == D("1234567890123456789012345678901234567890.13")


def test_quanta_above_one_round_to_whole_hundreds() -> None:
    """A quantum of 100 rounds 1234 to 1200 and 1250 to 1300, written plainly."""
    assert str(pk.quantize(D(1234), "100")) == "1200"
    assert str(pk.quantize(D(1250), "100")) == "1300"
    assert str(pk.quantize(D(-1250), "100")) == "-1300"


def test_non_decimal_quantum_for_cash_rounding() -> None:
    """A 0.05 quantum rounds to the nearest five cents."""
    assert pk.quantize(D("1.03"), "0.05") == D("1.05")
    assert pk.quantize(D("1.02"), "0.05") == D("1.00")
    assert pk.quantize(D("-1.025"), "0.05") == D("-1.05")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantum": "0"}, "positive"),
        ({"quantum": "-0.01"}, "positive"),
        ({"mode": "banker"}, "half_up, half_even"),
    ],
)
def test_quantize_rejects_bad_arguments(kwargs: dict[str, str], match: str) -> None:
    """A non-positive quantum or an unknown mode raises, listing what is accepted."""
    with pytest.raises(pk.InvalidValueError, match=match):
        pk.quantize(D("1"), **kwargs)


def test_quantize_refuses_floats_and_nan() -> None:
    """Rounding a float or NaN raises instead of guessing."""
    with pytest.raises(pk.InvalidValueError):
        pk.quantize(1.5)  # type: ignore[arg-type]
    with pytest.raises(pk.InvalidValueError):
        pk.quantize(D("NaN"))


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False
    ),
    st.sampled_from(list(RoundingMode)),
    st.sampled_from(["0.01", "1", "0.05", "0.001", "100"]),
)
def test_rounding_is_symmetric(x: Decimal, mode: RoundingMode, quantum: str) -> None:
    """round(-x) == -round(x) for every mode and quantum."""
    assert pk.quantize(-x, quantum, mode) == -pk.quantize(x, quantum, mode)


@given(
    st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**4),
    st.sampled_from(list(RoundingMode)),
)
def test_rounding_is_within_one_quantum_and_agrees_for_decimals(
    x: Fraction, mode: RoundingMode
) -> None:
    """A rounded value is a multiple of the quantum within one quantum of the exact value,
    and a Decimal input rounds exactly as its Fraction does."""
    r = pk.quantize(x, "0.01", mode)
    assert abs(to_fraction(r) - x) < Fraction(1, 100)
    assert (to_fraction(r) * 100).denominator == 1
    as_decimal = D(x.numerator) / D(x.denominator) if (10**20 % x.denominator == 0) else None
    if as_decimal is not None:
        assert pk.quantize(as_decimal, "0.01", mode) == r


# --- allocate --------------------------------------------------------------------


def test_twelve_equal_months_sum_to_the_whole() -> None:
    """100,000.00 over twelve equal months sums to 100,000.00, not 99,999.96."""
    parts = pk.allocate(D("100000.00"), {f"2026-{m:02d}": 1 for m in range(1, 13)})
    assert sum(parts.values()) == D("100000.00")
    assert sorted(set(parts.values())) == [D("8333.33"), D("8333.34")]
    assert [k for k, v in parts.items() if v == D("8333.34")] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]


def test_ties_go_by_key_not_by_input_order() -> None:
    """The extra cent goes to the smallest key whatever the order of the mapping."""
    forward = pk.allocate("1.00", {"a": 1, "b": 1, "c": 1})
    backward = pk.allocate("1.00", {"c": 1, "b": 1, "a": 1})
    assert forward == backward == {"a": D("0.34"), "b": D("0.33"), "c": D("0.33")}
    assert list(backward) == ["c", "b", "a"]  # the result keeps the caller's order


def test_percent_weights_and_zero_weights() -> None:
    """Weights may be percentages; a zero weight gets exactly zero."""
    parts = pk.allocate("100000", {"q1": "20%", "q2": "20%", "q3": "20%", "q4": "40%", "none": 0})
    assert parts == {
        "q1": D("20000.00"),
        "q2": D("20000.00"),
        "q3": D("20000.00"),
        "q4": D("40000.00"),
        "none": D("0.00"),
    }


def test_other_quanta() -> None:
    """Whole-unit and five-cent quanta allocate in multiples of the quantum."""
    assert pk.allocate("10", {"a": 1, "b": 1, "c": 1}, quantum="1") == {
        "a": D(4),
        "b": D(3),
        "c": D(3),
    }
    five = pk.allocate("1.00", {"a": 1, "b": 1, "c": 1}, quantum="0.05")
    assert sum(five.values()) == D("1.00")
    assert all((v / D("0.05")) % 1 == 0 for v in five.values())


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ({"east": 1, "west": -1}, "'west' is negative"),
        ({"east": D("NaN")}, "'east' is NaN"),
        ({"east": D("Infinity")}, "'east'"),
        ({"east": 1.5}, "float"),
        ({"east": 0, "west": 0}, "all weights are zero"),
        ({}, "at least one key"),
    ],
)
def test_bad_weights_name_the_key(weights: Weights, match: str) -> None:
    """Negative, NaN, infinite, float, all-zero and empty weights raise naming the problem."""
    with pytest.raises(pk.InvalidValueError, match=match):
        pk.allocate("100", weights)


def test_total_must_be_whole_quanta() -> None:
    """A total finer than the quantum cannot be split exactly and is refused."""
    with pytest.raises(pk.InvalidValueError, match="whole number of quanta"):
        pk.allocate("10.005", {"a": 1})


@given(cents, weight_maps)
def test_allocation_invariants(total: Decimal, weights: Weights) -> None:
    """Parts sum exactly, each is within one quantum of its exact share, zero weight is zero."""
    parts = pk.allocate(total, weights)
    assert sum(parts.values()) == total
    assert list(parts) == list(weights)
    wsum = sum(to_fraction(w) for w in weights.values())
    for key, part in parts.items():
        exact = to_fraction(total) * to_fraction(weights[key]) / wsum
        assert abs(to_fraction(part) - exact) < Fraction(1, 100)
        assert part.as_tuple().exponent == -2
        if weights[key] == 0:
            assert part == 0


@given(cents, weight_maps, st.randoms(use_true_random=False))
def test_allocation_is_order_independent(total: Decimal, weights: Weights, rnd: object) -> None:
    """Shuffling the input mapping never changes who gets what."""
    items = list(weights.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert pk.allocate(total, dict(items)) == pk.allocate(total, weights)


@given(cents, weight_maps)
def test_allocation_is_sign_symmetric(total: Decimal, weights: Weights) -> None:
    """allocate(-x) == -allocate(x), part by part."""
    pos = pk.allocate(total, weights)
    neg = pk.allocate(-total, weights)
    assert neg == {k: -v for k, v in pos.items()}
    assert all(str(v) != "-0.00" for v in neg.values())


@given(cents, weight_maps)
def test_reallocating_a_part_is_idempotent(total: Decimal, weights: Weights) -> None:
    """Re-allocating a part to its own key alone returns it; re-running is stable."""
    parts = pk.allocate(total, weights)
    for key, part in parts.items():
        if weights[key] != 0:
            assert pk.allocate(part, {key: weights[key]}) == {key: part}
    assert pk.allocate(total, weights) == parts


@given(cents, st.integers(min_value=1, max_value=50))
def test_equal_weights_differ_by_at_most_one_quantum(total: Decimal, n: int) -> None:
    """Equal weights give parts that differ by at most one cent."""
    parts = pk.allocate(total, {f"k{i:02d}": 1 for i in range(n)})
    assert max(parts.values()) - min(parts.values()) <= D("0.01")


def test_allocation_scale_of_weights_does_not_matter() -> None:
    """Weights 1:2:3 and 10%:20%:30% allocate identically."""
    a = pk.allocate("1000.00", {"x": 1, "y": 2, "z": 3})
    b = pk.allocate("1000.00", {"x": "10%", "y": "20%", "z": "30%"})
    assert a == b
