"""Parse expression text into a Python syntax tree, within size and depth limits.

The text is parsed once, when a policy loads, by simpleeval's parser (which is
Python's own ``ast`` parser: nothing is executed). It is wrapped in parentheses
on lines of their own, so a long formula may span several lines (as YAML block
scalars write them) and may carry ``#`` comments. Parser positions are mapped
back to the caller's text, and from there to the policy file.

Before anything walks the tree, its size and nesting depth are measured without
recursion, so a 10,000-term sum or 250 nested parentheses fail as a located
:class:`~perfkit.errors.PolicyError` instead of a ``RecursionError``.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

import simpleeval

from perfkit.errors import Diagnostic, Location, PolicyError

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_TEXT",
    "Source",
    "check_size",
    "parse",
    "same_chain",
]

MAX_TEXT = 10_000
"""Most characters in one expression."""

MAX_NODES = 3_000
"""Most parts (names, numbers, operators, calls) in one expression."""

MAX_DEPTH = 100
"""Deepest nesting. Chains of one operator (``a + b + ...``, ``x if c else y if d
else ...``) count as one level, so long flat formulas are not limited by it."""

_ADDITIVE = (ast.Add, ast.Sub)
_MULTIPLICATIVE = (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


class Source:
    """One expression's text, and the map from parser positions back to it."""

    __slots__ = ("_encoded", "_lines", "_percents", "location", "parsed", "text")

    def __init__(self, text: str, location: Location | None) -> None:
        """Prepare ``text`` (found at ``location`` in a policy, when known) for parsing."""
        self.text = text
        self.location = location
        normal = text.replace("\r\n", "\n").replace("\r", "\n")
        self.parsed = "(\n" + normal + "\n)"
        self._lines = self.parsed.split("\n")
        self._encoded = [line.encode("utf-8", "surrogatepass") for line in self._lines]
        self._percents: frozenset[tuple[int, int]] = frozenset()

    def mark_percents(self) -> None:
        """Read ``10%`` as a percentage: blank the sign, remember the number.

        A ``%`` written directly after a number is a percent sign unless a name,
        number, text or ``(`` follows it: ``base_salary * 10%`` and ``5% + x``
        hold percentages, while ``x % 3``, ``10 % 3`` and ``10%3`` are remainders.
        The sign becomes a space, so every column stays where the author put it.
        """
        if "%" not in self.parsed:
            return
        try:
            tokens = [
                token
                for token in tokenize.generate_tokens(io.StringIO(self.parsed).readline)
                if token.type not in _TRIVIA
            ]
        except (tokenize.TokenError, SyntaxError):
            return  # the parser will report the problem
        lines = list(self._lines)
        percents: set[tuple[int, int]] = set()
        for number, sign, after in zip(tokens, tokens[1:], [*tokens[2:], None], strict=False):
            if (
                number.type == tokenize.NUMBER
                and sign.type == tokenize.OP
                and sign.string == "%"
                and sign.start == number.end
                and not _starts_operand(after)
            ):
                row, column = sign.start
                lines[row - 1] = lines[row - 1][:column] + " " + lines[row - 1][column + 1 :]
                percents.add(number.start)
        self.parsed = "\n".join(lines)
        self._percents = frozenset(percents)

    def is_percent(self, node: ast.AST) -> bool:
        """True when ``node`` is a number literal written with a percent sign."""
        if not self._percents:
            return False
        lineno = getattr(node, "lineno", 0)
        return (lineno, self._column(lineno, getattr(node, "col_offset", 0))) in self._percents

    def _column(self, lineno: int, byte_offset: int) -> int:
        """Character column of a parser (UTF-8 byte) offset on a parsed line."""
        line = self._encoded[lineno - 1] if 0 < lineno <= len(self._encoded) else b""
        return len(line[:byte_offset].decode("utf-8", errors="ignore"))

    def locate(self, lineno: int, column: int) -> Location:
        """The location of a parsed line (1-based) and character column (0-based)."""
        line = lineno - 2  # parsed line 1 is the added "(", text line 0 is parsed line 2
        last = len(self._lines) - 3
        if line < 0:
            line, column = 0, 0
        elif line > last:
            line, column = last, len(self._lines[last + 1])
        base = self.location
        if base is None:
            return Location(file="<expression>", line=line + 1, column=column + 1)
        col = None
        if line == 0 and base.column is not None:
            col = base.column + column
        row = base.line + line if base.line is not None else None
        return Location(file=base.file, line=row, column=col, path=base.path)

    def node_location(self, node: ast.AST) -> Location:
        """Where ``node`` starts."""
        lineno = getattr(node, "lineno", 2)
        offset = getattr(node, "col_offset", 0)
        return self.locate(lineno, self._column(lineno, offset))

    def segment(self, node: ast.AST) -> str:
        """The text of ``node`` (an operand, a call, a name) as the author wrote it."""
        try:
            start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
            first, stop = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            return ""
        if start is None or end is None or stop is None:
            return ""
        lines = self._encoded[start - 1 : end]
        if not lines:
            return ""
        if len(lines) == 1:
            return lines[0][first:stop].decode("utf-8", errors="replace")
        lines[0] = lines[0][first:]
        lines[-1] = lines[-1][:stop]
        return b"\n".join(lines).decode("utf-8", errors="replace")

    def error(self, code: str, message: str, node: ast.AST | None = None) -> Diagnostic:
        """A diagnostic located at ``node`` (or at the expression's start)."""
        where = self.node_location(node) if node is not None else self.locate(2, 0)
        return Diagnostic(code=code, message=message, location=where)


_TRIVIA = frozenset({tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER})
_FOLLOWERS = frozenset({"and", "or", "if", "else", "in", "is", "not"})


def _starts_operand(token: tokenize.TokenInfo | None) -> bool:
    if token is None:
        return False
    if token.type == tokenize.NAME:
        return token.string not in _FOLLOWERS
    if token.type in (tokenize.NUMBER, tokenize.STRING):
        return True
    return token.type == tokenize.OP and token.string == "("


def _fail(source: Source, code: str, message: str, location: Location | None = None) -> PolicyError:
    where = location if location is not None else source.locate(2, 0)
    return PolicyError([Diagnostic(code=code, message=message, location=where)])


def parse(source: Source) -> ast.expr:
    """Parse ``source`` into the tree of its single expression.

    Raises:
        PolicyError: ``expr.syntax`` for empty or malformed text, ``expr.too-long``
            past :data:`MAX_TEXT` characters, ``expr.too-deep`` when the parser
            gives up on nesting.
    """
    text = source.text
    if not text.strip():
        raise _fail(source, "expr.syntax", "the expression is empty")
    if len(text) > MAX_TEXT:
        raise _fail(
            source,
            "expr.too-long",
            f"the expression has {len(text)} characters; at most {MAX_TEXT} are allowed: "
            "split it into named intermediate values",
        )
    source.mark_percents()
    too_deep = (
        f"the expression is nested too deeply for the parser; at most {MAX_DEPTH} levels "
        "are allowed: split it into named intermediate values"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            statement = simpleeval.SimpleEval.parse(source.parsed)
    except SyntaxError as exc:
        message = exc.msg or "invalid syntax"
        if "too many nested" in message:
            raise _fail(source, "expr.too-deep", too_deep) from None
        if "Exceeds the limit" in message:
            raise _fail(
                source, "expr.too-large", f"a number literal is too long: {message}"
            ) from None
        where = source.locate(exc.lineno or 2, max((exc.offset or 1) - 1, 0))
        raise _fail(source, "expr.syntax", f"invalid syntax: {message}", where) from None
    except (RecursionError, MemoryError):
        raise _fail(source, "expr.too-deep", too_deep) from None
    except (ValueError, simpleeval.InvalidExpression) as exc:
        raise _fail(source, "expr.syntax", f"invalid text: {exc}") from None
    if not isinstance(statement, ast.Expr):
        raise _fail(source, "expr.syntax", "expected one expression")
    value = statement.value
    last = len(source.parsed.split("\n"))
    if value.lineno < 2 or (value.end_lineno or last) > last - 1:
        # The text closed the parenthesis this module wrapped it in: "a) + (b".
        raise _fail(source, "expr.syntax", "invalid syntax: unmatched ')'")
    return value


def check_size(tree: ast.expr, source: Source) -> None:
    """Refuse trees with too many parts or nested too deeply, without recursing.

    Raises:
        PolicyError: ``expr.too-long`` past :data:`MAX_NODES` parts,
            ``expr.too-deep`` past :data:`MAX_DEPTH` levels.
    """
    parts = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        parts += 1
        if parts > MAX_NODES:
            raise _fail(
                source,
                "expr.too-long",
                f"the expression has more than {MAX_NODES} parts (names, numbers, operators, "
                "calls): split it into named intermediate values",
            )
        if depth > MAX_DEPTH:
            raise _fail(
                source,
                "expr.too-deep",
                f"the expression is nested more than {MAX_DEPTH} levels deep: split it into "
                "named intermediate values",
                source.node_location(node),
            )
        deeper = depth + 1
        if isinstance(node, ast.BinOp):
            stack.append((node.left, depth if same_chain(node, node.left) else deeper))
            stack.append((node.right, deeper))
        elif isinstance(node, ast.Name | ast.Constant):
            continue
        elif isinstance(node, ast.Attribute):
            stack.append((node.value, depth))
        elif isinstance(node, ast.IfExp):
            stack.append((node.test, deeper))
            stack.append((node.body, deeper))
            stack.append((node.orelse, depth if isinstance(node.orelse, ast.IfExp) else deeper))
        else:
            stack.extend((child, deeper) for child in _children(node))


def same_chain(parent: ast.BinOp, child: ast.AST) -> bool:
    """True when ``child`` continues ``parent``'s chain of one operator family.

    ``a - b + c`` is one additive chain and ``a * b / c % d`` one multiplicative
    chain: they are left-nested in the tree and evaluated as one loop.
    """
    if not isinstance(child, ast.BinOp):
        return False
    return (isinstance(parent.op, _ADDITIVE) and isinstance(child.op, _ADDITIVE)) or (
        isinstance(parent.op, _MULTIPLICATIVE) and isinstance(child.op, _MULTIPLICATIVE)
    )


def _children(node: ast.AST) -> list[ast.AST]:
    """The parts below ``node`` that count towards size and depth."""
    if isinstance(node, ast.Call):
        return [node.func, *node.args, *node.keywords]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.keyword):
        return [node.value]
    return [
        child
        for child in ast.iter_child_nodes(node)
        if isinstance(child, ast.expr | ast.keyword | ast.comprehension | ast.arguments | ast.arg)
    ]
