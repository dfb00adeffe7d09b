"""Traces: why a number is what it is, from a payout line down to source records.

Built on demand by :meth:`perfkit.Result.explain`, so a plain evaluation pays
nothing for them. A :class:`Trace` is a tree of labelled values, each with the
policy location of the rule that produced it; it prints as indented text and
serialises to JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

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
    TieredRule,
)
from perfkit._numbers import quantize, to_fraction
from perfkit._records import line_values, rule_lines
from perfkit._result import render_value
from perfkit.errors import EvaluationError

if TYPE_CHECKING:
    from perfkit._engine import _Evaluation

__all__ = ["Trace", "build_trace"]

MAX_RECORDS = 50
"""How many source records a trace lists per metric before summarising the rest."""


@dataclass(frozen=True)
class Trace:
    """One node of an explanation: a label, its value, where it comes from, its inputs."""

    label: str
    value: Any = None
    note: str | None = None
    location: str | None = None
    children: tuple[Trace, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready data."""
        data: dict[str, Any] = {"label": self.label, "value": render_value(self.value)}
        if self.note:
            data["note"] = self.note
        if self.location:
            data["location"] = self.location
        if self.children:
            data["children"] = [child.to_dict() for child in self.children]
        return data

    def to_json(self) -> str:
        """The trace as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def lines(self, depth: int = 0) -> list[str]:
        """The trace as indented text lines."""
        value = "" if self.value is None else f" = {render_value(self.value)}"
        note = f"  ({self.note})" if self.note else ""
        where = f"  [{self.location}]" if self.location else ""
        out = [f"{'  ' * depth}{self.label}{value}{note}{where}"]
        for child in self.children:
            out += child.lines(depth + 1)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def find(self, label: str) -> Trace | None:
        """The first node (depth first) whose label is ``label``."""
        if self.label == label:
            return self
        for child in self.children:
            hit = child.find(label)
            if hit is not None:
                return hit
        return None


def _where(run: _Evaluation, path: str) -> str | None:
    location = run.policy.location(path)
    return None if location is None else location.render()


def _records(run: _Evaluation, participant: str, metric: str, space: str) -> tuple[Trace, ...]:
    entry = run.credited.get((space, metric))
    if entry is None:
        return ()
    window, rows = entry
    plan = run.plans[metric]
    table = run.data.table(plan.metric.table)
    mine = [(i, share, overlay) for i, who, share, overlay in rows if who == participant]
    children = []
    for i, share, overlay in mine[:MAX_RECORDS]:
        notes = []
        if share != 1:
            notes.append(f"share {share:%}")
        if overlay:
            notes.append("overlay")
        value_column = getattr(plan.metric, plan.metric.aggregation, None)
        value = table.columns[value_column][i] if isinstance(value_column, str) else None
        source = table.source(i)
        children.append(
            Trace(
                f"record {table.row_ref(i)}",
                value,
                ", ".join(notes) or None,
                source.render() if source is not None else None,
            )
        )
    if len(mine) > MAX_RECORDS:
        children.append(Trace(f"... and {len(mine) - MAX_RECORDS} more records"))
    note = f"{plan.metric.aggregation} of {plan.metric.table}"
    if window is not None:
        note += f" in {window}"
    if plan.metric.where:
        note += f" where {plan.metric.where}"
    return (Trace(f"{len(mine)} records", None, note, None, tuple(children)),)


def _input(run: _Evaluation, participant: str, name: str, values: dict[str, Any]) -> Trace:
    value = values.get(name)
    if name in run.policy.metrics:
        return Trace(
            f"metric {name}",
            value,
            None,
            _where(run, f"metrics.{name}"),
            _records(run, participant, name, ""),
        )
    space, _, metric = name.partition(".")
    if space in ("previous", "last_year") and metric in run.policy.metrics:
        return Trace(name, value, None, None, _records(run, participant, metric, space))
    if space == "attainment" and metric in run.policy.targets:
        return Trace(
            name,
            value,
            f"{metric} / target.{metric}",
            None,
            (
                _input(run, participant, metric, values),
                _input(run, participant, f"target.{metric}", values),
            ),
        )
    if space == "target":
        source = run.policy.targets.get(metric)
        note = None
        if source is not None and source.table:
            note = f"from table {source.table}, column {source.column}"
        return Trace(name, value, note)
    if name == "score" and run.policy.scorecard is not None:
        return _scorecard(run, participant, values)
    if name in run.policy.variables:
        expression = run.policy.expression(f"variables.{name}")
        return Trace(
            f"variable {name}",
            value,
            expression.text,
            _where(run, f"variables.{name}"),
            tuple(_input(run, participant, n, values) for n in sorted(expression.names)),
        )
    return Trace(name, value)


def _scorecard(run: _Evaluation, participant: str, values: dict[str, Any]) -> Trace:
    card = run.policy.scorecard
    assert card is not None
    children = []
    for index, component in enumerate(card.components):
        key = f"attainment.{component.metric}" if component.on == "attainment" else component.metric
        note = f"weight {component.weight}, curve on {key}"
        extra = run.outcomes[participant].notes.get(f"score.{component.name}")
        if extra:
            note += f"; {extra}"
        children.append(
            Trace(
                f"score.{component.name}",
                values.get(f"score.{component.name}"),
                note,
                _where(run, f"scorecard.components[{index}]"),
                (_input(run, participant, key, values),),
            )
        )
    return Trace("score", values.get("score"), "weighted sum of components", None, tuple(children))


def build_trace(run: _Evaluation, participant: str, component: str | None) -> Trace:
    """Explain a participant's payout (or one component of it)."""
    outcome = run.outcomes.get(participant)
    if outcome is None:
        raise EvaluationError(f"no participant {participant!r} in this result")
    values = dict(outcome.values)
    lines = []
    for index, rule in enumerate(run.policy.incentives):
        if component is not None and rule.id != component:
            continue
        path = f"incentives[{index}]"
        names: set[str] = set()
        for key, expression in run.policy._expressions.items():
            if key.startswith(f"{path}.") and not _other_scope(key, path):
                names |= expression.names
        note = _describe(rule, values)
        if rule.id in outcome.notes:
            note += f"; {outcome.notes[rule.id]}"
        children = [_input(run, participant, name, values) for name in sorted(names)]
        listed = {child.label for child in children}
        children += [
            child
            for child in _rule_details(run, participant, rule, path)
            if child.label not in listed
        ]
        children += [
            Trace(f"adjustment for {e.original_period}", e.amount, e.note)
            for e in outcome.entries
            if e.kind == "adjustment" and e.rule == rule.id
        ]
        lines.append(
            Trace(
                f"line {rule.id}",
                outcome.lines.get(rule.id, Decimal(0)),
                note,
                _where(run, path),
                tuple(children),
            )
        )
    rule_ids = {rule.id for rule in run.policy.incentives}
    for name, amount in outcome.lines.items():
        if name in rule_ids or (component is not None and name != component):
            continue
        lines.append(
            Trace(
                f"line {name}",
                amount,
                outcome.notes.get(name) or _adjusted(outcome.entries, name),
                _where(run, name.replace("payout.", "payout.", 1)),
            )
        )
    if component is not None and not lines:
        known = ", ".join([*(rule.id for rule in run.policy.incentives), *outcome.lines])
        raise EvaluationError(
            f"no component {component!r}; the plan's components are: "
            + ", ".join(dict.fromkeys(known.split(", ")))
        )
    return Trace(
        f"payout of {participant} for {run.period}",
        outcome.payout,
        f"policy {run.policy.name!r}",
        run.policy.source,
        tuple(lines),
    )


def _adjusted(entries: Any, name: str) -> str | None:
    notes = [e.note for e in entries if e.component == name and e.note]
    return "; ".join(notes) or None


def _other_scope(key: str, path: str) -> bool:
    """Expressions read per record or per team, not from the participant's values."""
    rest = key.removeprefix(f"{path}.")
    return rest.startswith(("per_record.", "pool.fund")) or rest == "spiff.amount"


def _rule_details(run: _Evaluation, participant: str, rule: Any, path: str) -> list[Trace]:
    """Per record: which line each record matched (or none), and clawed-back records."""
    out: list[Trace] = []
    outcome = run.outcomes[participant]
    values = dict(outcome.values)
    if isinstance(rule, ImprovementRule):
        growth = rule.improvement
        names = (growth.metric, f"{growth.over}.{growth.metric}")
        return [_input(run, participant, name, values) for name in names]
    if isinstance(rule, MultiplierRule):
        return [
            Trace(f"line {name}", values.get(name), "scaled by the multiplier")
            for name in rule.multiplier.of
        ]
    if isinstance(rule, ClawbackRule):
        for entry in outcome.entries:
            if entry.rule == rule.id and entry.kind == "clawback":
                out.append(Trace(f"record {entry.record}", entry.amount, entry.note))  # noqa: PERF401
        return out
    done = run.passes.get(rule.id)
    if done is None:
        return out
    metric_name = rule.per_record.metric if isinstance(rule, PerRecordRule) else rule.spiff.metric
    metric = run.policy.metrics[metric_name]
    table = run.data.table(metric.table)
    _, rows = run.credited[("", metric_name)]
    mine = [(i, share) for i, who, share, _ in rows if who == participant]
    shown = mine[:MAX_RECORDS]
    lines, fields = rule_lines(rule)
    chosen = {i: done.line_of.get(i) for i, _ in shown}
    rates = line_values(rule, path, lines, chosen, table, run.policy._expressions, run.rate_tables)
    amounts = table.columns[metric.sum] if isinstance(rule, PerRecordRule) and metric.sum else None
    scale = _scale(run, rule, participant, done.totals.get(participant, Fraction(0)))
    for i, share in shown:
        line = chosen[i]
        source = table.source(i)
        paid: Any = None
        if line is None:
            text = "matches no line: pays nothing"
        else:
            spec = lines[line]
            what = ", ".join(f"{k} = {v}" for k, v in spec.match.items()) or "default"
            if spec.rate is not None:
                value = amounts[i] if amounts is not None else None
                paid = None if value is None else to_fraction(value) * to_fraction(share) * rates[i]
                text = f"line {line} ({what}): rate {_plain(rates[i])}"
                if value is not None:
                    text += f" x {value}"
            else:
                paid = rates[i] * to_fraction(share)
                text = f"line {line} ({what}): amount {_plain(rates[i])}"
            if isinstance(rule, SpiffRule):
                text = f"SPIFF {_plain(rates[i])} per record"
        if share != 1:
            text += f"; share {share:%}"
        if paid is not None and scale != 1:
            text += f"; scaled as the line was, x {_plain(scale)}"
            paid *= scale
        where = _where(run, f"{path}.{fields[line]}") if line is not None else None
        out.append(
            Trace(
                f"record {table.row_ref(i)}",
                paid,
                text,
                where or (source.render() if source is not None else None),
            )
        )
    if len(mine) > MAX_RECORDS:
        out.append(Trace(f"... and {len(mine) - MAX_RECORDS} more records"))
    return out


def _scale(run: _Evaluation, rule: Any, participant: str, total: Fraction) -> Fraction:
    """How the line scaled its records' exact amounts: a gate or cap, not rounding."""
    line = run.outcomes[participant].lines.get(rule.id, Decimal(0))
    rounding = rule.rounding or run.policy.rounding
    if not total or quantize(total, rounding.quantum, rounding.mode) == line:
        return Fraction(1)
    return to_fraction(line) / total


def _plain(value: Fraction) -> str:
    return str(render_value(value))


def _describe(rule: Any, values: dict[str, Any]) -> str:
    if isinstance(rule, TieredRule):
        tiers = rule.tiered.tiers
        uppers = [
            t.to if t.to is not None else (n.from_ if n else None)
            for t, n in zip(tiers, [*tiers[1:], None], strict=True)
        ]
        tiers_text = ", ".join(
            f"[{t.from_}, {'…' if upper is None else upper}) "
            f"{'amount ' + str(t.amount) if t.rate is None else t.rate}"
            for t, upper in zip(tiers, uppers, strict=True)
        )
        text = f"{rule.tiered.mode} tiers on {rule.tiered.on}: {tiers_text}"
        if rule.tiered.cumulative:
            text += " (year to date)"
    elif isinstance(rule, RateRule):
        text = f"{rule.rate.on} x {rule.rate.rate}"
    elif isinstance(rule, FormulaRule):
        text = str(rule.amount)
    elif isinstance(rule, PerRecordRule):
        text = f"per record of {rule.per_record.metric}, most specific line first"
        if rule.per_record.keys:
            text += f" (keys: {', '.join(rule.per_record.keys)})"
    elif isinstance(rule, SpiffRule):
        text = f"SPIFF {rule.spiff.amount} per {rule.spiff.per}"
    elif isinstance(rule, MultiplierRule):
        text = f"multiplier {rule.multiplier.factor} of {', '.join(rule.multiplier.of)}"
    elif isinstance(rule, ImprovementRule):
        text = f"improvement of {rule.improvement.metric} over {rule.improvement.over}"
    elif isinstance(rule, PoolRule):
        text = f"team pool {rule.pool.fund} by {rule.pool.group}, shared by {rule.pool.weights}"
    elif isinstance(rule, PenaltyRule):
        text = f"penalty {rule.penalty.amount}"
    elif isinstance(rule, ClawbackRule):
        spec = rule.clawback
        text = f"clawback of {spec.of} on records cancelled ({spec.date}) within {spec.within} days"
    elif isinstance(rule, DrawRule):
        kind = "recoverable draw" if rule.draw.recoverable else "guarantee"
        text = f"{kind} {rule.draw.amount}"
    else:
        text = f"kind {rule.kind}"
    if rule.when:
        text += f"; when {rule.when}"
    if rule.cap:
        text += f"; cap {rule.cap}"
    if rule.floor:
        text += f"; floor {rule.floor}"
    if rule.cap_ytd:
        text += f"; year-to-date cap {rule.cap_ytd}"
    return text
