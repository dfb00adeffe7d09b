"""Benchmark: perfkit's compiled expressions against simpleeval, and the limit cases.

Evaluates one realistic commission line over 1,000,000 rows of Decimal inputs:

* perfkit: compiled once, ``Expression.evaluate_many`` over columns;
* simpleeval, parse once: ``eval(text, previously_parsed=tree)`` per row, with
  number literals made Decimals (NOTES.md: its float literals break Decimal
  arithmetic);
* simpleeval, parse per row: ``eval(text)`` per row, on a subsample,
  extrapolated.

Then times each hostile input the safety limits refuse. Plain script, seeded, no
network::

    python benchmarks/bench_expr.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import ast
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import simpleeval

from perfkit._expr import compile_expression
from perfkit.errors import PerfkitError

EXPRESSION = "amount * rate if region == 'east' and amount >= 1000 else amount * 0.02"
NAMES = frozenset({"amount", "rate", "region"})
TARGET_RATIO = 4.0

LIMIT_CASES = [
    "9**9**9",
    "4000000**4000000",
    "(2**4000000)*(2**4000000)",
    "amount ** 4000000",
    "(amount * 10 ** 900) * (amount * 10 ** 900)",
    "'a'.ljust(10**9)",
    "'x'*10**9",
    "region + region",
    "1" + "+1" * 1999,
    "(" * 250 + "1" + ")" * 250,
    "-" * 5000 + "1",
    "a" * 10_001,
    "().__class__.__bases__[0].__subclasses__()",
]


class DecimalEval(simpleeval.SimpleEval):  # type: ignore[misc]
    """simpleeval with Decimal number literals (floats would break Decimal arithmetic)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nodes[ast.Constant] = self._decimal_constant

    @staticmethod
    def _decimal_constant(node: ast.Constant) -> object:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        return value


def make_columns(rows: int, seed: int = 20260401) -> dict[str, list[Any]]:
    """Seeded inputs: amounts in cents up to 5,000.00, three rates, three regions."""
    rng = random.Random(seed)
    rates = [Decimal("0.05"), Decimal("0.07"), Decimal("0.10")]
    regions = ["east", "west", "north"]
    return {
        "amount": [Decimal(rng.randint(0, 500_000)).scaleb(-2) for _ in range(rows)],
        "rate": [rng.choice(rates) for _ in range(rows)],
        "region": [rng.choice(regions) for _ in range(rows)],
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Run ``fn`` once and return (seconds, result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_perfkit(columns: dict[str, list[Any]]) -> tuple[float, list[object]]:
    """Seconds to evaluate every row with perfkit, and the values."""
    expression = compile_expression(EXPRESSION, names=NAMES)
    seconds, values = timed(lambda: expression.evaluate_many(columns))
    assert isinstance(values, list)
    return seconds, values


def run_simpleeval(
    columns: dict[str, list[Any]], rows: int, *, parse_once: bool
) -> tuple[float, list[object]]:
    """Seconds for simpleeval over the first ``rows`` rows, and the values."""
    evaluator = DecimalEval()
    tree = evaluator.parse(EXPRESSION) if parse_once else None
    amount, rate, region = columns["amount"], columns["rate"], columns["region"]
    out: list[object] = []

    def loop() -> None:
        for index in range(rows):
            evaluator.names = {
                "amount": amount[index],
                "rate": rate[index],
                "region": region[index],
            }
            out.append(evaluator.eval(EXPRESSION, previously_parsed=tree))

    seconds, _ = timed(loop)
    return seconds, out


def time_limits() -> list[tuple[str, float, str]]:
    """How long each hostile input takes to be refused, and by what."""
    results = []
    env = {"amount": Decimal("123.45"), "rate": Decimal("0.05"), "region": "e" * 6000}
    for text in LIMIT_CASES:
        start = time.perf_counter()
        try:
            compile_expression(text, names=NAMES | {"a" * 10_001}).evaluate(env)
            outcome = "accepted"
        except PerfkitError as exc:
            code = getattr(exc, "diagnostics", ())
            outcome = type(exc).__name__ + (f" [{code[0].code}]" if code else "")
        except Exception as exc:  # noqa: BLE001 - report an escape instead of stopping
            outcome = f"ESCAPED {type(exc).__name__}"
        results.append((text, time.perf_counter() - start, outcome))
    return results


def main() -> None:
    """Run the comparison and print rows per second and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--sample", type=int, default=100_000, help="rows for simpleeval parse-once"
    )
    parser.add_argument("--parse-sample", type=int, default=10_000, help="rows for parse-per-row")
    args = parser.parse_args()

    # Time the limits first: with a million rows alive, a garbage collection
    # triggered by the parser's allocations can add a few hundred milliseconds.
    limits = time_limits()
    columns = make_columns(args.rows)
    print(f"expression: {EXPRESSION}")
    print(f"rows: {args.rows:,} Decimal inputs")

    pk_seconds, pk_values = run_perfkit(columns)
    pk_rate = args.rows / pk_seconds

    once_rows = min(args.sample, args.rows)
    once_seconds, once_values = run_simpleeval(columns, once_rows, parse_once=True)
    once_rate = once_rows / once_seconds

    parse_rows = min(args.parse_sample, args.rows)
    parse_seconds, _ = run_simpleeval(columns, parse_rows, parse_once=False)
    parse_rate = parse_rows / parse_seconds

    mismatches = sum(1 for a, b in zip(pk_values, once_values, strict=False) if a != b)
    print(f"perfkit evaluate_many          {pk_rate:>12,.0f} rows/s  ({pk_seconds:.2f} s)")
    print(
        f"simpleeval parse once          {once_rate:>12,.0f} rows/s  "
        f"(on {once_rows:,} rows; {args.rows / once_rate:.1f} s extrapolated)"
    )
    print(
        f"simpleeval parse per row       {parse_rate:>12,.0f} rows/s  "
        f"(on {parse_rows:,} rows; {args.rows / parse_rate:.1f} s extrapolated)"
    )
    ratio = pk_rate / once_rate
    print(f"perfkit / simpleeval parse-once: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x)")
    print(f"perfkit / simpleeval parse-per-row: {pk_rate / parse_rate:.1f}x")
    print(f"values differing from simpleeval: {mismatches} of {once_rows:,}")

    print("\nlimit cases (each must be refused quickly with a PerfkitError):")
    for text, seconds, outcome in limits:
        shown = text if len(text) <= 48 else text[:45] + "..."
        print(f"  {seconds * 1000:8.2f} ms  {outcome:<32} {shown}")


if __name__ == "__main__":
    main()
