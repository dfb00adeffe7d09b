"""The built-in functions of the expression language.

Each is a plain Python function whose signature is the one an expression sees
(the registry reads it to check calls when a policy loads). They take the values
an expression computes (Decimal, Fraction, text, booleans, dates, None, tables)
and raise :class:`~perfkit.errors.EvaluationError` with a message that names the
function. ``if_`` and ``coalesce`` are *lazy*: the compiler evaluates only the
arguments it needs, so ``if_(target > 0, revenue / target, 0)`` never divides by
zero; the Python bodies below give the same results for already computed values.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Mapping, Sequence, Sized
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

from perfkit._expr_ops import (
    ARITHMETIC,
    Operands,
    check_input,
    describe,
    divide,
    from_fraction,
    square_root,
    to_number,
)
from perfkit._numbers import quantize
from perfkit.errors import EvaluationError, PerfkitError

__all__ = ["BUILTINS", "LAZY", "REQUIRED", "Builtin"]


class _Required:
    """Marks an optional argument whose absence makes a miss an error."""

    def __repr__(self) -> str:
        return "<error>"


REQUIRED = _Required()
"""Default of ``lookup``'s and ``tier``'s ``default``: no default, a miss is an error."""

Builtin = Callable[..., object]

_ONE = Decimal(1)
_ZERO = Decimal(0)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _number(function: str, parameter: str, value: object) -> Decimal | Fraction:
    return to_number(value, f"the argument {parameter} of {function}()")


def _date(function: str, parameter: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise EvaluationError(
        f"{function}(): the argument {parameter} is {describe(value)}, not a date; "
        "write date('2026-01-01') for a literal date"
    )


def _extreme(function: str, values: tuple[object, ...], pick: Callable[..., object]) -> object:
    items: Sequence[object] = values
    if len(values) == 1 and isinstance(values[0], list | tuple):
        items = values[0]
        if not items:
            raise EvaluationError(f"{function}() of an empty list")
    checked = [check_input(f"an argument of {function}()", v) for v in items]
    if any(v is None for v in checked):
        raise EvaluationError(f"missing value: an argument of {function}() is None")
    try:
        return pick(checked)
    except TypeError:
        kinds = ", ".join(sorted({describe(v).split(" ")[1] for v in checked}))
        raise EvaluationError(
            f"{function}() cannot compare values of different kinds ({kinds})"
        ) from None


def min_(first: object, /, *rest: object) -> object:
    """The smallest argument: ``min(bonus, 30000)``; ``min(a, b, c)``; ``min(list)``."""
    return _extreme("min", (first, *rest), min)


def max_(first: object, /, *rest: object) -> object:
    """The largest argument: ``max(revenue - cost, 0)``."""
    return _extreme("max", (first, *rest), max)


def abs_(x: object, /) -> object:
    """The absolute value: ``abs(-5) == 5``."""
    number = _number("abs", "x", x)
    return ARITHMETIC.abs(number) if isinstance(number, Decimal) else abs(number)


def round_(x: object, /, quantum: object = _ONE, mode: object = "half_up") -> Decimal:
    """Round to a multiple of ``quantum`` (a step such as 0.01, NOT a digit count).

    ``round(2.665, 0.01) == 2.67``; ``round(2.665, 0.01, 'half_even') == 2.66``;
    ``round(1234, 100) == 1200``; ``round(7.3) == 7``. Modes: half_up (ties away
    from zero, the default), half_even, half_down, down, up.
    """
    number = _number("round", "x", x)
    if not isinstance(quantum, Decimal):
        raise EvaluationError(
            f"round(): the quantum is {describe(quantum)}; it must be a decimal step such "
            "as 0.01 (cents) or 1 (whole units)"
        )
    if not isinstance(mode, str):
        raise EvaluationError(
            f"round(): the mode is {describe(mode)}; write a name such as 'half_up'"
        )
    try:
        step = quantum.normalize(ARITHMETIC)
        rounded = quantize(number, step, mode)
    except PerfkitError as exc:
        raise EvaluationError(f"round(): {exc}") from None
    except ArithmeticError:
        raise EvaluationError(
            f"round(): cannot round {number} to a multiple of {quantum}"
        ) from None
    # A step of 100 rounds to hundreds; show the result as 1200, not 1.2E+3.
    exponent = step.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return rounded.quantize(_ONE, context=ARITHMETIC)
    return rounded


def floor_(x: object, /) -> Decimal:
    """The largest whole number not above ``x``: ``floor(-2.5) == -3``."""
    number = _number("floor", "x", x)
    if isinstance(number, Fraction):
        return Decimal(number.__floor__())
    return number.to_integral_value(rounding=ROUND_FLOOR)


def ceil_(x: object, /) -> Decimal:
    """The smallest whole number not below ``x``: ``ceil(2.1) == 3``."""
    number = _number("ceil", "x", x)
    if isinstance(number, Fraction):
        return Decimal(number.__ceil__())
    return number.to_integral_value(rounding=ROUND_CEILING)


def clamp(x: object, lo: object, hi: object, /) -> object:
    """``x`` limited to ``[lo, hi]``: ``clamp(attainment, 0, 1.5)``."""
    number = _number("clamp", "x", x)
    low = _number("clamp", "lo", lo)
    high = _number("clamp", "hi", hi)
    if low > high:
        raise EvaluationError(f"clamp(): the lower bound {low} is above the upper bound {high}")
    if number < low:
        return low
    if number > high:
        return high
    return number


def if_(condition: object, then: object, otherwise: object, /) -> object:
    """``then`` when ``condition`` is true, else ``otherwise``; only one is evaluated.

    ``if_(attainment >= 1, 500, 0)`` is the same as ``500 if attainment >= 1 else 0``.
    """
    return then if condition else otherwise


def coalesce(value: object, default: object, /, *more: object) -> object:
    """The first argument that is not None: ``coalesce(previous.revenue, 0)``."""
    for item in (value, default, *more):
        if item is not None:
            return item
    return None


def days(start: object, end: object, /) -> Decimal:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier).

    ``days(date('2026-01-01'), date('2026-03-01')) == 59``. Datetimes count by
    their date.
    """
    return Decimal((_date("days", "end", end) - _date("days", "start", start)).days)


def _add_months(day: date, count: int) -> date:
    year, month = divmod(day.month - 1 + count, 12)
    year += day.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _whole_months(start: date, end: date) -> int:
    if end < start:
        return -_whole_months(end, start)
    count = (end.year - start.year) * 12 + end.month - start.month
    if _add_months(start, count) > end:
        count -= 1
    return count


def months(start: object, end: object, /) -> Decimal:
    """Whole calendar months from ``start`` to ``end``.

    A month counts once adding it to ``start`` does not pass ``end``; adding a
    month to the 31st lands on the last day of a shorter month, so
    ``months(date('2026-01-31'), date('2026-02-28')) == 1`` and
    ``months(date('2026-01-15'), date('2026-02-14')) == 0``. Negative when
    ``end`` is earlier: ``months(b, a) == -months(a, b)``.
    """
    return Decimal(_whole_months(_date("months", "start", start), _date("months", "end", end)))


def date_(text: object, /) -> date:
    """The date written ``YYYY-MM-DD``: ``date('2026-04-01')``."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise EvaluationError(f"date(): expected text such as '2026-04-01', got {describe(text)}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise EvaluationError(f"date(): {text!r} is not a valid date ({exc})") from None


def pct(x: object, /) -> object:
    """``x`` percent as a fraction: ``pct(5) == 0.05``."""
    number = _number("pct", "x", x)
    if isinstance(number, Decimal):
        return ARITHMETIC.scaleb(number, -2)
    return from_fraction(number / 100, "pct()")


def sqrt(x: object, /) -> Decimal:
    """The square root, to 34 significant digits: ``sqrt(2)``; ``sqrt(16) == 4``."""
    return square_root(x, "the argument x of sqrt()")


_SAFE_DIV = Operands("safe_div(a, b)", "a", "b")


def safe_div(a: object, b: object, /, default: object = _ZERO) -> object:
    """``a / b``, or ``default`` (0 unless given) when ``b`` is zero.

    ``safe_div(revenue, target)``; ``safe_div(revenue, target, 1)``.
    """
    divisor = _number("safe_div", "b", b)
    if not divisor:
        return default
    return divide(_number("safe_div", "a", a), divisor, _SAFE_DIV)


def _missing_key(table: Mapping[object, object], key: object) -> EvaluationError:
    keys = [k for k in table if isinstance(k, str)]
    hint = ""
    if isinstance(key, str) and keys:
        close = difflib.get_close_matches(key, keys, n=1)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
    shown = ", ".join(repr(k) for k in list(table)[:8]) + (", ..." if len(table) > 8 else "")
    return EvaluationError(
        f"lookup(): {describe(key)} is not in the table{hint}; its keys: {shown}"
    )


def lookup(table: object, key: object, /, default: object = REQUIRED) -> object:
    """The value stored under ``key`` in a table (a mapping given as an input).

    ``lookup(region_rates, region)``; ``lookup(region_rates, region, 0.02)``
    falls back to 0.02 for a region not in the table.
    """
    if not isinstance(table, Mapping):
        raise EvaluationError(f"lookup(): the table is {describe(table)}, not a mapping")
    try:
        found = key in table
    except TypeError:
        raise EvaluationError(f"lookup(): {describe(key)} cannot be a table key") from None
    if not found:
        if default is REQUIRED:
            raise _missing_key(table, key)
        return default
    return check_input(f"lookup(): the value for {key!r}", table[key])


def _tier_rows(table: object) -> list[tuple[Decimal | Fraction, object]]:
    raw: list[object]
    if isinstance(table, Mapping):
        raw = list(table.items())
    elif isinstance(table, Sequence) and not isinstance(table, str):
        raw = list(table)
    else:
        raise EvaluationError(f"tier(): the table is {describe(table)}, not a list of rows")
    if not raw:
        raise EvaluationError("tier(): the table has no rows")
    rows: list[tuple[Decimal | Fraction, object]] = []
    for index, row in enumerate(raw):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != 2:
            raise EvaluationError(
                f"tier(): row {index} is {describe(row)}, not a (lower, value) pair"
            )
        lower = to_number(
            check_input(f"tier(): the lower bound of row {index}", row[0]),
            f"the lower bound of tier row {index}",
        )
        if rows and lower <= rows[-1][0]:
            raise EvaluationError(
                f"tier(): lower bounds must rise strictly; row {index} starts at {lower}, "
                f"not above {rows[-1][0]}"
            )
        rows.append((lower, check_input(f"tier(): the value of row {index}", row[1])))
    return rows


def tier(value: object, table: object, /, default: object = REQUIRED) -> object:
    """The value of the half-open tier ``[lower, next lower)`` that contains ``value``.

    ``table`` is a list of ``(lower, value)`` rows in ascending order (or a mapping
    ``{lower: value}``); the last tier is open above. With rows
    ``[(0, 0.02), (0.5, 0.05), (1.0, 0.08)]``, ``tier(1.0, rates) == 0.08``
    (exactly 100% earns the 100% tier). Below the first bound it is an error,
    or ``default`` when given: ``tier(x, rates, 0)``.
    """
    number = _number("tier", "value", value)
    rows = _tier_rows(table)
    if number < rows[0][0]:
        if default is REQUIRED:
            raise EvaluationError(
                f"tier(): {number} is below the first tier, which starts at {rows[0][0]}; "
                "pass a default as the third argument"
            )
        return default
    chosen = rows[0][1]
    for lower, result in rows:
        if number < lower:
            break
        chosen = result
    return chosen


def len_(x: object, /) -> Decimal:
    """The number of characters of a text (or of entries of a table): ``len(code) == 6``."""
    if isinstance(x, str | Mapping) or (isinstance(x, Sized) and isinstance(x, Sequence)):
        return Decimal(len(x))
    raise EvaluationError(f"len(): expected a text, got {describe(x)}")


def contains(haystack: object, needle: object, /) -> bool:
    """True when the text ``haystack`` contains ``needle``: ``contains(product, 'Pro')``.

    For a table (mapping or list) input it tests membership of a key or item.
    """
    if isinstance(haystack, str):
        if not isinstance(needle, str):
            raise EvaluationError(f"contains(): cannot look for {describe(needle)} in a text")
        return needle in haystack
    if isinstance(haystack, Mapping) or (
        isinstance(haystack, Sequence) and not isinstance(haystack, bytes)
    ):
        try:
            return needle in haystack
        except TypeError:
            raise EvaluationError(f"contains(): {describe(needle)} cannot be a table key") from None
    raise EvaluationError(f"contains(): expected a text, got {describe(haystack)}")


BUILTINS: tuple[tuple[str, Builtin], ...] = (
    ("abs", abs_),
    ("ceil", ceil_),
    ("clamp", clamp),
    ("coalesce", coalesce),
    ("contains", contains),
    ("date", date_),
    ("days", days),
    ("floor", floor_),
    ("if_", if_),
    ("len", len_),
    ("lookup", lookup),
    ("max", max_),
    ("min", min_),
    ("months", months),
    ("pct", pct),
    ("round", round_),
    ("safe_div", safe_div),
    ("sqrt", sqrt),
    ("tier", tier),
)
"""Every built-in function: (name in expressions, implementation)."""

LAZY = frozenset({"if_", "coalesce"})
"""Built-ins whose arguments the compiler evaluates only as needed."""
