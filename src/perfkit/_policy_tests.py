"""Running the examples a policy carries in its ``tests:`` section.

An example gives a participant's values (metrics, targets, attributes) and the
results expected: incentive lines by id, ``payout``, ``score``, ``score.<component>``,
variables, ``attainment.<metric>``, or ``flags`` (the list of actions raised).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._numbers import parse_decimal, to_fraction
from perfkit._plan import evaluate_participant
from perfkit._result import render_value
from perfkit.errors import InvalidValueError, PerfkitError

if TYPE_CHECKING:
    from perfkit._policy import Policy

__all__ = ["TestOutcome", "run_policy_tests"]


@dataclass(frozen=True)
class TestOutcome:
    """One example's result: which expectations matched and which did not."""

    name: str
    passed: bool
    mismatches: tuple[tuple[str, Any, Any], ...] = ()
    error: str | None = None

    def report(self) -> list[str]:
        """Lines describing the failure: expected vs actual, or the error."""
        if self.error is not None:
            return [f"error: {self.error}"]
        width = max((len(key) for key, _, _ in self.mismatches), default=0)
        return [
            f"{key:<{width}}  expected {_show(expected)}, got {_show(actual)}"
            for key, expected, actual in self.mismatches
        ]


def _show(value: Any) -> str:
    if isinstance(value, Fraction):
        shown = str(render_value(value))
        if value.denominator == 1 or Fraction(shown) == value:
            return shown
        return f"{value} (≈ {shown})"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "(missing)" if value is _MISSING else str(value)


_MISSING = object()


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return isinstance(actual, tuple | list) and list(actual) == expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(actual, Decimal | Fraction | int):
        try:
            return to_fraction(parse_decimal(expected)) == to_fraction(actual)
        except InvalidValueError:
            return False
    return bool(expected == actual)


def run_policy_tests(policy: Policy) -> Iterator[TestOutcome]:
    """Run each example of ``policy.tests`` and yield its outcome, in order."""
    for example in policy.tests:
        try:
            outcome = evaluate_participant(policy, dict(example.given))
        except PerfkitError as exc:
            yield TestOutcome(example.name, passed=False, error=str(exc))
            continue
        results: dict[str, Any] = dict(outcome.values)
        results["flags"] = list(outcome.flags)
        for component, amount in outcome.lines.items():
            results.setdefault(component, amount)  # settlement lines: payout.cap...
        for name, balance in outcome.balances.items():
            results[f"balance.{name}"] = balance
        mismatches = []
        for key, expected in example.expect.items():
            actual = results.get(key, _MISSING)
            if actual is _MISSING or not _matches(expected, actual):
                mismatches.append((key, expected, actual))
        yield TestOutcome(example.name, passed=not mismatches, mismatches=tuple(mismatches))
