"""The expression language of policies: compile once, evaluate many times, exactly.

A policy writes formulas such as ``min(revenue / target.revenue, 2) * 0.05`` or
``amount * rate if region == 'east' else amount * 0.02``. :func:`compile_expression`
parses such text once, when the policy loads (with simpleeval's parser; user
text never reaches ``eval``, ``exec`` or ``compile``), checks it against the
names the policy declares and the functions of a :class:`~perfkit._registry.Registry`,
and compiles it into Python closures. Every problem is reported at once, located
in the policy file, as a :class:`~perfkit.errors.PolicyError`.

The resulting :class:`Expression` evaluates with exact numbers (DOMAIN.md,
"Numbers and money"), within size limits checked before any work, and raises
nothing but :class:`~perfkit.errors.EvaluationError`.

>>> from decimal import Decimal
>>> rate = compile_expression("min(revenue / target, 2) * 0.05", names={"revenue", "target"})
>>> rate.evaluate({"revenue": Decimal("55000"), "target": Decimal("100000")})
Decimal('0.02750')
"""

from __future__ import annotations

import decimal
import functools
import itertools
import keyword
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pendulum

from perfkit._expr_compile import Compiler
from perfkit._expr_nodes import Getter, Row
from perfkit._expr_ops import ARITHMETIC, check_input, quote
from perfkit._expr_parse import Source, check_size, parse
from perfkit._registry import Registry, default_registry
from perfkit.errors import (
    Diagnostic,
    EvaluationError,
    InvalidValueError,
    Location,
    PerfkitError,
    PolicyError,
)

__all__ = ["Expression", "compile_expression"]

_PLAIN = frozenset({str, bool, type(None), date, pendulum.Date})
"""Value types admitted into a row without any check."""


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A compiled expression: immutable, and safe to evaluate from several threads.

    Attributes:
        text: the source text.
        names: the declared (dotted) names it reads.
        functions: the names of the functions it calls.
        location: where it is written in its policy, when known.
        diagnostics: warnings found while compiling (errors raise instead).
    """

    text: str
    names: frozenset[str]
    functions: frozenset[str]
    location: Location | None
    diagnostics: tuple[Diagnostic, ...]
    _getter: Getter = field(repr=False)
    _slots: tuple[str, ...] = field(repr=False)
    _constant: bool = field(repr=False)
    _value: object = field(repr=False)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    @property
    def is_constant(self) -> bool:
        """True when the value does not depend on any input (it was computed once)."""
        return self._constant

    def evaluate(self, env: Mapping[str, object]) -> object:
        """Compute the value for one set of inputs.

        Args:
            env: declared name (dotted, e.g. ``"attainment.revenue"``) -> value:
                Decimal, int, Fraction, str, bool, date, None, or a table (a
                mapping for ``lookup``, a list of ``(lower, value)`` rows for ``tier``).

        Returns:
            The value: a Decimal or Fraction for numbers (round it with
            ``perfkit.quantize``), or a bool, str, date, None or table.

        Raises:
            EvaluationError: for missing inputs, floats, missing values (None) in
                arithmetic, division by zero, results beyond the size limits, or a
                failing function; never any other exception.
        """
        if self._constant:
            return self._value
        try:
            row = self._bind(env)
            previous = decimal.getcontext()
            decimal.setcontext(ARITHMETIC)
            try:
                return self._getter(row)
            finally:
                decimal.setcontext(previous)
        except PerfkitError as exc:
            raise self._failure(exc, None) from exc
        except Exception as exc:  # the promise: nothing but EvaluationError escapes
            raise self._failure(exc, None) from exc

    def evaluate_many(self, columns: Mapping[str, Sequence[object]]) -> list[object]:
        """Compute the value for every row of a table of inputs given by columns.

        Same semantics as :meth:`evaluate`, in one tight loop.

        Args:
            columns: declared name -> a sequence of values, one per row; every
                column has the same length.

        Returns:
            One value per row, in row order.

        Raises:
            EvaluationError: as :meth:`evaluate`, its message naming the row.
        """
        row_number: int | None = None
        try:
            count, values = self._columns(columns)
            if self._constant:
                return [self._value] * count
            out: list[object] = []
            append = out.append
            getter = self._getter
            rows: itertools.repeat[tuple[()]] | zip[tuple[object, ...]]
            rows = zip(*values, strict=False) if values else itertools.repeat((), count)
            previous = decimal.getcontext()
            decimal.setcontext(ARITHMETIC)
            try:
                for row in rows:
                    append(getter(row))
            except BaseException:
                row_number = len(out)
                raise
            finally:
                decimal.setcontext(previous)
            return out
        except PerfkitError as exc:
            raise self._failure(exc, row_number) from exc
        except Exception as exc:  # the promise: nothing but EvaluationError escapes
            raise self._failure(exc, row_number) from exc

    # -- inputs

    def _bind(self, env: Mapping[str, object]) -> Row:
        if not isinstance(env, Mapping):
            raise EvaluationError(
                f"the inputs must be a mapping of names to values, got {type(env).__name__}"
            )
        values: list[object] = []
        missing: list[str] = []
        for name in self._slots:
            try:
                value = env[name]
            except KeyError:
                missing.append(name)
                continue
            kind = type(value)
            if kind is Decimal:
                if not value.is_finite():  # type: ignore[attr-defined]
                    raise EvaluationError(f"input {name!r} is {value}, not a finite number")
            elif kind not in _PLAIN:
                value = check_input(f"input {name!r}", value)
            values.append(value)
        if missing:
            raise EvaluationError(_missing_message(missing, self._slots))
        return tuple(values)

    def _columns(
        self, columns: Mapping[str, Sequence[object]]
    ) -> tuple[int, list[Sequence[object]]]:
        if not isinstance(columns, Mapping):
            raise EvaluationError(
                f"the inputs must be a mapping of names to columns, got {type(columns).__name__}"
            )
        lengths: dict[str, int] = {}
        for name, column in columns.items():
            if isinstance(column, str | bytes | Mapping) or not hasattr(column, "__len__"):
                raise EvaluationError(
                    f"column {name!r} must be a sequence of values, got {type(column).__name__}"
                )
            lengths[name] = len(column)
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{name!r} has {n}" for name, n in list(lengths.items())[:6])
            raise EvaluationError(f"the columns have different lengths: {shown}")
        missing = [name for name in self._slots if name not in columns]
        if missing:
            raise EvaluationError(_missing_message(missing, self._slots).replace("input", "column"))
        count = next(iter(lengths.values()), 0)
        return count, [_checked_column(name, columns[name]) for name in self._slots]

    def _failure(self, exc: BaseException, row: int | None) -> EvaluationError:
        if isinstance(exc, PerfkitError):
            message = str(exc)
        elif isinstance(exc, RecursionError | MemoryError):
            message = f"the expression needs too much memory or stack ({type(exc).__name__})"
        else:
            message = f"unexpected {type(exc).__name__}: {exc}"
        where = self.location.render() if self.location is not None else ""
        prefix = f"{where}: " if where else ""
        if row is not None:
            prefix += f"row {row}: "
        suffix = "" if quote(self.text) in message else f" (evaluating {quote(self.text, 120)})"
        return EvaluationError(f"{prefix}{message}{suffix}")


def _missing_message(missing: Sequence[str], slots: Sequence[str]) -> str:
    plural = "s" if len(missing) > 1 else ""
    listed = ", ".join(repr(name) for name in missing)
    return f"missing input{plural} {listed}; the expression reads: {', '.join(sorted(slots))}"


def _checked_column(name: str, column: Sequence[object]) -> Sequence[object]:
    kinds = set(map(type, column))
    if kinds <= {Decimal}:
        if all(map(Decimal.is_finite, column)):  # type: ignore[arg-type]
            return column
    elif kinds <= _PLAIN:
        return column
    checked: list[object] = []
    for index, value in enumerate(column):
        kind = type(value)
        if (kind is Decimal and value.is_finite()) or kind in _PLAIN:  # type: ignore[attr-defined]
            checked.append(value)
        else:
            try:
                checked.append(check_input(f"input {name!r}", value))
            except EvaluationError as exc:
                raise EvaluationError(f"row {index}: {exc}") from None
    return checked


@functools.lru_cache(maxsize=256)
def _name_table(names: frozenset[object]) -> tuple[Mapping[str, str], tuple[str, ...]]:
    table: dict[str, str] = {}
    unwritable: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise InvalidValueError(f"names: every name must be text, got {name!r}")
        normal = unicodedata.normalize("NFKC", name)
        parts = normal.split(".")
        if all(
            p.isidentifier() and not keyword.iskeyword(p) and not p.startswith("_") for p in parts
        ):
            table[normal] = name
        else:
            unwritable.append(name)
    return MappingProxyType(table), tuple(sorted(unwritable))


def _declared(names: Collection[str]) -> tuple[Mapping[str, str], tuple[str, ...]]:
    """Declared names by their NFKC form, and those no expression can write."""
    if isinstance(names, str | bytes) or not isinstance(names, Collection):
        raise InvalidValueError(
            f"names: expected a collection of names such as {{'revenue', 'attainment.revenue'}}, "
            f"got {type(names).__name__}"
        )
    try:
        key = frozenset(names)
    except TypeError:
        raise InvalidValueError("names: every name must be text") from None
    return _name_table(key)


def compile_expression(
    text: str,
    *,
    names: Collection[str],
    functions: Registry | None = None,
    location: Location | None = None,
) -> Expression:
    """Parse, check and compile an expression, once.

    Args:
        text: the expression, e.g. ``"min(attainment.revenue, 2) * 0.05"``.
        names: the names the policy declares, as dotted strings. A name that is
            not a dotted path of identifiers (``win-rate``) cannot be written in
            an expression; it is only used to explain an unknown name.
        functions: the functions calls may use; the default registry if None.
        location: where the expression is written in its policy file; problems
            are located there (with the column within the expression added).

    Returns:
        The compiled :class:`Expression`.

    Raises:
        PolicyError: listing every problem found (``expr.syntax``,
            ``expr.unknown-name``, ``expr.unknown-function``, ``expr.arity``,
            ``expr.forbidden``, ``expr.too-long``, ``expr.too-deep``,
            ``expr.too-large``, ``expr.constant-error``).
        InvalidValueError: when ``names`` is not a collection of text.
    """
    where = location if location is not None else Location()
    if not isinstance(text, str):
        raise PolicyError(
            [
                Diagnostic(
                    "expr.syntax",
                    f"an expression must be text, got {type(text).__name__}",
                    location=where,
                )
            ]
        )
    declared, unwritable = _declared(names)
    registry = functions if functions is not None else default_registry()
    if not isinstance(registry, Registry):
        raise InvalidValueError(f"functions: expected a Registry, got {type(registry).__name__}")
    source = Source(text, location)
    previous = decimal.getcontext()
    decimal.setcontext(ARITHMETIC)
    try:
        tree = parse(source)
        check_size(tree, source)
        compiler = Compiler(source, declared, registry, unwritable=unwritable)
        root = compiler.compile(tree)
    except PerfkitError:
        raise
    except RecursionError:
        raise PolicyError(
            [source.error("expr.too-deep", "the expression is nested too deeply to compile")]
        ) from None
    except Exception as exc:  # the promise: nothing but PolicyError escapes
        raise PolicyError(
            [
                source.error(
                    "expr.internal",
                    f"the expression could not be compiled ({type(exc).__name__}: {exc})",
                )
            ]
        ) from exc
    finally:
        decimal.setcontext(previous)
    found = sorted(
        compiler.diagnostics,
        key=lambda d: (d.location.line or 0, d.location.column or 0),
    )
    errors = [d for d in found if d.is_error]
    if errors:
        raise PolicyError(errors, summary=f"the expression {quote(text)} has problems")
    slots = tuple(sorted(compiler.slots, key=compiler.slots.__getitem__))
    return Expression(
        text=text,
        names=frozenset(slots),
        functions=frozenset(compiler.functions),
        location=location,
        diagnostics=tuple(d for d in found if not d.is_error),
        _getter=root.fn,
        _slots=slots,
        _constant=root.constant,
        _value=root.value,
    )
