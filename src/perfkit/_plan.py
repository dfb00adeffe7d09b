"""Per-participant plan math: attainment, scorecard, incentive lines, actions.

This works on a participant's aggregates (metric values, targets, attributes),
never on records, so it is the same whether the aggregates came from a policy
test's ``given:`` block or from the engine. Arithmetic is exact (Decimal and
Fraction); each incentive line is rounded once, at its named quantum and mode.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from perfkit._numbers import parse_decimal, quantize, to_fraction
from perfkit._policy_model import (
    Component,
    FormulaRule,
    RateRule,
    RateTable,
    Scorecard,
    TieredRule,
    TieredSpec,
)
from perfkit.errors import EvaluationError, InvalidValueError, PerfkitError

if TYPE_CHECKING:
    from perfkit._policy import Policy

__all__ = ["Outcome", "curve_score", "evaluate_participant", "table_value", "tiered_amount"]

Exact = Decimal | Fraction | int


@dataclass(frozen=True)
class Outcome:
    """What a participant's plan produced: values, score, lines, flags, payout."""

    values: Mapping[str, Any]
    components: Mapping[str, Exact]
    score: Exact | None
    lines: Mapping[str, Decimal]
    flags: tuple[str, ...]
    payout: Decimal
    notes: Mapping[str, str] = field(default_factory=dict)


def _exact(value: Any, what: str) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return to_fraction(value)
    if isinstance(value, str):
        try:
            return to_fraction(parse_decimal(value, what=what))
        except InvalidValueError as exc:
            raise EvaluationError(str(exc)) from None
    raise EvaluationError(f"{what}: expected a number, got {value!r}")


def table_value(table: RateTable) -> Any:
    """A rate table as expressions see it: a mapping, or (lower bound, value) rows."""
    if table.values is not None:
        return dict(table.values)
    assert table.tiers is not None
    return [(t.from_, t.rate if t.rate is not None else t.amount) for t in table.tiers]


def curve_score(component: Component, x: Fraction) -> Fraction:
    """Score ``x`` on a component's curve (linear between points) or step table."""
    if component.steps is not None:
        reached = [to_fraction(s) for px, s in component.steps if x >= to_fraction(px)]
        return reached[-1] if reached else to_fraction(component.floor)
    assert component.curve is not None
    points = [(to_fraction(px), to_fraction(s)) for px, s in component.curve]
    if x < points[0][0]:
        return to_fraction(component.floor)
    for (x0, s0), (x1, s1) in itertools.pairwise(points):
        if x <= x1:
            return s0 + (s1 - s0) * (x - x0) / (x1 - x0)
    last_x, last_s = points[-1]
    if component.above == "extend" and len(points) > 1:
        (x0, s0), (x1, s1) = points[-2], points[-1]
        return last_s + (s1 - s0) * (x - last_x) / (x1 - x0)
    return last_s


def tiered_amount(spec: TieredSpec, on: Fraction, base: Fraction) -> Fraction:
    """Pay tiers on ``on``: marginal (each slice at its rate) or retroactive (all at one).

    Tiers are half-open ``[from, to)``: exactly reaching a boundary earns the tier
    that starts there. Rates are paid per unit of ``on`` times ``base``; fixed
    tier amounts are paid as they are.
    """
    tiers = spec.tiers
    reached = [t for t in tiers if on >= to_fraction(t.from_)]
    if not reached:
        return Fraction(0)
    if spec.mode == "retroactive":
        top = reached[-1]
        if top.amount is not None:
            return to_fraction(top.amount)
        return on * to_fraction(top.rate or 0) * base
    total = Fraction(0)
    for index, tier in enumerate(reached):
        if tier.amount is not None:
            total += to_fraction(tier.amount)
            continue
        low = to_fraction(tier.from_)
        upper = (
            tier.to
            if tier.to is not None
            else (tiers[index + 1].from_ if index + 1 < len(tiers) else None)
        )
        high = on if upper is None else min(on, to_fraction(upper))
        total += (high - low) * to_fraction(tier.rate or 0) * base
    return total


class _Run:
    def __init__(self, policy: Policy, given: Mapping[str, Any]):
        self.policy = policy
        self.values: dict[str, Any] = {
            name: table_value(t) for name, t in policy.rate_tables.items()
        }
        self.values.update(given)
        self.notes: dict[str, str] = {}

    def expr(self, path: str) -> Any:
        return self.policy.expression(path).evaluate(self.values)

    def number(self, path: str) -> Fraction:
        return _exact(self.expr(path), path)


def evaluate_participant(policy: Policy, given: Mapping[str, Any]) -> Outcome:
    """Run a participant's plan on their aggregates.

    Args:
        policy: the policy in force (see :meth:`Policy.in_force`).
        given: dotted names to values: metrics (``revenue``), targets
            (``target.revenue``), attributes, and optionally ``attainment.*``.

    Raises:
        EvaluationError: for a zero target whose policy says ``when_zero: error``,
            a missing value, or a failing expression.
    """
    run = _Run(policy, given)
    values = run.values
    _attainment(policy, values)
    for name in policy.variables:
        values[name] = run.expr(f"variables.{name}")
    components: dict[str, Exact] = {}
    score: Exact | None = None
    if policy.scorecard is not None:
        score = _scorecard(run, policy.scorecard, components)
    lines: dict[str, Decimal] = {}
    for index, rule in enumerate(policy.incentives):
        amount = _rule_amount(run, rule, f"incentives[{index}]")
        rounding = rule.rounding or policy.rounding
        line = quantize(amount, rounding.quantum, rounding.mode)
        lines[rule.id] = line
        values[rule.id] = line
    payout = sum(lines.values(), Decimal(0))  # exactly the sum of the rounded lines
    values["payout"] = payout
    flags = tuple(
        action.flag
        for index, action in enumerate(policy.actions)
        if run.expr(f"actions[{index}].when") is True
    )
    return Outcome(values, components, score, lines, flags, payout, dict(run.notes))


def _attainment(policy: Policy, values: dict[str, Any]) -> None:
    for metric, source in policy.targets.items():
        key = f"attainment.{metric}"
        if key in values or metric not in values or f"target.{metric}" not in values:
            continue
        actual = _exact(values[metric], metric)
        target_value = values[f"target.{metric}"]
        target = Fraction(0) if target_value is None else _exact(target_value, f"target.{metric}")
        if target == 0:
            if source.when_zero == "error":
                raise EvaluationError(
                    f"target.{metric} is {'missing' if target_value is None else 'zero'}, "
                    "so attainment is undefined; set "
                    f"targets.{metric}.when_zero to 'zero' or 'full' to choose a behaviour"
                )
            values[key] = Fraction(0) if source.when_zero == "zero" else Fraction(1)
        else:
            values[key] = actual / target


def _scorecard(run: _Run, card: Scorecard, components: dict[str, Exact]) -> Fraction:
    values = run.values
    weights: dict[str, Fraction] = {}
    scores: dict[str, Fraction] = {}
    for index, component in enumerate(card.components):
        key = f"attainment.{component.metric}" if component.on == "attainment" else component.metric
        raw = values.get(key)
        if raw is None:
            if component.missing == "error":
                raise EvaluationError(
                    f"component {component.name!r} needs {key!r}, which is missing "
                    "(set 'missing: floor' or 'missing: reweight' to allow it)"
                )
            if component.missing == "reweight":
                values[f"score.{component.name}"] = None
                continue
            score = to_fraction(component.floor)
        else:
            score = curve_score(component, _exact(raw, key))
        note_key = f"score.{component.name}"
        if raw is None:
            run.notes[note_key] = f"{key} is missing: scored the floor"
        if (
            component.gate is not None
            and run.expr(f"scorecard.components[{index}].gate") is not True
        ):
            score = Fraction(0)
            run.notes[note_key] = f"gate '{component.gate}' does not hold: 0"
        if component.cap is not None and score > to_fraction(component.cap):
            run.notes[note_key] = f"capped at {component.cap}"
            score = to_fraction(component.cap)
        components[component.name] = scores[component.name] = score
        values[f"score.{component.name}"] = score
        weights[component.name] = to_fraction(component.weight)
    total_weight = sum(weights.values(), Fraction(0))
    total = (
        sum((weights[name] * scores[name] for name in weights), Fraction(0)) / total_weight
        if total_weight
        else Fraction(0)
    )
    values["score"] = total
    if card.gate is not None and run.expr("scorecard.gate") is not True:
        total = Fraction(0)
        run.notes["score"] = f"gate '{card.gate}' does not hold: 0"
    if card.cap is not None and total > to_fraction(card.cap):
        run.notes["score"] = f"capped at {card.cap}"
        total = to_fraction(card.cap)
    values["score"] = total
    return total


def _rule_amount(run: _Run, rule: FormulaRule | RateRule | TieredRule | Any, path: str) -> Fraction:
    if rule.when is not None and run.expr(f"{path}.when") is not True:
        run.notes[rule.id] = f"not paid: 'when: {rule.when}' does not hold"
        return Fraction(0)
    if isinstance(rule, FormulaRule):
        amount = run.number(f"{path}.amount")
    elif isinstance(rule, RateRule):
        on = run.number(f"{path}.rate.on")
        rate = (
            run.number(f"{path}.rate.rate")
            if isinstance(rule.rate.rate, str)
            else to_fraction(rule.rate.rate)
        )
        below = rule.rate.threshold is not None and on < run.number(f"{path}.rate.threshold")
        if below:
            run.notes[rule.id] = f"not paid: {rule.rate.on} is below the threshold"
        amount = Fraction(0) if below else on * rate
    elif isinstance(rule, TieredRule):
        on = run.number(f"{path}.tiered.on")
        base = run.number(f"{path}.tiered.base") if rule.tiered.base is not None else Fraction(1)
        amount = tiered_amount(rule.tiered, on, base)
        reached = [t for t in rule.tiered.tiers if on >= to_fraction(t.from_)]
        if reached:
            run.notes[rule.id] = f"{rule.tiered.mode}; top tier reached: from {reached[-1].from_}"
    else:
        amount = _plugin_amount(run, rule)
    if rule.cap is not None:
        cap = run.number(f"{path}.cap")
        if amount > cap:
            run.notes[rule.id] = f"capped at {_short(cap)} (cap: {rule.cap}) from {_short(amount)}"
            amount = cap
    if rule.floor is not None:
        floor = run.number(f"{path}.floor")
        if amount < floor:
            run.notes[rule.id] = f"raised to the floor {_short(floor)} from {_short(amount)}"
            amount = floor
    return amount


def _short(value: Fraction) -> str:
    return str(quantize(value, Decimal("0.01"), "half_up"))


def _plugin_amount(run: _Run, rule: Any) -> Fraction:
    registry = run.policy._registry
    kind = registry.rule_kinds().get(rule.kind) if registry is not None else None
    if not callable(kind):
        raise EvaluationError(
            f"incentive {rule.id!r}: rule kind {rule.kind!r} is not registered as a callable "
            "(params, values) -> amount in the policy's registry"
        )
    try:
        value = kind(dict(rule.params), MappingProxyType(run.values))
    except PerfkitError:
        raise
    except Exception as exc:  # a plugin's failure becomes ours, naming the rule
        raise EvaluationError(
            f"incentive {rule.id!r}: rule kind {rule.kind!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return _exact(value, f"incentive {rule.id!r} (kind {rule.kind!r})")
