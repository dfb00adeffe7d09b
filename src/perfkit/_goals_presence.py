"""Presence and ramp: how much of a period someone carries a target for.

Someone who joins, leaves or moves inside a period carries the target of the
part present. Three named rules measure that part:

- ``months`` (the default): every month weighs the same, and a month counts in
  full when the person is present on its cutoff day (the 15th by default) and
  not at all otherwise. A start on 1 March makes Q1 count one third.
- ``days``: calendar days present over calendar days.
- ``working_days``: the calendar's working days present over its working days.

A ramp scales the target by tenure month (``0, 25%, 50%, 75%``, then 100%).
Under the ``months`` rule tenure months are calendar months, starting with the
first month that counts; under the day rules they run from the start date.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum

from perfkit._goals_model import ProrationRule
from perfkit._numbers import CENT, Number, RoundingMode, parse_decimal, quantize, to_fraction
from perfkit._time import Calendar, DateLike, Period, to_date
from perfkit.errors import InvalidValueError

__all__ = ["Presence", "Segment", "prorate"]

Segment = tuple[int, int, Fraction]
"""Ordinal days ``[start, end)`` carrying one ramp factor."""

_MIN = datetime.date.min.toordinal()
_MAX = datetime.date.max.toordinal()
_FULL: tuple[Segment, ...] = ((_MIN, _MAX, Fraction(1)),)
_RULES = ("months", "days", "working_days")


def _months(start: int, end: int) -> Iterator[tuple[int, int]]:
    """The months overlapping ordinal days ``[start, end)``, as ordinal ``[first, next)``."""
    day = datetime.date.fromordinal(start)
    year, month = day.year, day.month
    while True:
        first = datetime.date(year, month, 1).toordinal()
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        following = datetime.date(year, month, 1).toordinal()
        yield first, following
        if following >= end:
            return


@dataclass(frozen=True, slots=True)
class Presence:
    """Measures presence under one rule, within one window (the goal period)."""

    rule: ProrationRule
    cutoff: int
    calendar: Calendar
    window: tuple[int, int]

    def _counted(self, first: int, following: int, span: tuple[int, int]) -> bool:
        """Whether the month ``[first, following)`` counts for someone present on ``span``."""
        cut = first + min(self.cutoff, following - first) - 1
        low, high = self.window
        if low <= cut < high:
            return span[0] <= cut < span[1]
        # The window clips the month before its cutoff day: count it if present throughout.
        return span[0] <= max(first, low) and min(following, high) <= span[1]

    def _measure(self, start: int, end: int) -> Fraction:
        if end <= start:
            return Fraction(0)
        if self.rule == "working_days":
            return Fraction(
                self.calendar.working_days(
                    datetime.date.fromordinal(start), datetime.date.fromordinal(end)
                )
            )
        return Fraction(end - start)

    def availability(
        self,
        slots: Sequence[tuple[int, int]],
        span: tuple[int, int],
        segments: Sequence[Segment] = _FULL,
    ) -> list[Fraction]:
        """The fraction of each slot carried by someone present on ``span`` (0 to 1).

        ``segments`` scale the days they cover (a ramp); outside them nothing counts.
        """
        return [self._slot(a, b, span, segments) for a, b in slots]

    def _slot(self, a: int, b: int, span: tuple[int, int], segments: Sequence[Segment]) -> Fraction:
        if self.rule == "months":
            whole = part = Fraction(0)
            for first, following in _months(a, b):
                low, high = max(a, first), min(b, following)
                size = following - first
                whole += Fraction(high - low, size)
                if self._counted(first, following, span):
                    for s, e, factor in segments:
                        overlap = min(high, e) - max(low, s)
                        if overlap > 0:
                            part += factor * Fraction(overlap, size)
            return part / whole
        whole = self._measure(a, b)
        measure = self._measure
        if whole == 0:  # a slot without working days: measure it in calendar days
            whole, measure = (
                Fraction(b - a),
                Presence("days", self.cutoff, self.calendar, self.window)._measure,
            )
        low, high = max(a, span[0]), min(b, span[1])
        part = sum(
            (factor * measure(max(low, s), min(high, e)) for s, e, factor in segments),
            Fraction(0),
        )
        return part / whole

    def ramp(self, tenure_start: datetime.date, ramp: Sequence[Decimal]) -> tuple[Segment, ...]:
        """Segments scaling each tenure month by ``ramp``; 100% before and after it."""
        if not ramp:
            return _FULL
        start = to_date(tenure_start, what="tenure start")
        if self.rule == "months":
            days_in_month = start.days_in_month
            month_start = start.start_of("month")
            start = (
                month_start
                if start.day <= min(self.cutoff, days_in_month)
                else (month_start.add(months=1))
            )
        bounds = [start.add(months=k).toordinal() for k in range(len(ramp) + 1)]
        segments: list[Segment] = [(_MIN, bounds[0], Fraction(1))]
        segments.extend(
            (bounds[k], bounds[k + 1], to_fraction(factor)) for k, factor in enumerate(ramp)
        )
        segments.append((bounds[-1], _MAX, Fraction(1)))
        return tuple(segments)


def _parts(
    period: Period, weights: Mapping[Any, Number] | None, calendar: Calendar
) -> list[tuple[Period, Fraction]]:
    if weights is None:
        return [(period, Fraction(1))]
    parts = sorted(
        (Period.coerce(key, calendar), parse_decimal(value, what=f"weight for {key}"))
        for key, value in weights.items()
    )
    if not parts:
        raise InvalidValueError("prorate: weights needs at least one period")
    edges = [period.start, *(p.end for p, _ in parts)]
    starts = [p.start for p, _ in parts]
    if starts != edges[:-1] or edges[-1] != period.end:
        raise InvalidValueError(
            f"prorate: the weighted periods {', '.join(str(p) for p, _ in parts)} do not "
            f"nest in {period}: they must cover it exactly, without gaps or overlaps"
        )
    for part, weight in parts:
        if weight < 0:
            raise InvalidValueError(f"prorate: weight for {part} is negative ({weight})")
    if not any(weight for _, weight in parts):
        raise InvalidValueError("prorate: all weights are zero")
    return [(part, to_fraction(weight)) for part, weight in parts]


def prorate(
    amount: Number,
    period: Period | str,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    weights: Mapping[str, Number]
    | Mapping[Period, Number]
    | Mapping[Period | str, Number]
    | None = None,
    rule: ProrationRule = "months",
    month_cutoff_day: int = 15,
    ramp: Sequence[Number] = (),
    calendar: Calendar | None = None,
    quantum: Number = CENT,
    mode: RoundingMode | str = RoundingMode.HALF_UP,
) -> Decimal:
    """The target carried by someone present from ``start`` to ``end`` (exclusive).

    ``weights`` share ``amount`` among sub-periods that cover ``period`` (such
    as quarters weighted 20/20/20/40); each part is scaled by the fraction of it
    present under ``rule``, and the sum is rounded once.

    >>> prorate("100000", "FY2026", start="2026-03-01",
    ...         weights={"2026-Q1": 20, "2026-Q2": 20, "2026-Q3": 20, "2026-Q4": 40})
    Decimal('86666.67')

    Args:
        amount: the full-period target.
        period: the period it covers (a label is read with ``calendar``).
        start: the first day present (default: the period's start).
        end: the first day no longer present (default: the period's end).
        weights: sub-period -> weight; by default the period is one part.
        rule: ``months`` (a month counts when present on ``month_cutoff_day``),
            ``days`` or ``working_days``.
        month_cutoff_day: the day of the month the ``months`` rule looks at.
        ramp: fractions of a full target by tenure month from ``start``.
        calendar: the fiscal calendar and working days.
        quantum: rounding quantum of the result.
        mode: rounding mode of the result.

    Raises:
        InvalidValueError: for an unknown rule, weighted periods that do not
            cover ``period`` exactly, negative weights or a bad date.
    """
    if rule not in _RULES:
        raise InvalidValueError(f"prorate: unknown rule {rule!r}; expected one of {_RULES}")
    if not 1 <= month_cutoff_day <= 31:
        raise InvalidValueError(f"prorate: month_cutoff_day {month_cutoff_day} is not 1..31")
    cal = calendar or Calendar()
    whole = Period.coerce(period, cal)
    total = to_fraction(parse_decimal(amount, what="amount"))
    first = whole.start if start is None else to_date(start, what="start")
    stop = whole.end if end is None else to_date(end, what="end")
    window = (whole.start.toordinal(), whole.end.toordinal())
    presence = Presence(rule, month_cutoff_day, cal, window)
    factors = [parse_decimal(f, what=f"ramp[{k}]") for k, f in enumerate(ramp)]
    segments = presence.ramp(pendulum.Date(first.year, first.month, first.day), factors)
    parts = _parts(whole, weights, cal)
    span = (max(first.toordinal(), window[0]), min(stop.toordinal(), window[1]))
    slots = [(p.start.toordinal(), p.end.toordinal()) for p, _ in parts]
    carried = (
        presence.availability(slots, span, segments)
        if span[0] < span[1]
        else [Fraction(0)] * len(parts)
    )
    weight_sum = sum((w for _, w in parts), Fraction(0))
    exact = sum((w * a for (_, w), a in zip(parts, carried, strict=True)), Fraction(0))
    return quantize(total * exact / weight_sum, quantum, mode)
