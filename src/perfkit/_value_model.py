"""Base classes of perfkit's pydantic models: frozen, strict, and perfkit errors.

Models built directly by a caller (``Calendar(...)``, ``Goal(...)``) report bad
fields as one :class:`~perfkit.errors.InvalidValueError` naming each field;
embedded in a policy, they validate as ordinary fields so the policy loader can
point at each one's line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from perfkit.errors import InvalidValueError

__all__ = ["StrictModel", "ValueModel", "describe_validation_error"]


class StrictModel(BaseModel):
    """Base of every policy model: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def describe_validation_error(exc: ValidationError, root: str) -> str:
    """Render a pydantic error as ``root.field[0].sub: message`` lines joined by ``; ``."""
    problems = []
    for error in exc.errors():
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("value_error", "assertion_error"):
            message += f" (got {error['input']!r})"
        problems.append(f"{root}{where}: {message}")
    return "; ".join(problems)


class ValueModel(StrictModel):
    """A strict model that raises InvalidValueError, naming every bad field, when built."""

    if not TYPE_CHECKING:  # hidden from mypy so that pydantic's plugin types the fields

        def __init__(self, **data: Any) -> None:
            """Validate the fields; raise :class:`InvalidValueError` naming every bad field."""
            try:
                super().__init__(**data)
            except ValidationError as exc:
                root = type(self).__name__.lower()
                raise InvalidValueError(describe_validation_error(exc, root)) from None

        # Tell pydantic this __init__ only converts errors, so a model that embeds this
        # one validates its fields directly and reports them by path (as RootModel does).
        __init__.__pydantic_base_init__ = True
