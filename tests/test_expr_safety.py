"""The expression language is a sandbox: escapes, limits, and nothing but perfkit errors.

The regression corpus collects known escapes from simpleeval's tracker and from
"safe eval" sandboxes in general; each must be refused when the policy loads.
The limits must refuse hostile sizes before doing the work (timings here are
loose; tight ones live in benchmarks/bench_expr.py).
"""

from __future__ import annotations

import decimal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfkit._expr import Expression, compile_expression
from perfkit._expr_compile import Compiler
from perfkit._registry import Registry
from perfkit.errors import EvaluationError, PerfkitError, PolicyError

D = Decimal
NAMES = frozenset({"x", "y", "f", "revenue", "attainment.revenue", "region", "tbl", "销售额"})
LOOSE_SECONDS = 0.5


@contextmanager
def quick() -> Iterator[None]:
    """Assert the block finishes within LOOSE_SECONDS."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < LOOSE_SECONDS, f"took {elapsed:.3f} s"


def refused(text: str) -> PolicyError:
    with quick(), pytest.raises(PolicyError) as caught:
        compile_expression(text, names=NAMES)
    return caught.value


# -- the regression corpus of known escapes ----------------------------------------------

ESCAPES = [
    # class hierarchy walks
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "().__class__.__base__.__subclasses__()[59]()._module.__builtins__['__import__']('os')",
    "[].__class__.__base__.__subclasses__()",
    "x.__class__",
    "x.__class__.__mro__",
    "x.mro()",
    "object.__subclasses__()",
    "int.__subclasses__()",
    "x.__dict__",
    "x.__reduce_ex__(2)",
    "x.__getattribute__('real')",
    "x.__setattr__('a', 1)",
    "x._private",
    "(1).__class__",
    "x.__𝒸𝓁𝒶𝓈𝓈__",  # folds to __class__ under NFKC
    # builtins and imports
    "__import__('os').system('id')",
    "__import__",
    "__builtins__",
    "_",
    "getattr(x, '__class__')",
    "getattr(x, '__cla' + 'ss__')",
    "setattr(x, 'a', 1)",
    "type(x)",
    "type(x).__mro__",
    "eval('1')",
    "exec('1')",
    "compile('1', '', 'eval')",
    "open('/etc/passwd')",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "breakpoint()",
    "help()",
    "input()",
    "𝘦𝘷𝘢𝘭('1')",
    "import os",
    "from os import system",
    # function objects and frames
    "f.__globals__",
    "f.func_globals",
    "f.__code__.co_consts",
    "f.__closure__",
    "(x for x in ()).gi_frame.f_back.f_globals",
    "x.gi_frame",
    "x.f_locals",
    # lambdas, comprehensions, generators
    "lambda: 1",
    "(lambda x: x)(1)",
    "[c for c in ().__class__.__bases__[0].__subclasses__()]",
    "[y for y in 'ab']",
    "{y: 1 for y in 'ab'}",
    "{y for y in 'ab'}",
    "(y for y in 'ab')",
    "[x.__class__ for x in [1]]",
    # formatting
    "f'{x.__class__}'",
    "f'{x!r}'",
    "f'{x:>{10**9}}'",
    "'{0.__class__}'.format(x)",
    "'{0.__globals__}'.format(f)",
    "'{:>1000000000}'.format(x)",
    "x.format",
    "'%s' % x",
    "'%*d' % (10**9, 1)",
    # methods
    "'a'.ljust(10**9)",
    "'a'.upper()",
    "x.conjugate()",
    "x.real",
    "region.encode()",
    "[].append(1)",
    "{}.get",
    "'a'\n.upper()",
    # assignment, unpacking, statements
    "(y := 1)",
    "[y := 1]",
    "x = 1",
    "x += 1",
    "del x",
    "assert x",
    "raise x",
    "yield x",
    "await x",
    "global x",
    "def g(): pass",
    "class A: pass",
    "x; __import__('os')",
    "x\nimport os",
    "min(*x)",
    "min(**x)",
    "*x",
    # subscripts, literals
    "x[0]",
    "x[::-1]",
    "tbl['__class__']",
    "{'a': 1}",
    "[1, 2]",
    "(1, 2)",
    "{1, 2}",
    "b'\\x00'",
    "1j",
    "...",
    # escaping the wrapping parentheses, and hiding constructs behind others
    "x) or (__import__('os')",
    "1 if 1 else __import__('os')",
    "x if x else x.__class__",
    "not x.__class__",
    "-x.__class__",
    "min(x.__class__)",
    "x is x.__class__",
    "x is 1",
    "x @ x",
    "x << 10**9",
    "~x",
    # sizes
    "9**9**9",
    "4000000**4000000",
    "(2**4000000)*(2**4000000)",
    "'x'*10**9",
    "10**9*'x'",
    "1" * 1500,
    "1" * 5000,
    "1." + "1" * 1500,
    "1e999999",
    "1e-999999",
    "1" + "+1" * 1999,
    "1" + "+1" * 4999,
    "(" * 250 + "1" + ")" * 250,
    "-" * 5000 + "1",
    "not " * 2000 + "x",
    "x if x else " * 900 + "x",
    "abs(" * 150 + "1" + ")" * 150,
    "[" * 300,
    "x" * 10_001,
    "'" + "a" * 10_001 + "'",
    "",
    "# only a comment",
    "\0",
    "'\ud800'",
]


@pytest.mark.parametrize("text", ESCAPES)
def test_known_escapes_are_refused_when_the_policy_loads(text: str) -> None:
    error = refused(text)
    assert error.diagnostics
    assert all(d.code.startswith("expr.") for d in error.diagnostics)


def test_refusals_say_what_and_why() -> None:
    assert "f-strings are not allowed" in str(refused("f'{x}'"))
    assert "method calls are not allowed" in str(refused("'{0}'.format(x)"))
    assert "starting with '_'" in str(refused("x.__class__"))
    assert "comprehensions are not allowed" in str(refused("[y for y in 'a']"))
    assert "lambda" in str(refused("lambda: 1"))
    assert "':='" in str(refused("(y := 1)"))


# -- limits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9**9**9", "expr.too-large"),
        ("4000000**4000000", "expr.too-large"),
        ("(2**4000000)*(2**4000000)", "expr.too-large"),
        ("'a'.ljust(10**9)", "expr.forbidden"),
        ("'x'*10**9", "expr.forbidden"),
        ("x << 100000", "expr.forbidden"),
        ("1" + "+1" * 1999, "expr.too-long"),
        ("(" * 250 + "x" + ")" * 250, "expr.too-deep"),
        ("-" * 5000 + "x", "expr.too-deep"),
        ("abs(" * 150 + "x" + ")" * 150, "expr.too-deep"),
        ("x" + "+x" * 5000, "expr.too-long"),
    ],
)
def test_compile_time_limits(text: str, code: str) -> None:
    error = refused(text)
    assert error.diagnostics[0].code == code


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("x ** y", {"x": D(9), "y": D(9**9)}),
        ("x ** x", {"x": D(4000000)}),
        ("(x ** 3000) * (x ** 3000)", {"x": D(2)}),
        ("(x ** 1000) * (x ** 1000)", {"x": D(10)}),
        ("x ** y", {"x": D(2), "y": D("1e999")}),
        ("x ** y", {"x": D(3), "y": D("1e900") + D("0.5")}),
        ("x ** y", {"x": D("0.5"), "y": D("10000000.5")}),
        ("x ** y", {"x": Fraction(1, 3), "y": D(100000)}),
        ("x ** -y", {"x": D("1e-500"), "y": D(3)}),
        ("x * y", {"x": D(10) ** 999, "y": D(10) ** 999}),
        ("x + y", {"x": D("1e900"), "y": D("1e-900")}),
        ("x / y", {"x": D("1e900"), "y": D("1e-900")}),
        ("x * 10", {"x": D("9" * 100_000)}),
        ("x // y", {"x": D("1e999"), "y": D("1e-999")}),
        ("x * y", {"x": "x", "y": D(10**9)}),
        ("x + x", {"x": "x" * 6000}),
        ("x + 1", {"x": 10**5000}),
        ("x + 1", {"x": Fraction(10**5000, 3)}),
        ("x / 3 * y", {"x": D("1e-999"), "y": D("1e-999")}),
    ],
)
def test_run_time_limits(text: str, env: dict[str, object]) -> None:
    expression = compile_expression(text, names=NAMES | set(env))
    with quick(), pytest.raises(EvaluationError):
        expression.evaluate(env)


def test_a_500_term_sum_compiles_and_evaluates() -> None:
    names = [f"x{i}" for i in range(500)]
    text = " + ".join(names)
    with quick():
        expression = compile_expression(text, names=set(names))
        total = expression.evaluate({name: D(i) for i, name in enumerate(names)})
    assert total == sum(range(500))


def test_a_500_term_weighted_formula_compiles_and_evaluates() -> None:
    names = [f"x{i}" for i in range(500)]
    text = " - ".join(f"0.{i % 10}1 * {name} / 3" for i, name in enumerate(names))
    with quick():
        expression = compile_expression(text, names=set(names))
        value = expression.evaluate({name: D(1) for name in names})
    expected = Fraction(1, 10) * 0 + sum(
        (Fraction(f"0.{i % 10}1") / 3) * (1 if i == 0 else -1) for i in range(500)
    )
    assert value == expected


def test_a_long_else_if_chain_is_flat() -> None:
    text = " ".join(f"{i} if x < {i} else" for i in range(300)) + " -1"
    expression = compile_expression(text, names={"x"})
    assert expression.evaluate({"x": D(150)}) == 151
    assert expression.evaluate({"x": D(9999)}) == -1


def test_a_long_string_is_bounded_when_built() -> None:
    expression = compile_expression("x + x + x", names={"x"})
    assert len(str(expression.evaluate({"x": "a" * 3000}))) == 9000
    with pytest.raises(EvaluationError, match="at most 10000"):
        expression.evaluate({"x": "a" * 4000})


# -- nothing but perfkit errors ---------------------------------------------------------


class Hostile:
    """A value whose comparisons and truth raise arbitrary exceptions."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("boom")

    def __hash__(self) -> int:
        raise RuntimeError("boom")

    def __bool__(self) -> bool:
        raise OSError("boom")

    def __lt__(self, other: object) -> bool:
        raise KeyError("boom")


@pytest.mark.parametrize(
    "text", ["x == 1", "x in (1, 2)", "x if x else 1", "not x", "x < 1", "min(x, 1)"]
)
def test_hostile_values_raise_evaluation_errors(text: str) -> None:
    expression = compile_expression(text, names={"x"})
    with pytest.raises(EvaluationError):
        expression.evaluate({"x": Hostile()})
    with pytest.raises(EvaluationError):
        expression.evaluate_many({"x": [D(1), Hostile()]})


def test_a_failing_host_function_is_named() -> None:
    registry = Registry.default()

    @registry.function()
    def explode(value: object) -> object:
        raise ZeroDivisionError("inside the host")

    @registry.function()
    def floaty(value: object) -> object:
        return 0.5

    with pytest.raises(EvaluationError, match=r"explode\(\) raised ZeroDivisionError"):
        compile_expression("explode(x)", names={"x"}, functions=registry).evaluate({"x": D(1)})
    with pytest.raises(EvaluationError, match=r"result of floaty\(\) is the float"):
        compile_expression("floaty(x)", names={"x"}, functions=registry).evaluate({"x": D(1)})


def test_a_host_function_cannot_change_the_evaluation_context() -> None:
    registry = Registry.default()

    @registry.function()
    def meddle(value: object) -> object:
        decimal.getcontext().prec = 3
        decimal.getcontext().traps[decimal.Inexact] = False
        return value

    before = decimal.getcontext()
    expression = compile_expression("meddle(x) / 3 * 3", names={"x"}, functions=registry)
    assert expression.evaluate({"x": D("1.23456789")}) == D("1.23456789")
    assert decimal.getcontext() is before
    assert before.prec != 3


def test_running_out_of_stack_is_an_evaluation_error() -> None:
    text = "abs(" * 60 + "x" + ")" * 60
    expression = compile_expression(text, names={"x"})
    limit = sys.getrecursionlimit()

    sys.setrecursionlimit(len(traceback.extract_stack()) + 40)
    try:
        with pytest.raises(EvaluationError, match="stack"):
            expression.evaluate({"x": D(-1)})
    finally:
        sys.setrecursionlimit(limit)


def test_an_internal_failure_while_compiling_is_a_policy_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Compiler, node: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Compiler, "compile", broken)
    with pytest.raises(PolicyError, match=r"expr\.internal"):
        compile_expression("x", names={"x"})


# -- fuzzing ------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=10_000 if settings.get_current_profile_name() == "dev" else 200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

FUZZ_NAMES = ["x", "y", "revenue", "attainment.revenue", "region", "tbl", "销售额"]
TOKENS = [
    *FUZZ_NAMES,
    *["+", "-", "*", "/", "//", "%", "**", "(", ")", ",", ".", "==", "!=", "<", "<=", ">", ">="],
    *["and", "or", "not", "in", "is", "None", "True", "False", "if", "else", "lambda", "for"],
    *["[", "]", "{", "}", ":", ";", "=", ":=", "@", "~", "<<", ">>", "&", "|", "^", "*", "**"],
    *["'east'", "'华东'", "''", "'%s'", "'{0}'", "f'{x}'", '"', "'", "#", "\\", "\n", "\t"],
    *["0", "1", "0.1", "2.5", "1e5", "1e-5", "9", "10", "4000000", "1_000", "0x10", "3j"],
    *["__class__", "__import__", "_x", "format", "ljust", "real", "mro", "gi_frame"],
    *["min", "max", "abs", "round", "floor", "ceil", "clamp", "if_", "days", "months"],
    *["date", "pct", "sqrt", "coalesce", "safe_div", "lookup", "tier", "len", "contains"],
    *["date('2026-01-01')", "'2026-02-30'", "'half_even'", "0.01", "(1, 2)", "[(0, 1)]"],
]

soups = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25)
texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="xy()+-*/%<>=!,.'\"0123456789 ._eEjn", max_size=60),
    soups.map(" ".join),
    soups.map("".join),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.just(D(0)),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.just(10**2000),
    st.fractions(max_denominator=10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.dates(),
    st.just(D("9" * 1200)),
    st.just(D("1e999")),
    st.just(D("-1e-999")),
)
values = st.one_of(
    scalars,
    st.dictionaries(st.text(max_size=5), scalars, max_size=4),
    st.lists(st.tuples(scalars, scalars), max_size=4),
)
envs = st.fixed_dictionaries(dict.fromkeys(FUZZ_NAMES, values))


def failure(run: Callable[[], object], allowed: type[PerfkitError]) -> str:
    """Run; return the message of an ``allowed`` error, or "" when none was raised."""
    try:
        run()
    except allowed as exc:
        return str(exc)
    return ""


def run_fuzz(text: str, env: dict[str, object]) -> None:
    """Compile and evaluate; only perfkit errors, and none from the last-resort nets."""
    compiled: list[Expression] = []
    problem = failure(
        lambda: compiled.append(compile_expression(text, names=FUZZ_NAMES)), PolicyError
    )
    assert "expr.internal" not in problem
    if not compiled:
        return
    expression = compiled[0]
    problem = failure(lambda: expression.evaluate(env), EvaluationError)
    assert "unexpected" not in problem
    columns = {name: [value, value] for name, value in env.items()}
    problem = failure(lambda: expression.evaluate_many(columns), EvaluationError)
    assert "unexpected" not in problem


@FUZZ
@given(text=texts, env=envs)
def test_fuzzed_text_raises_only_perfkit_errors(text: str, env: dict[str, object]) -> None:
    run_fuzz(text, env)


expressions_that_compile = st.sampled_from(
    [
        "x + y",
        "x * y - revenue / 3",
        "x ** y",
        "x // y % 3",
        "-x",
        "x < y < revenue",
        "x in (1, 'east', None)",
        "x if y else revenue",
        "x and y or not revenue",
        "min(x, y)",
        "max(x)",
        "abs(x)",
        "round(x, 0.01)",
        "round(x, y, region)",
        "floor(x) + ceil(y)",
        "clamp(x, y, revenue)",
        "days(x, y)",
        "months(x, y)",
        "date(region)",
        "pct(x)",
        "sqrt(x)",
        "coalesce(x, y)",
        "safe_div(x, y)",
        "lookup(tbl, x)",
        "lookup(tbl, x, 0)",
        "tier(x, tbl)",
        "tier(x, tbl, 0)",
        "len(x)",
        "contains(x, y)",
        "x + '华东'",
        "销售额 * 0.05",
        "attainment.revenue is None",
    ]
)


@FUZZ
@given(text=expressions_that_compile, env=envs)
def test_fuzzed_inputs_raise_only_evaluation_errors(text: str, env: dict[str, object]) -> None:
    run_fuzz(text, env)


def test_every_error_is_a_perfkit_error() -> None:
    run: Callable[[str, dict[str, object]], None] = run_fuzz
    for text in ESCAPES:
        with pytest.raises(PerfkitError):
            compile_expression(text, names=NAMES)
    run("x + y", {name: date(2026, 1, 1) for name in FUZZ_NAMES})
