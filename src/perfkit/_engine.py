"""The evaluation engine: policy + data + period -> a Result.

Pure and deterministic: nothing here reads the clock (``as_of`` is an input),
nothing mutates its inputs, and no state is shared between calls, so one policy
may be evaluated from many threads at once. Record-level work (filters,
crediting, sums) runs once per metric and window; per-participant plan math
runs on a handful of exact aggregates.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._incentive_model import DrawRule, ImprovementRule
from perfkit._incentives import Carry, Entry, Inputs
from perfkit._metrics import (
    Crediting,
    MetricPlan,
    shift,
    shift_years,
    to_date_window,
    window_of,
)
from perfkit._numbers import to_fraction
from perfkit._org import OrgTree
from perfkit._plan import Outcome, evaluate_participant, table_value
from perfkit._policy_check import attribute_names
from perfkit._records import RecordPass
from perfkit._result import Alert, Line, ParticipantResult, Result, render_value
from perfkit._time import Period, to_date
from perfkit._version import __version__
from perfkit.errors import (
    DataError,
    Diagnostic,
    EvaluationError,
    InvalidValueError,
    PerfkitError,
    Severity,
)

if TYPE_CHECKING:
    from perfkit._dataset import Dataset, TypedData
    from perfkit._policy import Policy

__all__ = ["evaluate", "org_tree"]


def evaluate(
    policy: Policy,
    dataset: Dataset,
    period: Period | str,
    *,
    as_of: datetime.date | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Evaluate a policy on a dataset for one period.

    Args:
        policy: a loaded policy (:func:`perfkit.load_policy`).
        dataset: the records (:class:`perfkit.Dataset`).
        period: a :class:`Period` or a label such as ``"2026-Q2"`` (fiscal labels
            follow the policy's calendar).
        as_of: the date results are "as of" (for period-to-date metrics and
            pacing); never read from the clock. Default: the period's last day.
        progress: called as ``progress(done, total)`` while participants are
            evaluated (for progress bars); it cannot change the result.

    Returns:
        A :class:`Result`: per participant metrics, targets, attainment, scores,
        payout lines and flags, plus alerts and a fingerprint.

    Raises:
        DataError: missing tables or columns, values that do not parse, bad
            credit splits: every problem at once.
        EvaluationError: a failing expression or an undefined attainment, naming
            the participant and the rule; every participant's problem at once.
    """
    try:
        span = Period.coerce(period, policy.calendar)
    except InvalidValueError as exc:
        raise EvaluationError(f"period: {exc}") from None
    day = None if as_of is None else _as_of(as_of)
    from perfkit._dataset_raw import gc_paused

    with gc_paused():
        run = _Evaluation(policy.in_force(span), dataset, span, day)
        run.policy_root = policy
        return run.result(progress)


def _as_of(value: datetime.date | str) -> datetime.date:
    try:
        return to_date(value, what="as_of")
    except InvalidValueError as exc:
        raise EvaluationError(str(exc)) from None


def _used_names(policy: Policy) -> set[str]:
    names: set[str] = set()
    for expression in policy._expressions.values():
        names |= expression.names
    for alert in policy.alerts:
        names |= {field for _, field, _, _ in string.Formatter().parse(alert.message) if field}
    for rule in policy.incentives:
        if isinstance(rule, ImprovementRule):
            names.add(f"{rule.improvement.over}.{rule.improvement.metric}")
    return names


Ledger = Mapping[str, Mapping[str, Mapping[str, Mapping[str, Fraction]]]]
"""Period label -> participant -> rule -> record key -> amount paid on it."""


class _Evaluation:
    def __init__(
        self,
        policy: Policy,
        dataset: Dataset,
        period: Period,
        as_of: datetime.date | None,
        *,
        carry: Mapping[str, Carry] | None = None,
        ledger: Ledger | None = None,
        adjustments: Mapping[str, tuple[Entry, ...]] | None = None,
        history: Mapping[str, Result] | None = None,
        basis: Mapping[str, Result] | None = None,
        clawbacks: bool = True,
        in_sequence: bool = False,
        shared: dict[Any, Any] | None = None,
        data: TypedData | None = None,
    ):
        self.policy = policy
        self.policy_root = policy
        self.carry = carry or {}
        self.ledger: Ledger = ledger or {}
        self.adjustments = adjustments or {}
        self.history: Mapping[str, Result] = history or {}
        # Closed periods as recalculated (paid + adjustments), for clawback rates.
        self.basis: Mapping[str, Result] = basis or self.history
        self.with_clawbacks = clawbacks
        self.in_sequence = in_sequence
        self.shared = shared  # metric values by window, shared by a sequence's periods
        self.passes: dict[str, RecordPass] = {}
        self.earlier: dict[str, _Evaluation] = {}
        self.year_to_date: dict[str, Any] | None = None  # cumulative tiers' values, once
        self.labels: dict[str, Period | None] = {}
        self.dataset = dataset
        self.period = period
        self.as_of = as_of
        self.used = _used_names(policy)
        self.required = self._required_tables()
        # Tables and metrics are not versioned, so one validation serves every
        # period of a sequence and every earlier period evaluated again.
        self.data: TypedData = (
            data
            if data is not None
            else dataset.validate(policy.tables, required=self.required & set(policy.tables))
        )
        self.participants, self.attributes = self._participants()
        self.tree = self._tree()
        self.plans = {
            name: MetricPlan(
                name,
                metric,
                policy._expressions.get(f"metrics.{name}.where"),
                (
                    policy._expressions[f"metrics.{name}.ratio[0]"],
                    policy._expressions[f"metrics.{name}.ratio[1]"],
                )
                if metric.ratio is not None
                else None,
            )
            for name, metric in policy.metrics.items()
        }
        self.credited: dict[tuple[str, str], Any] = {}
        self.rate_tables = {name: table_value(table) for name, table in policy.rate_tables.items()}
        self.outcomes: dict[str, Outcome] = {}

    # -- inputs ------------------------------------------------------------------

    def _required_tables(self) -> set[str]:
        policy = self.policy
        tables = {m.table for m in policy.metrics.values()}
        tables |= {t.table for t in policy.targets.values() if t.table is not None}
        for metric in policy.metrics.values():
            credit = metric.credit
            if credit is not None and not isinstance(credit, str) and credit.splits:
                tables.add(credit.splits)
        if policy.participants.table in policy.tables:
            tables.add(policy.participants.table)
        if policy.participants.org:
            tables.add(policy.participants.org)
        return tables

    def _participants(self) -> tuple[list[str], dict[str, dict[str, Any]]]:
        spec = self.policy.participants
        if spec.table not in self.policy.tables:
            owners: set[str] = set()
            for metric in self.policy.metrics.values():
                credit = metric.credit
                if credit is None or isinstance(credit, str):
                    table, column = self.data.table(metric.table), credit or "owner"
                elif credit.owner is not None:
                    table, column = self.data.table(metric.table), credit.owner
                else:
                    table, column = self.data.table(str(credit.splits)), credit.participant
                if column in table.columns:
                    owners |= {o for o in table.columns[column] if o is not None}
            self.known = owners
            return sorted(owners), {who: {} for who in owners}
        table = self.data.table(spec.table)
        ids = table.columns[spec.id]
        names = sorted(attribute_names(self.policy) & set(table.columns))
        attributes: dict[str, dict[str, Any]] = {}
        problems: list[Diagnostic] = []
        for i, who in enumerate(ids):
            if who is None or who in attributes:
                what = "has no id" if who is None else f"repeats id {who!r}"
                problems.append(
                    Diagnostic(
                        "data.participant-id", f"participant row {what}", location=table.source(i)
                    )
                )
                continue
            attributes[who] = {name: table.columns[name][i] for name in names}
        if problems:
            raise DataError(problems, summary="the participants table has problems")
        self.known = set(attributes)
        where = self.policy._expressions.get("participants.where")
        if where is not None:
            period = {
                "period.start": self.period.start,
                "period.end": self.period.end,
                "period.days": self.period.days(),
                "period.working_days": self.period.working_days(self.policy.calendar),
            }
            chosen = {}
            for who, attrs in attributes.items():
                try:
                    keep = where.evaluate({**attrs, **period})
                except EvaluationError as exc:
                    raise EvaluationError(f"participants.where for {who!r}: {exc}") from None
                if keep is True:
                    chosen[who] = attrs
            attributes = chosen
        return sorted(attributes), attributes

    def _tree(self) -> OrgTree | None:
        return org_tree(self.policy, self.data)

    # -- metrics -------------------------------------------------------------------

    def metric(self, name: str, window: Period | None, label: str) -> dict[str, Any]:
        plan = self.plans[name]
        table = self.data.table(plan.metric.table)
        crediting = Crediting.build(plan.metric, table, self.data, self.known, self.tree)
        values, rows = plan.run(self.data, window, crediting)
        self.credited[(label, name)] = (window, rows)
        return values

    def _metric_values(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, metric in self.policy.metrics.items():
            window = window_of(metric, self.period, self.as_of)
            out[name] = self.metric(name, window, "")
            if f"previous.{name}" in self.used:
                out[f"previous.{name}"] = self.metric(name, shift(self.period, -1), "previous")
            if f"last_year.{name}" in self.used:
                out[f"last_year.{name}"] = self.metric(
                    name, shift_years(self.period, -1), "last_year"
                )
            if f"pace.{name}" in self.used:
                to_date = self._to_date()
                out[f"to_date.{name}"] = (
                    out[name] if to_date == window else self.metric(name, to_date, "to_date")
                )
        return out

    def _to_date(self) -> Period | None:
        return to_date_window(self.period, self.as_of)

    def _targets(self, period: Period | None = None) -> dict[str, dict[str, Any]]:
        """Targets per metric and participant for ``period`` (default: the one evaluated).

        A participant with no row for the period itself gets the sum of their rows
        for periods inside it (a quarter's months, a year's quarters).
        """
        span = period or self.period
        out: dict[str, dict[str, Any]] = {}
        for name, source in self.policy.targets.items():
            if source.table is None:
                continue
            table = self.data.table(source.table)
            who_column = table.columns[source.participant]
            values = table.columns[str(source.column)]
            periods = table.columns[source.period] if source.period else None
            found: dict[str, Any] = {}
            inside: dict[str, Any] = {}
            parts: dict[str, list[Period]] = {}
            for i, who in enumerate(who_column):
                if periods is not None and not self._same_period(periods[i], span):
                    if self._inside(periods[i], span):
                        part = self._label(periods[i])
                        assert part is not None
                        mine = parts.setdefault(who, [])
                        clash = next(
                            (p for p in mine if p.start < part.end and part.start < p.end), None
                        )
                        if clash is not None:
                            raise DataError(
                                [
                                    Diagnostic(
                                        "data.duplicate-target",
                                        f"two {name} targets for {who!r} overlap inside {span}: "
                                        f"{clash} and {part}",
                                        location=table.source(i),
                                    )
                                ]
                            )
                        mine.append(part)
                        value = values[i]
                        if value is not None:
                            inside[who] = inside.get(who, 0) + value
                    continue
                if who in found:
                    raise DataError(
                        [
                            Diagnostic(
                                "data.duplicate-target",
                                f"two {name} targets for {who!r} in period {span}",
                                location=table.source(i),
                            )
                        ]
                    )
                found[who] = values[i]
            for who, value in inside.items():
                found.setdefault(who, value)
            out[name] = found
        return out

    def _same_period(self, label: Any, period: Period | None = None) -> bool:
        span = period or self.period
        if label is None:
            return False
        if str(label) == span.label:
            return True
        return self._label(label) == span

    def _inside(self, label: Any, period: Period) -> bool:
        part = self._label(label)
        return part is not None and period.start <= part.start and part.end <= period.end

    def _label(self, label: Any) -> Period | None:
        """A target row's period, parsed once per label (None: not a period)."""
        if label is None:
            return None
        text = str(label)
        if text not in self.labels:
            try:
                self.labels[text] = Period.coerce(text, self.policy.calendar)
            except InvalidValueError:
                self.labels[text] = None
        return self.labels[text]

    # -- participants -----------------------------------------------------------------

    def result(self, progress: Callable[[int, int], None] | None = None) -> Result:
        self.outcomes_by_participant(progress)
        results = [self._participant_result(who, o) for who, o in self.outcomes.items()]
        alerts: list[Alert] = []
        problems: list[str] = []
        for who, outcome in self.outcomes.items():
            try:
                alerts += self._alerts(who, outcome)
            except EvaluationError as exc:
                problems.append(f"participant {who!r}: {exc}")
        if problems:
            head = f"evaluating {self.policy.name!r} for {self.period} failed"
            raise EvaluationError(head + ":\n  " + "\n  ".join(problems))
        return Result(
            policy=self.policy.name,
            period=self.period.label,
            currency=self.policy.currency,
            participants=tuple(results),
            alerts=tuple(alerts),
            fingerprint=self._fingerprint(),
            diagnostics=tuple(self._credit_notes() + self._history_notes()),
            _explainer=self._explainer(),
        )

    def outcomes_by_participant(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Outcome]:
        """Every participant's outcome (errors for all participants at once)."""
        metrics = self._metric_values()
        targets = self._targets()
        problems: list[str] = []
        days = self.period.days()
        working = self.period.working_days(self.policy.calendar)
        givens: dict[str, dict[str, Any]] = {}
        for who in self.participants:
            try:
                givens[who] = self._given(who, metrics, targets, days, working)
            except EvaluationError as exc:
                problems.append(f"participant {who!r}: {exc}")
        inputs = self._inputs(givens, problems)
        total = len(givens)
        for done, (who, given) in enumerate(givens.items(), start=1):
            if progress is not None and (done % 100 == 0 or done == total):
                progress(done, total)
            if who not in inputs:
                continue
            try:
                outcome = evaluate_participant(
                    self.policy, given, inputs=inputs[who], carry=self.carry.get(who)
                )
            except EvaluationError as exc:
                problems.append(f"participant {who!r}: {exc}")
                continue
            self.outcomes[who] = outcome
        if problems:
            head = f"evaluating {self.policy.name!r} for {self.period} failed"
            raise EvaluationError(head + ":\n  " + "\n  ".join(problems))
        return self.outcomes

    # -- inputs beyond a participant's own aggregates --------------------------------

    def _inputs(self, givens: dict[str, dict[str, Any]], problems: list[str]) -> dict[str, Inputs]:
        from perfkit._engine_inputs import build_inputs

        return build_inputs(self, givens, problems)

    def _given(
        self,
        who: str,
        metrics: Mapping[str, Mapping[str, Any]],
        targets: Mapping[str, Mapping[str, Any]],
        days: int,
        working: int,
    ) -> dict[str, Any]:
        given: dict[str, Any] = dict(self.attributes.get(who, {}))
        for name, metric in self.policy.metrics.items():
            values = metrics[name]
            default: Any = 0 if metric.aggregation in ("sum", "count", "count_distinct") else None
            given[name] = values.get(who, default)
            for space in ("previous", "last_year"):
                key = f"{space}.{name}"
                if key in metrics:
                    given[key] = metrics[key].get(who, default)
        for name, source in self.policy.targets.items():
            if source.table is not None:
                given[f"target.{name}"] = targets[name].get(who)
            else:
                inputs = {**self.attributes.get(who, {}), **self.rate_tables}
                try:
                    value = self.policy.expression(f"targets.{name}.value").evaluate(inputs)
                except EvaluationError as exc:
                    raise EvaluationError(f"targets.{name}.value: {exc}") from None
                given[f"target.{name}"] = value
        given["period.days"] = days
        given["period.working_days"] = working
        given["period.start"] = self.period.start
        given["period.end"] = self.period.end
        self._pace(who, metrics, given)
        return given

    def _pace(
        self, who: str, metrics: Mapping[str, Mapping[str, Any]], given: dict[str, Any]
    ) -> None:
        """Pace = actual to date / (target x the share of the period elapsed).

        The elapsed share counts working days of the policy's calendar (calendar
        days for a period without working days), as targets are spread over time.
        """
        for name in self.policy.targets:
            key = f"pace.{name}"
            if key not in self.used:
                continue
            target = given.get(f"target.{name}")
            to_date = metrics.get(f"to_date.{name}", {}).get(who, 0)
            elapsed = self._elapsed()
            if target in (None, 0) or elapsed == 0:
                given[key] = None
            else:
                given[key] = to_fraction(to_date) / (to_fraction(target) * elapsed)

    def _elapsed(self) -> Fraction:
        window = self._to_date()
        if window is None:
            return Fraction(0)
        calendar = self.policy.calendar
        total = self.period.working_days(calendar)
        if total == 0:
            return Fraction(window.days(), self.period.days())
        return Fraction(window.working_days(calendar), total)

    def _history_notes(self) -> list[Diagnostic]:
        """A plan that carries balances, evaluated alone, starts from none: said."""
        if self.in_sequence:
            return []
        policy = self.policy
        carried = [
            rule.id
            for rule in policy.incentives
            if rule.cap_ytd is not None or (isinstance(rule, DrawRule) and rule.draw.recoverable)
        ]
        if policy.payout.cap_ytd is not None:
            carried.append("payout.cap_ytd")
        if policy.payout.negative == "carry":
            carried.append("payout.negative")
        if not carried:
            return []
        return [
            Diagnostic(
                "evaluate.no-history",
                f"{', '.join(carried)} carry balances or year-to-date totals between periods; "
                f"evaluate() starts {self.period} from none: use evaluate_periods (or pass "
                "the results already paid) to carry them",
                severity=Severity.INFO,
            )
        ]

    def _credit_notes(self) -> list[Diagnostic]:
        """Records credited to people who are not evaluated: said, never silently dropped."""
        evaluated = set(self.participants)
        notes = []
        for (space, name), (_, rows) in sorted(self.credited.items()):
            if space:
                continue
            others: dict[str, int] = {}
            for _, who, _, _ in rows:
                if who not in evaluated:
                    others[who] = others.get(who, 0) + 1
            if others:
                names = ", ".join(sorted(others)[:5]) + (" ..." if len(others) > 5 else "")
                notes.append(
                    Diagnostic(
                        "data.unevaluated-credit",
                        f"metric {name!r}: {sum(others.values())} record(s) credit "
                        f"{len(others)} people who are not evaluated ({names})",
                        severity=Severity.INFO,
                    )
                )
        return notes

    def _participant_result(self, who: str, outcome: Outcome) -> ParticipantResult:
        values = outcome.values
        policy = self.policy
        label = self.period.label
        lines = tuple(
            Line(
                who,
                entry.component,
                entry.amount,
                label,
                entry.rule,
                kind=entry.kind,
                record=entry.record,
                original_period=entry.original_period,
                note=entry.note,
            )
            for entry in outcome.entries
        )
        return ParticipantResult(
            id=who,
            attributes=self.attributes.get(who, {}),
            metrics={name: values.get(name) for name in policy.metrics},
            targets={name: values.get(f"target.{name}") for name in policy.targets},
            attainment={name: values.get(f"attainment.{name}") for name in policy.targets},
            components=dict(outcome.components),
            score=outcome.score,
            lines=lines,
            payout=outcome.payout,
            flags=outcome.flags,
            variables={name: values.get(name) for name in policy.variables},
            notes=dict(outcome.notes),
            balances=dict(outcome.balances),
            records={rule: dict(sorted(d.items())) for rule, d in outcome.records.items()},
        )

    def _alerts(self, who: str, outcome: Outcome) -> list[Alert]:
        raised = []
        for index, alert in enumerate(self.policy.alerts):
            path = f"alerts[{index}]"
            fired = self.policy.expression(f"{path}.when").evaluate(outcome.values)
            if fired is True:
                message = format_message(alert.message, outcome.values)
                raised.append(Alert(who, alert.level, message, path))
        return raised

    def _fingerprint(self) -> dict[str, str]:
        settings: dict[str, Any] = {
            "period": [str(self.period.start), str(self.period.end)],
            "as_of": None if self.as_of is None else str(self.as_of),
        }
        if self.carry or self.adjustments:  # what earlier periods passed in
            settings["carried_in"] = hashlib.sha256(
                repr(
                    (
                        sorted((w, repr(c)) for w, c in self.carry.items()),
                        sorted((w, repr(e)) for w, e in self.adjustments.items()),
                    )
                ).encode()
            ).hexdigest()
        options = json.dumps(settings, sort_keys=True)
        return {
            "policy": self.policy.content_hash,
            "data": self.dataset.fingerprint(tables=sorted(self.required)),
            "perfkit": __version__,
            "options": hashlib.sha256(options.encode()).hexdigest(),
        }

    def _explainer(self) -> Callable[[str, str | None], Any]:
        from perfkit._trace import build_trace

        def explain(participant: str, component: str | None) -> Any:
            return build_trace(self, participant, component)

        return explain


def org_tree(policy: Policy, data: TypedData) -> OrgTree | None:
    """The org tree a policy declares: its ``participants.org`` table or manager column."""
    spec = policy.participants
    if spec.org:
        table = data.table(spec.org)
        keys = [k for k in ("node", "parent", "start", "end") if k in table.columns]
        rows = [{k: table.columns[k][i] for k in keys} for i in range(len(table))]
        try:
            return OrgTree.from_records(rows)
        except PerfkitError as exc:
            raise DataError(f"org table {spec.org!r}: {exc}") from None
    if spec.manager and spec.table in data:
        table = data.table(spec.table)
        ids = table.columns[spec.id]
        parents = table.columns.get(spec.manager) or (None,) * len(ids)
        try:
            return OrgTree.from_records(
                {"node": who, "parent": up} for who, up in zip(ids, parents, strict=True)
            )
        except PerfkitError as exc:
            raise DataError(f"participants.{spec.manager}: {exc}") from None
    return None


_FIELD = re.compile(r"\{([^{}:!]+)(?::([^{}]*))?\}")
_SPEC = re.compile(r"^[<>^=]?[+\- ]?,?(\.\d{1,6})?[f%]?$")


def format_message(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` and ``{name:.0%}`` placeholders with values, safely.

    Only plain names and simple numeric format specs are honoured; nothing is
    looked up by attribute or index, unlike ``str.format``.
    """

    def fill(match: re.Match[str]) -> str:
        name, spec = match.group(1).strip(), match.group(2) or ""
        value = values.get(name)
        if value is None:
            return "n/a"
        if spec and _SPEC.match(spec) and isinstance(value, Decimal | Fraction | int):
            number = (
                value
                if isinstance(value, Decimal)
                else Decimal(value.numerator) / Decimal(value.denominator)
            )
            return format(number, spec)
        rendered = render_value(value)
        return str(rendered)

    return _FIELD.sub(fill, template)
