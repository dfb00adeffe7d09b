"""Cross-section checks of a validated policy, and compiling its expressions.

Every name an expression reads is checked here against what the policy declares,
in the scope where the expression runs: a metric's ``where`` sees its table's
columns; participant formulas see metrics, targets, attainment, attributes,
variables, rate tables, the score and earlier incentives.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from perfkit._expr import compile_expression
from perfkit._incentive_check import check_incentive, check_payout, test_inputs
from perfkit._incentive_model import RULE_KINDS, PayoutRules
from perfkit._policy_model import (
    Action,
    Alert,
    Credit,
    PluginRule,
    RateTable,
    Scorecard,
    TargetSource,
)
from perfkit._registry import Registry
from perfkit.errors import Diagnostic, Location, PolicyError, Severity

if TYPE_CHECKING:
    from perfkit._expr import Expression
    from perfkit._policy import Policy

__all__ = ["attribute_names", "check_policy", "participant_names"]

Locate = Callable[[tuple[str | int, ...]], Location]

PERIOD_NAMES = ("period.days", "period.working_days", "period.start", "period.end")
NUMERIC = ("decimal", "integer")


def _path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class _Checker:
    def __init__(
        self, policy: Policy, registry: Registry, locate: Locate, locate_text: Locate | None
    ):
        self.policy = policy
        self.registry = registry
        self.locate = locate
        self.locate_text = locate_text or locate
        self.out: list[Diagnostic] = []

    def error(self, code: str, message: str, path: tuple[str | int, ...]) -> None:
        self.out.append(Diagnostic(code, message, location=self.locate(path)))

    def warn(self, code: str, message: str, path: tuple[str | int, ...]) -> None:
        self.out.append(
            Diagnostic(code, message, severity=Severity.WARNING, location=self.locate(path))
        )

    def remember(self, path: tuple[str | int, ...]) -> None:
        self.policy._locations[_path(path)] = path

    def compile(
        self, text: str | None, names: Iterable[str], path: tuple[str | int, ...]
    ) -> Expression | None:
        if text is None:
            return None
        self.remember(path)
        try:
            expression = compile_expression(
                text,
                names=names if isinstance(names, frozenset) else frozenset(names),
                functions=self.registry,
                location=self.locate_text(path),
            )
        except PolicyError as exc:
            self.out.extend(exc.diagnostics)
            return None
        self.out.extend(expression.diagnostics)
        self.policy._expressions[_path(path)] = expression
        return expression


def check_policy(
    policy: Policy, registry: Registry, locate: Locate, locate_text: Locate | None = None
) -> list[Diagnostic]:
    """Check names across sections and compile every expression into ``policy``.

    Returns the diagnostics found (errors and warnings); compiled expressions are
    stored on the policy, keyed by their field path.
    """
    checker = _Checker(policy, registry, locate, locate_text)
    policy._locations = {}
    _check_tables(checker)
    names = _check_participant_scope(checker)
    _check_rules(checker, names, ())
    _check_tests(checker, names)
    for index, version in enumerate(policy.versions):
        prefix: tuple[str | int, ...] = ("versions", index)
        version_names = set(names)
        if version.variables is not None:
            version_names |= _check_variables(checker, version.variables, names, prefix)
        _check_rules(
            checker,
            version_names,
            prefix,
            scorecard=version.scorecard,
            incentives=version.incentives,
            actions=version.actions,
            alerts=version.alerts,
            rate_tables=version.rate_tables,
            payout_rules=version.payout,
        )
    return checker.out


def _check_tables(c: _Checker) -> None:
    policy = c.policy
    for name, metric in policy.metrics.items():
        path: tuple[str | int, ...] = ("metrics", name)
        c.remember(path)
        table = policy.tables.get(metric.table)
        if table is None:
            if policy.tables:
                c.error(
                    "policy.unknown-table",
                    _unknown("table", metric.table, policy.tables),
                    (*path, "table"),
                )
            continue
        columns = table.columns
        for field in ("sum", "count_distinct", "mean", "min", "max", "date"):
            column = getattr(metric, field)
            if column is None:
                continue
            if column not in columns:
                c.error(
                    "policy.unknown-column",
                    _unknown(f"column of table {metric.table!r}", column, columns),
                    (*path, field),
                )
            elif field in ("sum", "mean") and columns[column] not in NUMERIC:
                c.error(
                    "policy.column-type",
                    f"cannot {field} column {column!r}: it is {columns[column]}, not a number",
                    (*path, field),
                )
            elif field == "date" and columns[column] != "date":
                c.error(
                    "policy.column-type",
                    f"date column {column!r} is {columns[column]}, not a date",
                    (*path, field),
                )
        credit = metric.credit
        if credit is not None and not isinstance(credit, str) and credit.splits is not None:
            _check_splits(c, metric.table, table.key, credit, policy, path)
        owner = metric.credit if isinstance(metric.credit, str) else None
        if metric.credit is None:
            owner = "owner"
        elif not isinstance(metric.credit, str) and metric.credit.owner is not None:
            owner = metric.credit.owner
        if owner is not None and owner not in columns:
            c.error(
                "policy.unknown-column",
                _unknown("credit column", owner, columns),
                (*path, "credit"),
            )
        c.compile(metric.where, columns, (*path, "where"))
        if metric.ratio is not None:
            for index, condition in enumerate(metric.ratio):
                c.compile(condition, columns, (*path, "ratio", index))
    for name, target in policy.targets.items():
        path = ("targets", name)
        if name not in policy.metrics and policy.metrics:
            c.error(
                "policy.unknown-metric",
                f"a target for {name!r}, which is not a metric; "
                + _unknown("metric", name, policy.metrics).split("; ", 1)[-1],
                path,
            )
        if target.table is not None and policy.tables:
            table = policy.tables.get(target.table)
            if table is None:
                c.error(
                    "policy.unknown-table",
                    _unknown("table", target.table, policy.tables),
                    (*path, "table"),
                )
            else:
                _check_target_columns(c, target, table.columns, path)


def _check_splits(
    c: _Checker,
    table_name: str,
    key: str | None,
    credit: Credit,
    policy: Policy,
    path: tuple[str | int, ...],
) -> None:
    where = (*path, "credit", "splits")
    if key is None:
        c.error(
            "policy.splits-need-key",
            f"credit splits name records by id, but table {table_name!r} has no 'key': "
            "add 'key: <id column>' to it",
            where,
        )
    splits = policy.tables.get(str(credit.splits))
    if splits is None:
        c.error("policy.unknown-table", _unknown("table", str(credit.splits), policy.tables), where)
        return
    for field in ("record", "participant", "share", "overlay"):
        column = getattr(credit, field)
        if column is not None and column not in splits.columns:
            c.error(
                "policy.unknown-column",
                _unknown(f"column of table {credit.splits!r}", column, splits.columns),
                (*path, "credit", field),
            )


def _check_target_columns(
    c: _Checker, target: TargetSource, columns: Mapping[str, str], path: tuple[str | int, ...]
) -> None:
    for field in ("column", "participant", "period"):
        column = getattr(target, field)
        if column is not None and column not in columns:
            c.error(
                "policy.unknown-column",
                _unknown(f"column of table {target.table!r}", column, columns),
                (*path, field),
            )


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    import difflib

    options = sorted(known)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f"unknown {what} {name!r}; did you mean {close[0]!r}?"
    listing = ", ".join(options) if options else "none declared"
    return f"unknown {what} {name!r}; known: {listing}"


def attribute_names(policy: Policy) -> set[str]:
    """Participant attributes: the participants table's columns and ``attributes``."""
    names = set(policy.attributes)
    table = policy.tables.get(policy.participants.table)
    if table is not None:
        names |= set(table.columns) - {policy.participants.id}
    return names


def participant_names(policy: Policy) -> set[str]:
    """Every name a participant formula may read, before variables and incentives."""
    names = attribute_names(policy) | set(policy.rate_tables) | set(PERIOD_NAMES)
    for metric in policy.metrics:
        names.update({metric, f"previous.{metric}", f"last_year.{metric}"})
    for metric in policy.targets:
        names.update({f"target.{metric}", f"attainment.{metric}", f"pace.{metric}"})
    return names


def _check_participant_scope(c: _Checker) -> set[str]:
    policy = c.policy
    names = participant_names(policy)
    attributes = attribute_names(policy)
    for name, target in policy.targets.items():
        c.compile(target.value, attributes | set(policy.rate_tables), ("targets", name, "value"))
    c.compile(policy.participants.where, attributes | set(PERIOD_NAMES), ("participants", "where"))
    names |= _check_variables(c, policy.variables, names, ())
    return names


def _check_variables(
    c: _Checker, variables: dict[str, str], names: set[str], prefix: tuple[str | int, ...]
) -> set[str]:
    seen = set(names)
    for name, text in variables.items():
        path = (*prefix, "variables", name)
        if name in names:
            c.error(
                "policy.name-clash",
                f"variable {name!r} hides a metric or attribute of the same name: rename it",
                path,
            )
        c.compile(text, seen, path)
        seen.add(name)
    return seen - names


def _check_rules(
    c: _Checker,
    names: set[str],
    prefix: tuple[str | int, ...],
    *,
    scorecard: Scorecard | None = None,
    incentives: Sequence[Any] | None = None,
    actions: list[Action] | None = None,
    alerts: list[Alert] | None = None,
    rate_tables: dict[str, RateTable] | None = None,
    payout_rules: PayoutRules | None = None,
) -> None:
    policy = c.policy
    if not prefix:
        scorecard, incentives = policy.scorecard, policy.incentives
        actions, alerts = policy.actions, policy.alerts
    scope = set(names) | set(rate_tables or {})
    if scorecard is not None:
        scope |= _check_scorecard(c, scorecard, scope, (*prefix, "scorecard"))
    rules = list(incentives or [])
    ids = [rule.id for rule in rules]
    # One scope for every rule (one name table to build); a rule that reads a
    # later rule's amount is refused below, since that amount is not yet known.
    rule_scope = frozenset(scope | set(ids))
    seen_ids: dict[str, int] = {}
    for index, rule in enumerate(rules):
        path = (*prefix, "incentives", index)
        if rule.id in seen_ids:
            c.error(
                "policy.duplicate-id",
                f"incentive id {rule.id!r} is used twice (first: incentives[{seen_ids[rule.id]}])",
                (*path, "id"),
            )
        elif rule.id in scope:
            c.error(
                "policy.name-clash",
                f"incentive id {rule.id!r} clashes with another name",
                (*path, "id"),
            )
        seen_ids.setdefault(rule.id, index)
        c.remember(path)
        later = set(ids[index:])
        fields = check_incentive(c, rule, index, rules, path, rule_scope)
        if isinstance(rule, PluginRule) and rule.kind in RULE_KINDS:
            c.error(
                "policy.unknown-rule-kind",
                f"{rule.kind!r} is a built-in kind: write it as its own key, "
                f"'{rule.kind}: {{...}}', not 'kind: {rule.kind}'",
                (*path, "kind"),
            )
        elif isinstance(rule, PluginRule) and c.registry.rule_kinds().get(rule.kind) is None:
            plugins = [k for k in c.registry.rule_kinds() if k not in RULE_KINDS]
            c.error(
                "policy.unknown-rule-kind",
                _unknown("rule kind", rule.kind, plugins),
                (*path, "kind"),
            )
        for text, where, field_scope in fields:
            expression = c.compile(text, field_scope, where)
            early = sorted(expression.names & later) if expression is not None else []
            if early:
                c.error(
                    "policy.rule-order",
                    f"incentive {rule.id!r} reads {', '.join(map(repr, early))}, which is "
                    "computed at or after it: incentives run in order, so move it earlier",
                    where,
                )
    payout = c.policy.payout if not prefix else payout_rules
    if payout is not None:
        for text, where, field_scope in check_payout(c, rule_scope, prefix, payout):
            c.compile(text, field_scope, where)
    scope = set(rule_scope)
    final = scope | {"payout"}
    for index, action in enumerate(actions or []):
        c.compile(action.when, final, (*prefix, "actions", index, "when"))
    for index, alert in enumerate(alerts or []):
        path = (*prefix, "alerts", index)
        c.compile(alert.when, final, (*path, "when"))
        for field in _placeholders(alert.message):
            if field not in final:
                c.error(
                    "policy.unknown-name",
                    _unknown("name in the message", field, final),
                    (*path, "message"),
                )


def _check_scorecard(
    c: _Checker, card: Scorecard, scope: set[str], path: tuple[str | int, ...]
) -> set[str]:
    produced = {"score"}
    for index, component in enumerate(card.components):
        where = (*path, "components", index)
        c.remember(where)
        if component.metric not in scope:
            c.error(
                "policy.unknown-metric",
                _unknown("metric", component.metric, c.policy.metrics),
                (*where, "metric"),
            )
        elif component.on == "attainment" and f"attainment.{component.metric}" not in scope:
            c.error(
                "policy.no-target",
                f"component {component.name!r} scores attainment, but metric "
                f"{component.metric!r} has no target: add targets.{component.metric} "
                "or score 'on: value'",
                (*where, "on"),
            )
        c.compile(component.gate, scope, (*where, "gate"))
        produced.add(f"score.{component.name}")
    c.compile(card.gate, scope | produced, (*path, "gate"))
    return produced


def _placeholders(message: str) -> list[str]:
    try:
        return [field for _, field, _, _ in string.Formatter().parse(message) if field]
    except ValueError:
        return []


def _check_tests(c: _Checker, names: set[str]) -> None:
    policy = c.policy
    inputs = (names - set(policy.variables)) | test_inputs(policy)
    outputs = set(names) | {"payout", "flags"} | {rule.id for rule in policy.incentives}
    outputs |= {"payout.deductions", "payout.cap", "payout.cap_ytd", "payout.balance"}
    outputs |= {"balance.draw", "balance.carried"}
    if policy.scorecard is not None:
        outputs |= {"score"} | {f"score.{k.name}" for k in policy.scorecard.components}
    for index, example in enumerate(policy.tests):
        for key in example.given:
            if key not in inputs:
                c.warn(
                    "policy.test-unknown-given",
                    _unknown("input", key, inputs) + " (the example gives a value nothing reads)",
                    ("tests", index, "given", key),
                )
        for key in example.expect:
            if key not in outputs:
                c.error(
                    "policy.test-unknown-expect",
                    _unknown("result", key, outputs),
                    ("tests", index, "expect", key),
                )
