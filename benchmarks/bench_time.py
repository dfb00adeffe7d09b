"""Benchmark: splitting periods and counting working days.

Figures: splitting ten years into ISO weeks (cold, then from the split cache);
splitting a fiscal year into months and each month into weeks for 10,000 periods
(equal copies, then 10,000 different years); working days over ten years against
a day-by-day loop, the baseline a user would write, measured in the same run.

Run: ``python benchmarks/bench_time.py``
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, report
from perfkit import _time
from perfkit._time import Calendar, Period


def months_then_weeks(periods: list[Period], calendar: Calendar) -> int:
    count = 0
    for period in periods:
        for month in period.split("month", calendar):
            count += len(month.split("week", calendar))
    return count


def naive_working_days(start: date, end: date, calendar: Calendar) -> int:
    weekend = {("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(d) for d in calendar.weekend}
    holidays, extras = set(calendar.holidays), set(calendar.extra_working_days)
    count, day = 0, start
    while day < end:
        if day in extras or (day.weekday() not in weekend and day not in holidays):
            count += 1
        day += timedelta(days=1)
    return count


def china_like_calendar(rng: random.Random, first: int, last: int) -> Calendar:
    """About 12 weekday holidays and 5 make-up weekend working days a year."""
    holidays, extras = set(), set()
    for year in range(first, last + 1):
        days = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
        holidays.update(rng.sample([d for d in days if d.weekday() < 5], 12))
        extras.update(rng.sample([d for d in days if d.weekday() >= 5], 5))
    return Calendar(
        fiscal_year_start=4, holidays=sorted(holidays), extra_working_days=sorted(extras)
    )


def main() -> None:
    rng = random.Random(20261126)
    calendar = china_like_calendar(rng, 2020, 2029)
    decade = Period("2020-01-01", "2030-01-01")

    def cold_weeks() -> tuple[Period, ...]:
        _time._SPLITS.clear()
        return decade.split("week")

    print("splitting (best of 20; the split cache is cleared before each run)")
    t_cold, weeks = best_of(cold_weeks, repeat=20)
    report(f"10 years into ISO weeks ({len(weeks)} parts)", t_cold, unit="parts", count=len(weeks))

    fy = Period.parse("FY2026", calendar)
    copies = [Period.parse("FY2026", calendar) for _ in range(10_000)]
    t_copies, parts = best_of(lambda: months_then_weeks(copies, calendar), repeat=3)
    report(f"10,000 equal FYs -> months -> weeks ({parts:,} weeks)", t_copies)
    distinct = [
        Period(fy.start + timedelta(days=i), fy.end + timedelta(days=i)) for i in range(10_000)
    ]
    t_distinct, parts = best_of(lambda: months_then_weeks(distinct, calendar), repeat=3)
    report(
        f"10,000 different years -> months -> weeks ({parts:,})",
        t_distinct,
        unit="parts",
        count=parts,
    )

    print("\nworking days over 10 years (120 holidays, 50 make-up days; best of 20)")
    start, end = decade.start, decade.end
    t_fast, fast = best_of(lambda: calendar.working_days(start, end), repeat=20)
    print(f"{'Calendar.working_days':<58} {t_fast * 1e6:10.2f} us")
    t_naive, naive = best_of(lambda: naive_working_days(start, end, calendar), repeat=20)
    report("baseline: day-by-day loop with set lookups", t_naive)
    assert fast == naive, (fast, naive)
    print(f"both count {fast:,} working days; the baseline takes {t_naive / t_fast:,.0f}x as long")


if __name__ == "__main__":
    main()
