"""The public API: exactly these names, sorted, each importable and documented."""

from __future__ import annotations

from importlib import resources

import perfkit
import perfkit.errors

EXPECTED = [
    "Actuals",
    "Calendar",
    "DataError",
    "Dataset",
    "Decomposition",
    "Diagnostic",
    "EvaluationError",
    "Goal",
    "GoalFinding",
    "GoalPlan",
    "HistoryBasis",
    "InvalidValueError",
    "Location",
    "Market",
    "Membership",
    "OrgSplit",
    "OrgTree",
    "OrgTreeError",
    "PerfkitError",
    "Period",
    "Policy",
    "PolicyError",
    "Registry",
    "Result",
    "RoundingMode",
    "Severity",
    "Suggestion",
    "SuggestionSet",
    "Tiers",
    "TimeSplit",
    "Trace",
    "__version__",
    "allocate",
    "backtest",
    "check_goals",
    "credit_shared",
    "decompose",
    "evaluate",
    "evaluate_periods",
    "load_policy",
    "parse_decimal",
    "prorate",
    "quantize",
    "replan",
    "rollup",
    "suggest_targets",
]


def test_all_is_sorted() -> None:
    """perfkit.__all__ is kept sorted, so additions show up clearly in review."""
    assert perfkit.__all__ == sorted(perfkit.__all__)


def test_all_is_exactly_the_intended_api() -> None:
    """The public API is exactly the intended names: adding one is a decision."""
    assert perfkit.__all__ == EXPECTED


def test_every_public_name_exists_and_has_a_docstring() -> None:
    """Every exported name resolves, and classes and functions say what they are."""
    for name in perfkit.__all__:
        value = getattr(perfkit, name)
        if callable(value):
            assert value.__doc__, name


def test_errors_module_exports_the_error_tree() -> None:
    """perfkit.errors is a public module exporting every error type and Diagnostic."""
    for name in perfkit.errors.__all__:
        assert getattr(perfkit.errors, name) is getattr(perfkit, name)


def test_package_ships_py_typed() -> None:
    """The package is marked as typed for mypy and pyright users."""
    assert resources.files("perfkit").joinpath("py.typed").is_file()
