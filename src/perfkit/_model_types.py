"""Field types shared by the policy models: exact numbers, expressions, names, dates.

Each type validates strictly (a float, a ``yes`` or a ``012`` never slips into a
number or a boolean) and carries a JSON Schema that editors can use.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from perfkit._numbers import parse_decimal
from perfkit._time import to_date
from perfkit._value_model import StrictModel
from perfkit.errors import InvalidValueError

__all__ = [
    "DateValue",
    "ErrorAt",
    "Expr",
    "Identifier",
    "Number",
    "StrictBool",
    "StrictModel",
]


class ErrorAt(ValueError):  # noqa: N818 (a ValueError, as pydantic validators raise)
    """A validation error about an item inside the field: ``path`` leads to it."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path = path


_NUMBER_PATTERN = r"^\s*[-+]?(\d[\d_]*)?(\.\d+)?([eE][-+]?\d+)?\s*%?\s*$"


_LEADING_ZERO = re.compile(r"^\s*[-+]?0\d")


def _number(value: Any) -> Decimal:
    if isinstance(value, str) and _LEADING_ZERO.match(value):
        raise ValueError(
            f"{value!r} has a leading zero, which YAML versions read differently "
            "(12, or octal 10): write the number without it"
        )
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            return parse_decimal(value)
        except InvalidValueError as exc:
            raise ValueError(str(exc).removeprefix("value: ")) from None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
    if isinstance(value, float):
        raise ValueError("expected an exact number; write it as text, e.g. '0.05' or '5%'")
    raise ValueError(f"expected a number, got {_kind(value)}")


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return type(value).__name__


Number = Annotated[
    Decimal,
    BeforeValidator(_number),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": _NUMBER_PATTERN},
            ],
            "description": "An exact number: 19.99, '19.99' or a percentage such as '5%'.",
        }
    ),
]
"""An exact Decimal: from YAML number text, a string, or a percentage ('5%' is 0.05)."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    hint = ""
    if isinstance(value, str) and value.lower() in {"yes", "no", "on", "off", "y", "n"}:
        hint = f"; perfkit reads YAML 1.2, where {value!r} is text: write true or false"
    raise ValueError(f"expected true or false, got {_kind(value)}{hint}")


StrictBool = Annotated[bool, BeforeValidator(_bool), WithJsonSchema({"type": "boolean"})]
"""A boolean written as true or false; ``yes``/``no``/``on``/``off`` are refused with a hint."""

_IDENTIFIER = re.compile(r"^[^\W\d]\w*$")


def _identifier(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a name, got {_kind(value)}")
    if not _IDENTIFIER.match(value) or value.startswith("_"):
        raise ValueError(
            f"{value!r} is not a valid name: use letters (any script), digits and '_', "
            "starting with a letter"
        )
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_identifier),
    WithJsonSchema({"type": "string", "pattern": r"^[^\W\d_]\w*$"}),
]
"""A name usable in expressions: letters of any script, digits and ``_``; no leading ``_``."""


def _expr(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | Decimal):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an expression, got {_kind(value)}")
    if not value.strip():
        raise ValueError("the expression is empty")
    return value


Expr = Annotated[
    str,
    BeforeValidator(_expr),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "description": 'An expression, e.g. "attainment.revenue >= 0.5".',
        }
    ),
]
"""The text of an expression, compiled and name-checked when the policy loads."""


def _date(value: Any) -> datetime.date:
    try:
        return to_date(value)
    except InvalidValueError as exc:
        raise ValueError(str(exc)) from None


DateValue = Annotated[
    datetime.date,
    BeforeValidator(_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""An ISO date, ``2026-07-01``."""


Description = Annotated[str | None, Field(default=None, description="Free text for people.")]
