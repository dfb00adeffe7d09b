"""Per-participant plan math: attainment, scorecard, incentive lines, actions.

This works on a participant's aggregates (metric values, targets, attributes),
never on records, so it is the same whether the aggregates came from a policy
test's ``given:`` block or from the engine. Arithmetic is exact (Decimal and
Fraction); each incentive line is rounded once, at its named quantum and mode.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from perfkit._incentive_check import pays_per_record
from perfkit._incentive_model import (
    ClawbackRule,
    DrawRule,
    FormulaRule,
    ImprovementRule,
    MultiplierRule,
    PenaltyRule,
    PerRecordRule,
    PoolRule,
    RateRule,
    SpiffRule,
    Tier,
    TieredRule,
    TieredSpec,
)
from perfkit._incentives import (
    BALANCE,
    CAP,
    CAP_YTD,
    DEDUCTIONS,
    Carry,
    Entry,
    Inputs,
)
from perfkit._numbers import allocate, parse_decimal, quantize, to_fraction
from perfkit._policy_model import Component, RateTable, Scorecard
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
    entries: tuple[Entry, ...] = ()
    balances: Mapping[str, Decimal] = field(default_factory=dict)
    records: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)


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


class _HasTiers(Protocol):
    @property
    def tiers(self) -> list[Tier]: ...
    @property
    def mode(self) -> str | None: ...


_Bounds = tuple[tuple[Fraction, Fraction | None, Fraction | None, Fraction | None], ...]
_TABLES: dict[int, tuple[object, _Bounds]] = {}


def _bounds(spec: _HasTiers) -> _Bounds:
    """Each tier as exact (from, upper, rate, amount), computed once per tier table."""
    cached = _TABLES.get(id(spec.tiers))
    if cached is not None and cached[0] is spec.tiers:
        return cached[1]
    tiers = spec.tiers
    bounds = tuple(
        (
            to_fraction(tier.from_),
            to_fraction(upper) if upper is not None else None,
            to_fraction(tier.rate) if tier.rate is not None else None,
            to_fraction(tier.amount) if tier.amount is not None else None,
        )
        for index, tier in enumerate(tiers)
        for upper in [
            tier.to
            if tier.to is not None
            else (tiers[index + 1].from_ if index + 1 < len(tiers) else None)
        ]
    )
    if len(_TABLES) > 1024:  # policies come and go; keep the cache small
        _TABLES.clear()
    _TABLES[id(tiers)] = (tiers, bounds)  # holding the list keeps its id unique
    return bounds


def tiered_amount(spec: _HasTiers, on: Fraction, base: Fraction) -> Fraction:
    """Pay tiers on ``on``: marginal (each slice at its rate) or retroactive (all at one).

    Tiers are half-open ``[from, to)``: exactly reaching a boundary earns the tier
    that starts there. Rates are paid per unit of ``on`` times ``base``; fixed
    tier amounts are paid as they are. A last tier with a ``to`` pays nothing
    on the part of ``on`` above it, in both modes.
    """
    reached = [bound for bound in _bounds(spec) if on >= bound[0]]
    if not reached:
        return Fraction(0)
    if spec.mode == "retroactive":
        _, upper, rate, amount = reached[-1]
        if amount is not None:
            return amount
        paid_on = on if upper is None else min(on, upper)
        return paid_on * (rate or 0) * base
    total = Fraction(0)
    for low, upper, rate, amount in reached:
        if amount is not None:
            total += amount
            continue
        high = on if upper is None else min(on, upper)
        total += (high - low) * (rate or 0) * base
    return total


class _Run:
    def __init__(self, policy: Policy, given: Mapping[str, Any], inputs: Inputs, carry: Carry):
        self.policy = policy
        self.values: dict[str, Any] = {
            name: table_value(t) for name, t in policy.rate_tables.items()
        }
        self.values.update(given)
        self.given = given
        self.inputs = inputs
        self.carry = carry
        self.notes: dict[str, str] = {}
        self.entries: list[Entry] = []
        self.records: dict[str, dict[str, Fraction]] = {}

    def expr(self, path: str, values: Mapping[str, Any] | None = None) -> Any:
        return self.policy.expression(path).evaluate(self.values if values is None else values)

    def number(self, path: str, values: Mapping[str, Any] | None = None) -> Fraction:
        return _exact(self.expr(path, values), path)

    def value(self, spec: Decimal | str, path: str) -> Fraction:
        """A field that is a number or an expression."""
        return self.number(path) if isinstance(spec, str) else to_fraction(spec)

    def given_number(self, name: str, default: Fraction | None = None) -> Fraction:
        value = self.given.get(name)
        if value is None:
            if default is not None:
                return default
            raise EvaluationError(f"{name!r} is not given")
        return _exact(value, name)

    @property
    def zero(self) -> Decimal:
        """Zero at the policy's quantum (0.00), for lines and notes."""
        return quantize(0, self.policy.rounding.quantum, self.policy.rounding.mode)

    def round(self, amount: Fraction, rule: Any) -> Decimal:
        rounding = getattr(rule, "rounding", None) or self.policy.rounding
        return quantize(amount, rounding.quantum, rounding.mode)


def evaluate_participant(
    policy: Policy,
    given: Mapping[str, Any],
    *,
    inputs: Inputs | None = None,
    carry: Carry | None = None,
) -> Outcome:
    """Run a participant's plan on their aggregates.

    Args:
        policy: the policy in force (see :meth:`Policy.in_force`).
        given: dotted names to values: metrics (``revenue``), targets
            (``target.revenue``), attributes, and optionally ``attainment.*``.
            Without ``inputs``, record-level amounts come from ``records.<rule>``,
            pool shares from ``pool.<rule>``; without ``carry``, balances from
            ``balance.draw``/``balance.carried`` and year-to-date payments from
            ``ytd.<rule>``/``ytd.payout`` (so policy tests can give them).
        inputs: what the engine computed from records and across participants.
        carry: balances and year-to-date payments left by earlier periods.

    Raises:
        EvaluationError: for a zero target whose policy says ``when_zero: error``,
            a missing value, or a failing expression.
    """
    run = _Run(policy, given, inputs or Inputs(), carry or _carry_from(given))
    values = run.values
    _attainment(policy, values)
    for name in policy.variables:
        values[name] = run.expr(f"variables.{name}")
    components: dict[str, Exact] = {}
    score: Exact | None = None
    if policy.scorecard is not None:
        score = _scorecard(run, policy.scorecard, components)
    draws: list[tuple[int, DrawRule]] = []
    for index, rule in enumerate(policy.incentives):
        if isinstance(rule, DrawRule):
            draws.append((index, rule))
            continue
        _pay_rule(run, rule, f"incentives[{index}]")
    run.entries += run.inputs.adjustments
    balances = _settle(run, draws)
    lines: dict[str, Decimal] = {}
    for entry in run.entries:
        lines[entry.component] = lines.get(entry.component, Decimal(0)) + entry.amount
    payout = sum((e.amount for e in run.entries), Decimal(0))  # the sum of the rounded lines
    values["payout"] = payout
    flags = tuple(
        action.flag
        for index, action in enumerate(policy.actions)
        if run.expr(f"actions[{index}].when") is True
    )
    return Outcome(
        values,
        components,
        score,
        lines,
        flags,
        payout,
        dict(run.notes),
        tuple(run.entries),
        balances,
        run.records,
    )


def _carry_from(given: Mapping[str, Any]) -> Carry:
    def number(name: str) -> Decimal:
        value = given.get(name)
        if value is None:
            return Decimal(0)
        try:
            return parse_decimal(value, what=name)
        except InvalidValueError as exc:
            raise EvaluationError(str(exc)) from None

    ytd = {
        key.removeprefix("ytd."): number(key)
        for key in given
        if key.startswith("ytd.") and key != "ytd.payout"
    }
    return Carry(number("balance.draw"), number("balance.carried"), ytd, number("ytd.payout"))


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


def _pay_rule(run: _Run, rule: Any, path: str) -> None:
    if isinstance(rule, ClawbackRule):
        _clawback(run, rule, path)
        return
    gated = rule.when is not None and run.expr(f"{path}.when") is not True
    if gated:
        run.notes[rule.id] = f"not paid: 'when: {rule.when}' does not hold"
        amount = Fraction(0)
    else:
        amount = _cap_floor(run, rule, path, _rule_amount(run, rule, path))
    line = _cap_ytd(run, rule, path, run.round(amount, rule))
    _add(run, Entry(rule.id, rule.id, line))
    detail = run.inputs.detail.get(rule.id)
    if detail is not None:
        # What each record was paid: its exact amount, scaled as the line was
        # (by a gate, cap or rounding), so a clawback reverses what was paid.
        # Records netting to zero were each paid their own amount.
        total = run.inputs.records.get(rule.id, Fraction(0))
        if gated:
            scale = Fraction(0)
        elif total:
            scale = to_fraction(line) / total
        else:
            scale = Fraction(1)
        run.records[rule.id] = {key: value * scale for key, value in detail.items()}


def _add(run: _Run, entry: Entry) -> None:
    if not entry.amount and entry.amount.as_tuple().exponent == 0:
        entry = dataclasses.replace(entry, amount=run.round(Fraction(0), None))  # 0 -> 0.00
    run.entries.append(entry)
    if entry.kind in ("rule", "draw"):
        run.values[entry.rule] = entry.amount
    elif entry.kind == "clawback":
        run.values[entry.rule] = run.values.get(entry.rule, Decimal(0)) + entry.amount


def _rule_amount(run: _Run, rule: Any, path: str) -> Fraction:
    if isinstance(rule, FormulaRule):
        return run.number(f"{path}.amount")
    if isinstance(rule, RateRule):
        on = run.number(f"{path}.rate.on")
        rate = run.value(rule.rate.rate, f"{path}.rate.rate")
        if rule.rate.threshold is not None and on < run.number(f"{path}.rate.threshold"):
            run.notes[rule.id] = f"not paid: {rule.rate.on} is below the threshold"
            return Fraction(0)
        return on * rate
    if isinstance(rule, TieredRule):
        return _tiered(run, rule, path)
    if pays_per_record(rule):
        return _records(run, rule)
    if isinstance(rule, SpiffRule):
        return run.value(rule.spiff.amount, f"{path}.spiff.amount")
    if isinstance(rule, MultiplierRule):
        factor = run.value(rule.multiplier.factor, f"{path}.multiplier.factor")
        scaled = sum((_exact(run.values[name], name) for name in rule.multiplier.of), Fraction(0))
        run.notes[rule.id] = (
            f"({_short(factor)} - 1) x {' + '.join(rule.multiplier.of)} ({_short(scaled)})"
        )
        return (factor - 1) * scaled
    if isinstance(rule, ImprovementRule):
        return _improvement(run, rule, path)
    if isinstance(rule, PoolRule):
        return _pool(run, rule)
    if isinstance(rule, PenaltyRule):
        deduction = run.value(rule.penalty.amount, f"{path}.penalty.amount")
        if deduction < 0:
            raise EvaluationError(
                f"incentive {rule.id!r}: the penalty amount is {_short(deduction)}; "
                "a penalty gives the deduction as a positive amount"
            )
        return -deduction
    return _plugin_amount(run, rule)


def _tiered(run: _Run, rule: TieredRule, path: str) -> Fraction:
    spec = rule.tiered

    def amount(values: Mapping[str, Any] | None) -> Fraction:
        on = run.number(f"{path}.tiered.on", values)
        base = run.number(f"{path}.tiered.base", values) if spec.base is not None else Fraction(1)
        reached = [t for t in spec.tiers if on >= to_fraction(t.from_)]
        if reached:
            run.notes[rule.id] = f"{spec.mode}; top tier reached: from {reached[-1].from_}"
        if spec.cumulative:
            run.notes[rule.id] = f"{run.notes.get(rule.id, spec.mode)}; {spec.on} = {_short(on)}"
        return tiered_amount(spec, on, base)

    if not spec.cumulative:
        return amount(None)
    # Year to date: pay what the year so far earns, less what it earned before
    # this period, each rounded as a line, so the periods sum to the year.
    now, before = run.inputs.cumulative.get(rule.id, (run.values, None))
    if before is None:
        prior = run.carry.ytd.get(rule.id, run.zero)
    else:
        prior = run.round(amount(before), rule)
    earned = run.round(amount(now), rule)  # last, so the note describes this period
    note = run.notes.get(rule.id, spec.mode)
    run.notes[rule.id] = f"{note}; year to date {earned} less {prior} earned before this period"
    return to_fraction(earned - prior)


def _records(run: _Run, rule: PerRecordRule | SpiffRule) -> Fraction:
    unmatched = run.inputs.unmatched.get(rule.id, 0)
    if unmatched:
        run.notes[rule.id] = f"{unmatched} record(s) match no line and pay nothing"
    if rule.id in run.inputs.records:
        return run.inputs.records[rule.id]
    return run.given_number(f"records.{rule.id}", Fraction(0))


def _improvement(run: _Run, rule: ImprovementRule, path: str) -> Fraction:
    spec = rule.improvement
    key = f"{spec.over}.{spec.metric}"
    if run.values.get(spec.metric) is None or run.values.get(key) is None:
        missing = spec.metric if run.values.get(spec.metric) is None else key
        run.notes[rule.id] = f"not paid: {missing} has no value (no records)"
        return Fraction(0)
    current = _exact(run.values[spec.metric], spec.metric)
    baseline = _exact(run.values[key], key)
    increase = current - baseline
    if spec.rate is not None:
        rate = run.value(spec.rate, f"{path}.improvement.rate")
        run.notes[rule.id] = f"increase over {key}: {_short(increase)}"
        return max(increase, Fraction(0)) * rate
    if baseline <= 0:
        run.notes[rule.id] = f"not paid: no growth ratio, {key} is {_short(baseline)}"
        return Fraction(0)
    growth = increase / baseline
    base = run.number(f"{path}.improvement.base") if spec.base is not None else Fraction(1)
    run.notes[rule.id] = f"growth over {key}: {_short(growth * 100)}%"
    assert spec.tiers is not None
    assert spec.mode is not None
    return tiered_amount(TieredSpec(on="0", mode=spec.mode, tiers=spec.tiers), growth, base)


def _pool(run: _Run, rule: PoolRule) -> Fraction:
    if rule.id in run.inputs.pools:
        note = run.inputs.pool_notes.get(rule.id)
        if note:
            run.notes[rule.id] = note
        return to_fraction(run.inputs.pools[rule.id])
    return run.given_number(f"pool.{rule.id}", Fraction(0))


def _clawback(run: _Run, rule: ClawbackRule, path: str) -> None:
    if rule.when is not None and run.expr(f"{path}.when") is not True:
        run.notes[rule.id] = f"not applied: 'when: {rule.when}' does not hold"
        _add(run, Entry(rule.id, rule.id, run.round(Fraction(0), rule)))
        return
    run.values[rule.id] = Decimal(0)
    reversed_ = run.inputs.clawbacks.get(rule.id)
    if reversed_ is None and f"records.{rule.id}" in run.given:  # a policy test's amount
        amount = run.given_number(f"records.{rule.id}")
        _add(run, Entry(rule.id, rule.id, -run.round(amount, rule), kind="clawback"))
        return
    if not reversed_:
        _add(run, Entry(rule.id, rule.id, run.round(Fraction(0), rule)))
        return
    exact: list[tuple[str, str, Fraction]] = []
    for record, period, recorded, credited in reversed_:
        if recorded is not None:
            paid = recorded
        elif credited is not None:  # this period, at the rule's effective rate
            metric = str(rule.clawback.metric)
            base = _exact(run.values.get(metric) or 0, metric)
            line = _exact(run.values.get(rule.clawback.of) or 0, rule.clawback.of)
            paid = credited * line / base if base else Fraction(0)
        else:
            paid = run.records.get(rule.clawback.of, {}).get(record, Fraction(0))
        exact.append((str(record), period, paid))
    reversed_exact = run.records.setdefault(rule.id, {})
    for record, period, paid in exact:
        tag = f"{record}@{period}"  # for later reversals' rounding
        reversed_exact[tag] = reversed_exact.get(tag, Fraction(0)) + paid
    for period in dict.fromkeys(period for _, period, _ in exact):
        group = [(record, paid) for record, p, paid in exact if p == period]
        for record, taken in _reversals(run, rule, period, group):
            note = f"reverses {rule.clawback.of} paid in {period} on record {record}"
            _add(run, Entry(rule.id, rule.id, -taken, "clawback", record, period, note))
    run.notes[rule.id] = f"{len(reversed_)} record(s) cancelled within {rule.clawback.within} days"


def _reversals(
    run: _Run, rule: ClawbackRule, period: str, group: list[tuple[str, Fraction]]
) -> list[tuple[str, Decimal]]:
    """What to reverse on each record paid in ``period``, rounded as one line.

    The records reversed so far (``clawed``: this rule's earlier lines for the
    period, and the exact amounts they reversed) and now are rounded together,
    less what earlier lines took back, then shared by largest remainder. So
    reversing every record a line paid takes back exactly that line, to the
    cent, however many records and periods it takes.
    """
    rounding = rule.rounding or run.policy.rounding
    before_lines, before_exact = run.inputs.clawed.get((rule.id, period), (Decimal(0), Fraction(0)))
    now = sum((paid for _, paid in group), Fraction(0))
    total = quantize(before_exact + now, rounding.quantum, rounding.mode) - before_lines
    weights: dict[str, Fraction] = {}
    for record, paid in group:
        weights[record] = weights.get(record, Fraction(0)) + paid
    if any(w < 0 for w in weights.values()) or not any(weights.values()) or total < 0:
        return [(record, run.round(paid, rule)) for record, paid in weights.items()]
    shares = allocate(total, weights, quantum=rounding.quantum)
    return list(shares.items())


def _cap_floor(run: _Run, rule: Any, path: str, amount: Fraction) -> Fraction:
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


def _cap_ytd(run: _Run, rule: Any, path: str, line: Decimal) -> Decimal:
    if rule.cap_ytd is None:
        return line
    cap = run.round(run.number(f"{path}.cap_ytd"), rule)
    paid = run.carry.ytd.get(rule.id, run.zero) + sum(
        (a.amount for a in run.inputs.adjustments if a.component == rule.id), Decimal(0)
    )
    allowed = max(cap - paid, run.zero)
    if line > allowed:
        note = (
            f"year-to-date cap {cap} (cap_ytd: {rule.cap_ytd}): {paid} paid before, "
            f"so {allowed} of {line}"
        )
        run.notes[rule.id] = f"{run.notes[rule.id]}; {note}" if rule.id in run.notes else note
        return allowed
    return line


def _settle(run: _Run, draws: list[tuple[int, DrawRule]]) -> dict[str, Decimal]:
    """Deductions limit, payout caps, draws and the negative balance, in that order."""
    policy, carry = run.policy, run.carry
    limits = policy.payout

    def total(*, own: bool = False) -> Decimal:
        """The lines so far; ``own``: this period's, without closed periods' adjustments."""
        return sum(
            (e.amount for e in run.entries if not (own and e.kind == "adjustment")), Decimal(0)
        )

    # A closed period's adjustments were limited and capped by its own
    # recalculation: this period's deduction limit and cap bound its own lines.
    penalties = {rule.id for rule in policy.incentives if isinstance(rule, PenaltyRule)}
    if limits.deductions is not None and penalties:
        own = [e for e in run.entries if e.kind != "adjustment"]
        deducted = -sum((e.amount for e in own if e.rule in penalties), Decimal(0))
        earnings = sum((e.amount for e in own if e.rule not in penalties), Decimal(0))
        scope = {**run.values, "earnings": earnings}
        limit = max(run.round(run.number("payout.deductions", scope), None), run.zero)
        if deducted > limit:
            note = f"penalties of {deducted} limited to {limit} (deductions: {limits.deductions})"
            run.notes[DEDUCTIONS] = note
            _add(run, Entry(DEDUCTIONS, DEDUCTIONS, deducted - limit, "settlement", note=note))
    if limits.cap is not None:
        cap, earned = run.round(run.number("payout.cap"), None), total(own=True)
        if earned > cap:
            note = f"payout capped at {cap} (cap: {limits.cap}) from {earned}"
            run.notes[CAP] = note
            _add(run, Entry(CAP, CAP, cap - earned, "settlement", note=note))
    if limits.cap_ytd is not None:
        cap, earned = run.round(run.number("payout.cap_ytd"), None), total()
        allowed = max(cap - carry.ytd_payout, run.zero)
        if earned > allowed:
            note = (
                f"year-to-date cap {cap} (cap_ytd: {limits.cap_ytd}): "
                f"{carry.ytd_payout} paid before, so {allowed} of {earned}"
            )
            run.notes[CAP_YTD] = note
            _add(run, Entry(CAP_YTD, CAP_YTD, allowed - earned, "settlement", note=note))
    balances: dict[str, Decimal] = {}
    owed = carry.draw
    for index, rule in draws:
        owed = _draw(run, rule, f"incentives[{index}]", total(), owed)
    if owed or any(rule.draw.recoverable for _, rule in draws):
        balances["draw"] = owed  # never written off, even by a version without the draw
    carried = carry.carried
    net = total()
    if carried > 0 and net > 0:
        recovered = min(carried, net)
        note = f"recovers {recovered} of the negative balance {carried} carried in"
        run.notes[BALANCE] = note
        _add(run, Entry(BALANCE, BALANCE, -recovered, "settlement", note=note))
        carried -= recovered
    net = total()
    if net < 0 and limits.negative != "pay":
        verb = "carried forward" if limits.negative == "carry" else "forgiven"
        note = f"the period nets {net}: pays zero, the balance is {verb}"
        run.notes[BALANCE] = note
        _add(run, Entry(BALANCE, BALANCE, -net, "settlement", note=note))
        if limits.negative == "carry":
            carried -= net
    if limits.negative == "carry" or carried:
        balances["carried"] = carried
    return {
        name: value if value else run.round(Fraction(0), None) for name, value in balances.items()
    }


def _draw(run: _Run, rule: DrawRule, path: str, earned: Decimal, owed: Decimal) -> Decimal:
    """Pay or recover one draw on the period's earnings; returns the balance owed."""
    spec = rule.draw
    if rule.when is not None and run.expr(f"{path}.when") is not True:
        run.notes[rule.id] = f"not applied: 'when: {rule.when}' does not hold"
        _add(run, Entry(rule.id, rule.id, Decimal(0), "draw"))
        return owed
    amount = run.round(run.value(spec.amount, f"{path}.draw.amount"), rule)
    if not spec.recoverable:
        top_up = max(amount - earned, run.zero)
        run.notes[rule.id] = f"guarantee {amount}: earnings {earned}, topped up by {top_up}"
        _add(run, Entry(rule.id, rule.id, top_up, "draw", note=run.notes[rule.id]))
        return owed
    if earned < amount:
        advance = amount - earned
        owed = owed or run.zero
        owed += advance
        note = f"draw {amount}: earnings {earned}, advanced {advance}; balance {owed}"
        line = advance
    else:
        assert spec.recover is not None
        excess = earned - amount
        recovered = min(
            owed, run.round(to_fraction(excess) * to_fraction(spec.recover.share), rule)
        )
        if spec.recover.limit is not None:
            limit = run.round(run.number(f"{path}.draw.recover.limit"), rule)
            recovered = min(recovered, limit)
        recovered = max(recovered, run.zero)
        owed -= recovered
        note = f"draw {amount}: earnings {earned}, recovered {recovered}; balance {owed}"
        line = -recovered
    run.notes[rule.id] = note
    _add(run, Entry(rule.id, rule.id, line, "draw", note=note))
    return owed


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
