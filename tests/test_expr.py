"""The expression language: exact semantics, functions, names, diagnostics."""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfkit._expr import Expression, compile_expression
from perfkit._numbers import quantize
from perfkit._registry import Registry
from perfkit.errors import (
    EvaluationError,
    InvalidValueError,
    Location,
    PolicyError,
    Severity,
)

D = Decimal

NAMES = frozenset(
    {
        "revenue",
        "attainment.revenue",
        "target.revenue",
        "previous.revenue",
        "base_salary",
        "region",
        "a",
        "b",
        "c",
        "x",
        "start",
        "end",
        "rates",
        "tiers",
        "销售额",
        "地区",
    }
)


def ev(text: str, env: Mapping[str, object] | None = None, **names: object) -> object:
    """Compile ``text`` against NAMES (plus the keyword inputs) and evaluate it."""
    values = dict(env or {}, **names)
    expression = compile_expression(text, names=NAMES | set(values))
    return expression.evaluate(values)


def codes(error: PolicyError) -> list[str]:
    return [d.code for d in error.diagnostics]


# -- exact numbers -------------------------------------------------------------


def test_literals_are_decimals_read_from_their_text() -> None:
    value = ev("0.1")
    assert type(value) is Decimal
    assert str(value) == "0.1"


def test_point_one_plus_point_two_is_exactly_point_three() -> None:
    assert ev("0.1 + 0.2") == D("0.3")
    assert ev("0.1 + 0.2 == 0.3") is True


def test_one_third_times_three_is_exactly_one() -> None:
    assert ev("1 / 3 * 3") == 1
    assert ev("1 / 3 * 3 == 1") is True
    assert ev("a / b * b == a", a=D(1), b=D(3)) is True


def test_division_is_a_decimal_when_it_terminates_and_a_fraction_otherwise() -> None:
    assert ev("1 / 4") == D("0.25")
    assert type(ev("1 / 4")) is Decimal
    assert ev("1 / 3") == Fraction(1, 3)
    assert type(ev("a / b", a=D(1), b=D(3))) is Fraction
    assert ev("a / b", a=D(1), b=D(2**100)) == Fraction(1, 2**100)
    assert type(ev("a / b", a=D(1), b=D(2**100))) is Decimal  # 100 digits, still exact


def test_mixed_decimal_fraction_int_arithmetic_never_raises_type_error() -> None:
    env = {"a": Fraction(1, 3), "b": 3, "c": D("0.5")}
    assert ev("a * b", env) == 1
    assert ev("a + c", env) == Fraction(5, 6)
    assert ev("c - a", env) == Fraction(1, 6)
    assert ev("b / a", env) == 9
    assert ev("a ** 2", env) == Fraction(1, 9)


def test_a_mean_of_exactly_three_and_a_half_meets_the_threshold() -> None:
    # Computed as 7/2 it is exact, unlike float's 3.4999999999999996.
    mean = "(a + b) / 2"
    assert ev(f"{mean} >= 3.5", a=D("3.4"), b=D("3.6")) is True
    assert ev("x >= 3.5", x=Fraction(7, 2)) is True
    assert ev("x > 3.5", x=Fraction(7, 2)) is False
    assert ev("(a + a + b) / 3 == 11 / 3", a=D(3), b=D(5)) is True


def test_a_half_cent_reached_through_a_proration_rounds_by_the_mode() -> None:
    # 45/91 of a target and back lands exactly on the half cent; at 28 digits it
    # lands a hair below and rounds the wrong way.
    env = {"base_salary": D("20.25")}
    value = ev("base_salary * 45 / 91 * 91 / 45 + 0.005", env)
    assert isinstance(value, Decimal)
    assert value == D("20.255")
    assert quantize(value) == D("20.26")
    with decimal.localcontext(decimal.Context(prec=28)):
        inexact = D("20.25") * 45 / 91 * 91 / 45 + D("0.005")
    assert quantize(inexact) == D("20.25")


def test_the_worked_example_penalty_is_a_tie_rounded_away_from_zero() -> None:
    penalty = ev("-min(500.00, 0.05 * base_salary)", base_salary=D("9000.10"))
    assert isinstance(penalty, Decimal)
    assert penalty == D("-450.005")
    assert quantize(penalty) == D("-450.01")


def test_the_worked_example_marginal_commission() -> None:
    text = "min(A, 0.5) * T * 0.02 + max(min(A, 1) - 0.5, 0) * T * 0.05 + max(A - 1, 0) * T * 0.08"
    expression = compile_expression(text, names={"A", "T"})
    attainment = compile_expression("revenue / target", names={"revenue", "target"})
    a = attainment.evaluate({"revenue": D("55000.00"), "target": D("100000.00")})
    assert a == D("0.55")
    commission = expression.evaluate({"A": a, "T": D("100000.00")})
    assert isinstance(commission, Decimal)
    assert quantize(commission) == D("1250.00")


def test_algebraically_equal_formulas_agree_on_a_fraction() -> None:
    env: dict[str, object] = {"a": Fraction(1, 3), "b": D("0.7"), "c": D(91)}
    assert ev("(a + b) * c", env) == ev("a * c + b * c", env)


def test_integer_powers_are_exact() -> None:
    assert ev("2 ** 10") == 1024
    assert ev("1.1 ** 2") == D("1.21")
    assert ev("2 ** -2") == D("0.25")
    assert ev("3 ** -1") == Fraction(1, 3)
    assert ev("x ** 3", x=Fraction(2, 3)) == Fraction(8, 27)
    assert ev("0 ** 0") == 1
    assert ev("(-1) ** 1001") == -1


def test_non_integer_powers_use_34_significant_digits() -> None:
    value = ev("revenue ** 0.5", revenue=D("5000000"))
    assert value == D("2236.067977499789696409173668731276")
    assert ev("4 ** 0.5") == 2
    assert str(ev("4 ** 0.5")) == "2"
    assert ev("2 ** 0.5") == D("1.414213562373095048801688724209698")


def test_a_non_integer_power_of_a_negative_number_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="negative number"):
        ev("x ** 0.5", x=D(-4))


def test_floor_division_and_remainder_follow_python() -> None:
    assert ev("-7 // 2") == -4
    assert ev("-7 % 2") == 1
    assert ev("7.5 % 2") == D("1.5")
    assert ev("x // 0.25", x=D("1.1")) == 4


def test_unary_operators() -> None:
    assert ev("-x", x=D("2.50")) == D("-2.50")
    assert ev("+x", x=D("2.50")) == D("2.50")
    assert ev("--x", x=Fraction(1, 3)) == Fraction(1, 3)
    assert ev("not x", x=D(0)) is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base_salary * 10%", D("900.010")),
        ("5% + x", D("7.05")),
        ("-5%", D("-0.05")),
        ("12.5% * x", D("0.875")),
        ("10% if x > 1 else 5%", D("0.10")),
        ("10%-x", D("-6.90")),
        ("x % 3", D(1)),
        ("10 % 3", D(1)),
        ("10%3", D(1)),
        ("10%(x)", D(3)),
        ("'10%' + '!'", "10%!"),
    ],
)
def test_a_number_with_a_percent_sign_is_a_percentage(text: str, expected: object) -> None:
    assert ev(text, x=D(7), base_salary=D("9000.10")) == expected


def test_a_percentage_keeps_the_columns_of_the_text() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression("10% * revnue", names=NAMES)
    assert caught.value.diagnostics[0].location.column == 7


def test_ints_given_as_inputs_become_decimals() -> None:
    assert type(ev("x", x=7)) is Decimal
    assert type(ev("x * 2", x=7)) is Decimal


# -- text, booleans, comparisons ------------------------------------------------


def test_chinese_identifiers_and_text() -> None:
    assert ev("销售额 * 0.05", {"销售额": D("1000")}) == D("50.00")
    assert ev("地区 == '华东'", {"地区": "华东"}) is True
    assert ev("'销售' + 地区", {"地区": "部"}) == "销售部"
    assert ev("len('销售部')") == 3


def test_text_concatenation_and_comparison() -> None:
    assert ev("region + '-' + 'team'", region="east") == "east-team"
    assert ev("region < 'f'", region="east") is True


def test_and_or_not_short_circuit_with_python_semantics() -> None:
    assert ev("a > 0 and 1 / a > 0.5", a=D(0)) is False
    assert ev("a == 0 or 1 / a > 0.5", a=D(0)) is True
    assert ev("x or 5", x=D(0)) == 5
    assert ev("x and 5", x=D(0)) == 0
    assert ev("x is None or x > 3", x=None) is True
    assert ev("a and b and c", a=True, b=True, c=D(3)) == 3
    assert ev("a or b or c", a=False, b=None, c="z") == "z"


def test_the_conditional_expression_is_lazy() -> None:
    assert ev("1 / a if a != 0 else 0", a=D(0)) == 0
    assert ev("'low' if x < 1 else 'mid' if x < 2 else 'high'", x=D("1.5")) == "mid"
    assert ev("'low' if x < 1 else 'mid' if x < 2 else 'high'", x=D(9)) == "high"


def test_comparisons_chain() -> None:
    assert ev("0 <= x < 10", x=D(0)) is True
    assert ev("0 <= x < 10", x=D(10)) is False
    assert ev("a < b < c", a=D(1), b=D(2), c=D(2)) is False
    assert ev("a == b != c", a=D(1), b=D("1.0"), c=D(2)) is True


def test_in_and_not_in_take_literal_lists() -> None:
    assert ev("region in ('east', 'west')", region="east") is True
    assert ev("region not in ['east', 'west']", region="north") is True
    assert ev("x in (1, 2.5)", x=Fraction(5, 2)) is True
    assert ev("x in (a, b)", x=D(2), a=D(1), b=D("2.00")) is True
    assert ev("x in {1, 2}", x=D(3)) is False


def test_is_none_and_is_not_none() -> None:
    assert ev("previous.revenue is None", {"previous.revenue": None}) is True
    assert ev("previous.revenue is not None", {"previous.revenue": D(1)}) is True
    assert ev("None is x", x=None) is True


def test_dates_compare() -> None:
    assert ev("start < date('2026-04-01')", start=date(2026, 3, 31)) is True


def test_dotted_names_are_read_from_the_environment() -> None:
    env = {"attainment.revenue": D("0.8"), "target.revenue": D(1000)}
    assert ev("attainment.revenue * target.revenue", env) == D("800.0")


# -- functions -----------------------------------------------------------------

RATES = {"east": D("0.05"), "west": D("0.07")}
TIERS = [(D(0), D("0.02")), (D("0.5"), D("0.05")), (D(1), D("0.08"))]

FUNCTION_EXAMPLES: list[tuple[str, dict[str, object], object]] = [
    ("min(3, 1, 2)", {}, D(1)),
    ("min(x)", {"x": [D(4), D(2)]}, D(2)),
    ("max(x - 5, 0)", {"x": D(3)}, D(0)),
    ("max('a', 'b')", {}, "b"),
    ("abs(-5)", {}, D(5)),
    ("abs(x)", {"x": Fraction(-1, 3)}, Fraction(1, 3)),
    ("round(2.665, 0.01)", {}, D("2.67")),
    ("round(-2.665, 0.01)", {}, D("-2.67")),
    ("round(2.665, 0.01, 'half_even')", {}, D("2.66")),
    ("round(2.665, quantum=0.01, mode='down')", {}, D("2.66")),
    ("round(1234, 100)", {}, D(1200)),
    ("round(7.5)", {}, D(8)),
    ("round(1 / 3, 0.01)", {}, D("0.33")),
    ("round(x, 0.05)", {"x": D("1.024")}, D("1.00")),
    ("floor(-2.5)", {}, D(-3)),
    ("floor(x)", {"x": Fraction(7, 2)}, D(3)),
    ("ceil(2.1)", {}, D(3)),
    ("ceil(x)", {"x": Fraction(-7, 2)}, D(-3)),
    ("clamp(x, 0, 1.5)", {"x": D(2)}, D("1.5")),
    ("clamp(x, 0, 1.5)", {"x": D(-1)}, D(0)),
    ("clamp(x, 0, 1.5)", {"x": D(1)}, D(1)),
    ("if_(x >= 1, 500, 0)", {"x": D(1)}, D(500)),
    ("if_(x > 0, 1 / x, 0)", {"x": D(0)}, D(0)),
    ("days(start, end)", {"start": date(2026, 1, 1), "end": date(2026, 3, 1)}, D(59)),
    ("days(end, start)", {"start": date(2026, 1, 1), "end": date(2026, 3, 1)}, D(-59)),
    (
        "days(start, end)",
        {"start": datetime(2026, 1, 1, 23), "end": datetime(2026, 1, 2, 1)},
        D(1),
    ),
    ("months(date('2026-01-31'), date('2026-02-28'))", {}, D(1)),
    ("months(date('2026-01-15'), date('2026-02-14'))", {}, D(0)),
    ("months(date('2026-01-15'), date('2027-03-15'))", {}, D(14)),
    ("months(date('2026-03-15'), date('2026-01-16'))", {}, D(-1)),
    ("date('2026-01-01')", {}, date(2026, 1, 1)),
    ("pct(5)", {}, D("0.05")),
    ("pct(x)", {"x": Fraction(1, 3)}, Fraction(1, 300)),
    ("sqrt(16)", {}, D(4)),
    ("sqrt(2)", {}, D("1.414213562373095048801688724209698")),
    ("coalesce(x, 0)", {"x": None}, D(0)),
    ("coalesce(x, 0)", {"x": D(7)}, D(7)),
    ("coalesce(x, None, 3)", {"x": None}, D(3)),
    ("coalesce(x, 1 / x)", {"x": D(2)}, D(2)),
    ("safe_div(a, b)", {"a": D(1), "b": D(0)}, D(0)),
    ("safe_div(a, b, 1)", {"a": D(1), "b": D(0)}, D(1)),
    ("safe_div(a, b)", {"a": D(1), "b": D(3)}, Fraction(1, 3)),
    ("lookup(rates, region)", {"rates": RATES, "region": "west"}, D("0.07")),
    ("lookup(rates, region, 0.02)", {"rates": RATES, "region": "north"}, D("0.02")),
    ("lookup(rates, x)", {"rates": {1: D(10), 2: D(20)}, "x": D(2)}, D(20)),
    ("tier(x, tiers)", {"x": D("0.49"), "tiers": TIERS}, D("0.02")),
    ("tier(x, tiers)", {"x": D("0.5"), "tiers": TIERS}, D("0.05")),
    ("tier(x, tiers)", {"x": D(1), "tiers": TIERS}, D("0.08")),
    ("tier(x, tiers)", {"x": D(7), "tiers": TIERS}, D("0.08")),
    ("tier(x, tiers, 0)", {"x": D(-1), "tiers": TIERS}, D(0)),
    ("tier(x, tiers)", {"x": Fraction(1, 2), "tiers": {D(0): "low", D("0.5"): "high"}}, "high"),
    ("len(region)", {"region": "east"}, D(4)),
    ("contains(region, 'as')", {"region": "east"}, True),
    ("contains('华东区', '华东')", {}, True),
    ("contains(rates, 'east')", {"rates": RATES}, True),
]


@pytest.mark.parametrize(("text", "env", "expected"), FUNCTION_EXAMPLES)
def test_function_examples(text: str, env: dict[str, object], expected: object) -> None:
    result = ev(text, env)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("tier(x, tiers)", {"x": D(-1), "tiers": TIERS}, "below the first tier"),
        ("tier(x, tiers)", {"x": D(1), "tiers": [(D(1), 1), (D(0), 2)]}, "must rise"),
        ("tier(x, tiers)", {"x": D(1), "tiers": [(D(1), 1), (D(1), 2)]}, "must rise"),
        ("tier(x, tiers)", {"x": D(1), "tiers": "abc"}, "not a list of rows"),
        ("lookup(rates, region)", {"rates": RATES, "region": "easst"}, "did you mean 'east'"),
        ("lookup(rates, region)", {"rates": [1], "region": "east"}, "not a mapping"),
        ("clamp(x, 2, 1)", {"x": D(1)}, "lower bound"),
        ("floor(region)", {"region": "east"}, "not a number"),
        ("floor(x)", {"x": None}, "missing value"),
        ("round(x, 0)", {"x": D(1)}, "quantum"),
        ("round(x, 0.01, 'sideways')", {"x": D(1)}, "unknown rounding mode"),
        ("round(x, a)", {"x": D(1), "a": "0.01"}, "quantum"),
        ("days(a, b)", {"a": D(1), "b": D(2)}, "not a date"),
        ("date(region)", {"region": "2026-13-01"}, "not a valid date"),
        ("date(region)", {"region": "20260101"}, "2026-04-01"),
        ("sqrt(x)", {"x": D(-1)}, "negative"),
        ("len(x)", {"x": D(1)}, "expected a text"),
        ("contains(region, x)", {"region": "east", "x": D(1)}, "cannot look for"),
        ("min(a, b)", {"a": D(1), "b": "x"}, "different kinds"),
        ("min(a, b)", {"a": D(1), "b": None}, "missing value"),
        ("min(x)", {"x": []}, "empty list"),
    ],
)
def test_function_errors_name_the_function(text: str, env: dict[str, object], message: str) -> None:
    name = text.split("(")[0]
    with pytest.raises(EvaluationError, match=message) as caught:
        ev(text, env)
    assert f"{name}(" in str(caught.value)


def test_round_takes_a_quantum_and_warns_about_a_digit_count() -> None:
    expression = compile_expression("round(x, 2)", names={"x"})
    assert expression.evaluate({"x": D("3.3")}) == D(4)
    (warning,) = expression.diagnostics
    assert warning.severity is Severity.WARNING
    assert warning.code == "expr.round-quantum"
    assert "0.01" in warning.message


def test_constant_calls_are_computed_once() -> None:
    expression = compile_expression("date('2026-01-01')", names=set())
    assert expression.is_constant
    assert expression.evaluate({}) == date(2026, 1, 1)
    assert not compile_expression("x + 1", names={"x"}).is_constant
    assert compile_expression("x if False else 2", names={"x"}).is_constant


def test_a_bad_constant_is_reported_when_the_policy_loads() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression("date('2026-02-30') < start", names={"start"})
    assert codes(caught.value) == ["expr.constant-error"]
    with pytest.raises(PolicyError, match="division by zero") as caught:
        compile_expression("x / 0", names={"x"})  # whatever x is, this always fails
    assert codes(caught.value) == ["expr.constant-error"]
    with pytest.raises(PolicyError, match="division by zero"):
        compile_expression("1 / 0", names=set())


# -- runtime errors ----------------------------------------------------------------


def test_a_missing_value_in_arithmetic_names_the_variable() -> None:
    with pytest.raises(EvaluationError, match="missing value: 'base_salary' is None"):
        ev("base_salary * 0.05", base_salary=None)
    with pytest.raises(EvaluationError, match=r"'previous\.revenue' is None"):
        ev("revenue - previous.revenue", {"revenue": D(1), "previous.revenue": None})
    with pytest.raises(EvaluationError, match="'x' is None"):
        ev("x > 3", x=None)
    with pytest.raises(EvaluationError, match="'x' is None"):
        ev("-x", x=None)


def test_division_by_zero_names_the_expression() -> None:
    with pytest.raises(EvaluationError, match=r"division by zero in 'revenue / x' \('x' is 0\)"):
        ev("revenue / x", revenue=D(1), x=D(0))
    with pytest.raises(EvaluationError, match="division by zero"):
        ev("x // y", x=D(1), y=D(0))
    with pytest.raises(EvaluationError, match="division by zero"):
        ev("x % y", x=D(1), y=Fraction(0))
    with pytest.raises(EvaluationError, match="division by zero"):
        ev("x ** -1", x=D(0))


def test_type_errors_become_evaluation_errors() -> None:
    with pytest.raises(EvaluationError, match="cannot add"):
        ev("region + 1", region="east")
    with pytest.raises(EvaluationError, match="cannot compare"):
        ev("region < 1", region="east")
    with pytest.raises(EvaluationError, match="cannot multiply the text 'east'"):
        ev("region * 2", region="east")
    with pytest.raises(EvaluationError, match="boolean"):
        ev("(x > 1) * 100", x=D(2))
    with pytest.raises(EvaluationError, match="not text formatting"):
        ev("region % 2", region="%s")


def test_inputs_are_checked() -> None:
    with pytest.raises(EvaluationError, match="missing input 'x'"):
        compile_expression("x + 1", names={"x"}).evaluate({})
    with pytest.raises(EvaluationError, match=r"float 0\.1.*Decimal\('0\.1'\)"):
        ev("x + 1", x=0.1)
    with pytest.raises(EvaluationError, match="not a finite number"):
        ev("x + 1", x=D("NaN"))
    with pytest.raises(EvaluationError, match="not a finite number"):
        ev("x", x=D("Infinity"))
    with pytest.raises(EvaluationError, match="mapping"):
        compile_expression("x + 1", names={"x"}).evaluate(None)  # type: ignore[arg-type]


def test_evaluation_errors_carry_the_policy_location() -> None:
    where = Location(file="plan.yaml", line=12, column=9)
    expression = compile_expression("revenue / x", names={"revenue", "x"}, location=where)
    with pytest.raises(EvaluationError, match=r"^plan\.yaml:12:9: division by zero"):
        expression.evaluate({"revenue": D(1), "x": D(0)})


def test_evaluation_leaves_the_decimal_context_alone() -> None:
    before = decimal.getcontext()
    ev("1 / 3 + x", x=D(1))
    with pytest.raises(EvaluationError):
        ev("1 / x", x=D(0))
    assert decimal.getcontext() is before


# -- evaluate_many ----------------------------------------------------------------


def test_evaluate_many_matches_evaluate_row_by_row() -> None:
    expression = compile_expression(
        "amount * rate if region == 'east' and amount >= 1000 else amount * 0.02",
        names={"amount", "rate", "region"},
    )
    columns: dict[str, list[object]] = {
        "amount": [D(999), D(1000), D("2500.50"), D(5)],
        "rate": [D("0.05"), D("0.05"), D("0.07"), 3],
        "region": ["east", "east", "west", "east"],
    }
    many = expression.evaluate_many(columns)
    single = [
        expression.evaluate({name: column[i] for name, column in columns.items()}) for i in range(4)
    ]
    assert many == single == [D("19.98"), D("50.00"), D("50.0100"), D("0.10")]


def test_evaluate_many_names_the_failing_row() -> None:
    expression = compile_expression("a / b", names={"a", "b"})
    with pytest.raises(EvaluationError, match=r"row 2: division by zero"):
        expression.evaluate_many({"a": [D(1)] * 3, "b": [D(1), D(2), D(0)]})
    with pytest.raises(EvaluationError, match=r"row 1: input 'b' is the float"):
        expression.evaluate_many({"a": [D(1)] * 2, "b": [D(1), 2.0]})


def test_evaluate_many_checks_its_columns() -> None:
    expression = compile_expression("a + b", names={"a", "b"})
    with pytest.raises(EvaluationError, match="different lengths"):
        expression.evaluate_many({"a": [D(1)], "b": [D(1), D(2)]})
    with pytest.raises(EvaluationError, match="missing column 'b'"):
        expression.evaluate_many({"a": [D(1)]})
    with pytest.raises(EvaluationError, match="sequence"):
        expression.evaluate_many({"a": "abc", "b": "def"})
    assert expression.evaluate_many({"a": [], "b": []}) == []


def test_evaluate_many_of_a_constant() -> None:
    expression = compile_expression("2 * 3", names={"a"})
    assert expression.evaluate_many({"a": [D(1), D(2)]}) == [D(6), D(6)]
    assert expression.evaluate_many({}) == []


def test_evaluate_many_converts_mixed_columns() -> None:
    expression = compile_expression("coalesce(a, 0) + 1", names={"a"})
    assert expression.evaluate_many({"a": [D(1), None, 2, Fraction(1, 2)]}) == [
        D(2),
        D(1),
        D(3),
        Fraction(3, 2),
    ]


# -- the compiled object ----------------------------------------------------------


def test_an_expression_knows_its_text_names_and_functions() -> None:
    expression = compile_expression(
        "min(attainment.revenue, 2) * base_salary + pct(x)", names=NAMES
    )
    assert expression.text == "min(attainment.revenue, 2) * base_salary + pct(x)"
    assert expression.names == {"attainment.revenue", "base_salary", "x"}
    assert expression.functions == {"min", "pct"}
    assert repr(expression).startswith("Expression(")


def test_an_expression_is_immutable() -> None:
    expression = compile_expression("x", names={"x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.text = "y"  # type: ignore[misc]


def test_names_are_matched_after_unicode_normalisation() -> None:
    # The parser folds full-width letters (NFKC); declared names are folded alike.
    expression = compile_expression("ｒｅｖｅｎｕｅ * 2", names={"revenue"})
    assert expression.names == {"revenue"}


def test_a_multi_line_expression_with_comments() -> None:
    text = "revenue * 0.05  # base\n  + bonus\n"
    expression = compile_expression(text, names={"revenue", "bonus"})
    assert expression.evaluate({"revenue": D(100), "bonus": D(1)}) == D("6.00")


def test_declared_names_that_cannot_be_written_explain_unknown_names() -> None:
    assert compile_expression("x", names={"x", "win-rate", "_secret"}).names == {"x"}
    with pytest.raises(PolicyError, match="declares 'win-rate', but an expression cannot"):
        compile_expression("win_rate * 2", names={"x", "win-rate"})
    with pytest.raises(PolicyError) as caught:
        compile_expression("_secret", names={"_secret"})
    assert codes(caught.value) == ["expr.forbidden"]


def test_names_must_be_a_collection_of_text() -> None:
    with pytest.raises(InvalidValueError, match="collection"):
        compile_expression("x", names="x")
    with pytest.raises(InvalidValueError, match="text"):
        compile_expression("x", names={"x", 3})  # type: ignore[arg-type]


# -- compile-time diagnostics --------------------------------------------------------


def test_unknown_names_are_all_reported_with_suggestions_and_columns() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression("atainment.revenue * 2 + revnue - zzz + revnue", names=NAMES)
    found = caught.value.diagnostics
    assert [d.code for d in found] == ["expr.unknown-name"] * 3
    assert "did you mean 'attainment.revenue'?" in found[0].message
    assert "did you mean 'revenue'?" in found[1].message
    assert "zzz" in found[2].message
    assert [d.location.column for d in found] == [1, 25, 34]


def test_diagnostics_are_located_in_the_policy_file() -> None:
    where = Location(file="plans/field.yaml", line=12, column=10, path="incentives[0].formula")
    with pytest.raises(PolicyError) as caught:
        compile_expression("revenue * rat", names=NAMES, location=where)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location == Location("plans/field.yaml", 12, 20, "incentives[0].formula")
    assert diagnostic.render().startswith("plans/field.yaml:12:20: incentives[0].formula:")
    assert diagnostic.render().endswith("[expr.unknown-name]")


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression("销售额 + 销售", names=NAMES)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location.column == 7
    assert "did you mean '销售额'?" in diagnostic.message


def test_a_later_line_of_a_multi_line_expression_gets_its_own_line() -> None:
    where = Location(file="p.yaml", line=5, column=3)
    with pytest.raises(PolicyError) as caught:
        compile_expression("revenue\n + bonus", names={"revenue"}, location=where)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.location.line, diagnostic.location.column) == (6, None)


def test_syntax_errors_are_located() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression("revenue +* 2", names=NAMES)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "expr.syntax"
    assert diagnostic.location.column == 10


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("", "expr.syntax", "empty"),
        ("   ", "expr.syntax", "empty"),
        ("revenue +", "expr.syntax", "invalid syntax"),
        ("revenue = 1", "expr.syntax", "invalid syntax"),
        ("a; b", "expr.syntax", "invalid syntax"),
        ("a) + (b", "expr.syntax", "unmatched"),
        ("mni(a, b)", "expr.unknown-function", "did you mean 'min'?"),
        ("revenue(1)", "expr.unknown-function", "is a value, not a function"),
        ("min", "expr.unknown-name", "is a function"),
        ("x.real", "expr.unknown-name", "values have no attributes"),
        ("round()", "expr.arity", "missing a required argument"),
        ("abs(1, 2)", "expr.arity", "too many"),
        ("round(x, digits=2)", "expr.arity", "unexpected keyword"),
        ("abs(x=1)", "expr.arity", "positional"),
        ("x is 1", "expr.forbidden", "only tests for None"),
        ("x in region", "expr.forbidden", "literal list"),
        ("(a, b)", "expr.forbidden", "tuples are only allowed"),
        ("x << 2", "expr.forbidden", "'<<'"),
        ("~x", "expr.forbidden", "'~'"),
        ("1j", "expr.forbidden", "complex"),
        ("b'x'", "expr.forbidden", "bytes"),
        ("rates['east']", "expr.forbidden", "lookup"),
    ],
)
def test_compile_errors(text: str, code: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expression(text, names=NAMES)
    assert codes(caught.value)[0] == code
    assert message in caught.value.diagnostics[0].message


def test_a_non_text_expression_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        compile_expression(42, names=NAMES)  # type: ignore[arg-type]


def test_a_registry_decides_which_functions_exist() -> None:
    registry = Registry.default()

    @registry.function()
    def bonus_rate(level: object) -> object:
        return D("0.1") if level == "senior" else D("0.05")

    expression = compile_expression("bonus_rate(region) * 100", names=NAMES, functions=registry)
    assert expression.evaluate({"region": "senior"}) == D("10.0")
    with pytest.raises(PolicyError, match="unknown function 'bonus_rate'"):
        compile_expression("bonus_rate(region)", names=NAMES)
    # Compiled expressions keep the functions they were compiled with.
    registry.register_function("bonus_rate", lambda level: D(1), replace=True)
    assert expression.evaluate({"region": "senior"}) == D("10.0")


# -- properties ------------------------------------------------------------------------

decimals = st.decimals(
    min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False, places=4
)


@given(a=decimals, b=decimals, c=decimals)
def test_distribution_gives_identical_values(a: Decimal, b: Decimal, c: Decimal) -> None:
    env = {"a": a, "b": b, "c": c}
    left = compile_expression("(a + b) * c", names=env).evaluate(env)
    right = compile_expression("a * c + b * c", names=env).evaluate(env)
    assert left == right


@given(a=decimals, b=decimals.filter(bool), c=decimals)
def test_arithmetic_equals_the_rational_reference(a: Decimal, b: Decimal, c: Decimal) -> None:
    env = {"a": a, "b": b, "c": c}
    value = compile_expression("a / b * c - c / b + a", names=env).evaluate(env)
    fa, fb, fc = Fraction(a), Fraction(b), Fraction(c)
    assert value == fa / fb * fc - fc / fb + fa


@given(a=decimals, b=decimals, flag=st.booleans())
def test_evaluation_is_deterministic(a: Decimal, b: Decimal, flag: bool) -> None:
    text = "round(a * 1.5 / 7 if flag else b - a / 3, 0.01)"
    expression = compile_expression(text, names={"a", "b", "flag"})
    env = {"a": a, "b": b, "flag": flag}
    first = expression.evaluate(env)
    again = compile_expression(text, names={"a", "b", "flag"}).evaluate(env)
    assert first == again == expression.evaluate(env)
    assert str(first) == str(again)
    assert expression.evaluate_many({k: [v, v] for k, v in env.items()}) == [first, first]


def test_expression_type_is_exported() -> None:
    assert isinstance(compile_expression("1", names=set()), Expression)
