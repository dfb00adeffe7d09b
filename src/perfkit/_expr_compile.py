"""Check a parsed expression and compile it into Python closures.

One pass over the tree both validates it (collecting every problem as a located
diagnostic: unknown names with suggestions, unknown functions, wrong argument
counts, forbidden constructs) and builds, for each node, a closure that
computes it from a row of input values. Nothing is ever handed to ``eval``,
``exec`` or ``compile``: the closures only call the operator functions of
:mod:`perfkit._expr_ops` and registered functions.

Reading a name is a C-level ``itemgetter`` on the row (one value per input
name, in slot order); the other closures come from :mod:`perfkit._expr_nodes`.
Chains of one operator (``a + b + c + ...``) and ``else ... if`` chains are
collected without recursion, so a 500-term sum neither compiles nor evaluates
500 frames deep. Parts whose operands are all constants are computed once, here.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from perfkit import _expr_ops as ops
from perfkit._expr_nodes import (
    ARITHMETIC_OPS,
    DIVISIONS,
    ORDERING_OPS,
    Fast,
    Getter,
    Node,
    Slow,
    all_of,
    any_of,
    binary,
    call_builtin,
    call_registered,
    chain,
    choose,
    coalesce,
    compare,
    compare_chain,
    constant,
    gather,
    logical_not,
    member,
    negative,
    not_member,
    positive,
)
from perfkit._expr_ops import LimitError, Operands, quote
from perfkit._expr_parse import Source, same_chain
from perfkit._registry import Registry
from perfkit.errors import Diagnostic, EvaluationError, Severity

__all__ = ["Compiler"]

_SNIPPET = 160

_INVALID = Node(lambda row: None)
"""Stands in for a part that has already been reported as an error."""

_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda functions are not allowed: an expression cannot define functions",
    ast.ListComp: "comprehensions are not allowed: an expression cannot loop",
    ast.SetComp: "comprehensions are not allowed: an expression cannot loop",
    ast.DictComp: "comprehensions are not allowed: an expression cannot loop",
    ast.GeneratorExp: "generator expressions are not allowed: an expression cannot loop",
    ast.Subscript: "indexing with [...] is not allowed: use lookup(table, key) for a table",
    ast.Slice: "slices are not allowed",
    ast.JoinedStr: "f-strings are not allowed: formatting can reach the insides of values",
    ast.FormattedValue: "f-strings are not allowed: formatting can reach the insides of values",
    ast.NamedExpr: "assignment with ':=' is not allowed: an expression cannot change names",
    ast.Starred: "unpacking with '*' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Dict: "dict literals are not allowed: pass tables as inputs and use lookup()",
    ast.Tuple: "tuples are only allowed after 'in' or 'not in', as in region in ('east', 'west')",
    ast.List: "lists are only allowed after 'in' or 'not in', as in region in ['east', 'west']",
    ast.Set: "sets are only allowed after 'in' or 'not in', as in region in {'east', 'west'}",
}


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


class Compiler:
    """Compiles one parsed expression, collecting every problem it finds.

    Attributes:
        diagnostics: every problem found, errors and warnings.
        slots: declared name -> its index in a row, in order of first use.
        functions: the names of the functions called.
    """

    def __init__(
        self,
        source: Source,
        names: Mapping[str, str],
        registry: Registry,
        *,
        unwritable: Sequence[str] = (),
    ) -> None:
        """Prepare to compile ``source``.

        Args:
            source: the expression text and its location.
            names: declared names, keyed by their NFKC-normalised form (the form
                the parser gives identifiers).
            registry: the functions calls may use.
            unwritable: declared names no expression can write (``win-rate``),
                mentioned when an unknown name resembles one.
        """
        self.source = source
        self.names = names
        self.registry = registry
        self.unwritable = tuple(unwritable)
        self.diagnostics: list[Diagnostic] = []
        self.slots: dict[str, int] = {}
        self.functions: set[str] = set()
        self._reported: set[str] = set()

    # -- helpers

    def error(self, code: str, message: str, node: ast.AST) -> Node:
        """Record a problem at ``node``; return a stand-in node."""
        self.diagnostics.append(self.source.error(code, message, node))
        return _INVALID

    def warn(self, code: str, message: str, node: ast.AST) -> None:
        """Record a warning at ``node``."""
        found = self.source.error(code, message, node)
        self.diagnostics.append(
            Diagnostic(
                code=found.code,
                message=found.message,
                severity=Severity.WARNING,
                location=found.location,
            )
        )

    def text(self, node: ast.AST) -> str:
        """The source of ``node``, shortened for messages."""
        segment = self.source.segment(node)
        return segment if len(segment) <= _SNIPPET else segment[: _SNIPPET - 3] + "..."

    def fold(self, fn: Getter, node: ast.AST) -> Node:
        """Compute a part whose operands are all constants, now."""
        try:
            value = fn(())
        except LimitError as exc:
            return self.error("expr.too-large", str(exc), node)
        except EvaluationError as exc:
            return self.error("expr.constant-error", f"this part always fails: {exc}", node)
        return constant(value)

    def compile(self, node: ast.expr) -> Node:
        """Compile ``node`` (recording problems rather than raising)."""
        handler = _HANDLERS.get(type(node))
        if handler is None:
            reason = _FORBIDDEN.get(
                type(node), f"{type(node).__name__} is not allowed in expressions"
            )
            return self.error("expr.forbidden", reason, node)
        return handler(self, node)

    # -- leaves

    def constant(self, node: ast.Constant) -> Node:
        """A literal: numbers become exact Decimals read from their source text."""
        value = node.value
        if value is None or isinstance(value, bool):
            return constant(value)
        if isinstance(value, str):
            if len(value) > ops.MAX_STRING:
                return self.error(
                    "expr.too-long",
                    f"a text literal of {len(value)} characters; "
                    f"at most {ops.MAX_STRING} are allowed",
                    node,
                )
            return constant(value)
        number = self.number(node)
        if isinstance(number.value, Decimal) and self.source.is_percent(node):
            try:
                return constant(ops.ARITHMETIC.scaleb(number.value, -2))
            except decimal.DecimalException:
                return self.error("expr.too-large", "a percentage beyond the limits", node)
        return number

    def number(self, node: ast.Constant) -> Node:
        """A number literal, exactly as written."""
        value = node.value
        if isinstance(value, int | float):
            # An int is exact already (and may be hexadecimal); a float is read
            # again from its text, so 0.1 is exactly one tenth.
            literal = (
                value if isinstance(value, int) else self.source.segment(node).replace("_", "")
            )
            try:
                return constant(ops.ARITHMETIC.create_decimal(literal))
            except decimal.DecimalException:
                return self.error(
                    "expr.too-large",
                    f"the number {quote(self.source.segment(node))} is beyond the limits "
                    f"(at most {ops.MAX_DIGITS} significant digits, "
                    f"between 1E-{ops.MAX_DIGITS} and 1E+{ops.MAX_DIGITS})",
                    node,
                )
        kind = (
            "complex numbers" if isinstance(value, complex) else f"{type(value).__name__} literals"
        )
        return self.error("expr.forbidden", f"{kind} are not allowed", node)

    def name(self, node: ast.Name | ast.Attribute) -> Node:
        """A declared name, possibly dotted (``attainment.revenue``)."""
        parts = _dotted(node)
        if parts is None:
            attribute = node.attr if isinstance(node, ast.Attribute) else "?"
            return self.error(
                "expr.forbidden",
                f"attribute access ('.{attribute}') is only for declared dotted names such as "
                "'attainment.revenue'; values have no attributes or methods",
                node,
            )
        if any(part.startswith("_") for part in parts):
            return self.error(
                "expr.forbidden",
                f"names starting with '_' are not allowed ({'.'.join(parts)!r}): "
                "they reach Python internals",
                node,
            )
        dotted = ".".join(parts)
        declared = self.names.get(dotted)
        if declared is None:
            return self.unknown_name(dotted, parts, node)
        slot = self.slots.setdefault(declared, len(self.slots))
        return Node(operator.itemgetter(slot))

    def unknown_name(self, dotted: str, parts: list[str], node: ast.AST) -> Node:
        """Report a name that is not declared, with a suggestion."""
        if dotted in self._reported:
            return _INVALID
        self._reported.add(dotted)
        declared = sorted(self.names.values())
        message = f"unknown name {dotted!r}"
        close = difflib.get_close_matches(dotted, [*declared, *self.unwritable], n=1, cutoff=0.6)
        prefixes = [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
        value_prefix = next((p for p in prefixes if p in self.names), None)
        if close and close[0] in self.unwritable:
            message += (
                f"; the policy declares {close[0]!r}, but an expression cannot write that name: "
                "names are letters, digits and '_' (not first), joined by '.'"
            )
        elif close:
            message += f"; did you mean {close[0]!r}?"
        elif value_prefix is not None:
            message += f"; {value_prefix!r} is a value, and values have no attributes"
        elif dotted in self.registry:
            message += f"; {dotted!r} is a function: call it as {dotted}(...)"
        elif declared and len(declared) <= 12:
            message += f"; the declared names are: {', '.join(declared)}"
        elif not declared:
            message += "; the policy declares no names here"
        return self.error("expr.unknown-name", message, node)

    # -- operators

    def unary(self, node: ast.UnaryOp) -> Node:
        """``-x``, ``+x`` and ``not x``."""
        if isinstance(node.op, ast.Invert):
            return self.error("expr.forbidden", "the operator '~' is not allowed", node)
        operand = self.compile(node.operand)
        info = Operands(self.text(node), self.text(node.operand))
        if isinstance(node.op, ast.Not):
            fn = logical_not(operand.fn)
        elif isinstance(node.op, ast.USub):
            fn = negative(operand.fn, info)
        else:
            fn = positive(operand.fn, info)
        return self.fold(fn, node) if operand.constant else Node(fn)

    def binary(self, node: ast.BinOp) -> Node:
        """Arithmetic; a chain of one kind of operator compiles to one loop."""
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp) and same_chain(spine[-1], spine[-1].left):
            spine.append(spine[-1].left)
        spine.reverse()
        for part in spine:
            if type(part.op) not in ARITHMETIC_OPS:
                symbol = {
                    ast.LShift: "<<",
                    ast.RShift: ">>",
                    ast.BitAnd: "&",
                    ast.BitOr: "|",
                    ast.BitXor: "^",
                    ast.MatMult: "@",
                }.get(type(part.op), "?")
                return self.error("expr.forbidden", f"the operator '{symbol}' is not allowed", part)
            if isinstance(part.op, ast.Mult) and any(
                isinstance(side, ast.Constant) and isinstance(side.value, str)
                for side in (part.left, part.right)
            ):
                return self.error("expr.forbidden", "text cannot be repeated with '*'", part)
            if (
                isinstance(part.op, ast.Mod)
                and isinstance(part.left, ast.Constant)
                and isinstance(part.left.value, str)
            ):
                return self.error(
                    "expr.forbidden", "'%' is a remainder of numbers, not text formatting", part
                )
        innermost = spine[0].left
        first = self.compile(innermost)
        left_text = self.text(innermost)
        operands = [self.compile(part.right) for part in spine]
        if first is _INVALID or any(o is _INVALID for o in operands):
            return _INVALID
        steps: list[tuple[Fast | None, Slow, Operands, Node]] = []
        for part, operand in zip(spine, operands, strict=True):
            _, fast, slow = ARITHMETIC_OPS[type(part.op)]
            segment = self.text(part)
            steps.append((fast, slow, Operands(segment, left_text, self.text(part.right)), operand))
            left_text = segment
        index = 0
        while index < len(steps) and first.constant and steps[index][3].constant:
            fast, slow, info, operand = steps[index]
            first = self.fold(binary(fast, slow, info, first, operand), spine[index])
            if first is _INVALID:
                return _INVALID
            index += 1
        for _fast, slow, info, operand in steps:
            if slow in DIVISIONS and operand.constant and operand.value == 0:
                message = f"division by zero in {quote(info.segment)}"
                return self.error("expr.constant-error", f"this part always fails: {message}", node)
        rest = steps[index:]
        if not rest:
            return first
        if len(rest) == 1:
            fast, slow, info, operand = rest[0]
            return Node(binary(fast, slow, info, first, operand))
        return Node(chain(first.fn, [(f, s, i, o.fn) for f, s, i, o in rest]))

    def boolean(self, node: ast.BoolOp) -> Node:
        """``and`` / ``or``, short-circuiting, with Python's results."""
        parts = [self.compile(value) for value in node.values]
        getters = [part.fn for part in parts]
        fn = all_of(getters) if isinstance(node.op, ast.And) else any_of(getters)
        return self.fold(fn, node) if all(p.constant for p in parts) else Node(fn)

    def comparison(self, node: ast.Compare) -> Node:
        """Comparisons, chained as in Python; ``in`` takes a literal list."""
        left = self.compile(node.left)
        left_ast: ast.expr = node.left
        steps: list[tuple[str, Fast, Operands, Node]] = []
        symbol: str
        fn: Fast
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            info = Operands(self.text(node), self.text(left_ast), self.text(right_ast))
            if isinstance(op, ast.In | ast.NotIn):
                right = self.collection(right_ast, "in" if isinstance(op, ast.In) else "not in")
                steps.append(("in", member if isinstance(op, ast.In) else not_member, info, right))
            elif isinstance(op, ast.Is | ast.IsNot):
                if not any(
                    isinstance(side, ast.Constant) and side.value is None
                    for side in (left_ast, right_ast)
                ):
                    self.error(
                        "expr.forbidden",
                        "'is' only tests for None (x is None, x is not None); "
                        "use '==' to compare values",
                        node,
                    )
                    return _INVALID
                right = self.compile(right_ast)
                symbol, fn = (
                    ("is", operator.is_) if isinstance(op, ast.Is) else ("is not", operator.is_not)
                )
                steps.append((symbol, fn, info, right))
            else:
                symbol, fn = ORDERING_OPS[type(op)]
                steps.append((symbol, fn, info, self.compile(right_ast)))
            left_ast = right_ast
        if left is _INVALID or any(step[3] is _INVALID for step in steps):
            return _INVALID
        if len(steps) == 1:
            symbol, fn, info, right = steps[0]
            getter = compare(symbol, fn, info, left, right)
        else:
            getter = compare_chain(left.fn, [(s, f, i, r.fn) for s, f, i, r in steps])
        if left.constant and all(step[3].constant for step in steps):
            return self.fold(getter, node)
        return Node(getter)

    def collection(self, node: ast.expr, keyword: str) -> Node:
        """The literal list, tuple or set after ``in``."""
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            return self.error(
                "expr.forbidden",
                f"'{keyword}' needs a literal list of values, as in "
                f"region {keyword} ('east', 'west'); use contains(text, part) to search text",
                node,
            )
        items = [self.compile(element) for element in node.elts]
        if any(item is _INVALID for item in items):
            return _INVALID
        if all(item.constant for item in items):
            values = tuple(item.value for item in items)
            try:
                return constant(frozenset(values))
            except TypeError:
                return constant(values)
        return Node(gather([item.fn for item in items]))

    def conditional(self, node: ast.IfExp) -> Node:
        """``a if c else b``, with ``else ... if`` chains as one flat choice."""
        branches: list[tuple[Node, Node]] = []
        current: ast.expr = node
        while isinstance(current, ast.IfExp):
            body = self.compile(current.body)
            test = self.compile(current.test)
            branches.append((test, body))
            current = current.orelse
        otherwise = self.compile(current)
        return self.choose(branches, otherwise)

    def choose(self, branches: Sequence[tuple[Node, Node]], otherwise: Node) -> Node:
        """The first body whose test holds, else ``otherwise``; constants decide now."""
        live: list[tuple[Node, Node]] = []
        for test, body in branches:
            if test.constant and not live:
                if test.value:
                    return body
                continue
            live.append((test, body))
        if not live:
            return otherwise
        return Node(choose([(t.fn, b.fn) for t, b in live], otherwise.fn))

    def call(self, node: ast.Call) -> Node:
        """A call of a registered function, checked against its signature."""
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                return self.error(
                    "expr.forbidden",
                    f"method calls are not allowed ('.{func.attr}(...)'): values have no methods; "
                    "call a function such as len(x) or contains(x, y)",
                    node,
                )
            return self.error("expr.forbidden", "only functions named directly can be called", node)
        name = func.id
        if name.startswith("_"):
            return self.error(
                "expr.forbidden", f"names starting with '_' are not allowed ({name!r})", node
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
            kw.arg is None for kw in node.keywords
        ):
            return self.error(
                "expr.forbidden", "unpacking arguments with * or ** is not allowed", node
            )
        args = [self.compile(arg) for arg in node.args]
        kwargs = {kw.arg: self.compile(kw.value) for kw in node.keywords if kw.arg is not None}
        spec = self.registry.get_function(name)
        if spec is None:
            return self.unknown_function(name, node)
        problem = spec.check_call(len(args), tuple(kwargs))
        if problem is not None:
            return self.error("expr.arity", problem, node)
        if any(a is _INVALID for a in args) or any(k is _INVALID for k in kwargs.values()):
            return _INVALID
        self.functions.add(name)
        if spec.signature is not None:
            bound = spec.signature.bind(*args, **kwargs)
            args, kwargs = list(bound.args), dict(bound.kwargs)
        if spec.builtin and spec.name == "round":
            self.check_round(args, node)
        if spec.lazy and spec.builtin:
            return self.lazy_call(spec.name, args)
        info = Operands(self.text(node), name)
        getters = [a.fn for a in args]
        named = {key: value.fn for key, value in kwargs.items()}
        if not spec.builtin:
            return Node(call_registered(spec, getters, named, info))
        getter = call_builtin(spec, getters, named, info)
        if all(a.constant for a in args) and all(k.constant for k in kwargs.values()):
            return self.fold(getter, node)
        return Node(getter)

    def unknown_function(self, name: str, node: ast.AST) -> Node:
        """Report a call of a function that is not registered."""
        message = f"unknown function {name!r}"
        close = difflib.get_close_matches(name, self.registry.function_names(), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif name in self.names:
            message += f"; {name!r} is a value, not a function"
        else:
            message += f"; the functions are: {', '.join(self.registry.function_names())}"
        return self.error("expr.unknown-function", message, node)

    def check_round(self, args: Sequence[Node], node: ast.AST) -> None:
        """Warn about ``round(x, 2)``: the second argument is a quantum, not digits."""
        if len(args) < 2 or not args[1].constant:
            return
        quantum = args[1].value
        if isinstance(quantum, Decimal) and quantum in (2, 3, 4):
            self.warn(
                "expr.round-quantum",
                f"round(x, {quantum}) rounds to a multiple of {quantum}, not to {quantum} decimal "
                "places: the second argument is a step; write round(x, 0.01) for cents",
                node,
            )

    def lazy_call(self, name: str, args: Sequence[Node]) -> Node:
        """``if_`` and ``coalesce``: arguments evaluated only as needed."""
        if name == "if_":
            test, then, otherwise = args
            return self.choose([(test, then)], otherwise)
        live: list[Node] = []
        for arg in args:
            if arg.constant and not live:
                if arg.value is not None:
                    return arg
                continue
            live.append(arg)
        if not live:
            return constant(None)
        return Node(coalesce([a.fn for a in live]))


_HANDLERS: dict[type[ast.AST], Callable[[Compiler, Any], Node]] = {
    ast.Constant: Compiler.constant,
    ast.Name: Compiler.name,
    ast.Attribute: Compiler.name,
    ast.UnaryOp: Compiler.unary,
    ast.BinOp: Compiler.binary,
    ast.BoolOp: Compiler.boolean,
    ast.Compare: Compiler.comparison,
    ast.IfExp: Compiler.conditional,
    ast.Call: Compiler.call,
}
