"""Periods in sequence: balances carried forward, and prior-period adjustments.

:func:`evaluate_periods` evaluates periods in order, each starting from what
the one before left: recoverable draw balances, negative balances, what each
rule (and the participant) was paid in the fiscal year so far, and what
per-record rules paid on each record (for clawbacks at the amount paid).

Periods given in ``paid`` are *closed*: their results are returned exactly as
they were paid, never rewritten. Each is recalculated on today's data; every
difference, per participant and component, becomes an ``adjustment`` line in
the first open period, linked to the closed period and saying which inputs
changed, so the paid line plus its adjustments equals the recalculation to the
cent. Draw and balance lines are not adjusted: they settle on whatever the
open period (adjustments included) earns.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._engine import _Evaluation
from perfkit._engine_inputs import fiscal_year
from perfkit._incentives import BALANCE, Carry, Entry
from perfkit._result import ParticipantResult, Result, render_value
from perfkit._time import Period
from perfkit.errors import EvaluationError, InvalidValueError

if TYPE_CHECKING:
    from perfkit._dataset import Dataset
    from perfkit._policy import Policy

__all__ = ["evaluate_periods"]

ZERO = Decimal(0)
MAX_CHANGES = 6
"""How many changed inputs an adjustment's note names."""

Paid = Iterable[Result | str | bytes | Mapping[str, Any]]


def evaluate_periods(
    policy: Policy,
    dataset: Dataset,
    periods: Sequence[Period | str],
    *,
    paid: Paid | Result | str | bytes | None = None,
) -> tuple[Result, ...]:
    """Evaluate periods in order, carrying balances and year-to-date totals.

    Args:
        policy: a loaded policy.
        dataset: the records, as they are now.
        periods: consecutive periods in order, e.g. the months of a year
            (labels or :class:`Period`).
        paid: results already paid for closed periods (as :func:`evaluate` or
            an earlier call returned them, or their JSON). Closed periods are
            returned unchanged; differences found by recalculating them are
            paid as adjustment lines in the first open period.

    Returns:
        One :class:`Result` per period, in order.

    Raises:
        EvaluationError: periods out of order or overlapping, a paid result that
            is not for this policy, differences with no open period to pay
            them in, or any evaluation error (naming the period).
    """
    spans = _spans(policy, periods)
    closed = _read_paid(paid, policy)
    labels = {span.label for span in spans}
    first_open = next((s for s in spans if s.label not in closed), None)
    for label, result in closed.items():
        if label not in labels:
            raise EvaluationError(
                f"paid result for {label!r} is not one of the periods evaluated "
                f"({', '.join(s.label for s in spans)})"
            )
        span = next(s for s in spans if s.label == label)
        if first_open is not None and span.start > first_open.start:
            raise EvaluationError(
                f"period {label} is paid but comes after {first_open.label}, which is not: "
                "closed periods come first"
            )
        del result
    from perfkit._dataset_raw import gc_paused

    with gc_paused():
        return _sequence(policy, dataset, spans, closed)


def _sequence(
    policy: Policy, dataset: Dataset, spans: list[Period], closed: dict[str, Result]
) -> tuple[Result, ...]:
    state = _State(policy)
    adjusted = _adjusted(closed)
    pending: dict[str, list[Entry]] = {}
    out: list[Result] = []
    for span in spans:
        original = closed.get(span.label)
        recalculated = None
        try:
            if original is not None:
                recalculated = _run(policy, dataset, span, state, {})
                found = _differences(original, recalculated, adjusted.get(span.label, {}))
                for who, entries in found.items():
                    pending.setdefault(who, []).extend(entries)
                result = original
            else:
                adjustments = {who: tuple(entries) for who, entries in pending.items()}
                result = _run(policy, dataset, span, state, adjustments)
                unpaid = sorted(set(adjustments) - {p.id for p in result.participants})
                if unpaid:
                    raise EvaluationError(
                        f"adjustments for {', '.join(unpaid)} cannot be paid in {span.label}: "
                        "they are not participants of that period"
                    )
                pending = {}
        except EvaluationError as exc:
            raise EvaluationError(f"period {span.label}: {exc}") from None
        state.advance(span, result, recalculated)
        out.append(result)
    if any(pending.values()):
        names = ", ".join(sorted(who for who, entries in pending.items() if entries))
        raise EvaluationError(
            f"closed periods changed for {names}, but no open period follows them to pay "
            "the adjustments in: add the next period"
        )
    return tuple(out)


def _spans(policy: Policy, periods: Sequence[Period | str]) -> list[Period]:
    if isinstance(periods, str | Period):
        periods = [periods]
    if not isinstance(periods, Iterable):
        raise EvaluationError(
            f"periods: expected a list of periods or labels, got {type(periods).__name__}"
        )
    spans: list[Period] = []
    for value in periods:
        try:
            spans.append(Period.coerce(value, policy.calendar))
        except InvalidValueError as exc:
            raise EvaluationError(f"periods: {exc}") from None
    if not spans:
        raise EvaluationError("periods: give at least one period")
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise EvaluationError(
                f"periods must be in order without overlaps: {after.label} starts "
                f"before {before.label} ends"
            )
    return spans


def _read_paid(paid: Paid | Result | str | bytes | None, policy: Policy) -> dict[str, Result]:
    items: Any = paid or ()
    if isinstance(items, str | bytes):  # one result's JSON, or an array of them
        try:
            data = json.loads(items)
        except ValueError as exc:
            raise EvaluationError(f"paid: not JSON: {exc}") from None
        items = data if isinstance(data, list) else [data]
    elif isinstance(items, Result | Mapping):
        items = [items]
    elif not isinstance(items, Iterable):
        raise EvaluationError(f"paid: expected Results or their JSON, got {type(items).__name__}")
    closed: dict[str, Result] = {}
    for item in items:
        if isinstance(item, Result):
            result = item
        elif isinstance(item, str | bytes):
            result = Result.from_json(item)
        elif isinstance(item, Mapping):
            result = Result.from_dict(item)
        else:
            raise EvaluationError(
                f"paid: expected Results or their JSON, got {type(item).__name__}"
            )
        if result.policy != policy.name:
            raise EvaluationError(
                f"paid result for {result.period} is of policy {result.policy!r}, "
                f"not {policy.name!r}"
            )
        if result.period in closed:
            raise EvaluationError(f"paid: two results for period {result.period}")
        closed[result.period] = result
    return closed


def _run(
    policy: Policy,
    dataset: Dataset,
    span: Period,
    state: _State,
    adjustments: Mapping[str, tuple[Entry, ...]],
) -> Result:
    run = _Evaluation(
        policy.in_force(span),
        dataset,
        span,
        None,
        carry=state.carry(span),
        ledger=state.ledger,
        adjustments=adjustments,
        history=state.results,
        basis=state.basis,
        in_sequence=True,
        shared=state.shared,
        data=state.shared.get("data"),
    )
    run.policy_root = policy
    state.shared["data"] = run.data
    return run.result()


class _State:
    """Balances, year-to-date totals and the record ledger, period after period."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.year: str | None = None
        self.carries: dict[str, Carry] = {}
        self.ledger: dict[str, dict[str, dict[str, dict[str, Fraction]]]] = {}
        self.results: dict[str, Result] = {}
        self.basis: dict[str, Result] = {}  # what each period paid, with its adjustments
        self.shared: dict[Any, Any] = {}  # metric values by window, for every period

    def carry(self, span: Period) -> dict[str, Carry]:
        year = fiscal_year(span, self.policy).label
        if year == self.year:
            return dict(self.carries)
        # A new fiscal year: balances carry on, year-to-date totals start again.
        return {who: Carry(c.draw, c.carried) for who, c in self.carries.items()}

    def advance(self, span: Period, result: Result, recalculated: Result | None = None) -> None:
        """Move on past ``span``, paid as ``result``.

        Balances and year-to-date totals follow what was paid. What each record
        was paid (for clawbacks) follows the recalculation of a closed period,
        since its differences are paid as adjustments: paid plus adjustments is
        the recalculation.
        """
        carries = self.carry(span)
        self.year = fiscal_year(span, self.policy).label
        for p in result.participants:
            before = carries.get(p.id, Carry())
            ytd = dict(before.ytd)
            for line in p.lines:
                ytd[line.component] = ytd.get(line.component, ZERO) + line.amount
            carries[p.id] = Carry(
                draw=p.balances.get("draw", ZERO),
                carried=p.balances.get("carried", ZERO),
                ytd=ytd,
                ytd_payout=before.ytd_payout + p.payout,
            )
        self.carries = carries
        self.results[result.period] = result
        self.basis[result.period] = recalculated or result
        basis = recalculated or result
        self.ledger[result.period] = {
            p.id: {
                rule: {key: Fraction(value) for key, value in paid.items()}
                for rule, paid in p.records.items()
            }
            for p in basis.participants
            if p.records
        }


def _compared(p: ParticipantResult | None) -> dict[tuple[str, str], Decimal]:
    """(component, rule) -> amount, for the lines a recalculation may adjust."""
    out: dict[tuple[str, str], Decimal] = {}
    if p is None:
        return out
    for line in p.lines:
        if line.kind in ("adjustment", "draw") or line.component == BALANCE:
            continue
        key = (line.component, line.rule)
        out[key] = out.get(key, ZERO) + line.amount
    return out


Adjusted = dict[str, dict[str, dict[tuple[str, str], Decimal]]]
"""Closed period -> participant -> (component, rule) -> adjustments already paid for it."""


def _adjusted(closed: Mapping[str, Result]) -> Adjusted:
    """What later closed periods already paid as adjustments for each closed period."""
    out: Adjusted = {}
    for result in closed.values():
        for p in result.participants:
            for line in p.lines:
                if line.kind == "adjustment" and line.original_period:
                    mine = out.setdefault(line.original_period, {}).setdefault(p.id, {})
                    key = (line.component, line.rule)
                    mine[key] = mine.get(key, ZERO) + line.amount
    return out


def _differences(
    original: Result,
    recalculated: Result,
    adjusted: Mapping[str, Mapping[tuple[str, str], Decimal]],
) -> dict[str, list[Entry]]:
    """The recalculation less what was paid for the period.

    What was paid is its own lines plus the adjustments later closed periods
    already paid for it.
    """
    before = {p.id: p for p in original.participants}
    after = {p.id: p for p in recalculated.participants}
    cause = _cause(original, recalculated)
    out: dict[str, list[Entry]] = {}
    for who in sorted(set(before) | set(after) | set(adjusted)):
        paid, now = _compared(before.get(who)), _compared(after.get(who))
        for key, amount in adjusted.get(who, {}).items():
            paid[key] = paid.get(key, ZERO) + amount
        changes = _changes(before.get(who), after.get(who)) or cause
        for key in sorted(set(paid) | set(now)):
            delta = now.get(key, ZERO) - paid.get(key, ZERO)
            if delta:
                component, rule = key
                was = f"paid {paid[key]}" if key in paid else "not paid"
                is_ = f"recalculated {now[key]}" if key in now else "no longer paid"
                note = f"{original.period} {component} {was}, {is_}: {changes}"
                out.setdefault(who, []).append(
                    Entry(component, rule, delta, "adjustment", None, original.period, note)
                )
    return out


def _changes(before: ParticipantResult | None, after: ParticipantResult | None) -> str:
    if before is None:
        return "newly a participant"
    if after is None:
        return "no longer a participant"
    found: list[str] = []
    for section, prefix in (
        ("metrics", ""),
        ("targets", "target."),
        ("attainment", "attainment."),
        ("attributes", ""),
        ("components", "score."),
    ):
        old: Mapping[str, Any] = getattr(before, section)
        new: Mapping[str, Any] = getattr(after, section)
        for name in sorted(set(old) | set(new)):
            a, b = render_value(old.get(name)), render_value(new.get(name))
            if a != b:
                found.append(f"{prefix}{name} {a} -> {b}")
    for rule in sorted(set(before.records) | set(after.records)):
        old_records, new_records = before.records.get(rule, {}), after.records.get(rule, {})
        gone = sorted(set(old_records) - set(new_records))
        added = sorted(set(new_records) - set(old_records))
        if gone:
            found.append(f"{rule}: records no longer paid {', '.join(gone[:3])}")
        if added:
            found.append(f"{rule}: records newly paid {', '.join(added[:3])}")
    if not found:
        return ""
    more = f" and {len(found) - MAX_CHANGES} more" if len(found) > MAX_CHANGES else ""
    return "; ".join(found[:MAX_CHANGES]) + more


def _cause(original: Result, recalculated: Result) -> str:
    what = [
        name
        for key, name in (("policy", "the policy"), ("data", "the data"))
        if original.fingerprint.get(key) != recalculated.fingerprint.get(key)
    ]
    return f"{' and '.join(what)} changed" if what else "recalculated"


def paid_json(results: Iterable[Result]) -> str:
    """Results as one JSON array, the form ``paid`` accepts back (for hosts and the CLI)."""
    return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
