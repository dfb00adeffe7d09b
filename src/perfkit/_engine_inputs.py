"""Inputs to the plan math that need more than one participant's aggregates.

* per-record rules and SPIFFs per record: one pass over their metric's
  credited rows (``_records``);
* team pools: the team's totals fund the pool, ``allocate`` shares it exactly;
* cumulative tiers: the year-to-date values now and before this period;
* clawbacks: the records cancelled in this period within the window, each
  with what was paid on it in the period that paid it (from the ledger of
  earlier results, or by evaluating that period again).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._incentive_check import pays_per_record
from perfkit._incentive_model import (
    ClawbackRule,
    PerRecordRule,
    PoolRule,
    SpiffRule,
    TieredRule,
)
from perfkit._incentives import Inputs
from perfkit._metrics import shift
from perfkit._numbers import allocate, quantize, to_fraction
from perfkit._plan import _attainment, _exact
from perfkit._records import cancelled_records, record_pass
from perfkit._time import Period
from perfkit.errors import EvaluationError, InvalidValueError

if TYPE_CHECKING:
    from perfkit._engine import _Evaluation

__all__ = ["build_inputs", "original_period"]

MAX_LOOKBACK = 400
"""Most periods a clawback looks back for the period that paid a record."""


def build_inputs(
    run: _Evaluation, givens: dict[str, dict[str, Any]], problems: list[str]
) -> dict[str, Inputs]:
    """Per participant: record totals, pool shares, year-to-date values, clawbacks."""
    policy = run.policy
    reversed_rules = {
        rule.clawback.of for rule in policy.incentives if isinstance(rule, ClawbackRule)
    }
    records: dict[str, dict[str, Fraction]] = {}
    detail: dict[str, dict[str, dict[str, Fraction]]] = {}
    unmatched: dict[str, dict[str, int]] = {}
    pools: dict[str, dict[str, Decimal]] = {}
    pool_notes: dict[str, dict[str, str]] = {}
    cumulative: dict[str, dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]]] = {}
    clawbacks: dict[str, dict[str, list[Reversal]]] = {}
    for index, rule in enumerate(policy.incentives):
        path = f"incentives[{index}]"
        if pays_per_record(rule):
            done = _record_pass(run, rule, path, keep=rule.id in reversed_rules)
            for who, total in done.totals.items():
                records.setdefault(who, {})[rule.id] = total
            for who, mine in done.detail.items():
                detail.setdefault(who, {})[rule.id] = mine
            for who, count in done.unmatched.items():
                unmatched.setdefault(who, {})[rule.id] = count
            if rule.id in reversed_rules:  # an empty detail: nothing paid on any record
                for who in givens:
                    detail.setdefault(who, {}).setdefault(rule.id, {})
        elif isinstance(rule, PoolRule):
            try:
                shares, notes = _pool(run, rule, path, givens)
            except EvaluationError as exc:
                problems.append(f"pool {rule.id!r}: {exc}")
                continue
            for who, share in shares.items():
                pools.setdefault(who, {})[rule.id] = share
            for who, note in notes.items():
                pool_notes.setdefault(who, {})[rule.id] = note
        elif isinstance(rule, TieredRule) and rule.tiered.cumulative:
            for who, pair in _year_to_date(run, givens, problems).items():
                cumulative.setdefault(who, {})[rule.id] = pair
        elif isinstance(rule, ClawbackRule):
            found = _clawbacks(run, rule, detail) if run.with_clawbacks else {}
            for who in givens:
                clawbacks.setdefault(who, {})[rule.id] = found.get(who, [])
    clawed = _clawed(run, [r for r in policy.incentives if isinstance(r, ClawbackRule)])
    return {
        who: Inputs(
            clawed=clawed.get(who, {}),
            records=records.get(who, {}),
            detail=detail.get(who, {}),
            unmatched=unmatched.get(who, {}),
            clawbacks=clawbacks.get(who, {}),
            pools=pools.get(who, {}),
            pool_notes=pool_notes.get(who, {}),
            cumulative=cumulative.get(who, {}),
            adjustments=run.adjustments.get(who, ()),
        )
        for who in givens
    }


def _clawed(
    run: _Evaluation, rules: list[ClawbackRule]
) -> dict[str, dict[tuple[str, str], tuple[Decimal, Fraction]]]:
    """Per participant, (rule, period paid) -> what earlier periods' clawbacks took back.

    Read from the results of earlier periods in the run: their clawback lines
    (rounded) and the exact amounts they reversed (kept as ``record@period``).
    """
    ids = {rule.id for rule in rules}
    out: dict[str, dict[tuple[str, str], tuple[Decimal, Fraction]]] = {}
    if not ids:
        return out
    for result in run.history.values():
        for p in result.participants:
            mine = out.setdefault(p.id, {})
            for line in p.lines:
                if line.rule in ids and line.kind == "clawback" and line.original_period:
                    key = (line.rule, line.original_period)
                    taken, exact = mine.get(key, (Decimal(0), Fraction(0)))
                    mine[key] = (taken - line.amount, exact)
            for rule in ids & set(p.records):
                for tag, value in p.records[rule].items():
                    _, _, period = tag.rpartition("@")
                    key = (rule, period)
                    taken, exact = mine.get(key, (Decimal(0), Fraction(0)))
                    mine[key] = (taken, exact + Fraction(value))
    return out


def _record_pass(
    run: _Evaluation, rule: PerRecordRule | SpiffRule, path: str, *, keep: bool
) -> Any:
    metric_name = rule.per_record.metric if isinstance(rule, PerRecordRule) else rule.spiff.metric
    assert metric_name is not None
    metric = run.policy.metrics[metric_name]
    table = run.data.table(metric.table)
    _, rows = run.credited[("", metric_name)]
    key = getattr(run.data.schema(metric.table), "key", None)
    done = record_pass(
        rule,
        path,
        table,
        rows,
        run.policy._expressions,
        run.rate_tables,
        amount_column=metric.sum if isinstance(rule, PerRecordRule) else None,
        key_column=key,
        keep_detail=keep,
    )
    run.passes[rule.id] = done
    return done


def _pool(
    run: _Evaluation, rule: PoolRule, path: str, givens: dict[str, dict[str, Any]]
) -> tuple[dict[str, Decimal], dict[str, str]]:
    spec = rule.pool
    policy = run.policy
    teams: dict[Any, list[str]] = {}
    for who, given in givens.items():
        team = given.get(spec.group)
        if team is not None:
            teams.setdefault(team, []).append(who)
    scores = _scores(run, givens) if spec.weights == "score" else {}
    rounding = rule.rounding or policy.rounding
    shares: dict[str, Decimal] = {}
    notes: dict[str, str] = {}
    for team, members in sorted(teams.items(), key=lambda item: str(item[0])):
        values: dict[str, Any] = dict(run.rate_tables)
        values["team.size"] = len(members)
        for name, metric in policy.metrics.items():
            if metric.aggregation in ("sum", "count"):
                values[f"team.{name}"] = sum(
                    (to_fraction(givens[w].get(name) or 0) for w in members), Fraction(0)
                )
        for name in policy.targets:
            parts = [givens[w].get(f"target.{name}") for w in members]
            target: Fraction | None = None
            if all(p is not None for p in parts):
                target = sum((_exact(p, f"target.{name}") for p in parts), Fraction(0))
            values[f"team.target.{name}"] = target
            actual = values.get(f"team.{name}")
            values[f"team.attainment.{name}"] = (
                actual / target if target and actual is not None else None
            )
        fund = _exact(policy.expression(f"{path}.pool.fund").evaluate(values), f"{path}.pool.fund")
        pool = quantize(max(fund, Fraction(0)), rounding.quantum, rounding.mode)
        weights: dict[str, Fraction] = {}
        for who in members:
            if spec.weights == "equal":
                weights[who] = Fraction(1)
            elif spec.weights == "score":
                weights[who] = max(scores.get(who, Fraction(0)), Fraction(0))
            else:
                assert spec.contribution is not None
                weights[who] = max(
                    _exact(givens[who].get(spec.contribution) or 0, spec.contribution), Fraction(0)
                )
        how: str = spec.weights
        if not any(weights.values()):
            weights = dict.fromkeys(members, Fraction(1))
            how = f"equal shares (every {spec.weights} weight is zero)"
        parts_ = allocate(pool, weights, quantum=rounding.quantum)
        for who in members:
            shares[who] = parts_[who]
            notes[who] = (
                f"team {team}: pool {pool} ({spec.fund}) shared by {how} among "
                f"{len(members)}: weight {_show(weights[who])} of "
                f"{_show(sum(weights.values(), Fraction(0)))}"
            )
    return shares, notes


def _show(value: Fraction) -> str:
    return format(quantize(value, Decimal("0.0001"), "half_even").normalize(), "f")


def _scores(run: _Evaluation, givens: dict[str, dict[str, Any]]) -> dict[str, Fraction]:
    """Scorecard totals before any rule runs (a pool shared by score needs them)."""
    from perfkit._plan import evaluate_participant

    scoring = run.policy.model_copy(update={"incentives": [], "actions": []})
    scoring._expressions = run.policy._expressions
    out: dict[str, Fraction] = {}
    for who, given in givens.items():
        outcome = evaluate_participant(scoring, given)
        out[who] = to_fraction(outcome.score) if outcome.score is not None else Fraction(0)
    return out


def _year_to_date(
    run: _Evaluation, givens: dict[str, dict[str, Any]], problems: list[str]
) -> dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Each participant's values for the fiscal year to date, now and before the period."""
    if run.year_to_date is not None:
        return run.year_to_date
    policy = run.policy
    year = fiscal_year(run.period, policy)
    now_window = Period.between(year.start, run.period.end)
    before_window = (
        Period.between(year.start, run.period.start) if run.period.start > year.start else None
    )
    targets = run._targets(year)
    now = {name: _window_metric(run, name, now_window, "ytd") for name in policy.metrics}
    before = (
        {name: _window_metric(run, name, before_window, "ytd_before") for name in policy.metrics}
        if before_window is not None
        else None
    )
    out: dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = {}
    for who, given in givens.items():
        try:
            pair = (
                _context(run, given, now, targets, who),
                None if before is None else _context(run, given, before, targets, who),
            )
        except EvaluationError as exc:
            problems.append(f"participant {who!r} (year to date): {exc}")
            continue
        out[who] = pair
    run.year_to_date = out
    # Traces list the period's own records, not the year's: free the year's rows.
    for name in policy.metrics:
        run.credited.pop(("ytd", name), None)
        run.credited.pop(("ytd_before", name), None)
    return out


def _window_metric(run: _Evaluation, name: str, window: Period, space: str) -> Any:
    """A metric over a window, computed once for all the periods of a sequence.

    This month's year to date is next month's year to date before it.
    """
    key = (name, window.start, window.end)
    if run.shared is not None and key in run.shared:
        return run.shared[key]
    values = run.metric(name, window, space)
    if run.shared is not None:
        run.shared[key] = values
    return values


def _context(
    run: _Evaluation,
    given: Mapping[str, Any],
    metrics: Mapping[str, Mapping[str, Any]],
    targets: Mapping[str, Mapping[str, Any]],
    who: str,
) -> dict[str, Any]:
    policy = run.policy
    values = {k: v for k, v in given.items() if not k.startswith("attainment.")}
    values.update(run.rate_tables)
    for name, metric in policy.metrics.items():
        default: Any = 0 if metric.aggregation in ("sum", "count", "count_distinct") else None
        values[name] = metrics[name].get(who, default)
    for name, source in policy.targets.items():
        if source.table is not None:
            values[f"target.{name}"] = targets[name].get(who)
    _attainment(policy, values)
    for name in policy.variables:
        values[name] = policy.expression(f"variables.{name}").evaluate(values)
    return values


def fiscal_year(period: Period, policy: Any) -> Period:
    """The fiscal year (of the policy's calendar) that contains the period's start."""
    calendar = policy.calendar
    return Period.parse(f"FY{calendar.fiscal_year_of(period.start)}", calendar)


def original_period(period: Period, day: datetime.date, policy: Any) -> Period:
    """The period like ``period`` (same length, same grid) that contains ``day``."""
    for steps in range(MAX_LOOKBACK):
        candidate = shift(period, -steps)
        if candidate.start <= day:
            if day >= candidate.end:
                break
            try:
                return Period.between(candidate.start, candidate.end, policy.calendar)
            except InvalidValueError:
                return candidate
    raise EvaluationError(
        f"record dated {day} is not in a period like {period} before it "
        f"(looked back {MAX_LOOKBACK} periods)"
    )


Reversal = tuple[str, str, Fraction | None, Fraction | None]
"""(record key, period that paid it, amount paid or None, credited amount or None)."""


def _clawbacks(
    run: _Evaluation, rule: ClawbackRule, detail: Mapping[str, Mapping[str, Mapping[str, Fraction]]]
) -> dict[str, list[Reversal]]:
    """Per participant, the records cancelled in this period within the window.

    For a per-record rule, what it paid on each record: from the ledger, or the
    plan reads it for a record paid in this period. For any other rule, the
    record's credited amount at the rule's effective rate in the period that
    paid it (its line over ``metric``); in this period, the plan computes it.
    """
    policy = run.policy
    spec = rule.clawback
    source = next(r for r in policy.incentives if r.id == spec.of)
    per_record = isinstance(source, PerRecordRule | SpiffRule)
    if isinstance(source, PerRecordRule):
        metric_name: str | None = source.per_record.metric
    elif isinstance(source, SpiffRule):
        metric_name = source.spiff.metric
    else:
        metric_name = spec.metric
    assert metric_name is not None
    metric = policy.metrics[metric_name]
    table = run.data.table(metric.table)
    key = getattr(run.data.schema(metric.table), "key", None)
    if key is None or metric.date is None or spec.date not in table.columns:
        raise EvaluationError(f"clawback {rule.id!r} needs a keyed table with dates")
    keys_column = table.columns[key]
    found = cancelled_records(
        table.columns[metric.date],
        table.columns[spec.date],
        keys_column,
        run.period.start,
        run.period.end,
        spec.within,
    )
    by_period: dict[Period, set[str]] = {}
    for record, day in found.items():
        if run.period.start <= day < run.period.end:
            by_period.setdefault(run.period, set()).add(str(record))
        else:
            by_period.setdefault(original_period(run.period, day, policy), set()).add(str(record))
    out: dict[str, list[Reversal]] = {}
    for period in sorted(by_period, key=lambda p: p.start):
        keys = by_period[period]
        label = period.label
        if per_record and period == run.period:
            # Paid in this very period: the plan reads what the rule paid on it.
            for who, rules in detail.items():
                mine = rules.get(spec.of, {})
                for record in sorted(keys):
                    if record in mine:
                        out.setdefault(who, []).append((record, label, None, None))
        elif per_record:
            paid = _paid(run, period, spec.of)
            for who in sorted(paid):
                mine = paid[who]
                for record in sorted(keys):
                    amount = mine.get(record)
                    if amount:
                        out.setdefault(who, []).append((record, label, amount, None))
        else:
            amounts = table.columns[str(metric.sum)]
            space = "" if period == run.period else f"clawback {label}"
            if (space, metric_name) not in run.credited:
                run.metric(metric_name, period, space)
            _, rows = (
                run.credited[(space, metric_name)]
                if not space
                else run.credited.pop((space, metric_name))
            )
            rates = {} if period == run.period else _rates(run, period, spec.of, metric_name)
            bases: dict[tuple[str, str], Fraction] = {}  # one person may hold two rows
            for i, who, share, _ in rows:
                record = str(keys_column[i])
                value = amounts[i]
                if record not in keys or value is None:
                    continue
                credited = Fraction(value if share == 1 else value * share)
                bases[(who, record)] = bases.get((who, record), Fraction(0)) + credited
            for (who, record), base in sorted(bases.items()):
                if period == run.period:
                    out.setdefault(who, []).append((record, label, None, base))
                elif rates.get(who):
                    out.setdefault(who, []).append((record, label, base * rates[who], None))
    for items in out.values():
        items.sort(key=lambda item: (item[1], item[0]))
    return out


def _rates(run: _Evaluation, period: Period, rule: str, metric: str) -> dict[str, Fraction]:
    """Participant -> what ``rule`` paid per unit of ``metric`` in ``period``."""
    result = run.basis.get(period.label)
    out: dict[str, Fraction] = {}
    if result is not None:
        for p in result.participants:
            line = sum(
                (ln.amount for ln in p.lines if ln.rule == rule and ln.kind == "rule"), Decimal(0)
            )
            base = p.metrics.get(metric)
            if base:
                out[p.id] = to_fraction(line) / _exact(base, metric)
        return out
    earlier = _earlier(run, period)
    for who, outcome in earlier.outcomes.items():
        base = outcome.values.get(metric)
        if base:
            out[who] = to_fraction(outcome.lines.get(rule, Decimal(0))) / _exact(base, metric)
    return out


def _earlier(run: _Evaluation, period: Period) -> _Evaluation:
    """An earlier period evaluated again (without its own clawbacks), once per run."""
    earlier = run.earlier.get(period.label)
    if earlier is None:
        from perfkit._engine import _Evaluation

        earlier = _Evaluation(
            run.policy_root.in_force(period),
            run.dataset,
            period,
            None,
            clawbacks=False,
            data=run.data,
        )
        earlier.policy_root = run.policy_root
        earlier.outcomes_by_participant()
        earlier.credited = {}  # only its outcomes are read: free its record rows
        run.earlier[period.label] = earlier
    return earlier


def _paid(run: _Evaluation, period: Period, rule: str) -> Mapping[str, Mapping[str, Fraction]]:
    """Participant -> record -> what ``rule`` paid in ``period``: the ledger, or a re-run."""
    ledger = run.ledger.get(period.label)
    if ledger is not None:
        return {who: rules.get(rule, {}) for who, rules in ledger.items()}
    earlier = _earlier(run, period)
    return {who: dict(o.records.get(rule, {})) for who, o in earlier.outcomes.items()}
