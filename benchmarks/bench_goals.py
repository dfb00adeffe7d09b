"""Benchmark: decompose a year goal over a 10,000-leaf org into ISO weeks.

The org is company -> 10 regions -> 100 teams -> 10,000 reps, split by
explicit region weights, evenly to teams and by explicit rep weights, with a
base and a stretch level; each rep's year is then split into the year's ISO
weeks (clipped to the year) by working days: about 530,000 exact parts per
level. The targets are under 2 s and 500 MiB peak.

Baseline, measured in the same run: the loop a user would write by hand, one
Decimal multiply, divide and quantize per rep-week, which does not even sum to
the reps' years (it is reported how far off it lands).

Run: ``python benchmarks/bench_goals.py`` (seeded, no network).
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, peak_memory, report
from perfkit._goals_decompose import decompose
from perfkit._goals_model import Goal
from perfkit._goals_plan import GoalPlan
from perfkit._org import OrgTree
from perfkit._time import Calendar, Period

CENT = Decimal("0.01")
REGIONS, TEAMS, REPS = 10, 10, 100  # per parent: 10 x 10 x 100 = 10,000 reps


def build() -> tuple[OrgTree, Goal]:
    rng = random.Random(20261126)
    paths = []
    rep_weights: dict[str, str] = {}
    for r in range(REGIONS):
        for t in range(TEAMS):
            for p in range(REPS):
                rep = f"rep-{r}{t:02d}{p:03d}"
                paths.append(f"company/region-{r}/team-{r}{t:02d}/{rep}")
                rep_weights[rep] = str(rng.randint(50, 150))
    tree = OrgTree.from_paths(paths)
    regions = {f"region-{r}": str(rng.randint(5, 15)) for r in range(REGIONS)}
    goal = Goal(
        id="revenue-2026",
        metric="revenue",
        unit="CNY",
        owner="company",
        period="FY2026",
        levels={"base": "1000000000.00", "stretch": "1200000000.00"},
        decompose={
            "org": [
                {"by": "weights", "weights": regions, "over_assign": "105%"},
                {"by": "even"},
                {"by": "weights", "weights": rep_weights},
            ],
            "time": [{"into": "week", "by": "working_days"}],
        },
    )
    return tree, goal


def naive(plan: GoalPlan, calendar: Calendar) -> tuple[int, Decimal]:
    """Per rep-week: year * working days of the week / working days of the year."""
    weeks = Period.parse("FY2026").split("week")
    days = [Decimal(w.working_days(calendar)) for w in weeks]
    year_days = sum(days)
    parts, drift = 0, Decimal(0)
    for rep in plan.leaves():
        year = plan.target(rep)
        total = Decimal(0)
        for d in days:
            total += (year * d / year_days).quantize(CENT)
            parts += 1
        drift += abs(total - year)
    return parts, drift


def main() -> None:
    calendar = Calendar()
    seconds_tree, (tree, goal) = best_of(build, repeat=1)
    report("build the org tree (10,000 reps) and the goal", seconds_tree)
    seconds, plan = best_of(lambda: decompose(goal, tree, calendar=calendar), repeat=3)
    parts = len(plan._plan_rows) * len(plan._time_tree.leaves)
    print(f"{plan!r}: {parts:,} parts per level, {2 * parts:,} in all")
    report("perfkit.decompose (best of 3)", seconds, unit="parts", count=2 * parts)
    peak, _ = peak_memory(lambda: decompose(goal, tree, calendar=calendar))
    print(f"{'peak traced memory of one decompose':<58} {peak:10.1f} MiB")
    leaves = plan.leaves()
    for rep in leaves[:50]:  # spot-check: each rep's weeks sum exactly to its year
        assert plan.target(rep, "FY2026") == sum(plan.target(rep, w) for w in plan.periods("week"))
    seconds_naive, (naive_parts, drift) = best_of(lambda: naive(plan, calendar), repeat=1)
    report("baseline: per-part Decimal multiply/divide/quantize", seconds_naive,
           unit="parts", count=naive_parts)  # fmt: skip
    print(f"baseline's weeks miss their reps' years by {drift} in total; perfkit's sum exactly")
    print(f"ratio perfkit/baseline: {seconds / seconds_naive:.2f}x the baseline's time")
    target_ok = seconds < 2 and peak < 500
    print(f"targets (< 2 s, < 500 MiB): {'met' if target_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
