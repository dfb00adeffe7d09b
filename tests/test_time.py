"""Time: calendars, period labels, splitting and working days (DOMAIN.md, "Time")."""

from __future__ import annotations

import datetime
import itertools
import pickle
from datetime import date, timedelta
from typing import Any, Literal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from perfkit._time import Calendar, Period, to_date
from perfkit.errors import InvalidValueError, PerfkitError

APRIL_END = Calendar(fiscal_year_start=4)
APRIL_START = Calendar(fiscal_year_start=4, fiscal_year_naming="start")
OCTOBER_END = Calendar(fiscal_year_start=10)

day_strategy = st.dates(date(2000, 1, 1), date(2040, 12, 31))


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """Any period whose start and end lie in 2000..2040."""
    first, second = draw(day_strategy), draw(day_strategy)
    if first == second:
        second = first + timedelta(days=1)
    return Period(min(first, second), max(first, second))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    """A calendar with a random fiscal year, weekend, holidays and extra working days."""
    dates = sorted(draw(st.sets(day_strategy, max_size=40)))
    holiday_flags = draw(st.lists(st.booleans(), min_size=len(dates), max_size=len(dates)))
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return Calendar(
        fiscal_year_start=draw(st.integers(1, 12)),
        fiscal_year_naming=draw(st.sampled_from(["end", "start"])),
        weekend=draw(st.lists(st.sampled_from(names), max_size=3, unique=True)),
        holidays=[d for d, is_holiday in zip(dates, holiday_flags, strict=True) if is_holiday],
        extra_working_days=[
            d for d, is_hol in zip(dates, holiday_flags, strict=True) if not is_hol
        ],
    )


def naive_working_days(calendar: Calendar, start: date, end: date) -> int:
    """The reference: look at every day."""
    return sum(
        1 for n in range((end - start).days) if calendar.is_working_day(start + timedelta(n))
    )


def assert_tiles(parent: Period, parts: tuple[Period, ...]) -> None:
    """``parts`` cover ``parent`` exactly once, in order, with no gap or overlap."""
    assert parts[0].start == parent.start
    assert parts[-1].end == parent.end
    for before, after in itertools.pairwise(parts):
        assert before.end == after.start
    assert sum(p.days() for p in parts) == parent.days()


# --- to_date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [date(2026, 5, 4), pendulum.Date(2026, 5, 4), "2026-05-04", " 2026-05-04 "],
)
def test_to_date_accepts_dates_and_iso_text(value: object) -> None:
    """to_date reads dates and ISO 'YYYY-MM-DD' text into a pendulum.Date."""
    result = to_date(value)
    assert result == date(2026, 5, 4)
    assert type(result) is pendulum.Date


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-02-30", "'2026-02-30'"),
        ("2026-5-4", "'2026-5-4'"),
        ("04/05/2026", "'04/05/2026'"),
        (20260504, "20260504"),
        (None, "None"),
        (datetime.datetime(2026, 5, 4, 9, 30), "datetime"),
        (pendulum.datetime(2026, 5, 4), "DateTime"),
    ],
)
def test_to_date_refuses_other_values_naming_them(value: object, shown: str) -> None:
    """Bad dates, non-dates and datetimes raise InvalidValueError naming the value and `what`."""
    with pytest.raises(InvalidValueError, match="holidays\\[2\\]") as excinfo:
        to_date(value, what="holidays[2]")
    assert shown in str(excinfo.value)


# --- Calendar -----------------------------------------------------------------------


def test_calendar_defaults() -> None:
    """The default calendar: January fiscal year named by its end, Saturday and Sunday off."""
    calendar = Calendar()
    assert calendar.fiscal_year_start == 1
    assert calendar.fiscal_year_naming == "end"
    assert calendar.weekend == ("sat", "sun")
    assert calendar.holidays == calendar.extra_working_days == ()


def test_calendar_normalises_its_inputs() -> None:
    """Month and weekday names are accepted; dates are sorted, deduplicated pendulum dates."""
    calendar = Calendar(
        fiscal_year_start="April",
        weekend=["Saturday", "fri", "FRI"],
        holidays=["2026-05-01", date(2026, 1, 1), "2026-05-01"],
    )
    assert calendar.fiscal_year_start == 4
    assert calendar.weekend == ("fri", "sat")
    assert calendar.holidays == (date(2026, 1, 1), date(2026, 5, 1))
    assert all(type(d) is pendulum.Date for d in calendar.holidays)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"fiscal_year_start": 13}, "fiscal_year_start"),
        ({"fiscal_year_start": 0}, "fiscal_year_start"),
        ({"fiscal_year_start": True}, "fiscal_year_start"),
        ({"fiscal_year_naming": "middle"}, "fiscal_year_naming"),
        ({"weekend": "sat"}, "weekend"),
        ({"weekend": ["sat", "caturday"]}, "caturday"),
        ({"holidays": ["2026-13-01"]}, "holidays[0]"),
        ({"weekends": ["sat"]}, "weekends"),
    ],
)
def test_calendar_refuses_bad_fields(fields: dict[str, Any], expected: str) -> None:
    """A bad field raises InvalidValueError (a PerfkitError) that names the field or value."""
    with pytest.raises(InvalidValueError) as excinfo:
        Calendar(**fields)
    assert expected in str(excinfo.value)
    assert isinstance(excinfo.value, PerfkitError)


def test_holiday_that_is_also_an_extra_working_day_is_an_error() -> None:
    """A date listed both as a holiday and as an extra working day is refused by date."""
    with pytest.raises(InvalidValueError, match="2026-10-10"):
        Calendar(holidays=["2026-10-01", "2026-10-10"], extra_working_days=["2026-10-10"])


def test_calendar_is_frozen_hashable_and_compared_by_fields() -> None:
    """Equal fields make equal calendars with equal hashes; fields cannot be reassigned."""
    one = Calendar(fiscal_year_start=4, holidays=["2026-05-01"])
    two = Calendar(fiscal_year_start=4, holidays=[date(2026, 5, 1)])
    one.working_days("2026-01-01", "2027-01-01")  # fills one's cached rules only
    assert one == two
    assert hash(one) == hash(two)
    assert len({one, two, Calendar()}) == 2
    with pytest.raises(ValidationError):
        one.fiscal_year_start = 5  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(one)) == one


def test_calendar_round_trips_through_json() -> None:
    """A calendar dumps to JSON with ISO dates and loads back equal."""
    calendar = Calendar(fiscal_year_start=7, holidays=["2026-05-01"], extra_working_days=[])
    dumped = calendar.model_dump(mode="json")
    assert dumped["holidays"] == ["2026-05-01"]
    assert Calendar.model_validate_json(calendar.model_dump_json()) == calendar


def test_calendar_embeds_in_a_policy_model() -> None:
    """Embedded in a pydantic model, a calendar loads from a mapping; errors carry the path."""

    class Policy(BaseModel):
        calendar: Calendar

    policy = Policy.model_validate(
        {
            "calendar": {
                "fiscal_year_start": 4,
                "weekend": ["sat", "sun"],
                "holidays": ["2026-05-01"],
            }
        }
    )
    assert policy.calendar == Calendar(fiscal_year_start=4, holidays=["2026-05-01"])
    with pytest.raises(ValidationError) as excinfo:
        Policy.model_validate({"calendar": {"holidays": ["2026-02-30"]}})
    assert excinfo.value.errors()[0]["loc"] == ("calendar", "holidays", 0)


def test_is_working_day_applies_weekend_holidays_and_extra_days() -> None:
    """Extra working days win over the weekend; holidays remove weekdays."""
    calendar = Calendar(holidays=["2026-05-01"], extra_working_days=["2026-05-09"])
    assert not calendar.is_working_day("2026-05-01")  # a Friday holiday
    assert calendar.is_working_day("2026-05-04")  # a Monday
    assert calendar.is_working_day("2026-05-09")  # a make-up Saturday
    assert not calendar.is_working_day("2026-05-10")  # a Sunday


def test_working_days_in_a_month() -> None:
    """May 2026 has 21 weekdays; a holiday removes one and a make-up Saturday adds one."""
    assert Calendar().working_days("2026-05-01", "2026-06-01") == 21
    calendar = Calendar(holidays=["2026-05-01", "2026-05-02"], extra_working_days=["2026-05-09"])
    assert calendar.working_days("2026-05-01", "2026-06-01") == 21
    assert calendar.working_days("2026-05-01", "2026-05-01") == 0
    assert Period.parse("FY2026").working_days() == 261


def test_working_days_refuses_a_reversed_range() -> None:
    """An end before the start is an error, not a negative count."""
    with pytest.raises(InvalidValueError, match="before"):
        Calendar().working_days("2026-06-01", "2026-05-01")


@given(calendar=calendars(), start=day_strategy, length=st.integers(0, 800))
def test_working_days_agrees_with_a_day_by_day_count(
    calendar: Calendar, start: date, length: int
) -> None:
    """The arithmetic count equals checking every day, for any weekend, holidays and extras."""
    end = start + timedelta(days=length)
    assert calendar.working_days(start, end) == naive_working_days(calendar, start, end)


@pytest.mark.parametrize(
    ("calendar", "day", "year"),
    [
        (Calendar(), "2026-06-01", 2026),
        (Calendar(fiscal_year_naming="start"), "2026-06-01", 2026),
        (APRIL_END, "2025-04-01", 2026),
        (APRIL_END, "2026-03-31", 2026),
        (APRIL_END, "2026-04-01", 2027),
        (APRIL_START, "2026-04-01", 2026),
        (APRIL_START, "2026-03-31", 2025),
        (OCTOBER_END, "2025-10-01", 2026),
    ],
)
def test_fiscal_year_of(calendar: Calendar, day: str, year: int) -> None:
    """The fiscal year number follows the start month and the naming rule."""
    assert calendar.fiscal_year_of(day) == year


@given(calendar=calendars(), day=day_strategy)
def test_fiscal_year_of_matches_the_fy_label(calendar: Calendar, day: date) -> None:
    """A day lies in the FY period named by fiscal_year_of."""
    assert day in Period.parse(f"FY{calendar.fiscal_year_of(day)}", calendar)


# --- Period labels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "calendar", "start", "end"),
    [
        ("FY2026", None, "2026-01-01", "2027-01-01"),
        ("2026-H1", None, "2026-01-01", "2026-07-01"),
        ("2026-H2", None, "2026-07-01", "2027-01-01"),
        ("2026-Q2", None, "2026-04-01", "2026-07-01"),
        ("FY2026", APRIL_END, "2025-04-01", "2026-04-01"),
        ("2026-H1", APRIL_END, "2025-04-01", "2025-10-01"),
        ("2026-H2", APRIL_END, "2025-10-01", "2026-04-01"),
        ("2026-Q1", APRIL_END, "2025-04-01", "2025-07-01"),
        ("2026-Q4", APRIL_END, "2026-01-01", "2026-04-01"),
        ("FY2026", APRIL_START, "2026-04-01", "2027-04-01"),
        ("2026-Q1", APRIL_START, "2026-04-01", "2026-07-01"),
        ("2026-Q4", APRIL_START, "2027-01-01", "2027-04-01"),
        ("FY2026", OCTOBER_END, "2025-10-01", "2026-10-01"),
        ("2026-Q1", OCTOBER_END, "2025-10-01", "2026-01-01"),
        ("2026-05", APRIL_END, "2026-05-01", "2026-06-01"),
        ("2024-02", None, "2024-02-01", "2024-03-01"),
        ("2026-W18", None, "2026-04-27", "2026-05-04"),
        ("2026-W01", APRIL_END, "2025-12-29", "2026-01-05"),
        ("2026-W53", None, "2026-12-28", "2027-01-04"),
        ("2020-W53", None, "2020-12-28", "2021-01-04"),
        ("2026-05-04", None, "2026-05-04", "2026-05-05"),
        ("2026-04-01..2026-06-30", APRIL_END, "2026-04-01", "2026-07-01"),
        ("2026-05-04..2026-05-04", None, "2026-05-04", "2026-05-05"),
    ],
)
def test_parse_every_label_form(
    label: str, calendar: Calendar | None, start: str, end: str
) -> None:
    """Each label form gives its half-open range, fiscal where the calendar says so."""
    period = Period.parse(label, calendar)
    assert (period.start, period.end) == (to_date(start), to_date(end))
    assert period.label == str(period) == label
    assert type(period.start) is pendulum.Date
    assert type(period.end) is pendulum.Date


def test_explicit_range_end_is_inclusive() -> None:
    """'2026-04-01..2026-06-30' includes 30 June: it is the same period as 2026-Q2."""
    period = Period.parse("2026-04-01..2026-06-30")
    assert period.end == date(2026, 7, 1)
    assert date(2026, 6, 30) in period
    assert date(2026, 7, 1) not in period
    assert period == Period.parse("2026-Q2")
    assert period.days() == 91


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("fy2026", "FY2026"),
        (" 2026-q2 ", "2026-Q2"),
        ("2026-w5", "2026-W05"),
        ("2026-04-01 .. 2026-06-30", "2026-04-01..2026-06-30"),
    ],
)
def test_parse_keeps_the_canonical_spelling(written: str, canonical: str) -> None:
    """Case and spacing are forgiven; the label kept is the canonical one."""
    assert Period.parse(written).label == canonical


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("2026-W54", "2026 has ISO weeks W01 to W53"),
        ("2025-W53", "2025 has ISO weeks W01 to W52"),
        ("2026-W00", "W01 to W53"),
        ("2026-13", "no month 13"),
        ("2026-Q5", "Q1 to Q4"),
        ("2026-H3", "H1 to H2"),
        ("garbage", "unrecognised"),
        ("", "unrecognised"),
        ("2026", "unrecognised"),
        ("2026-02-30", "not a valid date"),
        ("2026-06-30..2026-04-01", "before it starts"),
        ("2026-04-01..2026-13-01", "not a valid date"),
        ("FY0000", "outside the years 1 to 9999"),
        ("9999-12-31", "outside the years 1 to 9999"),
    ],
)
def test_bad_label_message_shows_label_reason_and_accepted_forms(label: str, reason: str) -> None:
    """A bad label raises InvalidValueError showing the label, why, and every accepted form."""
    with pytest.raises(InvalidValueError) as excinfo:
        Period.parse(label)
    message = str(excinfo.value)
    assert message.startswith(repr(label))
    assert reason in message
    for example in (
        "FY2026",
        "2026-H1",
        "2026-Q2",
        "2026-05",
        "2026-W18",
        "2026-04-01..2026-06-30",
    ):
        assert example in message


def test_parse_refuses_a_non_string() -> None:
    """A label that is not a str is an InvalidValueError, not a TypeError."""
    with pytest.raises(InvalidValueError, match="expected a str"):
        Period.parse(2026)  # type: ignore[arg-type]


# --- constructing and comparing -----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        ("2026-05-01", "2026-06-01", "2026-05"),
        (date(2026, 4, 27), date(2026, 5, 4), "2026-W18"),
        ("2026-05-04", "2026-05-05", "2026-05-04"),
        ("2026-01-01", "2027-01-01", "2026-01-01..2026-12-31"),
        ("2026-04-01", "2026-07-01", "2026-04-01..2026-06-30"),
    ],
)
def test_constructor_labels_calendar_free_units(start: str, end: str, label: str) -> None:
    """Period(start, end) names days, ISO weeks and months; other ranges get explicit labels."""
    assert Period(start, end).label == label


def test_between_uses_fiscal_labels_only_with_a_calendar() -> None:
    """Period.between names fiscal quarters, halves and years only given a calendar."""
    assert Period.between("2026-01-01", "2027-01-01").label == "2026-01-01..2026-12-31"
    assert Period.between("2026-01-01", "2027-01-01", Calendar()).label == "FY2026"
    assert Period.between("2025-04-01", "2026-04-01", APRIL_END).label == "FY2026"
    assert Period.between("2026-07-01", "2026-10-01", APRIL_START).label == "2026-Q2"
    assert Period.between("2025-10-01", "2026-04-01", APRIL_END).label == "2026-H2"


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-05-01", "2026-05-01"), ("2026-05-02", "2026-05-01"), ("2026-05-01", "soon")],
)
def test_constructor_refuses_empty_reversed_or_bad_ranges(start: str, end: str) -> None:
    """A period needs start < end and real dates."""
    with pytest.raises(InvalidValueError):
        Period(start, end)


def test_coerce_accepts_periods_and_labels() -> None:
    """coerce passes a Period through and parses a label with the calendar."""
    quarter = Period.parse("2026-Q1", APRIL_END)
    assert Period.coerce(quarter) is quarter
    assert Period.coerce("2026-Q1", APRIL_END) == quarter
    with pytest.raises(InvalidValueError):
        Period.coerce(None)  # type: ignore[arg-type]


def test_equality_and_hash_ignore_the_label() -> None:
    """Two spellings of the same days are equal, hash equal and are one dict key."""
    month = Period.parse("2026-05")
    explicit = Period.parse("2026-05-01..2026-05-31")
    assert month == explicit
    assert hash(month) == hash(explicit)
    assert {month: 1}[explicit] == 1
    assert month != Period.parse("2026-06")


@given(st.lists(periods(), min_size=2, max_size=20))
def test_periods_order_by_start_then_end(items: list[Period]) -> None:
    """Sorting periods sorts them by (start, end)."""
    assert [(p.start, p.end) for p in sorted(items)] == sorted((p.start, p.end) for p in items)


def test_period_is_frozen_and_picklable() -> None:
    """A period cannot be changed and survives pickling with its label."""
    period = Period.parse("2026-Q1", APRIL_END)
    with pytest.raises(AttributeError):
        setattr(period, "label", "other")  # noqa: B010
    copy = pickle.loads(pickle.dumps(period))
    assert copy == period
    assert copy.label == "2026-Q1"


def test_repr_shows_label_and_range() -> None:
    """repr shows the label and the half-open range."""
    assert repr(Period.parse("2026-Q2")) == "<Period 2026-Q2 [2026-04-01, 2026-07-01)>"


def test_contains_dates_periods_and_iso_text() -> None:
    """contains and `in` accept dates, ISO text and periods; the end is excluded."""
    quarter = Period.parse("2026-Q2")
    assert quarter.contains("2026-04-01")
    assert "2026-06-30" in quarter
    assert pendulum.Date(2026, 7, 1) not in quarter
    assert Period.parse("2026-05") in quarter
    assert not quarter.contains(Period.parse("2026-W27"))  # 29 June to 5 July
    with pytest.raises(InvalidValueError):
        _ = 5 in quarter


def test_overlaps_and_intersection() -> None:
    """Touching periods do not overlap; the intersection is the shared days or None."""
    q2, q3 = Period.parse("2026-Q2"), Period.parse("2026-Q3")
    week = Period.parse("2026-W27")  # 29 June to 5 July
    assert not q2.overlaps(q3)
    assert q2.intersection(q3) is None
    assert q2.intersection(week) == Period("2026-06-29", "2026-07-01")
    assert str(q2.intersection(week)) == "2026-06-29..2026-06-30"
    assert q2.intersection(Period.parse("2026-05")) == Period.parse("2026-05")


@given(periods(), periods())
def test_intersection_matches_day_sets(one: Period, two: Period) -> None:
    """intersection/overlaps agree with intersecting the sets of days."""
    shared = one.intersection(two)
    assert one.overlaps(two) == (shared is not None) == two.overlaps(one)
    if shared is not None:
        assert shared == two.intersection(one)
        assert one.contains(shared)
        assert two.contains(shared)
        assert shared.start == max(one.start, two.start)
        assert shared.end == min(one.end, two.end)


# --- splitting ----------------------------------------------------------------------


def labels(parts: tuple[Period, ...]) -> list[str]:
    return [p.label for p in parts]


def test_split_fiscal_year_into_halves_quarters_and_months() -> None:
    """FY2026 starting in April splits into its fiscal halves, quarters and calendar months."""
    fy = Period.parse("FY2026", APRIL_END)
    assert labels(fy.split("half", APRIL_END)) == ["2026-H1", "2026-H2"]
    quarters = fy.split("quarter", APRIL_END)
    assert labels(quarters) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert quarters[1] == Period("2025-07-01", "2025-10-01")
    months = fy.split("month", APRIL_END)
    assert labels(months)[0] == "2025-04"
    assert labels(months)[-1] == "2026-03"
    assert len(months) == 12
    assert labels(Period.parse("FY2026", APRIL_START).split("quarter", APRIL_START))[0] == "2026-Q1"


def test_split_clips_weeks_to_the_month() -> None:
    """ISO weeks are clipped to the month; clipped parts get explicit range labels."""
    assert labels(Period.parse("2026-04").split("week")) == [
        "2026-04-01..2026-04-05",
        "2026-W15",
        "2026-W16",
        "2026-W17",
        "2026-04-27..2026-04-30",
    ]
    assert labels(Period.parse("2026-W18").split("month")) == [
        "2026-04-27..2026-04-30",
        "2026-05-01..2026-05-03",
    ]


def test_split_clips_to_an_explicit_range() -> None:
    """Every part of an explicit range is clipped to it."""
    period = Period.parse("2026-04-15..2026-05-20")
    assert labels(period.split("month")) == ["2026-04-15..2026-04-30", "2026-05-01..2026-05-20"]
    assert labels(period.split("quarter")) == ["2026-04-15..2026-05-20"]


def test_split_labels_whole_units_naturally() -> None:
    """A part that is exactly a natural unit (day, week, month, fiscal unit) gets its name."""
    days = Period.parse("2026-Q2").split("day")
    assert len(days) == 91
    assert days[0].label == "2026-04-01"
    assert labels(Period.parse("2026-Q2").split("half")) == ["2026-Q2"]
    # A calendar year under a February fiscal year: January closes FY2026, then FY2027 begins.
    february = Calendar(fiscal_year_start=2)
    assert labels(Period.parse("2026-01-01..2026-12-31").split("quarter", february)) == [
        "2026-01",
        "2027-Q1",
        "2027-Q2",
        "2027-Q3",
        "2026-11-01..2026-12-31",
    ]


def test_split_depends_on_the_calendar_not_on_a_cache() -> None:
    """Equal periods split with different fiscal calendars get different quarters."""
    year = Period.parse("2026-01-01..2026-12-31")
    assert labels(year.split("quarter"))[0] == "2026-Q1"
    assert labels(year.split("quarter", APRIL_END))[0] == "2026-Q4"
    assert labels(year.split("quarter", APRIL_START))[0] == "2025-Q4"


def test_split_refuses_unknown_units() -> None:
    """An unknown unit raises InvalidValueError listing the units."""
    with pytest.raises(InvalidValueError, match="quarter"):
        Period.parse("2026-Q2").split("fortnight")  # type: ignore[arg-type]


@given(period=periods(), calendar=calendars())
def test_months_then_weeks_tile_any_period(period: Period, calendar: Calendar) -> None:
    """Months, then weeks within each month, cover the period once; days and working days add up."""
    months = period.split("month", calendar)
    assert_tiles(period, months)
    total_working = 0
    for month in months:
        assert month.start.month == (month.end - timedelta(days=1)).month
        weeks = month.split("week", calendar)
        assert_tiles(month, weeks)
        for week in weeks:
            assert week.days() <= 7
            assert week.start.isocalendar()[:2] == (week.end - timedelta(days=1)).isocalendar()[:2]
        working = sum(w.working_days(calendar) for w in weeks)
        assert working == month.working_days(calendar)
        total_working += working
    assert total_working == period.working_days(calendar)


@given(period=periods(), calendar=calendars(), unit=st.sampled_from(["half", "quarter"]))
def test_fiscal_parts_tile_and_stay_in_one_fiscal_year(
    period: Period, calendar: Calendar, unit: Literal["half", "quarter"]
) -> None:
    """Halves and quarters tile the period and each lies inside one fiscal unit."""
    parts = period.split(unit, calendar)
    assert_tiles(period, parts)
    for part in parts:
        fy = calendar.fiscal_year_of(part.start)
        assert calendar.fiscal_year_of(part.end - timedelta(days=1)) == fy
        assert Period.parse(f"FY{fy}", calendar).contains(part)


@given(
    period=periods(),
    calendar=calendars(),
    unit=st.sampled_from(["half", "quarter", "month", "week"]),
)
def test_split_labels_parse_back_to_the_same_part(
    period: Period, calendar: Calendar, unit: Literal["half", "quarter", "month", "week"]
) -> None:
    """Every part's label, parsed with the same calendar, gives that part back."""
    for part in period.split(unit, calendar):
        again = Period.parse(part.label, calendar)
        assert again == part
        assert again.label == part.label


@given(period=periods())
def test_split_into_days_gives_one_part_per_day(period: Period) -> None:
    """Splitting into days gives days() one-day parts labelled by their date."""
    days = period.split("day")
    assert len(days) == period.days()
    assert all(d.days() == 1 and d.label == d.start.isoformat() for d in days)
