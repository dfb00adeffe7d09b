"""Closures that compute the parts of a compiled expression.

Each factory takes already compiled operands and returns a closure from a *row*
(a tuple holding one value per input name, in slot order) to a value. Nothing
here sees expression text: the compiler (:mod:`perfkit._expr_compile`) checks
the tree and picks the factories.

Binary operations carry an inline fast path for two Decimals, the common case;
it runs in the evaluation context, :data:`perfkit._expr_ops.ARITHMETIC`, whose
traps refuse anything inexact, and hands over to the complete semantics of
:mod:`perfkit._expr_ops` whenever it does not apply. Chains of one operator
(``a + b + c + ...``) and of conditions become loops, not nested closures, so a
500-term sum does not evaluate 500 frames deep.
"""

from __future__ import annotations

import ast
import decimal
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perfkit import _expr_ops as ops
from perfkit._expr_ops import LimitError, Operands, check_input, describe, quote
from perfkit._registry import FunctionSpec
from perfkit.errors import EvaluationError, PerfkitError

__all__ = [
    "ARITHMETIC_OPS",
    "DIVISIONS",
    "ORDERING_OPS",
    "Fast",
    "Getter",
    "Node",
    "Row",
    "Slow",
    "all_of",
    "any_of",
    "binary",
    "call_builtin",
    "call_registered",
    "chain",
    "choose",
    "coalesce",
    "compare",
    "compare_chain",
    "constant",
    "gather",
    "logical_not",
    "member",
    "negative",
    "not_member",
    "positive",
]

Row = Sequence[object]
Getter = Callable[[Row], object]
Slow = Callable[[object, object, Operands], object]
Fast = Callable[[Any, Any], object]

_D = Decimal


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled part: its closure, and its value when it is a constant."""

    fn: Getter
    constant: bool = False
    value: object = None


def constant(value: object) -> Node:
    """A part whose value is known: computed once, when the expression compiles."""
    return Node(lambda row: value, constant=True, value=value)


ARITHMETIC_OPS: dict[type[ast.operator], tuple[str, Fast | None, Slow]] = {
    ast.Add: ("+", operator.add, ops.add),
    ast.Sub: ("-", operator.sub, ops.subtract),
    ast.Mult: ("*", operator.mul, ops.multiply),
    ast.Div: ("/", ops.DIVISION.divide, ops.divide),
    ast.FloorDiv: ("//", None, ops.floor_divide),
    ast.Mod: ("%", None, ops.modulo),
    ast.Pow: ("**", None, ops.power),
}
"""Each arithmetic operator: its symbol, its Decimal fast path (if any), its semantics."""

ORDERING_OPS: dict[type[ast.cmpop], tuple[str, Fast]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
"""Each comparison operator: its symbol and its function."""

DIVISIONS: tuple[Slow, ...] = (ops.divide, ops.floor_divide, ops.modulo)
"""The operations that fail on a zero right operand."""

_HOST_CONTEXT = decimal.Context()
"""Registered functions run in a copy of Python's default decimal context."""

_BUILTIN_ERRORS = (PerfkitError, ArithmeticError, TypeError, ValueError, LookupError)


def member(item: object, collection: Any) -> bool:
    try:
        return item in collection
    except TypeError:  # an unhashable item probed in a frozenset
        return any(item == element for element in collection)


def not_member(item: object, collection: Any) -> bool:
    return not member(item, collection)


def _compare_failure(symbol: str, a: object, b: object, info: Operands) -> EvaluationError:
    if a is None:
        return EvaluationError(
            f"missing value: {quote(info.left)} is None in {quote(info.segment)}"
        )
    if b is None:
        return EvaluationError(
            f"missing value: {quote(info.right)} is None in {quote(info.segment)}"
        )
    return EvaluationError(
        f"cannot compare {describe(a)} with {describe(b)} using '{symbol}' in {quote(info.segment)}"
    )


def _call_failure(name: str, info: Operands, exc: BaseException) -> EvaluationError:
    text = str(exc)
    if not text.startswith(f"{name}()"):
        text = f"{name}(): {text}"
    kind = LimitError if isinstance(exc, LimitError) else EvaluationError
    return kind(f"{text} in {quote(info.segment)}")


def binary(fast: Fast | None, slow: Slow, info: Operands, left: Node, right: Node) -> Getter:
    lf, rf = left.fn, right.fn
    if fast is None:

        def general(row: Row) -> object:
            return slow(lf(row), rf(row), info)

        return general
    if right.constant and type(right.value) is _D:
        c = right.value

        def with_constant(row: Row) -> object:
            a = lf(row)
            if type(a) is _D:
                try:
                    return fast(a, c)
                except ArithmeticError:
                    pass
            return slow(a, c, info)

        return with_constant

    def both(row: Row) -> object:
        a = lf(row)
        b = rf(row)
        if type(a) is _D and type(b) is _D:
            try:
                return fast(a, b)
            except ArithmeticError:
                pass
        return slow(a, b, info)

    return both


Step = tuple[Fast | None, Slow, Operands, Getter]


def chain(first: Getter, steps: Sequence[Step]) -> Getter:
    plan = tuple(steps)

    def chain(row: Row) -> object:
        acc = first(row)
        for fast, slow, info, get in plan:
            b = get(row)
            if fast is not None and type(acc) is _D and type(b) is _D:
                try:
                    acc = fast(acc, b)
                    continue
                except ArithmeticError:
                    pass
            acc = slow(acc, b, info)
        return acc

    return chain


def compare(symbol: str, op: Fast, info: Operands, left: Node, right: Node) -> Getter:
    lf, rf = left.fn, right.fn
    if right.constant:
        c = right.value

        def with_constant(row: Row) -> object:
            a = lf(row)
            try:
                return op(a, c)
            except (TypeError, ArithmeticError):
                raise _compare_failure(symbol, a, c, info) from None

        return with_constant

    def both(row: Row) -> object:
        a = lf(row)
        b = rf(row)
        try:
            return op(a, b)
        except (TypeError, ArithmeticError):
            raise _compare_failure(symbol, a, b, info) from None

    return both


CompareStep = tuple[str, Fast, Operands, Getter]


def compare_chain(first: Getter, steps: Sequence[CompareStep]) -> Getter:
    plan = tuple(steps)

    def chain(row: Row) -> object:
        a = first(row)
        for symbol, op, info, get in plan:
            b = get(row)
            try:
                holds = op(a, b)
            except (TypeError, ArithmeticError):
                raise _compare_failure(symbol, a, b, info) from None
            if not holds:
                return False
            a = b
        return True

    return chain


def choose(branches: Sequence[tuple[Getter, Getter]], otherwise: Getter) -> Getter:
    if len(branches) == 1:
        ((test, body),) = branches

        def one(row: Row) -> object:
            return body(row) if test(row) else otherwise(row)

        return one
    plan = tuple(branches)

    def many(row: Row) -> object:
        for test, body in plan:
            if test(row):
                return body(row)
        return otherwise(row)

    return many


def call_builtin(
    spec: FunctionSpec, args: Sequence[Getter], kwargs: Mapping[str, Getter], info: Operands
) -> Getter:
    fn, name = spec.fn, spec.name
    if not kwargs and len(args) == 1:
        (g0,) = args

        def one(row: Row) -> object:
            a = g0(row)
            try:
                return fn(a)
            except _BUILTIN_ERRORS as exc:
                raise _call_failure(name, info, exc) from exc

        return one
    if not kwargs and len(args) == 2:
        g0, g1 = args

        def two(row: Row) -> object:
            a = g0(row)
            b = g1(row)
            try:
                return fn(a, b)
            except _BUILTIN_ERRORS as exc:
                raise _call_failure(name, info, exc) from exc

        return two
    positional = tuple(args)
    keywords = tuple(kwargs.items())

    def many(row: Row) -> object:
        values = [g(row) for g in positional]
        named = {key: g(row) for key, g in keywords}
        try:
            return fn(*values, **named)
        except _BUILTIN_ERRORS as exc:
            raise _call_failure(name, info, exc) from exc

    return many


def call_registered(
    spec: FunctionSpec, args: Sequence[Getter], kwargs: Mapping[str, Getter], info: Operands
) -> Getter:
    fn, name = spec.fn, spec.name
    positional = tuple(args)
    keywords = tuple(kwargs.items())
    what = f"the result of {name}()"

    def call(row: Row) -> object:
        values = [g(row) for g in positional]
        named = {key: g(row) for key, g in keywords}
        try:
            with decimal.localcontext(_HOST_CONTEXT):
                result = fn(*values, **named)
        except Exception as exc:  # a host function may raise anything; name it
            raise EvaluationError(
                f"function {name}() raised {type(exc).__name__}: {exc} in {quote(info.segment)}"
            ) from exc
        return check_input(what, result)

    return call


def coalesce(getters: Sequence[Getter]) -> Getter:
    plan = tuple(getters)

    def first_present(row: Row) -> object:
        for get in plan:
            value = get(row)
            if value is not None:
                return value
        return None

    return first_present


def logical_not(get: Getter) -> Getter:
    """``not x``, by Python's truth rules."""

    def invert(row: Row) -> object:
        return not get(row)

    return invert


def negative(get: Getter, info: Operands) -> Getter:
    """``-x``."""

    def negate(row: Row) -> object:
        a = get(row)
        if type(a) is _D:
            try:
                return -a
            except ArithmeticError:
                pass
        return ops.negate(a, info)

    return negate


def positive(get: Getter, info: Operands) -> Getter:
    """``+x``: the number unchanged."""

    def plus(row: Row) -> object:
        return ops.positive(get(row), info)

    return plus


def all_of(getters: Sequence[Getter]) -> Getter:
    """``a and b and ...``: the first false value, else the last value."""
    if len(getters) == 2:
        a, b = getters

        def both(row: Row) -> object:
            return a(row) and b(row)

        return both
    plan = tuple(getters)

    def every(row: Row) -> object:
        value: object = True
        for get in plan:
            value = get(row)
            if not value:
                return value
        return value

    return every


def any_of(getters: Sequence[Getter]) -> Getter:
    """``a or b or ...``: the first true value, else the last value."""
    if len(getters) == 2:
        a, b = getters

        def either(row: Row) -> object:
            return a(row) or b(row)

        return either
    plan = tuple(getters)

    def some(row: Row) -> object:
        value: object = False
        for get in plan:
            value = get(row)
            if value:
                return value
        return value

    return some


def gather(getters: Sequence[Getter]) -> Getter:
    """The values of a literal list after ``in``, when they are not all constants."""
    plan = tuple(getters)

    def values(row: Row) -> object:
        return tuple(get(row) for get in plan)

    return values
