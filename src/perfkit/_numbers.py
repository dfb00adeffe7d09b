"""Numbers: Decimal construction, named rounding, and exact allocation.

This module is the one place perfkit makes numbers. Money, rates, weights and
scores are :class:`~decimal.Decimal`; a float never enters (``0.1`` has no exact
binary value, so accepting one would make results depend on how a caller typed a
literal). Intermediate arithmetic elsewhere may use :class:`fractions.Fraction`,
the exact reference semantics; this module rounds either kind at a named quantum
with a named mode.
"""

from __future__ import annotations

import decimal
import enum
import functools
import math
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias, TypeVar

from perfkit.errors import InvalidValueError

__all__ = [
    "CENT",
    "Number",
    "RoundingMode",
    "allocate",
    "parse_decimal",
    "quantize",
    "to_fraction",
]

Number: TypeAlias = Decimal | int | str
"""What perfkit accepts where it needs an exact number (never ``float``)."""

CENT = Decimal("0.01")

K = TypeVar("K", bound=Hashable)


class RoundingMode(enum.StrEnum):
    """How a value is rounded to a quantum. Every mode is symmetric around zero.

    ``half_up`` (the default) rounds ties away from zero, as Python's
    ``decimal.ROUND_HALF_UP`` does, so ``round(-x) == -round(x)``.
    """

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    HALF_DOWN = "half_down"
    DOWN = "down"
    UP = "up"

    @classmethod
    def parse(cls, mode: RoundingMode | str) -> RoundingMode:
        """Return the mode named by ``mode`` or raise listing the accepted names."""
        if isinstance(mode, RoundingMode):
            return mode
        try:
            return cls(mode)
        except ValueError:
            accepted = ", ".join(m.value for m in cls)
            raise InvalidValueError(
                f"unknown rounding mode {mode!r}; expected one of: {accepted}"
            ) from None

    @property
    def decimal_constant(self) -> str:
        """The matching ``decimal`` module rounding constant."""
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
}


def parse_decimal(value: object, *, what: str = "value") -> Decimal:
    """Make an exact Decimal from a str, int, Decimal or Fraction-free text.

    ``"19.99"`` gives ``Decimal("19.99")`` and ``"5%"`` gives ``Decimal("0.05")``.
    Floats and booleans are refused, because neither has one exact decimal meaning.

    Args:
        value: a ``Decimal``, ``int`` or ``str`` (optionally ending in ``%``).
        what: how to name the value in an error message (e.g. ``"weight for 'east'"``).

    Raises:
        InvalidValueError: for floats, booleans, unparseable text, NaN and infinities.
    """
    if isinstance(value, bool):
        raise InvalidValueError(f"{what}: expected a number, got the boolean {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        raise InvalidValueError(
            f"{what}: got the float {value!r}; perfkit never takes floats for exact "
            f"numbers: pass a str such as {_float_hint(value)!r} or a Decimal"
        )
    elif isinstance(value, str):
        result = _parse_text(value, what)
    else:
        raise InvalidValueError(
            f"{what}: expected a Decimal, int or str, got {type(value).__name__} {value!r}"
        )
    if not result.is_finite():
        raise InvalidValueError(f"{what}: {value!r} is not a finite number")
    return result


def _float_hint(value: float) -> str:
    return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "0"


def _parse_text(text: str, what: str) -> Decimal:
    stripped = text.strip()
    percent = stripped.endswith("%")
    digits = stripped[:-1].strip() if percent else stripped
    try:
        number = Decimal(digits)
    except decimal.InvalidOperation:
        raise InvalidValueError(
            f"{what}: {text!r} is not a number (expected digits like '19.99', '-3' or '5%')"
        ) from None
    if not number.is_finite():
        raise InvalidValueError(f"{what}: {text!r} is not a finite number")
    return number.scaleb(-2, context=_WIDE) if percent else number


def to_fraction(value: Decimal | int | Fraction) -> Fraction:
    """Return the exact rational value of a Decimal, int or Fraction."""
    if isinstance(value, Fraction):
        return value
    if type(value) is Decimal:
        return _decimal_fraction(value)
    return Fraction(value)


@functools.lru_cache(maxsize=4096)
def _decimal_fraction(value: Decimal) -> Fraction:
    # Policy constants (curve points, weights, rates) recur for every participant;
    # Decimals that hash alike are equal numbers, so sharing their Fraction is exact.
    return Fraction(value)


def _quantum(quantum: Number) -> Decimal:
    # The usual few are checked once. Keyed by their digits and exponent, not by
    # value: 0.01 and 0.010 are equal but round to different exponents.
    key = quantum.as_tuple() if type(quantum) is Decimal else None
    if key is not None and key in _QUANTA:
        return _QUANTA[key]
    q = parse_decimal(quantum, what="quantum")
    if q <= 0:
        raise InvalidValueError(f"quantum: must be positive, got {quantum!r}")
    if key is not None and len(_QUANTA) < 64:
        _QUANTA[key] = q
    return q


_QUANTA: dict[object, Decimal] = {}


def _round_fraction(value: Fraction, mode: RoundingMode) -> int:
    """Round an exact rational to an integer by a symmetric mode."""
    return _round_ratio(value.numerator, value.denominator, mode)


def _round_ratio(numerator: int, den: int, mode: RoundingMode) -> int:
    """Round ``numerator / den`` (``den`` > 0) to an integer by a symmetric mode."""
    sign = -1 if numerator < 0 else 1
    whole, rest = divmod(abs(numerator), den)
    if rest == 0:
        return sign * whole
    twice = 2 * rest
    if mode is RoundingMode.DOWN:
        up = False
    elif mode is RoundingMode.UP:
        up = True
    elif twice != den:
        up = twice > den
    elif mode is RoundingMode.HALF_UP:
        up = True
    elif mode is RoundingMode.HALF_DOWN:
        up = False
    else:
        up = whole % 2 == 1
    return sign * (whole + 1 if up else whole)


def quantize(
    value: Decimal | int | Fraction,
    quantum: Number = CENT,
    mode: RoundingMode | str = RoundingMode.HALF_UP,
) -> Decimal:
    """Round ``value`` to a multiple of ``quantum`` with a named mode.

    Works exactly on Decimals of any size and on Fractions (the exact
    intermediates of plan arithmetic), for any positive quantum (``0.01``, ``1``,
    ``0.05`` for cash rounding). Zero is always returned unsigned.

    >>> quantize(Decimal("2.665"))
    Decimal('2.67')
    >>> quantize(Decimal("2.665"), mode="half_even")
    Decimal('2.66')
    """
    q = _quantum(quantum)
    rounding = RoundingMode.parse(mode)
    if isinstance(value, float | bool):
        parse_decimal(value, what="value to round")  # raises with the standard message
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValueError(f"value to round: {value!r} is not a finite number")
    if isinstance(value, Decimal) and q.as_tuple().digits == (1,):
        digits = max(28, value.adjusted() - q.adjusted() + 3)
        context = decimal.Context(prec=digits, rounding=rounding.decimal_constant)
        result = value.quantize(q, context=context)
    elif isinstance(value, Fraction | int) and q.as_tuple().digits == (1,):
        # A power-of-ten quantum on an exact ratio: integer arithmetic only.
        exponent = int(q.as_tuple().exponent)
        numerator, denominator = value.numerator, value.denominator
        if exponent <= 0:
            numerator *= 10**-exponent
        else:
            denominator *= 10**exponent
        result = _units_to_decimal(_round_ratio(numerator, denominator, rounding), q)
    else:
        units = _round_fraction(to_fraction(value) / to_fraction(q), rounding)
        result = _units_to_decimal(units, q)
    return result + 0 if result == 0 else result  # normalise -0.00 to 0.00


_WIDE = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.InvalidOperation])


def _units_to_decimal(units: int, quantum: Decimal) -> Decimal:
    """Return ``units * quantum`` exactly, carrying the quantum's exponent."""
    return _decimal_maker(quantum)(units)


def _decimal_maker(quantum: Decimal) -> Callable[[int], Decimal]:
    """Return a fast exact ``units -> units * quantum`` for one quantum."""
    _sign, digits, exponent = quantum.as_tuple()
    if digits == (1,) and isinstance(exponent, int):
        scaleb = Decimal.scaleb
        return lambda units: scaleb(Decimal(units), exponent, _WIDE)
    return lambda units: _WIDE.multiply(Decimal(units), quantum)


def _weight_as_ratio(key: object, weight: Any) -> tuple[int, int]:
    """Return a weight as (numerator, denominator), refusing bad weights by key."""
    what = f"weight for {key!r}"
    if type(weight) is int:
        num, den = weight, 1
    elif isinstance(weight, Fraction):
        num, den = weight.numerator, weight.denominator
    else:
        if isinstance(weight, Decimal | float) and weight != weight:
            raise InvalidValueError(f"{what} is NaN; weights must be finite and non-negative")
        num, den = parse_decimal(weight, what=what).as_integer_ratio()
    if num < 0:
        raise InvalidValueError(f"{what} is negative ({weight}); weights must be non-negative")
    return num, den


def _tie_order(keys: list[K]) -> dict[K, int]:
    """Rank keys by their natural order (by type name and repr when not comparable)."""
    try:
        ordered = sorted(keys)  # type: ignore[type-var]
    except TypeError:
        ordered = sorted(keys, key=lambda k: (type(k).__name__, repr(k)))
    return {key: rank for rank, key in enumerate(ordered)}


def allocate(
    total: Number,
    weights: Mapping[K, Number | Fraction],
    *,
    quantum: Number = CENT,
) -> dict[K, Decimal]:
    """Split ``total`` into parts proportional to ``weights``, exactly, at ``quantum``.

    Uses the largest-remainder (Hamilton) method: each key first gets its exact
    share rounded toward zero to the quantum, then the quanta left over go one
    each to the keys with the largest remainders, ties broken by the keys' own
    order (never by input position). So the parts sum to ``total`` exactly, each
    is within one quantum of its exact share, a zero weight gets exactly zero,
    reordering the input changes nothing and ``allocate(-x, w) == -allocate(x, w)``.

    >>> allocate(Decimal("100"), {"a": 1, "b": 1, "c": 1})
    {'a': Decimal('33.34'), 'b': Decimal('33.33'), 'c': Decimal('33.33')}

    Args:
        total: the amount to split; must be a multiple of ``quantum``.
        weights: key -> non-negative weight (Decimal, int, str such as ``"40%"``,
            or Fraction); at least one must be positive.
        quantum: the smallest unit of a part, ``0.01`` by default.

    Returns:
        key -> part, in the order of ``weights``.

    Raises:
        InvalidValueError: for negative, NaN, infinite or float weights (naming the
            key), all-zero or empty weights, or a total that is not a whole number
            of quanta.
    """
    q = _quantum(quantum)
    amount = parse_decimal(total, what="total")
    exact_units = to_fraction(amount) / to_fraction(q)
    if exact_units.denominator != 1:
        raise InvalidValueError(
            f"total: {amount} is not a whole number of quanta of {q}; "
            f"round it first (perfkit.quantize) or choose a finer quantum"
        )
    if not weights:
        raise InvalidValueError("weights: at least one key is needed to allocate to")
    ratios = {key: _weight_as_ratio(key, w) for key, w in weights.items()}
    units_total = exact_units.numerator
    sign = -1 if units_total < 0 else 1
    units_total = abs(units_total)

    # One common denominator turns every weight into an integer, so the rest is
    # integer arithmetic: fast, and exact by construction.
    denominator = math.lcm(*{den for _, den in ratios.values()})
    int_weights = {k: num * (denominator // den) for k, (num, den) in ratios.items()}
    weight_sum = sum(int_weights.values())
    if weight_sum == 0:
        raise InvalidValueError(
            "weights: all weights are zero; at least one must be positive to allocate "
            f"{amount} over {', '.join(repr(k) for k in list(weights)[:5])}"
            + (" ..." if len(weights) > 5 else "")
        )

    units: dict[K, int] = {}
    remainders: list[tuple[int, K]] = []
    given = 0
    for key, w in int_weights.items():
        whole, rest = divmod(units_total * w, weight_sum)
        units[key] = whole
        given += whole
        if rest:
            remainders.append((rest, key))
    left = units_total - given
    if left:
        try:
            remainders.sort(key=lambda item: (-item[0], item[1]))
        except TypeError:  # keys of mixed types: rank them by type name and repr
            rank = _tie_order([key for _, key in remainders])
            remainders.sort(key=lambda item: (-item[0], rank[item[1]]))
        for _, key in remainders[:left]:
            units[key] += 1
    make = _decimal_maker(q)
    return {key: make(sign * u) for key, u in units.items()}
