"""Registries: functions with checked signatures, rule kinds, isolation, plugins."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from importlib import metadata

import pytest

from perfkit._expr import compile_expression
from perfkit._expr_functions import BUILTINS
from perfkit._registry import FunctionSpec, Registry, default_registry
from perfkit.errors import EvaluationError, InvalidValueError, PolicyError

D = Decimal


def compiled(text: str, registry: Registry, **values: object) -> object:
    return compile_expression(text, names=set(values), functions=registry).evaluate(values)


# -- defaults and isolation ----------------------------------------------------------


def test_default_returns_a_new_registry_with_the_builtins() -> None:
    first, second = Registry.default(), Registry.default()
    assert first is not second
    assert first.function_names() == tuple(sorted(name for name, _ in BUILTINS))
    assert "round" in first
    assert "nope" not in first


def test_an_empty_registry_has_no_functions() -> None:
    with pytest.raises(PolicyError, match="unknown function 'min'"):
        compile_expression("min(1, 2)", names=set(), functions=Registry())


def test_the_shared_default_is_one_instance_and_used_when_none_is_given() -> None:
    assert default_registry() is default_registry()
    assert default_registry() is not Registry.default()
    assert compile_expression("abs(-1)", names=set()).evaluate({}) == 1


def test_two_registries_never_see_each_others_functions() -> None:
    tenant_a, tenant_b = Registry.default(), Registry.default()
    tenant_a.register_function("bonus", lambda: D(1))
    tenant_b.register_function("bonus", lambda: D(2))
    assert compiled("bonus()", tenant_a) == 1
    assert compiled("bonus()", tenant_b) == 2
    assert "bonus" not in Registry.default()
    assert "bonus" not in default_registry()


def test_a_copy_extends_without_changing_the_original() -> None:
    base = Registry.default()
    child = base.copy()
    child.register_function("extra", lambda x: x)
    child.register_rule_kind("flat", object())
    assert "extra" in child
    assert "extra" not in base
    assert "flat" not in base.rule_kinds()


# -- registering functions ---------------------------------------------------------------


def test_the_decorator_in_all_its_forms() -> None:
    registry = Registry.default()

    @registry.function()
    def double(x: object) -> object:
        return D(2) * D(str(x))

    @registry.function("triple")
    def _triple(x: object) -> object:
        return D(3) * D(str(x))

    @registry.function
    def quadruple(x: object) -> object:
        return D(4) * D(str(x))

    assert double(D(1)) == 2  # returned unchanged
    assert compiled("double(x) + triple(x) + quadruple(x)", registry, x=D(1)) == 9


def test_register_function_returns_its_spec() -> None:
    registry = Registry()

    def rate(level: object, bonus: object = D(0), *more: object) -> object:
        """The rate for a level."""
        return level

    spec = registry.register_function("rate", rate)
    assert isinstance(spec, FunctionSpec)
    assert (spec.min_args, spec.max_args) == (1, None)
    assert spec.summary == "The rate for a level."
    assert registry.get_function("rate") is spec
    assert registry.get_function("other") is None


@pytest.mark.parametrize(
    ("fn", "arity", "expected"),
    [
        (lambda: None, None, (0, 0)),
        (lambda a, b=1: None, None, (1, 2)),
        (lambda a, /, b, *, c=1: None, None, (2, 2)),
        (lambda *a: None, None, (0, None)),
        (min, 2, (2, 2)),
        (max, (1, None), (1, None)),
        (math.hypot, (1, 3), (1, 3)),
    ],
)
def test_arity_comes_from_the_signature_or_is_given(
    fn: Callable[..., object],
    arity: int | tuple[int, int | None] | None,
    expected: tuple[int, int | None],
) -> None:
    spec = Registry().register_function("f", fn, arity=arity)
    assert (spec.min_args, spec.max_args) == expected


def test_calls_are_checked_against_the_signature_when_compiling() -> None:
    registry = Registry.default()

    @registry.function()
    def factor(region: object, level: object = 1, *, floor: object = 0) -> object:
        return D(1)

    for good in ["factor(x)", "factor(x, 2)", "factor(x, level=2)", "factor(x, floor=0.5)"]:
        assert compiled(good, registry, x="east") == 1
    for bad in ["factor()", "factor(x, 1, 2)", "factor(x, colour=1)", "factor(region=x, x)"]:
        with pytest.raises(PolicyError) as caught:
            compile_expression(bad, names={"x"}, functions=registry)
        assert caught.value.diagnostics[0].code in {"expr.arity", "expr.syntax"}


def test_explicit_arity_is_checked_and_refuses_keywords() -> None:
    registry = Registry.default()
    registry.register_function("biggest", max, arity=(1, 3))
    assert compiled("biggest(x, 2, 3)", registry, x=D(5)) == 5
    with pytest.raises(PolicyError, match="1 to 3 arguments, got 4"):
        compile_expression("biggest(1, 2, 3, 4)", names=set(), functions=registry)
    with pytest.raises(PolicyError, match="no keyword arguments"):
        compile_expression("biggest(1, key=2)", names=set(), functions=registry)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("with space", "not a plain identifier"),
        ("1st", "not a plain identifier"),
        ("a.b", "not a plain identifier"),
        ("class", "not a plain identifier"),
        ("ｍｉｎ", "not a plain identifier"),
        ("_hidden", "starts with '_'"),
        ("__import__", "starts with '_'"),
        ("", "not a plain identifier"),
    ],
)
def test_bad_function_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        Registry().register_function(name, lambda: None)


def test_a_non_text_name_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="expected text"):
        Registry().register_function(3, lambda: None)  # type: ignore[arg-type]


def test_redefinition_needs_replace() -> None:
    registry = Registry.default()
    with pytest.raises(InvalidValueError, match="already registered"):
        registry.register_function("round", lambda x: x)
    registry.register_function("round", lambda x: D(42), replace=True)
    assert compiled("round(x)", registry, x=D(1)) == 42
    assert not registry.get_function("round").builtin  # type: ignore[union-attr]


def test_non_callables_and_unreadable_signatures_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="not callable"):
        Registry().register_function("f", 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="arity"):
        Registry().register_function("f", getattr)
    with pytest.raises(InvalidValueError, match="arity"):
        Registry().register_function("f", min, arity=(2, 1))
    with pytest.raises(InvalidValueError, match="arity"):
        Registry().register_function("f", min, arity="two")  # type: ignore[arg-type]


def test_a_function_raising_during_evaluation_is_named() -> None:
    registry = Registry.default()

    @registry.function()
    def quota(region: object) -> object:
        raise KeyError(region)

    expression = compile_expression("quota(x) * 2", names={"x"}, functions=registry)
    with pytest.raises(EvaluationError, match=r"function quota\(\) raised KeyError"):
        expression.evaluate({"x": "east"})


def test_functions_receive_exact_values_and_ints_come_back_as_decimals() -> None:
    registry = Registry.default()
    seen: list[object] = []

    @registry.function()
    def spy(value: object) -> object:
        seen.append(value)
        return 7

    result = compile_expression("spy(1 / 3)", names=set(), functions=registry).evaluate({})
    assert result == D(7)
    assert type(result) is Decimal
    assert seen == [Fraction(1, 3)]


# -- rule kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Marginal:
    name: str = "marginal"


def test_rule_kinds_store_any_object() -> None:
    registry = Registry()
    kind = Marginal()
    registry.register_rule_kind("tiers.marginal", kind)
    assert registry.rule_kind("tiers.marginal") is kind
    assert dict(registry.rule_kinds()) == {"tiers.marginal": kind}
    with pytest.raises(TypeError):
        registry.rule_kinds()["x"] = 1  # type: ignore[index]


def test_rule_kind_errors() -> None:
    registry = Registry()
    registry.register_rule_kind("retroactive", object())
    with pytest.raises(InvalidValueError, match="already registered"):
        registry.register_rule_kind("retroactive", object())
    registry.register_rule_kind("retroactive", "new", replace=True)
    assert registry.rule_kind("retroactive") == "new"
    with pytest.raises(InvalidValueError, match="did you mean 'retroactive'"):
        registry.rule_kind("retroactiv")
    for bad in ["", "_private", "two words", " padded"]:
        with pytest.raises(InvalidValueError):
            registry.register_rule_kind(bad, object())


# -- plugins --------------------------------------------------------------------------------


class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint."""

    def __init__(self, name: str, target: object = None, error: BaseException | None = None):
        self.name = name
        self.value = f"fake_plugins:{name}"
        self.group = "perfkit.plugins"
        self._target = target
        self._error = error

    def load(self) -> object:
        if self._error is not None:
            raise self._error
        return self._target


def good_register(registry: Registry) -> None:
    registry.register_function("plugin_rate", lambda: D("0.1"))
    registry.register_rule_kind("plugin.kind", "spec")


def half_then_fail(registry: Registry) -> None:
    registry.register_function("half_done", lambda: D(0))
    raise RuntimeError("plugin bug")


class PluginModule:
    """A loaded module exposing register()."""

    @staticmethod
    def register(registry: Registry) -> None:
        registry.register_function("from_module", lambda: D(3))


def test_load_entry_points_registers_good_plugins_and_reports_bad_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = [
        FakeEntryPoint("good", good_register),
        FakeEntryPoint("module", PluginModule),
        FakeEntryPoint("missing", error=ModuleNotFoundError("No module named 'nowhere'")),
        FakeEntryPoint("half", half_then_fail),
        FakeEntryPoint("not_callable", 42),
        FakeEntryPoint("clash", lambda r: r.register_function("round", lambda x: x)),
    ]
    seen_groups: list[str] = []

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        seen_groups.append(group)
        return entries

    monkeypatch.setattr(metadata, "entry_points", fake_entry_points)
    registry = Registry.default()
    problems = registry.load_entry_points()

    assert seen_groups == ["perfkit.plugins"]
    assert {"plugin_rate", "from_module"} <= set(registry.function_names())
    assert registry.rule_kind("plugin.kind") == "spec"
    assert "half_done" not in registry  # a failing plugin leaves nothing behind
    assert [p.code for p in problems] == ["plugin.failed"] * 4
    messages = "\n".join(p.message for p in problems)
    for name in ["'missing'", "'half'", "'not_callable'", "'clash'"]:
        assert name in messages
    assert "RuntimeError: plugin bug" in messages
    assert problems[0].location.path == "perfkit.plugins:missing"
    assert compiled("plugin_rate() + from_module()", registry) == D("3.1")


def test_load_entry_points_with_no_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "entry_points", lambda *, group: [])
    assert Registry.default().load_entry_points("other.group") == []
