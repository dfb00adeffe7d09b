"""History for suggested targets: one or many series on a regular monthly or quarterly grid.

History arrives as :class:`~perfkit.Actuals`, as ``{node: {period: value}}``
or, for one series, as ``{period: value}``. It is read once into float series
on one timeline: every series ends at the latest period seen anywhere (or at
the period before ``start``), so all suggestions cover the same future
periods. A series starts at its own first period; a missing period after that
(a gap) is an error, a zero or an interpolation, as ``gaps`` says, and is
flagged. Values are exact numbers (floats refused), converted to floats here
because forecasting is estimation; targets are rounded back to Decimals later.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from perfkit._goals_actuals import Actuals, exact_sum
from perfkit._goals_findings import GoalFinding
from perfkit._numbers import Number, parse_decimal
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError, Severity

__all__ = [
    "GapRule",
    "History",
    "Series",
    "Timeline",
    "finding",
    "read_history",
]

GapRule: TypeAlias = Literal["error", "zero", "interpolate"]
"""What a missing period inside a series means."""

SeriesInput: TypeAlias = Mapping[Period, Number] | Mapping[str, Number]
History: TypeAlias = (
    Actuals
    | Mapping[str, Mapping[Period, Number]]
    | Mapping[str, Mapping[str, Number]]
    | Mapping[str, Mapping[Period | str, Number]]
    | Mapping[Period, Number]
    | Mapping[str, Number]
)
"""Many series (Actuals, or node -> period -> value) or one (period -> value)."""

_GAP_RULES = ("error", "zero", "interpolate")


def finding(code: str, node: str, message: str, *, note: bool = False) -> GoalFinding:
    """A suggestion flag: a :class:`GoalFinding` about ``node``."""
    return GoalFinding(
        code=code, message=message, node=node, severity=Severity.INFO if note else Severity.WARNING
    )


@dataclass(frozen=True, slots=True)
class Timeline:
    """The grid of a history: months (season 12) or fiscal quarters (season 4).

    Step indices count months (``year * 12 + month - 1``) or quarters from the
    fiscal year's start month.
    """

    grain: Literal["month", "quarter"]
    calendar: Calendar | None

    @property
    def season(self) -> int:
        """Periods per season: 12 for months, 4 for quarters."""
        return 12 if self.grain == "month" else 4

    @property
    def _shift(self) -> int:
        return (self.calendar.fiscal_year_start - 1) if self.calendar else 0

    def index(self, period: Period, what: str) -> int:
        """The step index of ``period``; raises if it is not a step of this grid."""
        months = _whole_months(period)
        start = period.start.year * 12 + period.start.month - 1
        if self.grain == "month" and months == 1:
            return start
        if self.grain == "quarter" and months == 3 and (start - self._shift) % 3 == 0:
            return (start - self._shift) // 3
        raise InvalidValueError(
            f"{what}: {period} is not a {self.grain} like the rest of the history; "
            "suggestions need every period of one grain (months, or fiscal quarters)"
        )

    def period(self, index: int) -> Period:
        """The period at step ``index``."""
        first = index if self.grain == "month" else index * 3 + self._shift
        last = first + (1 if self.grain == "month" else 3)
        start = datetime.date(first // 12, first % 12 + 1, 1)
        end = datetime.date(last // 12, last % 12 + 1, 1)
        return Period.between(start, end, self.calendar)


def _whole_months(period: Period) -> int:
    start, end = period.start, period.end
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _grain(period: Period, calendar: Calendar | None) -> Timeline:
    months = _whole_months(period)
    if months == 1:
        return Timeline("month", calendar)
    if months == 3:
        return Timeline("quarter", calendar)
    raise InvalidValueError(
        f"history: {period} is neither a month nor a quarter; suggested targets are "
        "made from monthly or quarterly history"
    )


@dataclass(frozen=True, slots=True)
class Series:
    """One node's history on the timeline, ready for forecasting.

    Attributes:
        node: whose history.
        first: step index of the first value.
        values: consecutive values, oldest first, ending at the timeline's end.
        recent: the exact total of the last season (or of all values, when fewer).
        flags: what was done to the data (gaps filled, negative values).
    """

    node: str
    first: int
    values: tuple[float, ...]
    recent: Decimal
    flags: tuple[GoalFinding, ...]

    @property
    def all_zero(self) -> bool:
        """True when every value is zero."""
        return not any(self.values)

    @property
    def has_negative(self) -> bool:
        """True when some value is below zero (net refunds)."""
        return any(v < 0 for v in self.values)


def _many(history: History) -> tuple[bool, Iterable[tuple[Any, Iterable[tuple[Any, Any]]]]]:
    """Whether ``history`` holds many series, and (node, (period, value) pairs) for each."""
    if isinstance(history, Actuals):
        return True, ((n, ((p, v) for _, p, v in history.entries(n))) for n in history.nodes())
    if not isinstance(history, Mapping):
        raise InvalidValueError(
            "history: expected Actuals, {node: {period: value}} or {period: value}, "
            f"got {type(history).__name__}"
        )
    if not history:
        raise InvalidValueError("history: no series given")
    first = next(iter(history.values()))
    if isinstance(first, Mapping):
        pairs = []
        for node, series in history.items():
            if not isinstance(series, Mapping):
                raise InvalidValueError(f"history[{node!r}]: expected {{period: value}}")
            pairs.append((node, series.items()))
        return True, pairs
    return False, [("series", history.items())]


def read_history(
    history: History,
    *,
    calendar: Calendar | None,
    gaps: GapRule,
    start: Period | str | None,
    name: str,
) -> tuple[bool, Timeline, dict[str, Series], int, int]:
    """Read ``history`` onto one timeline.

    Returns:
        whether many series were given, the timeline, the series by node, the
        step index of the first suggested period, and how many steps lie between
        the end of history and it.

    Raises:
        InvalidValueError: for bad labels, values or node ids, mixed grains,
            overlaps, a gap under ``gaps="error"``, or a ``start`` inside history.
    """
    if gaps not in _GAP_RULES:
        raise InvalidValueError(f"gaps: expected one of {', '.join(_GAP_RULES)}, got {gaps!r}")
    many, pairs = _many(history)
    timeline: Timeline | None = None
    cache: dict[object, int] = {}
    raw: dict[str, dict[int, Decimal]] = {}
    for node, items in pairs:
        who = node if many else name
        if not isinstance(who, str) or not who or "/" in who:
            raise InvalidValueError(f"history: {who!r} is not a node id")
        values = raw.setdefault(who, {})
        for when, value in items:
            index = cache.get(when)
            if index is None:
                if not isinstance(when, Period | str):
                    raise InvalidValueError(f"history for {who!r}: {when!r} is not a period")
                period = Period.coerce(when, calendar)
                timeline = timeline or _grain(period, calendar)
                index = cache[when] = timeline.index(period, f"history for {who!r}")
            amount = parse_decimal(value, what=f"history for {who!r} in {when}")
            values[index] = values[index] + amount if index in values else amount
    if timeline is None:
        raise InvalidValueError("history: no values given")
    end = max(max(v) for v in raw.values() if v)
    first_out = end + 1
    if start is not None:
        first_out = timeline.index(Period.coerce(start, calendar), "start")
        if first_out <= end:
            raise InvalidValueError(
                f"start: {timeline.period(first_out)} is inside the history, which runs to "
                f"{timeline.period(end)}; suggestions start after it"
            )
    series = {
        node: _series(node, values, end, timeline, gaps)
        for node, values in sorted(raw.items())
        if values
    }
    return many, timeline, series, first_out, first_out - end - 1


def _series(
    node: str, values: dict[int, Decimal], end: int, timeline: Timeline, gaps: GapRule
) -> Series:
    first = min(values)
    missing = [i for i in range(first, end + 1) if i not in values]
    flags: list[GoalFinding] = []
    if missing:
        shown = ", ".join(str(timeline.period(i)) for i in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        if gaps == "error":
            raise InvalidValueError(
                f"history for {node!r} has no value for {shown}{more}; give one, or pass "
                "gaps='zero' (no sales) or gaps='interpolate'"
            )
        how = "counted as zero" if gaps == "zero" else "interpolated"
        flags.append(
            finding(
                f"suggest.gaps-{'filled' if gaps == 'zero' else 'interpolated'}",
                node,
                f"no value for {shown}{more}: {how}",
            )
        )
    exact = [values.get(i, Decimal(0)) for i in range(first, end + 1)]
    floats = [float(v) for v in exact]
    if missing and gaps == "interpolate":
        floats = _interpolate(floats, [i - first for i in missing])
        exact = [Decimal(v) for v in floats]
    if any(v < 0 for v in exact):
        flags.append(
            finding(
                "suggest.negative-values",
                node,
                "some periods are negative (net refunds): multiplicative methods are "
                "not used and negative forecasts are raised to zero",
            )
        )
    if not all(math.isfinite(v) for v in floats):
        raise InvalidValueError(f"history for {node!r}: a value is too large to forecast with")
    return Series(node, first, tuple(floats), exact_sum(exact[-timeline.season :]), tuple(flags))


def _interpolate(values: list[float], holes: list[int]) -> list[float]:
    """Fill holes linearly between known neighbours; carry the last known value at the end."""
    known = sorted(set(range(len(values))) - set(holes))
    out = list(values)
    for hole in holes:
        before = max((k for k in known if k < hole), default=None)
        after = min((k for k in known if k > hole), default=None)
        if before is None:  # cannot happen: a series starts at its first value
            out[hole] = values[after] if after is not None else 0.0
        elif after is None:
            out[hole] = values[before]
        else:
            share = (hole - before) / (after - before)
            out[hole] = values[before] + share * (values[after] - values[before])
    return out
