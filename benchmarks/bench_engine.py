"""Benchmark: evaluating plans on a million deals, against hand-written pandas.

The data (seeded) is N deals over M reps (default 1,000,000 over 10,000): deals
with a customer, a Decimal amount (2% refunds), a close date and a new-logo
flag; N/2 activities (60% visits), N/10 CSAT surveys scored in tenths, N/4
tasks (4% never done), a participants table (base salary, target bonus) and a
revenue target per rep (one rep in ten a new hire with a prorated target). The
dates run from mid-March to mid-July 2026, so three quarters of the records fall
in the evaluated quarter, 2026-Q2. Records are what a database driver returns:
``str``, ``Decimal``, ``datetime.date``, ``bool`` and ``None``.

The plan (``POLICY`` below) has a five-component scorecard (revenue attainment,
visits, CSAT mean, on-time task ratio, distinct new logos), a rate commission
above a threshold with a cap, a scorecard bonus gated on attainment and a
penalty, each line rounded half-up to the cent.

Figures, in one run: ``Dataset.from_records`` and ``perfkit.evaluate`` wall
time, their peak traced memory (tracemalloc) and the process's peak resident
memory (``getrusage`` max RSS, also shown net of the input records); the same
for the baseline a user would otherwise write, pandas group-bys and
``numpy.interp`` in float64 with the usual ``floor(x * 100 + 0.5)`` half-up
idiom. Each measured step runs in its own forked process, so every peak RSS is
that step's alone. Then the payouts are compared rep by rep: how many the float
version pays differently by a cent or more, with examples. ``--profile`` adds
cProfile tables of each perfkit run (top 25 by cumulative and by own time).

Four more scenarios, measured and compared the same way, exercise the rule
kinds (``_engine_rules`` describes them): a marginal ``tiered`` commission on
attainment and a ``per_record`` commission by product and category, both on
the quarter's deals; then, on a year of N deals with cancellations, a
``clawback`` month by ``evaluate`` and by ``evaluate_periods``, and a
``sequence`` of months with cumulative tiers and a recoverable draw. A summary
table closes the run.

Targets: ``evaluate`` of the reference plan on 1M deals under 20 s and under
2 GB peak (2 cores).

Run: ``python benchmarks/bench_engine.py [--deals N] [--reps M] [--months K]
[--only reference,tiered,per_record,clawback,sequence] [--seed S] [--repeat R]
[--no-traced] [--profile]``; a quick run: ``--deals 100000 --reps 1000
--no-traced``. pandas is optional (``pip install 'perfkit[pandas]'``); without
it the baselines and the comparisons are skipped, with a message.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _engine_rules as rules
import perfkit as pk
from _engine_plans import generate_year
from _measure import (
    Figures,
    Options,
    RepOut,
    Row,
    Side,
    contest,
    load_pandas,
    resident_mib,
    summary,
    to_cents,
)

Tables = dict[str, list[dict[str, object]]]

PERIOD = "2026-Q2"
Q2_START, Q2_END = datetime.date(2026, 4, 1), datetime.date(2026, 7, 1)
FIRST_DAY = datetime.date(2026, 3, 16)
SPAN_DAYS = 122  # 16 March to 15 July: 91 of the 122 days are in 2026-Q2
TARGET_SECONDS, TARGET_MIB = 20.0, 2048.0

POLICY = """\
perfkit: 1
name: Benchmark reference plan
currency: CNY
rounding: {quantum: "0.01", mode: half_up}

tables:
  participants:
    columns: {id: string, base_salary: decimal, target_bonus: decimal}
  deals:
    columns: {id: string, owner: string, customer: string, amount: decimal,
              closed_on: date, new_logo: bool}
    key: id
  activities:
    columns: {id: string, owner: string, kind: string, done_on: date}
  surveys:
    columns: {id: string, owner: string, score: decimal, answered_on: date}
  tasks:
    columns: {id: string, owner: string, due_on: date, done_on: date}
  targets:
    columns: {participant: string, revenue: decimal}

metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
  new_logos: {table: deals, count_distinct: customer, where: "new_logo", date: closed_on}
  visits: {table: activities, count: true, where: "kind == 'visit'", date: done_on}
  csat: {table: surveys, mean: score, date: answered_on}
  on_time:
    table: tasks
    ratio: ["done_on is not None and done_on <= due_on", "True"]
    date: due_on

targets:
  revenue: {table: targets, column: revenue}

scorecard:
  components:
    - {metric: revenue, weight: 40%, curve: [[0.5, 0], [1.0, 100], [1.5, 150]]}
    - {metric: visits, weight: 15%, on: value, curve: [[0, 0], [30, 100]]}
    - {metric: csat, weight: 15%, on: value, curve: [[3.5, 60], [4.5, 100], [5.0, 120]]}
    - {metric: on_time, weight: 15%, on: value, curve: [[0.6, 0], [0.95, 100]]}
    - {metric: new_logos, weight: 15%, on: value, curve: [[0, 0], [4, 100], [8, 125]]}

incentives:
  - id: commission
    rate: {on: revenue, rate: 3.5%, threshold: "target.revenue * 0.5"}
    cap: "3 * target_bonus"
  - id: bonus
    when: "attainment.revenue >= 0.5"
    amount: "target_bonus * score / 100"
  - id: penalty
    when: "attainment.revenue < 0.6"
    amount: "-min(500, base_salary * 5%)"

actions:
  - {when: "attainment.revenue < 0.6", flag: coaching_plan}
"""

LINES = ("commission", "bonus", "penalty")


# --- data -------------------------------------------------------------------------


def cents(units: int) -> Decimal:
    """``units`` hundredths as a two-place Decimal (12345 -> 123.45)."""
    return Decimal(units).scaleb(-2)


def generate(deals: int, reps: int, seed: int) -> Tables:
    """The seeded records: deals, activities, surveys, tasks, participants, targets."""
    rng = random.Random(seed)
    ids = [f"rep-{i:05d}" for i in range(reps)]
    weights = [rng.uniform(0.3, 1.7) for _ in ids]
    present = [91 if rng.random() >= 0.1 else rng.randint(1, 90) for _ in ids]  # new hires
    weights = [w * days / 91 for w, days in zip(weights, present, strict=True)]
    cum = list(itertools.accumulate(weights))
    days = [FIRST_DAY + datetime.timedelta(days=d) for d in range(SPAN_DAYS)]
    late = [rng.uniform(0.0, 0.35) for _ in ids]

    def owners(count: int) -> list[int]:
        return rng.choices(range(reps), cum_weights=cum, k=count)

    deal_rows: list[dict[str, object]] = []
    pool = max(1, deals // 5)
    for n, (who, day) in enumerate(zip(owners(deals), rng.choices(days, k=deals), strict=True)):
        amount = cents(rng.randrange(50_00, 25_000_00))
        deal_rows.append(
            {
                "id": f"D{n:07d}",
                "owner": ids[who],
                "customer": f"C{rng.randrange(pool):07d}",
                "amount": -amount if rng.random() < 0.02 else amount,
                "closed_on": day,
                "new_logo": rng.random() < 0.08,
            }
        )
    count = deals // 2
    kinds = rng.choices(("visit", "call", "email"), weights=(60, 25, 15), k=count)
    activity_rows: list[dict[str, object]] = [
        {"id": f"A{n:07d}", "owner": ids[who], "kind": kind, "done_on": day}
        for n, (who, kind, day) in enumerate(
            zip(owners(count), kinds, rng.choices(days, k=count), strict=True)
        )
    ]
    count = deals // 10
    survey_rows: list[dict[str, object]] = [
        {
            "id": f"S{n:07d}",
            "owner": ids[who],
            "score": Decimal(round(rng.triangular(25, 50, 43))).scaleb(-1),
            "answered_on": day,
        }
        for n, (who, day) in enumerate(zip(owners(count), rng.choices(days, k=count), strict=True))
    ]
    count = deals // 4
    task_rows: list[dict[str, object]] = []
    for n, (who, due) in enumerate(zip(owners(count), rng.choices(days, k=count), strict=True)):
        done: datetime.date | None = None
        if rng.random() >= 0.04:
            shift = rng.randint(1, 5) if rng.random() < late[who] else -rng.randint(0, 6)
            done = due + datetime.timedelta(days=shift)
        task_rows.append({"id": f"T{n:07d}", "owner": ids[who], "due_on": due, "done_on": done})
    # Expected quarter revenue of a rep, and a target that puts attainment between ~0.45 and 1.6.
    per_weight = deals * 91 / SPAN_DAYS * 0.96 * 12_525 / cum[-1]
    participant_rows: list[dict[str, object]] = []
    target_rows: list[dict[str, object]] = []
    for who, name in enumerate(ids):
        full = per_weight * weights[who] * 91 / present[who] / rng.uniform(0.45, 1.6)
        target = cents(max(1, round(full / 1000)) * 1000_00)
        if present[who] < 91:  # prorated, the published target rounded to the cent
            target = (target * present[who] / 91).quantize(Decimal("0.01"))
        participant_rows.append(
            {
                "id": name,
                "base_salary": cents(rng.randrange(6_000_00, 15_000_00)),
                "target_bonus": cents(rng.randrange(50, 400) * 50_00),
            }
        )
        target_rows.append({"participant": name, "revenue": target})
    return {
        "participants": participant_rows,
        "deals": deal_rows,
        "activities": activity_rows,
        "surveys": survey_rows,
        "tasks": task_rows,
        "targets": target_rows,
    }


# --- perfkit ------------------------------------------------------------------------


def perfkit_outputs(result: pk.Result) -> dict[str, RepOut]:
    """Per rep: metrics, attainment, score and lines, exactly as perfkit computed them."""
    out: dict[str, RepOut] = {}
    for rep in result.participants:
        out[rep.id] = {
            **{name: rep.metrics[name] for name in rep.metrics},
            "target": rep.targets["revenue"],
            "attainment": rep.attainment["revenue"],
            "score": rep.score,
            **{line.component: line.amount for line in rep.lines},
            "payout": rep.payout,
        }
    return out


# --- the pandas baseline ----------------------------------------------------------------


def pandas_frames(pd: Any, tables: Tables) -> dict[str, Any]:
    """DataFrames from the records, amounts as float64 and dates as datetime64: the usual."""
    frames = {name: pd.DataFrame.from_records(rows) for name, rows in tables.items()}
    for name, column in (
        ("deals", "amount"),
        ("surveys", "score"),
        ("participants", "base_salary"),
        ("participants", "target_bonus"),
        ("targets", "revenue"),
    ):
        frames[name][column] = frames[name][column].astype("float64")
    for name, column in (
        ("deals", "closed_on"),
        ("activities", "done_on"),
        ("surveys", "answered_on"),
        ("tasks", "due_on"),
        ("tasks", "done_on"),
    ):
        frames[name][column] = pd.to_datetime(frames[name][column])
    return frames


def pandas_plan(pd: Any, np: Any, frames: Mapping[str, Any]) -> Any:
    """The plan by hand: one DataFrame row per rep with metrics, score, lines and payout."""
    start, end = pd.Timestamp(Q2_START), pd.Timestamp(Q2_END)

    def in_quarter(name: str, column: str) -> Any:
        frame = frames[name]
        return frame[(frame[column] >= start) & (frame[column] < end)]

    def curve(x: Any, points: list[tuple[float, float]]) -> Any:
        xs = [p for p, _ in points]
        score = np.interp(x, xs, [s for _, s in points])  # capped above the last point
        return np.where(np.isnan(x) | (x < xs[0]), 0.0, score)  # floor 0 below, and if missing

    def half_up(x: Any) -> Any:
        return np.sign(x) * np.floor(np.abs(x) * 100 + 0.5) / 100

    deals = in_quarter("deals", "closed_on")
    activities = in_quarter("activities", "done_on")
    surveys = in_quarter("surveys", "answered_on")
    tasks = in_quarter("tasks", "due_on")
    reps = frames["participants"].set_index("id")
    reps["target"] = frames["targets"].set_index("participant")["revenue"]
    ids = reps.index
    reps["revenue"] = deals.groupby("owner")["amount"].sum().reindex(ids, fill_value=0.0)
    new = deals[deals["new_logo"]]
    reps["new_logos"] = new.groupby("owner")["customer"].nunique().reindex(ids, fill_value=0)
    visits = activities[activities["kind"] == "visit"]
    reps["visits"] = visits.groupby("owner").size().reindex(ids, fill_value=0)
    reps["csat"] = surveys.groupby("owner")["score"].mean().reindex(ids)
    on_time = tasks["done_on"] <= tasks["due_on"]  # NaT (not done) compares False
    reps["on_time"] = on_time.groupby(tasks["owner"]).mean().reindex(ids)
    reps["attainment"] = reps["revenue"] / reps["target"]
    a = reps["attainment"].to_numpy()
    reps["score"] = (
        0.40 * curve(a, [(0.5, 0), (1.0, 100), (1.5, 150)])
        + 0.15 * curve(reps["visits"].to_numpy(float), [(0, 0), (30, 100)])
        + 0.15 * curve(reps["csat"].to_numpy(), [(3.5, 60), (4.5, 100), (5.0, 120)])
        + 0.15 * curve(reps["on_time"].to_numpy(), [(0.6, 0), (0.95, 100)])
        + 0.15 * curve(reps["new_logos"].to_numpy(float), [(0, 0), (4, 100), (8, 125)])
    )
    revenue, target = reps["revenue"], reps["target"]
    commission = np.where(revenue < target * 0.5, 0.0, revenue * 0.035)
    commission = np.minimum(commission, 3 * reps["target_bonus"])
    bonus = np.where(a >= 0.5, reps["target_bonus"] * reps["score"] / 100, 0.0)
    penalty = np.where(a < 0.6, -np.minimum(500.0, reps["base_salary"] * 0.05), 0.0)
    for name, raw in (("commission", commission), ("bonus", bonus), ("penalty", penalty)):
        reps[f"{name}_raw"] = raw
        reps[name] = half_up(raw)
    reps["payout"] = reps["commission"] + reps["bonus"] + reps["penalty"]
    return reps


# --- comparison ---------------------------------------------------------------------------


def shown(value: Any) -> str:
    """An exact value for people: Decimals as they are, Fractions as a/b and 20 digits."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        digits = Decimal(value.numerator) / Decimal(value.denominator)
        return f"{value} = {digits:.20g}"
    return str(value)


def is_tie(raw: float) -> bool:
    """True when a float sits within float noise of a half cent (x.xx5)."""
    hundredths = abs(raw) * 100
    return abs(hundredths - int(hundredths) - 0.5) < 1e-6


THRESHOLDS = (
    ("attainment", Fraction(1, 2)),
    ("attainment", Fraction(3, 5)),
    ("csat", Fraction(7, 2)),
)
"""Values where the plan jumps: the bonus and commission gate, the penalty, the CSAT floor."""


def compare(exact: Mapping[str, RepOut], floats: Mapping[str, RepOut], examples: int = 4) -> str:
    """Count reps whose payout differs by a cent or more, by line and cause; show some."""
    differ: list[tuple[Decimal, str]] = []
    by_line = dict.fromkeys(LINES, 0)
    ties = tie_lines = big = on_edge = wrong_side = 0
    for rep, mine in exact.items():
        theirs = floats[rep]
        gap = abs(mine["payout"] - to_cents(theirs["payout"]))
        for line in LINES:
            tie_lines += is_tie(theirs[f"{line}_raw"])
            if mine[line] != to_cents(theirs[line]):
                by_line[line] += 1
                ties += is_tie(theirs[f"{line}_raw"])
        if gap >= Decimal("0.01"):
            differ.append((gap, rep))
            big += gap > Decimal("0.01")
        for name, edge in THRESHOLDS:
            if mine[name] is not None and mine[name] == edge:
                on_edge += 1
                wrong_side += theirs[name] < edge
    print(
        f"\nexactness: the float64 pandas version pays {len(differ):,} of {len(exact):,} reps "
        f"differently by 0.01 or more ({big:,} of them by more than a cent)"
    )
    print(
        "  lines that differ: "
        + ", ".join(f"{line} {count:,}" for line, count in by_line.items())
        + f"; {ties:,} of them are exact half-cent ties that float put on the wrong side "
        f"(of {tie_lines:,} lines on a half cent)"
    )
    print(
        f"  {on_edge:,} reps sit exactly on a threshold (attainment 0.5 or 0.6, CSAT mean 3.5); "
        f"float put {wrong_side:,} of them below it"
    )
    differ.sort(key=lambda item: (-item[0], item[1]))
    for gap, rep in differ[:examples]:
        mine, theirs = exact[rep], floats[rep]
        print(f"  {rep}: perfkit pays {mine['payout']}, pandas {theirs['payout']!r} (off by {gap})")
        for name in ("attainment", "csat", "on_time", "score", *LINES):
            if name in LINES and mine[name] == to_cents(theirs[name]):
                continue
            raw = theirs.get(f"{name}_raw", theirs[name])
            print(f"    {name:<11} exact {shown(mine[name]):<48} float {raw!r}")
    return f"{len(differ):,} of {len(exact):,} reps"


# --- main -------------------------------------------------------------------------------


SCENARIOS = ("reference", "tiered", "per_record", "clawback", "sequence")


def reference(tables: Tables, options: Options) -> Row:
    """The reference plan: scorecard, rate commission, bonus and penalty, 2026-Q2."""
    deals = len(tables["deals"])

    def targets(mine: Figures) -> None:
        verdict = "met" if mine.run[0] <= TARGET_SECONDS else "MISSED"
        print(f"target: evaluate {deals:,} deals in under {TARGET_SECONDS:.0f} s: {verdict}")
        peak = max(mine.traced_mib or 0.0, mine.rss.peak_mib)
        verdict = "met" if peak <= TARGET_MIB else "MISSED"
        gib = TARGET_MIB / 1024
        print(f"target: under {gib:.0f} GiB peak (RSS with the input records, traced): {verdict}")

    policy = pk.load_policy(POLICY)
    mine, theirs = contest(
        f"reference plan (scorecard, rate commission, bonus, penalty), {PERIOD}",
        deals,
        Side(
            lambda: pk.Dataset.from_records(tables),
            lambda dataset: pk.evaluate(policy, dataset, PERIOD),
            perfkit_outputs,
        ),
        lambda pd, np: Side(
            lambda: pandas_frames(pd, tables),
            lambda frames: pandas_plan(pd, np, frames),
            lambda reps: reps.to_dict("index"),
        ),
        options,
        steps=("perfkit.evaluate", "group-bys, np.interp curves, lines"),
        then=targets,
    )
    found = "-" if theirs is None else compare(mine.outputs, theirs.outputs)
    return Row(f"reference {PERIOD}", mine, theirs, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12, help="months of the sequence (1-12)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each (best kept)")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run (default all: {','.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--no-traced", action="store_true", help="skip the tracemalloc runs (each ~2-3x slower)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each perfkit run")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown or not 1 <= args.months <= 12:
        parser.error(f"unknown scenarios {unknown}" if unknown else "--months is 1 to 12")

    found = load_pandas()
    if found is None:
        print(
            "pandas is not installed: the baselines and the exactness comparisons are skipped "
            "(pip install 'perfkit[pandas]' to run them)"
        )
    options = Options(args.repeat, not args.no_traced, args.profile, found)
    rows: list[Row] = []
    if {"reference", "tiered", "per_record"} & set(chosen):
        start = time.perf_counter()
        tables = generate(args.deals, args.reps, args.seed)
        sizes = ", ".join(f"{name} {len(records):,}" for name, records in tables.items())
        print(f"generated in {time.perf_counter() - start:.1f} s: {sizes} (seed {args.seed})")
        print(f"resident before measuring: {resident_mib():,.0f} MiB (interpreter and records)")
        if "reference" in chosen:
            rows.append(reference(tables, options))
        if "tiered" in chosen:
            rows.append(rules.tiered(tables, PERIOD, (Q2_START, Q2_END), options))
        if "per_record" in chosen:
            rows.append(rules.per_record(tables, PERIOD, (Q2_START, Q2_END), args.seed, options))
        del tables
    if {"clawback", "sequence"} & set(chosen):
        start = time.perf_counter()
        year = generate_year(args.deals, args.reps, args.seed)
        sizes = ", ".join(f"{name} {len(records):,}" for name, records in year.items())
        print(f"\ngenerated a year in {time.perf_counter() - start:.1f} s: {sizes}")
        print(f"resident before measuring: {resident_mib():,.0f} MiB (interpreter and records)")
        if "clawback" in chosen:
            rows += rules.clawback(year, options)
        if "sequence" in chosen:
            rows.append(rules.sequence(year, args.months, options))
    summary(rows)


if __name__ == "__main__":
    main()
