"""Suggested targets from flat records: deals, invoice lines or (participant, month, amount) rows.

This is the entry point for the command line and for data that is not yet
aggregated: records are summed exactly per node and month (or fiscal quarter),
by a period label column or by a date column, and handed to
:func:`~perfkit._suggest.suggest_targets`. Records are transactions, so a month
without records inside a node's history is a month of zero sales
(``gaps="zero"`` by default, flagged).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Literal

from perfkit._goals_actuals import exact_sum
from perfkit._numbers import CENT, Number, RoundingMode, parse_decimal
from perfkit._suggest import suggest_targets
from perfkit._suggest_input import GapRule, Timeline
from perfkit._suggest_methods import AUTO
from perfkit._suggest_model import Market, Tiers
from perfkit._suggest_result import SuggestionSet
from perfkit._time import Calendar, Period, to_date
from perfkit.errors import InvalidValueError

__all__ = ["suggest_from_records"]


def suggest_from_records(
    rows: Iterable[Mapping[str, object]],
    *,
    horizon: int,
    value: str = "amount",
    node: str = "participant",
    period: str | None = None,
    date: str | None = None,
    grain: Literal["month", "quarter"] = "month",
    where: Callable[[Mapping[str, object]], bool] | None = None,
    calendar: Calendar | None = None,
    market: Market | None = None,
    method: str = AUTO,
    tiers: Tiers | None = None,
    attainment: Mapping[str, Number] | None = None,
    parent: Mapping[str, str] | None = None,
    nodes: Iterable[str] | None = None,
    start: Period | str | None = None,
    gaps: GapRule = "zero",
    stretch_quantile: Number = "0.8",
    default_stretch: Number = "0.1",
    folds: int = 8,
    quantum: Number = CENT,
    rounding: RoundingMode | str = RoundingMode.HALF_UP,
) -> SuggestionSet:
    """Sum records per node and period exactly, then suggest targets for every node.

    Give exactly one of ``period`` (a column of labels such as ``2026-05`` or
    ``2026-Q2``) and ``date`` (a column of dates, bucketed into ``grain``:
    calendar months, or fiscal quarters of ``calendar``). The other arguments
    are those of :func:`~perfkit._suggest.suggest_targets`.

    Args:
        rows: mappings such as ``{"participant": "rep-1", "month": "2026-01",
            "amount": "1200.00"}`` or deal records.
        horizon: how many periods to suggest.
        value: the column summed (exact numbers; an empty value is an error).
        node: the column naming whose record it is.
        period: the column of period labels.
        date: the column of dates (``date`` objects or ``YYYY-MM-DD``).
        grain: ``month`` or ``quarter``, for ``date``.
        where: keeps only the rows for which it returns True (e.g. won deals).
        calendar: fiscal year for quarter labels and buckets.
        market: see :func:`suggest_targets`.
        method: see :func:`suggest_targets`.
        tiers: see :func:`suggest_targets`.
        attainment: see :func:`suggest_targets`.
        parent: see :func:`suggest_targets`.
        nodes: see :func:`suggest_targets`.
        start: see :func:`suggest_targets`.
        gaps: see :func:`suggest_targets`; ``zero`` by default here.
        stretch_quantile: see :func:`suggest_targets`.
        default_stretch: see :func:`suggest_targets`.
        folds: see :func:`suggest_targets`.
        quantum: see :func:`suggest_targets`.
        rounding: see :func:`suggest_targets`.

    Returns:
        a :class:`SuggestionSet`.

    Raises:
        InvalidValueError: naming the record, for a missing column, a bad node,
            period, date or value; and everything :func:`suggest_targets` raises.
    """
    if (period is None) == (date is None):
        raise InvalidValueError("suggest_from_records: give exactly one of period= and date=")
    if grain not in ("month", "quarter"):
        raise InvalidValueError(f"grain: expected month or quarter, got {grain!r}")
    column: str = period if period is not None else (date or "")
    timeline = Timeline(grain, calendar)
    buckets: dict[object, Period] = {}
    sums: dict[str, dict[Period, list[Decimal]]] = {}
    for k, row in enumerate(rows):
        if where is not None and not where(row):
            continue
        missing = [c for c in (node, column, value) if c not in row]
        if missing:
            raise InvalidValueError(f"record {k}: missing {', '.join(missing)}")
        who, when = row[node], row[column]
        if not isinstance(who, str) or not who:
            raise InvalidValueError(f"record {k}: {node} {who!r} is not a node id")
        bucket = buckets.get(when)
        if bucket is None:
            bucket = buckets[when] = _bucket(when, period is not None, timeline, k)
        amount = parse_decimal(row[value], what=f"record {k}: {value}")
        sums.setdefault(who, {}).setdefault(bucket, []).append(amount)
    if not sums:
        raise InvalidValueError("suggest_from_records: no records to suggest from")
    history = {
        who: {p: exact_sum(parts) for p, parts in by_period.items()}
        for who, by_period in sums.items()
    }
    return suggest_targets(
        history,
        horizon=horizon,
        calendar=calendar,
        market=market,
        method=method,
        tiers=tiers,
        attainment=attainment,
        parent=parent,
        nodes=nodes,
        start=start,
        gaps=gaps,
        stretch_quantile=stretch_quantile,
        default_stretch=default_stretch,
        folds=folds,
        quantum=quantum,
        rounding=rounding,
    )


def _bucket(when: object, is_label: bool, timeline: Timeline, k: int) -> Period:
    """The period a record's label or date falls in."""
    if is_label:
        if not isinstance(when, str | Period):
            raise InvalidValueError(f"record {k}: {when!r} is not a period label")
        return Period.coerce(when, timeline.calendar)
    if isinstance(when, datetime.datetime):
        when = when.date()
    day = to_date(when, what=f"record {k}: date")
    month = day.year * 12 + day.month - 1
    if timeline.grain == "month":
        return timeline.period(month)
    shift = timeline.calendar.fiscal_year_start - 1 if timeline.calendar else 0
    return timeline.period((month - shift) // 3)
