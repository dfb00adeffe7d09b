"""Load-time checks of incentive rules: their expressions, scopes and references.

Each rule kind reads names from one of three scopes: the participant's values
(metrics, targets, attainment, attributes, variables, earlier rules' lines),
a record's columns (per-record rates and SPIFF amounts), or a team's totals
(a pool's fund). Problems are reported at the field's line, all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeGuard

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
from perfkit._numbers import parse_decimal
from perfkit._time import to_date
from perfkit.errors import InvalidValueError

if TYPE_CHECKING:
    from perfkit._policy_check import _Checker


def _unknown(what: str, name: str, known: Any) -> str:
    from perfkit._policy_check import _unknown as unknown

    return unknown(what, name, known)


__all__ = ["check_incentive", "check_payout", "pays_per_record", "team_names", "test_inputs"]

Path = tuple[str | int, ...]
Field = tuple[str | None, Path, frozenset[str]]


def pays_per_record(rule: Any) -> TypeGuard[PerRecordRule | SpiffRule]:
    """A per-record rule, or a SPIFF per record: rules that pay record by record."""
    return isinstance(rule, PerRecordRule) or (
        isinstance(rule, SpiffRule) and rule.spiff.per == "record"
    )


def team_names(c: _Checker) -> frozenset[str]:
    """Names a pool's fund may read: team totals, team targets and attainment, size."""
    policy = c.policy
    names = {"team.size", *policy.rate_tables}
    for name, metric in policy.metrics.items():
        if metric.aggregation in ("sum", "count"):
            names.add(f"team.{name}")
    for name in policy.targets:
        names.update({f"team.target.{name}", f"team.attainment.{name}"})
    return frozenset(names)


def _record_names(c: _Checker, metric_name: str) -> frozenset[str]:
    policy = c.policy
    metric = policy.metrics.get(metric_name)
    table = policy.tables.get(metric.table) if metric is not None else None
    columns = set(table.columns) if table is not None else set()
    return frozenset(columns | set(policy.rate_tables))


def check_incentive(
    c: _Checker,
    rule: Any,
    index: int,
    rules: Sequence[Any],
    path: Path,
    scope: frozenset[str],
) -> list[Field]:
    """Structural checks of one rule; returns its expression fields and their scopes."""
    fields: list[Field] = [(getattr(rule, f), (*path, f), scope) for f in ("when", "cap", "floor")]
    fields.append((rule.cap_ytd, (*path, "cap_ytd"), scope))

    def number_or_text(value: Any, where: Path, names: frozenset[str]) -> None:
        if isinstance(value, str):
            fields.append((value, where, names))

    if isinstance(rule, FormulaRule):
        fields.append((rule.amount, (*path, "amount"), scope))
    elif isinstance(rule, RateRule):
        fields.append((rule.rate.on, (*path, "rate", "on"), scope))
        number_or_text(rule.rate.rate, (*path, "rate", "rate"), scope)
        fields.append((rule.rate.threshold, (*path, "rate", "threshold"), scope))
    elif isinstance(rule, TieredRule):
        fields.append((rule.tiered.on, (*path, "tiered", "on"), scope))
        fields.append((rule.tiered.base, (*path, "tiered", "base"), scope))
    elif isinstance(rule, PerRecordRule):
        spec = rule.per_record
        _check_record_metric(c, spec.metric, (*path, "per_record", "metric"), sums=True)
        names = _record_names(c, spec.metric)
        _check_lines(c, rule, (*path, "per_record"))
        for i, line in enumerate(spec.lines):
            where = (*path, "per_record", "lines", i)
            c.remember(where)
            number_or_text(line.rate, (*where, "rate"), names)
            number_or_text(line.amount, (*where, "amount"), names)
    elif isinstance(rule, SpiffRule):
        spec_ = rule.spiff
        c.remember((*path, "spiff"))
        if spec_.metric is not None:
            _check_record_metric(c, spec_.metric, (*path, "spiff", "metric"), sums=False)
            number_or_text(spec_.amount, (*path, "spiff", "amount"), _record_names(c, spec_.metric))
        else:
            number_or_text(spec_.amount, (*path, "spiff", "amount"), scope)
    elif isinstance(rule, MultiplierRule):
        earlier = {r.id for r in rules[:index]}
        later_ids = {r.id for r in rules[index + 1 :]}
        for k, name in enumerate(rule.multiplier.of):
            where = (*path, "multiplier", "of", k)
            if name == rule.id:
                c.error("policy.rule-order", f"multiplier {rule.id!r} cannot scale itself", where)
            elif name in later_ids:
                c.error(
                    "policy.rule-order",
                    f"multiplier {rule.id!r} scales {name!r}, which comes after it: "
                    f"move {name!r} before {rule.id!r}",
                    where,
                )
            elif name not in earlier:
                c.error(
                    "policy.unknown-rule",
                    _unknown("incentive", name, earlier)
                    + f" (multiplier {rule.id!r} scales earlier incentives)",
                    where,
                )
        number_or_text(rule.multiplier.factor, (*path, "multiplier", "factor"), scope)
    elif isinstance(rule, ImprovementRule):
        spec_i = rule.improvement
        if spec_i.metric not in c.policy.metrics:
            c.error(
                "policy.unknown-metric",
                _unknown("metric", spec_i.metric, c.policy.metrics),
                (*path, "improvement", "metric"),
            )
        if spec_i.rate is not None:
            number_or_text(spec_i.rate, (*path, "improvement", "rate"), scope)
        fields.append((spec_i.base, (*path, "improvement", "base"), scope))
    elif isinstance(rule, PoolRule):
        _check_pool(c, rule, path)
        fields.append((rule.pool.fund, (*path, "pool", "fund"), team_names(c)))
    elif isinstance(rule, PenaltyRule):
        number_or_text(rule.penalty.amount, (*path, "penalty", "amount"), scope)
    elif isinstance(rule, ClawbackRule):
        _check_clawback(c, rule, rules, path)
    elif isinstance(rule, DrawRule):
        after = [r.id for r in rules[index + 1 :] if not isinstance(r, DrawRule)]
        if after:
            c.error(
                "policy.rule-order",
                f"draw {rule.id!r} settles the period's earnings, but {after[0]!r} comes "
                "after it: put draws after every other incentive",
                (*path, "draw"),
            )
        number_or_text(rule.draw.amount, (*path, "draw", "amount"), scope)
        if rule.draw.recover is not None:
            fields.append((rule.draw.recover.limit, (*path, "draw", "recover", "limit"), scope))
    return fields


def _check_record_metric(c: _Checker, name: str, where: Path, *, sums: bool) -> None:
    metric = c.policy.metrics.get(name)
    if metric is None:
        c.error(
            "policy.unknown-metric",
            _unknown("metric", name, c.policy.metrics),
            where,
        )
    elif sums and metric.aggregation != "sum":
        c.error(
            "policy.per-record-metric",
            f"metric {name!r} is a {metric.aggregation}; a per-record rate needs a sum metric "
            "(its summed column is the amount each record's rate applies to)",
            where,
        )


def _check_lines(c: _Checker, rule: PerRecordRule, path: Path) -> None:
    spec = rule.per_record
    metric = c.policy.metrics.get(spec.metric)
    table = c.policy.tables.get(metric.table) if metric is not None else None
    columns = dict(table.columns) if table is not None else None
    used: list[str] = []
    for line in spec.lines:
        used += [key for key in line.match if key not in used]
    for i, line in enumerate(spec.lines):
        for key, value in line.match.items():
            where = (*path, "lines", i, "match", key)
            if columns is None:
                continue
            if key not in columns:
                c.error(
                    "policy.unknown-column",
                    _unknown(f"column of table {metric.table!r}", key, columns),  # type: ignore[union-attr]
                    where,
                )
                continue
            problem = _match_problem(value, columns[key])
            if problem:
                c.error("policy.column-type", f"match value {value!r} {problem}", where)
    for i, key in enumerate(spec.keys or []):
        if columns is not None and key not in columns:
            c.error(
                "policy.unknown-column",
                _unknown(f"column of table {metric.table!r}", key, columns),  # type: ignore[union-attr]
                (*path, "keys", i),
            )
    if spec.keys is None and len(used) > 1:
        c.error(
            "policy.per-record-keys",
            f"lines match on {', '.join(map(repr, used))}: list them in 'keys', most important "
            "first, so it is clear which line wins when several match",
            (*path, "lines"),
        )
    elif spec.keys is not None:
        missing = [key for key in used if key not in spec.keys]
        if missing:
            c.error(
                "policy.per-record-keys",
                f"lines match on {', '.join(map(repr, missing))}, missing from 'keys': add "
                "them, most important first",
                (*path, "keys"),
            )
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for i, line in enumerate(spec.lines):
        signature = tuple(
            sorted((k, _canonical(v, (columns or {}).get(k))) for k, v in line.match.items())
        )
        if signature in seen:
            if not signature:
                message = f"lines {seen[signature]} and {i} are both default lines (no 'match')"
            else:
                both = " and ".join(f"{k} = {v!r}" for k, v in line.match.items())
                message = f"lines {seen[signature]} and {i} both match {both}"
            c.error(
                "policy.duplicate-line",
                message + ": a record could be paid by either; keep one",
                (*path, "lines", i),
            )
        seen.setdefault(signature, i)


def _canonical(value: Any, column_type: str | None) -> str:
    """A match value as the records compare it, so 10 and '10.0' are one value."""
    from perfkit._records import match_value

    normal = match_value(value, column_type or "string")
    return repr(Fraction(normal) if isinstance(normal, Decimal) else normal)


def _match_problem(value: Any, column_type: str) -> str | None:
    """Why a match value can never equal a value of the column, or None."""
    if column_type == "bool" and not isinstance(value, bool):
        return "is not a bool (column type bool): write true or false"
    if column_type in ("decimal", "integer"):
        if isinstance(value, bool):
            return f"is a bool, but the column is {column_type}"
        try:
            parse_decimal(value)
        except InvalidValueError:
            return f"is not a number (column type {column_type})"
    if column_type == "date":
        try:
            to_date(value)
        except InvalidValueError:
            return "is not a date (column type date): write it as YYYY-MM-DD"
    return None


def _check_pool(c: _Checker, rule: PoolRule, path: Path) -> None:
    from perfkit._policy_check import attribute_names

    spec = rule.pool
    attributes = attribute_names(c.policy)
    if spec.group not in attributes:
        c.error(
            "policy.unknown-attribute",
            _unknown("participant attribute", spec.group, attributes)
            + f" (pool {rule.id!r} groups members into teams by it)",
            (*path, "pool", "group"),
        )
    if spec.weights == "score" and c.policy.scorecard is None:
        c.error(
            "policy.pool-score",
            f"pool {rule.id!r} shares by score, but the policy has no scorecard",
            (*path, "pool", "weights"),
        )
    if spec.contribution is not None and spec.contribution not in c.policy.metrics:
        c.error(
            "policy.unknown-metric",
            _unknown("metric", spec.contribution, c.policy.metrics),
            (*path, "pool", "contribution"),
        )


def _check_clawback(c: _Checker, rule: ClawbackRule, rules: Sequence[Any], path: Path) -> None:
    spec = rule.clawback
    target = next((r for r in rules if r.id == spec.of), None)
    where = (*path, "clawback")
    position = {r.id: i for i, r in enumerate(rules)}
    if target is not None and position[spec.of] > position[rule.id]:
        c.error(
            "policy.rule-order",
            f"clawback {rule.id!r} reverses what {spec.of!r} paid, so {spec.of!r} must run "
            f"first: move {rule.id!r} after it",
            (*where, "of"),
        )
    if target is None:
        c.error(
            "policy.clawback-of",
            _unknown("incentive", spec.of, [r.id for r in rules])
            + f" (clawback {rule.id!r} reverses what it paid)",
            (*where, "of"),
        )
        return
    if pays_per_record(target):
        if spec.metric is not None:
            c.error(
                "policy.clawback-of",
                f"clawback {rule.id!r}: {spec.of!r} pays per record, so the clawback reverses "
                "what it paid on each record; 'metric' is only for rules that do not",
                (*where, "metric"),
            )
        metric_name = (
            target.per_record.metric if isinstance(target, PerRecordRule) else target.spiff.metric
        )
    elif spec.metric is None:
        c.error(
            "policy.clawback-of",
            f"clawback {rule.id!r} reverses {spec.of!r}, which does not pay per record: name "
            "the sum metric it paid on ('metric: revenue'), so a cancelled record is reversed "
            "at the rate the rule paid on that metric",
            (*where, "of"),
        )
        return
    else:
        metric_name = spec.metric
        _check_record_metric(c, metric_name, (*where, "metric"), sums=True)
    metric = c.policy.metrics.get(metric_name or "")
    table = c.policy.tables.get(metric.table) if metric is not None else None
    if metric is None or table is None:
        return
    error: Callable[[str, str, Path], None] = c.error
    if spec.date not in table.columns or table.columns[spec.date] != "date":
        have = "" if spec.date not in table.columns else f" (it is {table.columns[spec.date]})"
        error(
            "policy.clawback-date",
            f"clawback {rule.id!r} needs a date column of table {metric.table!r} saying when a "
            f"record was cancelled or refunded; {spec.date!r} is not one{have}",
            (*where, "date"),
        )
    if metric.date is None:
        error(
            "policy.clawback-date",
            f"clawback {rule.id!r}: metric {metric_name!r} has no 'date' column, so the window "
            f"of {spec.within} days has nothing to start from",
            (*where, "within"),
        )
    if table.key is None:
        error(
            "policy.clawback-key",
            f"clawback {rule.id!r}: table {metric.table!r} has no 'key', so a reversed record "
            f"cannot be linked to the line that paid it: add 'key: <id column>' to table "
            f"{metric.table!r}",
            (*where, "of"),
        )


def test_inputs(policy: Any) -> set[str]:
    """Names a policy test may give for what the engine computes or carries in."""
    names = {"balance.draw", "balance.carried", "ytd.payout"}
    for rule in policy.incentives:
        names.add(f"ytd.{rule.id}")
        if pays_per_record(rule) or isinstance(rule, ClawbackRule):
            names.add(f"records.{rule.id}")
        if isinstance(rule, PoolRule):
            names.add(f"pool.{rule.id}")
    return names


def check_payout(c: _Checker, scope: frozenset[str], prefix: Path, payout: Any) -> list[Field]:
    """The ``payout`` section's expressions: caps on the rule scope, deductions + earnings."""
    path = (*prefix, "payout")
    return [
        (payout.cap, (*path, "cap"), scope),
        (payout.cap_ytd, (*path, "cap_ytd"), scope),
        (payout.deductions, (*path, "deductions"), scope | {"earnings"}),
    ]
