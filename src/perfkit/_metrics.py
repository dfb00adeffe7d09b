"""Metrics: per-participant aggregates of a table over a window, with crediting.

A metric definition (:class:`~perfkit._policy_model.Metric`) compiles here into
one pass over its table: rows are kept when their date falls in the window and
their ``where`` holds, credited to participants (an owner column, or a split
table with shares, optionally rolled up to managers along the org tree in force
on the record's date), and aggregated exactly. Record-level work happens once
per table, metric and window, never per participant.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._policy_model import Credit, Metric
from perfkit._time import Period
from perfkit.errors import DataError, Diagnostic, EvaluationError, Location

if TYPE_CHECKING:
    from perfkit._dataset import TypedData, TypedTable
    from perfkit._expr import Expression
    from perfkit._org import OrgTree

__all__ = [
    "Crediting",
    "MetricPlan",
    "aggregate",
    "credited_rows",
    "to_date_window",
    "window_of",
]

Value = Decimal | Fraction | int | None
# For each kept row: (row index, participant, share, overlay)
Credited = list[tuple[int, str, Decimal, bool]]


def window_of(metric: Metric, period: Period, as_of: datetime.date | None) -> Period | None:
    """The dates a metric covers when evaluated for ``period`` (None: nothing yet)."""
    if metric.window == "period":
        return period
    if metric.window == "period_to_date":
        return to_date_window(period, as_of)
    if metric.window == "previous_period":
        return shift(period, -1)
    if metric.window == "same_period_last_year":
        return shift_years(period, -1)
    assert metric.periods is not None
    first = shift(period, -(metric.periods - 1))
    return Period.between(first.start, period.end)


def to_date_window(period: Period, as_of: datetime.date | None) -> Period | None:
    """``period`` up to and including ``as_of`` (all of it without one; None before it)."""
    if as_of is None or as_of >= period.end:
        return period
    if as_of < period.start:
        return None
    return Period.between(period.start, as_of + datetime.timedelta(days=1))


def _months_between(a: datetime.date, b: datetime.date) -> int | None:
    if a.day != 1 or b.day != 1:
        return None
    return (b.year - a.year) * 12 + b.month - a.month


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def shift(period: Period, steps: int) -> Period:
    """The period ``steps`` periods of the same length before (negative) or after.

    Whole months (months, quarters, halves, years) shift by calendar months;
    anything else (weeks, explicit ranges) by its length in days.
    """
    months = _months_between(period.start, period.end)
    if months:
        return Period.between(
            _add_months(period.start, months * steps), _add_months(period.end, months * steps)
        )
    length = (period.end - period.start).days
    delta = datetime.timedelta(days=length * steps)
    return Period.between(period.start + delta, period.end + delta)


def shift_years(period: Period, years: int) -> Period:
    """The same dates ``years`` years away (29 February becomes 28 February)."""

    def move(day: datetime.date) -> datetime.date:
        try:
            return day.replace(year=day.year + years)
        except ValueError:
            return day.replace(year=day.year + years, day=28)

    return Period.between(move(period.start), move(period.end))


@dataclass(frozen=True)
class Crediting:
    """How records of one table are credited: owner column or split table, roll-up."""

    owner: str | None
    splits: Mapping[Any, list[tuple[str, Decimal, bool]]] | None
    roll_up: bool
    tree: OrgTree | None

    @classmethod
    def build(
        cls,
        metric: Metric,
        table: TypedTable,
        data: TypedData,
        participants: set[str],
        tree: OrgTree | None,
    ) -> Crediting:
        """Resolve the metric's credit block against the data (validating split tables)."""
        credit = metric.credit
        if credit is None or isinstance(credit, str):
            return cls(credit or "owner", None, roll_up=False, tree=tree)
        if credit.owner is not None:
            return cls(credit.owner, None, credit.roll_up, tree)
        return cls(None, _split_table(credit, data, participants), credit.roll_up, tree)


def _split_table(
    credit: Credit, data: TypedData, participants: set[str]
) -> dict[Any, list[tuple[str, Decimal, bool]]]:
    assert credit.splits is not None
    table = data.table(credit.splits)
    records = table.columns[credit.record]
    people = table.columns[credit.participant]
    shares = table.columns[credit.share]
    overlays = table.columns[credit.overlay] if credit.overlay else [None] * len(records)
    by_record: dict[Any, list[tuple[str, Decimal, bool]]] = {}
    problems: list[Diagnostic] = []
    for i, (record, who, share, overlay) in enumerate(
        zip(records, people, shares, overlays, strict=True)
    ):
        where = Location(path=f"{credit.splits}[{i}]")
        if who not in participants:
            problems.append(
                Diagnostic(
                    "data.unknown-participant",
                    f"split of record {record!r} credits {who!r}, who is not a participant",
                    location=table.source(i) if hasattr(table, "source") else where,
                )
            )
            continue
        if share is None or share < 0:
            problems.append(
                Diagnostic(
                    "data.split-share",
                    f"split of record {record!r} to {who!r} has share {share!r}; "
                    "shares are non-negative",
                    location=table.source(i),
                )
            )
            continue
        by_record.setdefault(record, []).append((who, Decimal(share), bool(overlay)))
    for record, parts in by_record.items():
        total = sum((share for _, share, overlay in parts if not overlay), Decimal(0))
        if total != 1:
            problems.append(
                Diagnostic(
                    "data.split-sum",
                    f"the revenue splits of record {record!r} sum to {total:%}, not 100% "
                    "(overlay credits, marked as such, do not count)",
                    location=Location(path=f"{credit.splits}[record={record}]"),
                )
            )
    if problems:
        raise DataError(problems, summary="the credit splits have problems")
    return by_record


def _per_row(expression: Expression, table: TypedTable, rows: Sequence[int]) -> list[object]:
    """Evaluate a record-level expression on the given rows of a table."""
    if not expression.names:
        return [expression.evaluate({})] * len(rows)
    subset: dict[str, Sequence[object]]
    if len(rows) == len(table):
        subset = {name: table.columns[name] for name in expression.names}
    else:
        subset = {name: [table.columns[name][i] for i in rows] for name in expression.names}
    return expression.evaluate_many(subset)


def credited_rows(
    metric: Metric,
    table: TypedTable,
    window: Period | None,
    where: Expression | None,
    crediting: Crediting,
    key_column: str | None,
) -> Credited:
    """The rows a metric keeps in ``window``, each credited to its participants."""
    n = len(table)
    if window is None:
        return []
    dates = table.columns[metric.date] if metric.date else None
    start, end = window.start, window.end
    if dates is not None:
        keep = [i for i, d in enumerate(dates) if d is not None and start <= d < end]
    else:
        keep = list(range(n))
    if where is not None and keep:
        verdicts = _per_row(where, table, keep)
        keep = [i for i, ok in zip(keep, verdicts, strict=True) if ok is True]
    out: Credited = []
    one = Decimal(1)
    if crediting.owner is not None:
        owners = table.columns[crediting.owner]
        out = [(i, owners[i], one, False) for i in keep if owners[i] is not None]
    else:
        if crediting.splits is None or key_column is None:
            raise EvaluationError(f"credit splits need a key column on table {metric.table!r}")
        keys = table.columns[key_column]
        for i in keep:
            for who, share, overlay in crediting.splits.get(keys[i], ()):
                out.append((i, who, share, overlay))
    if crediting.roll_up and crediting.tree is not None:
        out = _roll_up(out, dates, crediting.tree, start)
    return out


def _roll_up(
    rows: Credited, dates: Sequence[Any] | None, tree: OrgTree, default: datetime.date
) -> Credited:
    """Credit each row also to the participants' managers in force on its date.

    A manager is credited once per record: with the sum of the (non-overlay)
    shares of the reports it reaches them through, at most 100%, so a deal split
    between two reps of one team counts once, in full, for their manager; a
    record that reaches a manager only through overlay credit counts in full.
    """
    result: Credited = list(rows)
    up: dict[tuple[int, str], list[Decimal]] = {}
    overlay_only: dict[tuple[int, str], bool] = {}
    for i, who, share, overlay in rows:
        on = dates[i] if dates is not None else default
        if who not in tree or not tree.contains(who, on):
            continue
        for manager in tree.ancestors(who, on):
            key = (i, manager)
            up.setdefault(key, [])
            if overlay:
                overlay_only.setdefault(key, True)
            else:
                up[key].append(share)
                overlay_only[key] = False
    one = Decimal(1)
    for (i, manager), shares in up.items():
        share = min(one, sum(shares, Decimal(0))) if shares else one
        result.append((i, manager, share, overlay_only[(i, manager)]))
    return result


def _ratio(
    metric: Metric,
    table: TypedTable,
    rows: Credited,
    conditions: tuple[Expression, Expression],
) -> dict[str, Value]:
    indices = sorted({i for i, *_ in rows})
    verdicts = [
        dict(zip(indices, _per_row(condition, table, indices), strict=True))
        for condition in conditions
    ]
    numerator: dict[str, int] = {}
    denominator: dict[str, int] = {}
    for i, who, _, _ in rows:
        if verdicts[1][i] is True:
            denominator[who] = denominator.get(who, 0) + 1
            if verdicts[0][i] is True:
                numerator[who] = numerator.get(who, 0) + 1
    return {
        who: Fraction(numerator.get(who, 0), count) for who, count in denominator.items() if count
    }


def aggregate(
    metric: Metric,
    table: TypedTable,
    rows: Credited,
    ratio: tuple[Expression, Expression] | None = None,
) -> dict[str, Value]:
    """Aggregate credited rows per participant, exactly."""
    kind = metric.aggregation
    if kind == "ratio":
        assert ratio is not None
        return _ratio(metric, table, rows, ratio)
    if kind == "count":
        counts: dict[str, int] = {}
        for _, who, _, _ in rows:
            counts[who] = counts.get(who, 0) + 1
        return dict(counts)
    column_name = getattr(metric, kind)
    column = table.columns[column_name]
    if kind == "count_distinct":
        seen: dict[str, set[Any]] = {}
        for i, who, _, _ in rows:
            value = column[i]
            if value is not None:
                seen.setdefault(who, set()).add(value)
        return {who: len(values) for who, values in seen.items()}
    if kind == "sum":
        sums: dict[str, Decimal] = {}
        for i, who, share, _ in rows:
            value = column[i]
            if value is None:
                continue
            amount = value if share == 1 else value * share
            sums[who] = sums.get(who, Decimal(0)) + amount
        return dict(sums)
    groups: dict[str, list[Any]] = {}
    for i, who, _, _ in rows:
        value = column[i]
        if value is not None:
            groups.setdefault(who, []).append(value)
    if kind == "mean":
        return {
            who: Fraction(sum(values, Decimal(0))) / len(values) for who, values in groups.items()
        }
    pick: Callable[[Iterable[Any]], Any] = min if kind == "min" else max
    return {who: pick(values) for who, values in groups.items()}


@dataclass(frozen=True)
class MetricPlan:
    """A metric ready to run: its definition, compiled filters and crediting."""

    name: str
    metric: Metric
    where: Expression | None
    ratio: tuple[Expression, Expression] | None

    def run(
        self,
        data: TypedData,
        window: Period | None,
        crediting: Crediting,
    ) -> tuple[dict[str, Value], Credited]:
        """Compute the metric per participant over ``window``; also the credited rows."""
        table = data.table(self.metric.table)
        key = getattr(data.schema(self.metric.table), "key", None)
        try:
            rows = credited_rows(self.metric, table, window, self.where, crediting, key)
            return aggregate(self.metric, table, rows, self.ratio), rows
        except EvaluationError as exc:
            raise EvaluationError(f"metric {self.name!r}: {exc}") from None
