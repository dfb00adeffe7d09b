"""Time: calendars, periods and their labels.

A :class:`Period` is a half-open date range ``[start, end)`` with a label such
as ``FY2026``, ``2026-Q2``, ``2026-05``, ``2026-W18`` or
``2026-04-01..2026-06-30`` (an explicit range, whose written end is included).
Year, half and quarter labels are fiscal: a :class:`Calendar` says in which
month the fiscal year starts and whether ``FY2026`` is the year that starts or
ends in 2026. The calendar also knows weekends, holidays and extra working days,
so working days are counted the same way wherever they are used as weights.

Periods split into halves, quarters, months, ISO weeks or days; every part is
clipped to its parent, so a week that straddles two months belongs partly to
each. Nothing here reads the clock.
"""

from __future__ import annotations

import bisect
import datetime
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal, NamedTuple, TypeAlias

import pendulum
from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from perfkit._value_model import ValueModel
from perfkit.errors import InvalidValueError

__all__ = ["Calendar", "DateLike", "Period", "Unit", "WeekdayName", "to_date"]

DateLike: TypeAlias = datetime.date | str
"""A date as perfkit accepts it: a ``date`` (pendulum's or the standard one) or ``'YYYY-MM-DD'``."""

Unit: TypeAlias = Literal["half", "quarter", "month", "week", "day"]
"""What a period can be split into."""

WeekdayName: TypeAlias = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

_WEEKDAYS: tuple[WeekdayName, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_UNITS: tuple[Unit, ...] = ("half", "quarter", "month", "week", "day")
_MONTH_STEPS = {"half": 6, "quarter": 3, "month": 1}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def to_date(value: object, *, what: str = "date") -> pendulum.Date:
    """Return ``value`` as a :class:`pendulum.Date`.

    Args:
        value: a ``date`` or an ISO ``'YYYY-MM-DD'`` string. Datetimes are refused
            rather than silently truncated.
        what: how to name the value in an error message (e.g. ``"holidays[2]"``).

    Raises:
        InvalidValueError: naming the value, for anything else or an impossible date.
    """
    if isinstance(value, datetime.datetime):
        raise InvalidValueError(
            f"{what}: expected a date, got the datetime {value!r}; pass its .date()"
        )
    if isinstance(value, pendulum.Date):
        return value
    if isinstance(value, datetime.date):
        return pendulum.Date(value.year, value.month, value.day)
    if isinstance(value, str):
        match = _ISO_DATE.fullmatch(value.strip())
        if match:
            try:
                return pendulum.Date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        raise InvalidValueError(f"{what}: {value!r} is not a valid date (expected 'YYYY-MM-DD')")
    raise InvalidValueError(
        f"{what}: expected a date or a 'YYYY-MM-DD' string, got {type(value).__name__} {value!r}"
    )


def _from_ordinal(ordinal: int) -> pendulum.Date:
    # pendulum.Date.fromordinal is three times slower than this round trip.
    day = datetime.date.fromordinal(ordinal)
    return pendulum.Date(day.year, day.month, day.day)


def _iso(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


class _DateField:
    """Pydantic schema for a pendulum date: read by :func:`to_date`, written as ISO text."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            to_date,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _iso, return_schema=core_schema.str_schema(), when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date"}


_Date = Annotated[pendulum.Date, _DateField]


class _Rules(NamedTuple):
    """A calendar's fields as counting needs them: ordinals and weekday numbers (Monday 0)."""

    weekend: frozenset[int]
    holidays: frozenset[int]
    extras: frozenset[int]
    lost: tuple[int, ...]  # holidays that fall on would-be working days, sorted
    gained: tuple[int, ...]  # extra working days that fall on weekends, sorted
    fiscal: tuple[int, int]  # the start month, and 1 if FY names count from the year's end


class Calendar(ValueModel):
    """Fiscal year, weekends, holidays and extra working days.

    In a policy::

        calendar: {fiscal_year_start: 4, weekend: [sat, sun], holidays: [2026-05-01]}

    ``fiscal_year_naming="end"`` (the default, as Microsoft and the US federal
    government do) makes FY2026 the fiscal year that ends in 2026; ``"start"``
    the one that starts in 2026. With a January start both namings agree.
    ``extra_working_days`` are working days even on a weekend (China's make-up
    Saturdays); a date cannot be both a holiday and an extra working day.
    Calendars are frozen and hashable. Building one directly raises
    :class:`InvalidValueError`; embedded in a pydantic model, its errors are
    that model's ``ValidationError`` with the field path.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year_start: int = Field(
        default=1, ge=1, le=12, description="Month the fiscal year starts (1 = January)."
    )
    fiscal_year_naming: Literal["end", "start"] = Field(
        default="end", description="FY2026 is the fiscal year ending (or starting) in 2026."
    )
    weekend: tuple[WeekdayName, ...] = Field(
        default=("sat", "sun"), description="Days that are not working days."
    )
    holidays: tuple[_Date, ...] = Field(default=(), description="Dates that are not working days.")
    extra_working_days: tuple[_Date, ...] = Field(
        default=(), description="Weekend dates that are working days (make-up days)."
    )

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _month_number(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"expected a month number 1..12, got {value!r}")
        if isinstance(value, str) and value.strip()[:3].lower() in _MONTHS:
            return _MONTHS.index(value.strip()[:3].lower()) + 1
        return value

    @field_validator("weekend", mode="before")
    @classmethod
    def _weekday_names(cls, value: object) -> object:
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise ValueError(f"expected a list of weekday names such as [sat, sun], got {value!r}")
        days = set()
        for name in value:
            key = name.strip().lower() if isinstance(name, str) else ""
            if key not in _WEEKDAYS and key not in _WEEKDAY_NAMES:
                raise ValueError(f"{name!r} is not a weekday (mon, tue, ..., sun)")
            days.add(key[:3])
        return tuple(d for d in _WEEKDAYS if d in days)

    @field_validator("holidays", "extra_working_days", mode="after")
    @classmethod
    def _sorted_unique(cls, value: tuple[pendulum.Date, ...]) -> tuple[pendulum.Date, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _no_clash(self) -> Calendar:
        clash = sorted(set(self.holidays) & set(self.extra_working_days))
        if clash:
            dates = ", ".join(_iso(d) for d in clash)
            raise ValueError(f"{dates}: both a holiday and an extra working day; keep one")
        return self

    @cached_property
    def _rules(self) -> _Rules:
        # Plain attributes on a frozen model: pydantic private attributes cost microseconds.
        weekend = frozenset(_WEEKDAYS.index(name) for name in self.weekend)
        holidays = [d.toordinal() for d in self.holidays]
        extras = [d.toordinal() for d in self.extra_working_days]
        shift = 1 if self.fiscal_year_naming == "end" and self.fiscal_year_start != 1 else 0
        return _Rules(
            weekend=weekend,
            holidays=frozenset(holidays),
            extras=frozenset(extras),
            lost=tuple(o for o in holidays if (o + 6) % 7 not in weekend),
            gained=tuple(o for o in extras if (o + 6) % 7 in weekend),
            fiscal=(self.fiscal_year_start, shift),
        )

    def is_working_day(self, day: DateLike) -> bool:
        """True for an extra working day, or a day that is neither weekend nor holiday."""
        ordinal, rules = to_date(day, what="day").toordinal(), self._rules
        if ordinal in rules.extras:
            return True
        return ordinal not in rules.holidays and (ordinal + 6) % 7 not in rules.weekend

    def working_days(self, start: DateLike, end: DateLike) -> int:
        """Count the working days in ``[start, end)``.

        Whole weeks are counted arithmetically and holidays and extra days by
        binary search, so the cost does not grow with the length of the range.

        Raises:
            InvalidValueError: for a bad date or ``end`` before ``start``.
        """
        first = to_date(start, what="start").toordinal()
        stop = to_date(end, what="end").toordinal()
        if stop < first:
            raise InvalidValueError(f"working_days: end {end} is before start {start}")
        rules = self._rules
        weeks, rest = divmod(stop - first, 7)
        weekday = (first + 6) % 7
        count = weeks * (7 - len(rules.weekend))
        count += sum(1 for i in range(rest) if (weekday + i) % 7 not in rules.weekend)
        count -= bisect.bisect_left(rules.lost, stop) - bisect.bisect_left(rules.lost, first)
        count += bisect.bisect_left(rules.gained, stop) - bisect.bisect_left(rules.gained, first)
        return count

    def fiscal_year_of(self, day: DateLike) -> int:
        """The number of the fiscal year that contains ``day`` (``2026`` for FY2026)."""
        d = to_date(day, what="day")
        first, shift = self._rules.fiscal
        return (d.year * 12 + d.month - first) // 12 + shift


_DEFAULT_CALENDAR = Calendar()

_FORMS = (
    "FY2026 (fiscal year), 2026-H1 (fiscal half), 2026-Q2 (fiscal quarter), "
    "2026-05 (month), 2026-W18 (ISO week), 2026-05-04 (day), "
    "2026-04-01..2026-06-30 (explicit range, end included)"
)
_FY = re.compile(r"FY(\d{4})")
_PART = re.compile(r"(\d{4})-([HQW])(\d{1,2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\S+?)\s*\.\.\s*(\S+)")


class _LabelError(Exception):
    """Why a label was refused; :meth:`Period.parse` adds the label and the accepted forms."""


def _bad_label(label: object, reason: str) -> InvalidValueError:
    return InvalidValueError(f"{label!r} is not a period label: {reason}; accepted forms: {_FORMS}")


def _month_start(index: int) -> int:
    """Ordinal of the first day of month ``index`` (``year * 12 + month - 1``)."""
    return datetime.date(index // 12, index % 12 + 1, 1).toordinal()


def _label(start: datetime.date, end: datetime.date, fiscal: tuple[int, int] | None) -> str:
    """Label ``[start, end)`` as a day, ISO week, month, fiscal unit or explicit range.

    Fiscal quarters, halves and years are recognised only when ``fiscal`` is given.
    """
    days = end.toordinal() - start.toordinal()
    if days == 1:
        return _iso(start)
    if days == 7 and start.weekday() == 0:
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month
        if months == 1:
            return f"{start.year:04d}-{start.month:02d}"
        if fiscal is not None and months in (3, 6, 12):
            first, shift = fiscal
            offset = (start.month - first) % 12
            if offset % months == 0:
                year = (start.year * 12 + start.month - first) // 12 + shift
                if months == 12:
                    return f"FY{year:04d}"
                return f"{year:04d}-{'Q' if months == 3 else 'H'}{offset // months + 1}"
    return f"{_iso(start)}..{_iso(datetime.date.fromordinal(end.toordinal() - 1))}"


_new = object.__new__
_set = object.__setattr__
_SplitKey: TypeAlias = tuple[datetime.date, datetime.date, str, tuple[int, int] | None]
_SPLITS: dict[_SplitKey, tuple[Period, ...]] = {}
_SPLITS_LOCK = threading.Lock()
_SPLITS_MAX_ENTRIES = 512
_SPLITS_MAX_PARTS = 400  # bound the cache's memory: long day-by-day splits are not kept


@dataclass(frozen=True, slots=True, order=True, init=False, repr=False)
class Period:
    """A half-open date range ``[start, end)`` with a label.

    Equality, hashing and ordering use ``(start, end)`` only: ``2026-05`` and
    ``2026-05-01..2026-05-31`` are the same period written two ways. Build one
    with :meth:`parse` (from a label), :meth:`between` or ``Period(start, end)``.

    Attributes:
        start: the first day in the period.
        end: the first day after the period.
        label: how the period is written; ``str(period)`` returns it.
    """

    start: pendulum.Date
    end: pendulum.Date
    label: str = field(compare=False)

    def __init__(self, start: DateLike, end: DateLike) -> None:
        """Make ``[start, end)``, labelled as a day, ISO week, month or explicit range.

        Raises:
            InvalidValueError: for bad dates or ``start`` not before ``end``.
        """
        first = to_date(start, what="period start")
        stop = to_date(end, what="period end")
        if stop <= first:
            raise InvalidValueError(f"period: start {_iso(first)} is not before end {_iso(stop)}")
        _set(self, "start", first)
        _set(self, "end", stop)
        _set(self, "label", _label(first, stop, None))

    @classmethod
    def _make(cls, start: pendulum.Date, end: pendulum.Date, label: str) -> Period:
        period: Period = _new(cls)
        _set(period, "start", start)
        _set(period, "end", end)
        _set(period, "label", label)
        return period

    @classmethod
    def between(
        cls, start: DateLike, end_exclusive: DateLike, calendar: Calendar | None = None
    ) -> Period:
        """Make ``[start, end_exclusive)``.

        Labels it naturally; fiscal quarter, half and year labels are used only
        when a ``calendar`` says which fiscal year they belong to.
        """
        period = cls(start, end_exclusive)
        if calendar is None:
            return period
        return cls._make(
            period.start, period.end, _label(period.start, period.end, calendar._rules.fiscal)
        )

    @classmethod
    def parse(cls, label: str, calendar: Calendar | None = None) -> Period:
        """Read a period label; years, halves and quarters follow ``calendar``'s fiscal year.

        Accepts ``FY2026``, ``2026-H1``, ``2026-Q2``, ``2026-05`` (always a
        calendar month), ``2026-W18`` (ISO week), ``2026-05-04`` and
        ``2026-04-01..2026-06-30`` (whose written end is included). Letters may
        be in either case; the label kept is the canonical spelling.

        Raises:
            InvalidValueError: showing the label and listing the accepted forms.
        """
        if not isinstance(label, str):
            raise _bad_label(label, f"expected a str, got {type(label).__name__}")
        try:
            return cls._parse(label.strip().upper(), (calendar or _DEFAULT_CALENDAR)._rules.fiscal)
        except _LabelError as exc:
            raise _bad_label(label, str(exc)) from None
        except InvalidValueError as exc:  # a bad date inside the label
            raise _bad_label(label, str(exc)) from None
        except ValueError:  # a year that takes the period outside 0001..9999
            raise _bad_label(label, "it reaches outside the years 1 to 9999") from None

    @classmethod
    def _parse(cls, text: str, fiscal: tuple[int, int]) -> Period:
        first, shift = fiscal
        if match := _FY.fullmatch(text):
            return cls._months((int(match[1]) - shift) * 12 + first - 1, 12, f"FY{match[1]}")
        if match := _PART.fullmatch(text):
            return cls._part(int(match[1]), match[2], int(match[3]), first, shift)
        if match := _MONTH.fullmatch(text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise _LabelError(f"there is no month {month:02d}")
            return cls._months(year * 12 + month - 1, 1, text)
        if _ISO_DATE.fullmatch(text):
            day = to_date(text, what="day")
            return cls._make(day, _from_ordinal(day.toordinal() + 1), _iso(day))
        if match := _RANGE.fullmatch(text):
            start = to_date(match[1], what="range start")
            last = to_date(match[2], what="range end")
            if last < start:
                raise _LabelError(f"the range ends ({_iso(last)}) before it starts ({_iso(start)})")
            end = _from_ordinal(last.toordinal() + 1)
            return cls._make(start, end, f"{_iso(start)}..{_iso(last)}")
        raise _LabelError("unrecognised form")

    @classmethod
    def _months(cls, index: int, months: int, label: str) -> Period:
        start, end = _month_start(index), _month_start(index + months)
        return cls._make(_from_ordinal(start), _from_ordinal(end), label)

    @classmethod
    def _part(cls, year: int, kind: str, number: int, first: int, shift: int) -> Period:
        label = f"{year:04d}-{kind}{number:02d}" if kind == "W" else f"{year:04d}-{kind}{number}"
        if kind == "W":
            weeks = datetime.date(year, 12, 28).isocalendar()[1]
            if not 1 <= number <= weeks:
                raise _LabelError(f"{year} has ISO weeks W01 to W{weeks}")
            start = datetime.date.fromisocalendar(year, number, 1).toordinal()
            return cls._make(_from_ordinal(start), _from_ordinal(start + 7), label)
        count = 2 if kind == "H" else 4
        if not 1 <= number <= count:
            raise _LabelError(f"a fiscal year has {kind}1 to {kind}{count}")
        span = 12 // count
        return cls._months((year - shift) * 12 + first - 1 + span * (number - 1), span, label)

    @classmethod
    def coerce(cls, value: Period | str, calendar: Calendar | None = None) -> Period:
        """Return ``value`` if it is a Period, else parse it as a label."""
        if isinstance(value, Period):
            return value
        return cls.parse(value, calendar)

    def split(self, into: Unit, calendar: Calendar | None = None) -> tuple[Period, ...]:
        """Split into consecutive parts clipped to this period, in order.

        Halves and quarters follow ``calendar``'s fiscal year (January when
        ``None``), weeks are ISO weeks (Monday to Sunday). A part that is a
        whole natural unit has its natural label (``2026-Q2``, ``2026-05``,
        ``2026-W18``, ``2026-05-04``); a clipped one an explicit range label.

        Raises:
            InvalidValueError: for an unknown unit.
        """
        if into not in _UNITS:
            raise InvalidValueError(f"split: unknown unit {into!r}; expected one of {_UNITS}")
        rules = (calendar or _DEFAULT_CALENDAR)._rules
        # Month, week and day parts never need fiscal labels, so they share one entry.
        key = (self.start, self.end, into, rules.fiscal if into in ("half", "quarter") else None)
        parts = _SPLITS.get(key)
        if parts is None:
            parts = self._split(into, rules.fiscal)
            if len(parts) <= _SPLITS_MAX_PARTS:
                with _SPLITS_LOCK:
                    if len(_SPLITS) >= _SPLITS_MAX_ENTRIES:
                        del _SPLITS[next(iter(_SPLITS))]
                    _SPLITS[key] = parts
        return parts

    def _split(self, into: str, fiscal: tuple[int, int]) -> tuple[Period, ...]:
        first, stop = self.start.toordinal(), self.end.toordinal()
        if into == "day":
            cuts = list(range(first + 1, stop))
        elif into == "week":
            cuts = list(range(first + 7 - (first + 6) % 7, stop, 7))
        else:
            step = _MONTH_STEPS[into]
            anchor = 0 if into == "month" else fiscal[0] - 1
            index = self.start.year * 12 + self.start.month  # the month after start's
            index += (anchor - index) % step
            cuts = []
            while index // 12 <= 9999 and (cut := _month_start(index)) < stop:
                cuts.append(cut)
                index += step
        dates = [self.start, *map(_from_ordinal, cuts), self.end]
        make = Period._make
        return tuple(make(a, b, _label(a, b, fiscal)) for a, b in pairwise(dates))

    def days(self) -> int:
        """The number of days in the period."""
        return self.end.toordinal() - self.start.toordinal()

    def working_days(self, calendar: Calendar | None = None) -> int:
        """The number of working days in the period (Monday to Friday when ``calendar`` is None)."""
        return (calendar or _DEFAULT_CALENDAR).working_days(self.start, self.end)

    def contains(self, item: Period | DateLike) -> bool:
        """True if a date, or every day of a period, lies within this period."""
        if isinstance(item, Period):
            return self.start <= item.start and item.end <= self.end
        day = to_date(item, what="date to look for")
        return self.start <= day < self.end

    def __contains__(self, item: object) -> bool:
        return self.contains(item)  # type: ignore[arg-type]  # contains() rejects the rest

    def overlaps(self, other: Period) -> bool:
        """True if the two periods share at least one day."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Period) -> Period | None:
        """The days the two periods share, or None when they share none."""
        if not self.overlaps(other):
            return None
        if other.contains(self):
            return self
        if self.contains(other):
            return other
        return Period(max(self.start, other.start), min(self.end, other.end))

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"<Period {self.label} [{_iso(self.start)}, {_iso(self.end)})>"
