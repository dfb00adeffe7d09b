"""Traces: why a number is what it is, from a payout line down to source records.

Built on demand by :meth:`perfkit.Result.explain`, so a plain evaluation pays
nothing for them. A :class:`Trace` is a tree of labelled values, each with the
policy location of the rule that produced it; it prints as indented text and
serialises to JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perfkit._policy_model import FormulaRule, RateRule, TieredRule
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
        for suffix in (
            "when",
            "amount",
            "cap",
            "floor",
            "rate.on",
            "rate.rate",
            "rate.threshold",
            "tiered.on",
            "tiered.base",
        ):
            expression = run.policy._expressions.get(f"{path}.{suffix}")
            if expression is not None:
                names |= expression.names
        note = _describe(rule, values)
        if rule.id in outcome.notes:
            note += f"; {outcome.notes[rule.id]}"
        lines.append(
            Trace(
                f"line {rule.id}",
                outcome.lines[rule.id],
                note,
                _where(run, path),
                tuple(_input(run, participant, name, values) for name in sorted(names)),
            )
        )
    if component is not None and not lines:
        known = ", ".join(rule.id for rule in run.policy.incentives)
        raise EvaluationError(f"no component {component!r}; the plan's components are: {known}")
    return Trace(
        f"payout of {participant} for {run.period}",
        outcome.payout,
        f"policy {run.policy.name!r}",
        run.policy.source,
        tuple(lines),
    )


def _describe(rule: Any, values: dict[str, Any]) -> str:
    if isinstance(rule, TieredRule):
        tiers = rule.tiered.tiers
        uppers = [
            t.to if t.to is not None else (n.from_ if n else None)
            for t, n in zip(tiers, [*tiers[1:], None], strict=True)
        ]
        tiers_text = ", ".join(
            f"[{t.from_}, {'…' if upper is None else upper}) "
            f"{t.amount if t.rate is None else t.rate}"
            for t, upper in zip(tiers, uppers, strict=True)
        )
        text = f"{rule.tiered.mode} tiers on {rule.tiered.on}: {tiers_text}"
    elif isinstance(rule, RateRule):
        text = f"{rule.rate.on} x {rule.rate.rate}"
    elif isinstance(rule, FormulaRule):
        text = str(rule.amount)
    else:
        text = f"kind {rule.kind}"
    if rule.when:
        text += f"; when {rule.when}"
    if rule.cap:
        text += f"; cap {rule.cap}"
    return text
