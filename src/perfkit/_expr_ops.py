"""Operator semantics for expressions: exact arithmetic within stated size limits.

Expressions compute exactly (DOMAIN.md, "Numbers and money"). ``+ - *`` on
Decimals run in a context wide enough that every result within the size limit
is exact, and the ``Inexact`` trap refuses any other; ``/`` gives a Decimal when
the quotient terminates and an exact :class:`~fractions.Fraction` otherwise;
mixed Decimal/Fraction arithmetic is done in Fractions and turned back into a
Decimal whenever the value has a finite decimal expansion. Only non-integer
powers and square roots are irrational; they are computed to 34 significant
digits.

Every size is checked before the work is done, so a hostile expression fails in
microseconds instead of building a million-digit number.

The compiled closures (:mod:`perfkit._expr_compile`) carry inline fast paths
for Decimal operands; the functions here are the complete semantics, used when
a fast path does not apply, for constant folding, and by the built-in functions.
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from perfkit.errors import EvaluationError

__all__ = [
    "ARITHMETIC",
    "DIVISION",
    "IRRATIONAL",
    "IRRATIONAL_DIGITS",
    "MAX_BITS",
    "MAX_DIGITS",
    "MAX_STRING",
    "LimitError",
    "Operands",
    "add",
    "check_input",
    "describe",
    "divide",
    "exact",
    "floor_divide",
    "modulo",
    "multiply",
    "negate",
    "positive",
    "power",
    "quote",
    "square_root",
    "subtract",
    "to_number",
]

MAX_DIGITS = 1000
"""Most significant digits of any exact result, and the largest decimal exponent."""

MAX_BITS = 3400
"""Most bits of a Fraction's numerator or denominator (about ``MAX_DIGITS`` digits)."""

MAX_STRING = 10_000
"""Longest text an expression may build or write as a literal."""

IRRATIONAL_DIGITS = 34
"""Significant digits of non-integer powers and square roots."""

_TRAPS = [
    decimal.InvalidOperation,
    decimal.DivisionByZero,
    decimal.Overflow,
    decimal.Inexact,
    decimal.FloatOperation,
]

ARITHMETIC = decimal.Context(
    prec=MAX_DIGITS, Emax=MAX_DIGITS, Emin=-MAX_DIGITS, traps=_TRAPS, flags=[]
)
"""The context expressions evaluate in: any result that would be rounded raises."""

DIVISION = decimal.Context(prec=60, Emax=MAX_DIGITS, Emin=-MAX_DIGITS, traps=_TRAPS, flags=[])
"""A cheap first try at a quotient: exact when it terminates within 60 digits."""

IRRATIONAL = decimal.Context(
    prec=IRRATIONAL_DIGITS,
    Emax=MAX_DIGITS,
    Emin=-MAX_DIGITS,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Underflow,
        decimal.FloatOperation,
    ],
    flags=[],
)
"""Where irrational results (fractional powers, roots) are rounded to 34 digits."""

_ONE = Decimal(1)
_ZERO = Decimal(0)


class LimitError(EvaluationError):
    """A result would exceed the size limits; raised before the work is done."""


class Operands:
    """Source texts of one operation, for error messages.

    Attributes:
        segment: the operation's own text, e.g. ``revenue / target``.
        left: the left operand's text (``revenue``).
        right: the right operand's text (``target``).
    """

    __slots__ = ("left", "right", "segment")

    def __init__(self, segment: str, left: str, right: str = "") -> None:
        self.segment = segment
        self.left = left
        self.right = right


def quote(text: str, limit: int = 80) -> str:
    """Quote source text for a message, shortening it past ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 3] + "..."
    return f"'{flat}'"


def describe(value: object) -> str:
    """Name a value and its kind for an error message (``the text 'east'``)."""
    if value is None:
        return "missing (None)"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, Decimal | Fraction | int):
        shown = str(value)
        return f"the number {shown if len(shown) <= 40 else shown[:37] + '...'}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, Mapping):
        return "a table (mapping)"
    if isinstance(value, Sequence):
        return "a list"
    return f"a value of type {type(value).__name__}"


def check_input(what: str, value: object) -> object:
    """Admit one value into an evaluation, normalising numbers.

    Ints become Decimals; Decimals must be finite; Fractions must be within the
    size limit; floats are refused (they have no exact decimal meaning). Text,
    booleans, dates, None, tables and other objects pass unchanged.

    Args:
        what: how to name the value in a message, e.g. ``input 'revenue'``.
        value: the value.

    Returns:
        The value, with ints turned into Decimals.

    Raises:
        EvaluationError: for floats, NaN or infinite Decimals and oversized numbers.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str | date):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EvaluationError(f"{what} is {value}, not a finite number")
        return value
    if isinstance(value, int):
        return _int_to_decimal(what, value)
    if isinstance(value, Fraction):
        _check_fraction(value, what)
        return value
    if isinstance(value, float):
        raise EvaluationError(
            f"{what} is the float {value!r}; expressions never take floats, because "
            f"they have no exact decimal value: pass Decimal({str(value)!r}) instead"
        )
    if isinstance(value, numbers.Integral):
        return _int_to_decimal(what, int(value))
    if isinstance(value, numbers.Rational):
        fraction = Fraction(int(value.numerator), int(value.denominator))
        _check_fraction(fraction, what)
        return fraction
    if isinstance(value, numbers.Number):
        raise EvaluationError(
            f"{what} is {describe(value)}; expressions take Decimal, int or Fraction numbers"
        )
    return value


def _int_to_decimal(what: str, value: int) -> Decimal:
    if value.bit_length() > MAX_BITS:
        raise LimitError(f"{what} has more than {MAX_DIGITS} digits")
    return Decimal(value)


def _check_fraction(value: Fraction, what: str) -> None:
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise LimitError(f"{what} needs more than about {MAX_DIGITS} digits")


def to_number(value: object, what: str) -> Decimal | Fraction:
    """Return ``value`` as a Decimal or Fraction, or raise naming ``what``.

    Args:
        value: an operand.
        what: how to name it, e.g. ``'base_salary'`` or ``the argument x of floor()``.

    Raises:
        EvaluationError: for None (a missing value), booleans, text and other kinds.
    """
    if type(value) is Decimal or type(value) is Fraction:
        return value
    if value is None:
        raise EvaluationError(f"missing value: {what} is None")
    if isinstance(value, bool):
        raise EvaluationError(
            f"{what} is {describe(value)}, not a number; "
            "write if_(condition, 1, 0) to turn a condition into a number"
        )
    if isinstance(value, numbers.Number):
        number = check_input(what, value)
        if isinstance(number, Decimal | Fraction):
            return number
    raise EvaluationError(f"{what} is {describe(value)}, not a number")


def from_fraction(value: Fraction, segment: str = "") -> Decimal | Fraction:
    """Return an exact Fraction result, as a Decimal when its expansion terminates.

    Raises:
        LimitError: when the numerator or denominator is beyond the size limit.
    """
    _check_fraction(value, f"the result of {quote(segment)}" if segment else "a result")
    numerator, denominator = value.numerator, value.denominator
    if denominator == 1:
        return Decimal(numerator)
    twos = (denominator & -denominator).bit_length() - 1
    rest = denominator >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return value
    scale = max(twos, fives)
    units = numerator * (10**scale // denominator)
    try:
        return ARITHMETIC.scaleb(Decimal(units), -scale)
    except decimal.DecimalException:
        return value


def exact(result: Fraction, info: Operands) -> Decimal | Fraction:
    """Finish an exact Fraction computation of ``info``'s operation."""
    return from_fraction(result, info.segment)


def _decimal_op(method: str, x: Decimal, y: Decimal, info: Operands) -> Decimal:
    try:
        result: Decimal = getattr(ARITHMETIC, method)(x, y)
    except decimal.Overflow:
        raise LimitError(f"{quote(info.segment)} is too large (beyond 1E+{MAX_DIGITS})") from None
    except (decimal.Inexact, decimal.Subnormal):
        raise LimitError(
            f"{quote(info.segment)} needs more than {MAX_DIGITS} significant digits"
        ) from None
    except decimal.DecimalException as exc:
        raise EvaluationError(f"invalid arithmetic in {quote(info.segment)}: {exc!r}") from None
    return result


def _numbers(a: object, b: object, info: Operands) -> tuple[Decimal | Fraction, Decimal | Fraction]:
    try:
        return to_number(a, quote(info.left)), to_number(b, quote(info.right))
    except EvaluationError as exc:
        raise type(exc)(f"{exc} in {quote(info.segment)}") from None


def _is_literal(text: str) -> bool:
    try:
        Decimal(text.replace("_", ""))
    except (decimal.InvalidOperation, ValueError):
        return False
    return True


def add(a: object, b: object, info: Operands) -> object:
    """``a + b``: exact sum of numbers, or concatenation of two texts (bounded)."""
    if isinstance(a, str) or isinstance(b, str):
        if isinstance(a, str) and isinstance(b, str):
            if len(a) + len(b) > MAX_STRING:
                raise LimitError(
                    f"{quote(info.segment)} would build a text of {len(a) + len(b)} "
                    f"characters; at most {MAX_STRING} are allowed"
                )
            return a + b
        raise EvaluationError(
            f"cannot add {describe(a)} and {describe(b)} in {quote(info.segment)}: "
            "'+' adds two numbers or joins two texts"
        )
    x, y = _numbers(a, b, info)
    if type(x) is Decimal and type(y) is Decimal:
        return _decimal_op("add", x, y, info)
    return exact(Fraction(x) + Fraction(y), info)


def subtract(a: object, b: object, info: Operands) -> object:
    """``a - b``: exact difference."""
    x, y = _numbers(a, b, info)
    if type(x) is Decimal and type(y) is Decimal:
        return _decimal_op("subtract", x, y, info)
    return exact(Fraction(x) - Fraction(y), info)


def multiply(a: object, b: object, info: Operands) -> object:
    """``a * b``: exact product. Text is never repeated."""
    if isinstance(a, str) or isinstance(b, str):
        raise EvaluationError(
            f"cannot multiply {describe(a)} by {describe(b)} in {quote(info.segment)}: "
            "text cannot be repeated with '*'"
        )
    x, y = _numbers(a, b, info)
    if type(x) is Decimal and type(y) is Decimal:
        return _decimal_op("multiply", x, y, info)
    return exact(Fraction(x) * Fraction(y), info)


def _divisor(a: object, b: object, info: Operands) -> tuple[Decimal | Fraction, Decimal | Fraction]:
    x, y = _numbers(a, b, info)
    if not y:
        zero = "" if _is_literal(info.right) else f" ({quote(info.right)} is 0)"
        raise EvaluationError(f"division by zero in {quote(info.segment)}{zero}")
    return x, y


def divide(a: object, b: object, info: Operands) -> object:
    """``a / b``: a Decimal when the quotient terminates, else an exact Fraction."""
    x, y = _divisor(a, b, info)
    if type(x) is Decimal and type(y) is Decimal:
        try:
            quotient: Decimal = DIVISION.divide(x, y)
        except decimal.DecimalException:
            pass
        else:
            return quotient
    return exact(Fraction(x) / Fraction(y), info)


def floor_divide(a: object, b: object, info: Operands) -> object:
    """``a // b``: the floor of the exact quotient (Python's rule, also for negatives)."""
    x, y = _divisor(a, b, info)
    return exact(Fraction(Fraction(x) // Fraction(y)), info)


def modulo(a: object, b: object, info: Operands) -> object:
    """``a % b``: ``a - b * (a // b)``, with the sign of ``b`` (Python's rule)."""
    if isinstance(a, str):
        raise EvaluationError(
            f"'%' on {describe(a)} in {quote(info.segment)}: "
            "'%' is the remainder of two numbers, not text formatting"
        )
    x, y = _divisor(a, b, info)
    return exact(Fraction(x) % Fraction(y), info)


def negate(a: object, info: Operands) -> object:
    """``-a``."""
    x = _numbers(a, _ZERO, info)[0]
    if type(x) is Decimal:
        try:
            return ARITHMETIC.minus(x)
        except decimal.DecimalException:
            raise LimitError(
                f"{quote(info.left)} has more than {MAX_DIGITS} significant digits"
            ) from None
    return -x


def positive(a: object, info: Operands) -> object:
    """``+a``: the number unchanged (an error for anything else)."""
    return _numbers(a, _ZERO, info)[0]


def _is_integral(value: Decimal | Fraction) -> bool:
    if isinstance(value, Fraction):
        return value.denominator == 1
    return value == value.to_integral_value()


def power(a: object, b: object, info: Operands) -> object:
    """``a ** b``: exact for integer exponents, 34 significant digits otherwise.

    Raises:
        LimitError: when the result would exceed the size limits (checked first).
        EvaluationError: for ``0 ** -n`` and non-integer powers of negative numbers.
    """
    x, y = _numbers(a, b, info)
    if _is_integral(y):
        return _integer_power(x, int(y), info)
    return _real_power(x, y, info)


def _integer_power(x: Decimal | Fraction, n: int, info: Operands) -> object:
    if not x:
        if n < 0:
            raise EvaluationError(
                f"division by zero in {quote(info.segment)} (0 to a negative power)"
            )
        return _ONE if n == 0 else _ZERO
    if x == 1 or n == 0:
        return _ONE
    if x == -1:
        return _ONE if n % 2 == 0 else -_ONE
    ratio = Fraction(x)
    width = max(ratio.numerator.bit_length(), ratio.denominator.bit_length()) - 1
    if n.bit_length() > 32 or abs(n) * max(width, 1) > MAX_BITS:
        raise LimitError(
            f"{quote(info.segment)} would have more than {MAX_DIGITS} digits "
            f"({quote(info.left)} to the power {n})"
        )
    if type(x) is Decimal and n > 0:
        return _decimal_op("power", x, Decimal(n), info)
    return exact(ratio**n, info)


def _log10(x: Decimal) -> float:
    exponent = x.adjusted()
    return exponent + math.log10(float(x.scaleb(-exponent, context=IRRATIONAL)))


def _to_decimal(value: Decimal | Fraction) -> Decimal:
    if isinstance(value, Decimal):
        return value
    context = decimal.Context(prec=IRRATIONAL_DIGITS + 6, Emax=MAX_DIGITS + 1, Emin=-MAX_DIGITS - 1)
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))


def _trim(value: Decimal) -> Decimal:
    """Drop the trailing zeros a 34-digit result may carry (``2.000...0`` -> ``2``)."""
    if value == value.to_integral_value():
        return value.quantize(_ONE, context=ARITHMETIC)
    return value.normalize(ARITHMETIC)


def _real_power(x: Decimal | Fraction, y: Decimal | Fraction, info: Operands) -> Decimal:
    if x < 0:
        raise EvaluationError(
            f"cannot raise a negative number ({x}) to the non-integer power {y} in "
            f"{quote(info.segment)}"
        )
    if not x:
        if y < 0:
            raise EvaluationError(
                f"division by zero in {quote(info.segment)} (0 to a negative power)"
            )
        return _ZERO
    if x == 1:
        return _ONE
    base, exponent = _to_decimal(x), _to_decimal(y)
    if abs(float(exponent)) * abs(_log10(base)) > MAX_DIGITS:
        raise LimitError(
            f"{quote(info.segment)} is beyond 1E+{MAX_DIGITS} or below 1E-{MAX_DIGITS}"
        )
    try:
        return _trim(IRRATIONAL.power(base, exponent))
    except (decimal.Overflow, decimal.Underflow):
        raise LimitError(
            f"{quote(info.segment)} is beyond 1E+{MAX_DIGITS} or below 1E-{MAX_DIGITS}"
        ) from None


def square_root(value: object, what: str = "the argument of sqrt()") -> Decimal:
    """The square root to 34 significant digits (exact when it is short).

    Raises:
        EvaluationError: for negative numbers and non-numbers.
    """
    x = to_number(value, what)
    if x < 0:
        raise EvaluationError(f"cannot take the square root of a negative number ({x})")
    return _trim(IRRATIONAL.sqrt(_to_decimal(x)))
