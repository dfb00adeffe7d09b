"""Converting a raw column to one of the five column types, collecting every refusal.

The rules (one per type, the same for CSV text, records and DataFrames):

- ``""``, ``None`` and, for every type but ``string``, text of only spaces are
  *missing* and become ``None``.
- ``string``: text as given; an ``int`` becomes its digits.
- ``decimal``: an exact :class:`~decimal.Decimal` from text such as ``1234.50``,
  ``-3``, ``1e3`` or ``60%`` (which is ``0.60``); surrounding spaces are ignored.
  Thousands separators, decimal commas, ``NaN`` and infinities are refused.
- ``integer``: an ``int`` from digits with an optional sign (``1.5`` is refused).
- ``date``: a :class:`pendulum.Date` from ISO ``YYYY-MM-DD`` only.
- ``bool``: ``true``/``false`` in any case, or ``1``/``0``; ``yes``/``no`` are
  refused because their meaning depends on the language of the file.
- A ``float`` is refused in every column (``data.float``), since it has no
  exact decimal value.

Whole columns are converted at once where possible: a decimal column whose text
holds only digits, signs, points and exponents goes through ``map(Decimal, ...)``
in C; dates and booleans are converted once per distinct value. Anything else
takes the per-value path, which defines the rules; the fast paths accept a
subset of it with identical results.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pendulum

from perfkit._policy_model import ColumnType

__all__ = ["BAD", "Converted", "convert_column"]


class _Bad:
    """The placeholder for a refused value (never part of a returned result)."""

    def __repr__(self) -> str:
        return "<refused>"


BAD: object = _Bad()


@dataclass(slots=True)
class Converted:
    """A converted column: its values (``BAD`` where refused) and the refusals.

    Attributes:
        values: one value per row.
        problems: ``(row, code, message)`` for the first refusals, in row order.
        count: how many values were refused in all.
    """

    values: tuple[object, ...]
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    count: int = 0


class _RefusedError(Exception):
    """Why one value was refused: a reason code and a message naming the value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_STRICT = decimal.Context(prec=28, traps=[decimal.InvalidOperation])
_WIDE = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.InvalidOperation])
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(%?)", re.ASCII)
_INTEGER_TEXT = re.compile(r"[+-]?\d+", re.ASCII)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+", re.ASCII)
# A column holding none of these characters can go through int() or Decimal() in bulk:
# what those accept beyond the rules (underscores, other scripts' digits, NaN) needs them.
_NOT_INTEGER_CHAR = re.compile(r"[^0-9+\- \t\n]")
_NOT_DECIMAL_CHAR = re.compile(r"[^0-9+\-.eE \t\n]")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}
_BLANK: dict[object, object] = {"": None}
# Record columns whose values may be converted once per distinct value: no two values of
# these types compare equal unless they convert alike.
_DISTINCT_SAFE: dict[str, set[type]] = {
    "date": {datetime.date, pendulum.Date, type(None), str},
    "bool": {bool, type(None), str},
}


def _float(value: float) -> _RefusedError:
    if value != value or value in (float("inf"), float("-inf")):
        hint = "use None (or an empty cell) for a missing value"
    else:
        text = repr(value)
        hint = f"pass Decimal({text!r}) or the text {text!r} if that is the exact value meant"
    return _RefusedError("data.float", f"got the float {value!r}; floats are not exact: {hint}")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {value!r}"
    if isinstance(value, datetime.datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"


def _text(value: str) -> str:
    return value if type(value) is str else str.__str__(value)


# --- one value at a time: these functions define the rules --------------------------


def _decimal_text(text: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped:
        return None
    match = _DECIMAL_TEXT.fullmatch(stripped)
    if match is None:
        raise _RefusedError("data.type", _not_decimal(text, stripped))
    try:
        if match[1]:
            return Decimal(stripped[:-1].rstrip()).scaleb(-2, _WIDE)
        return Decimal(stripped)
    except (decimal.InvalidOperation, ValueError):
        raise _RefusedError(
            "data.type", f"{text!r} is out of the range of decimal numbers"
        ) from None


def _not_decimal(text: str, stripped: str) -> str:
    head = f"{text!r} is not a decimal number"
    if _THOUSANDS.fullmatch(stripped):
        plain = stripped.replace(",", "")
        return f"{head}: write it without thousands separators, e.g. {plain!r}"
    if _DECIMAL_COMMA.fullmatch(stripped):
        return f"{head}: write the decimal point as '.', e.g. {stripped.replace(',', '.')!r}"
    if stripped.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
        return f"{head}: only finite numbers are accepted"
    return f"{head} (expected digits such as '1234.50', '-3', '1e3' or '5%')"


def _to_string(value: object) -> object:
    if isinstance(value, str):
        return _text(value) or None
    if value is None:
        return None
    if isinstance(value, float):
        raise _float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _RefusedError("data.type", f"expected text, got {_kind(value)}")


def _to_decimal(value: object) -> object:
    if isinstance(value, str):
        return _decimal_text(_text(value))
    if value is None:
        return None
    if isinstance(value, float):
        raise _float(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _RefusedError("data.type", f"{value!r} is not a finite number")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _RefusedError("data.type", f"expected a decimal number, got {_kind(value)}")


def _to_integer(value: object) -> object:
    if isinstance(value, str):
        text = _text(value)
        stripped = text.strip()
        if not stripped:
            return None
        if _INTEGER_TEXT.fullmatch(stripped):
            try:
                return int(stripped)
            except ValueError:  # more digits than int() reads from text
                raise _RefusedError("data.type", f"{_clip(text)!r} has too many digits") from None
        raise _RefusedError(
            "data.type", f"{text!r} is not an integer (a whole number such as '42')"
        )
    if value is None:
        return None
    if isinstance(value, float):
        raise _float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise _RefusedError("data.type", f"expected an integer, got {_kind(value)}")


def _to_date(value: object) -> object:
    if isinstance(value, str):
        text = _text(value)
        stripped = text.strip()
        if not stripped:
            return None
        match = _ISO_DATE.fullmatch(stripped)
        if match is None:
            raise _RefusedError("data.type", f"{text!r} is not a date (YYYY-MM-DD)")
        try:
            return pendulum.Date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise _RefusedError(
                "data.type", f"{text!r} is not a date (YYYY-MM-DD): {exc}"
            ) from None
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        raise _RefusedError("data.type", f"expected a date, got {_kind(value)}; pass its .date()")
    if isinstance(value, pendulum.Date):
        return value
    if isinstance(value, datetime.date):
        return pendulum.Date(value.year, value.month, value.day)
    if isinstance(value, float):
        raise _float(value)
    raise _RefusedError("data.type", f"expected a date, got {_kind(value)}")


def _to_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = _text(value)
        stripped = text.strip()
        if not stripped:
            return None
        flag = _BOOL_TEXT.get(stripped.lower())
        if flag is None:
            raise _RefusedError("data.type", f"{text!r} is not a boolean (true/false or 1/0)")
        return flag
    if value is None:
        return None
    if isinstance(value, float):
        raise _float(value)
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    raise _RefusedError("data.type", f"expected a boolean (true/false or 1/0), got {_kind(value)}")


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "string": _to_string,
    "decimal": _to_decimal,
    "integer": _to_integer,
    "date": _to_date,
    "bool": _to_bool,
}


# --- whole columns ------------------------------------------------------------------


def convert_column(
    values: Sequence[object], kind: ColumnType, *, text_only: bool, limit: int
) -> Converted:
    """Convert one column to ``kind``, collecting every refused value.

    Args:
        values: the raw values, one per row.
        kind: the declared column type.
        text_only: True when every value is known to be a ``str`` (CSV input).
        limit: how many refusals to describe; the rest are only counted.

    Returns:
        The converted values, with ``BAD`` in place of each refused one.
    """
    is_text = text_only or set(map(type, values)) <= {str}
    # all str when is_text:
    fast = _text_column(values, kind) if is_text else _typed_column(values, kind)  # type: ignore[arg-type]
    if fast is not None:
        return Converted(fast)
    if kind in ("date", "bool") and (is_text or set(map(type, values)) <= _DISTINCT_SAFE[kind]):
        return _by_distinct(values, _CONVERTERS[kind], limit)
    return _each(values, _CONVERTERS[kind], limit)


def _text_column(values: Sequence[str], kind: ColumnType) -> tuple[object, ...] | None:
    """Convert a column of text in bulk, or return None to take the per-value path."""
    if kind == "string":
        return tuple(values) if all(values) else tuple(map(_BLANK.get, values, values))
    if kind in ("decimal", "integer"):
        other = _NOT_INTEGER_CHAR if kind == "integer" else _NOT_DECIMAL_CHAR
        if other.search("\n".join(values)):
            return None
        make: Callable[[str], object] = int if kind == "integer" else Decimal
        try:
            with decimal.localcontext(_STRICT):
                if all(values):
                    return tuple(map(make, values))
                return tuple([make(v) if v else None for v in values])
        except (decimal.InvalidOperation, ValueError):
            return None
    return None


def _typed_column(values: Sequence[object], kind: ColumnType) -> tuple[object, ...] | None:
    """Pass through columns of records that already hold exactly the right type."""
    kinds = set(map(type, values))
    if kind == "decimal" and kinds == {Decimal}:
        if all(map(Decimal.is_finite, values)):  # type: ignore[arg-type]  # all Decimal
            return tuple(values)
    elif kind == "decimal" and kinds == {int}:
        return tuple(map(Decimal, values))  # type: ignore[arg-type]  # all int
    elif (kind, kinds) in (("integer", {int}), ("bool", {bool}), ("date", {pendulum.Date})):
        return tuple(values)
    return None


def _each(values: Sequence[object], convert: Callable[[object], object], limit: int) -> Converted:
    out: list[object] = []
    append = out.append
    problems: list[tuple[int, str, str]] = []
    count = 0
    for row, value in enumerate(values):
        try:
            append(convert(value))
        except _RefusedError as refused:
            append(BAD)
            count += 1
            if len(problems) < limit:
                problems.append((row, refused.code, refused.message))
    return Converted(tuple(out), problems, count)


def _by_distinct(
    values: Sequence[object], convert: Callable[[object], object], limit: int
) -> Converted:
    """Convert each distinct value once (text only: no two types may compare equal)."""
    mapping: dict[object, object] = {}
    refused: dict[object, _RefusedError] = {}
    for value in set(values):
        try:
            mapping[value] = convert(value)
        except _RefusedError as reason:
            refused[value] = reason
            mapping[value] = BAD
    out = tuple(map(mapping.__getitem__, values))
    if not refused:
        return Converted(out)
    problems: list[tuple[int, str, str]] = []
    count = 0
    for row, value in enumerate(values):
        why = refused.get(value)
        if why is not None:
            count += 1
            if len(problems) < limit:
                problems.append((row, why.code, why.message))
    return Converted(out, problems, count)
