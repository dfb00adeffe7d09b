"""bench_engine's rule-kind scenarios: tiers, per-record lines, clawbacks, a year of months.

Four plans, each run by perfkit and by the float64 pandas code a user would
otherwise write, in the same run and measured like the reference plan (each
step in its own process; wall and CPU time, peak RSS, traced peak), then
compared rep by rep to the cent:

1. ``tiered``: a marginal tiered commission on revenue attainment, 2% / 5% / 8%
   from 0 / 50% / 100% of target, worth the target (``base: target.revenue``),
   on the reference quarter's deals;
2. ``per_record``: each deal paid at the rate of its most specific line by
   ``keys: [product, category]`` (20 products, 5 categories; lines for five
   products, one product in one category, every category, and a default), on
   the same deals given a product and a category (8% cross-sold into another
   category, 4% with none, so the default line pays them);
3. ``clawback``: that commission and ``clawback: {of: commission, date:
   cancelled_on, within: 90}`` on a year of deals (2% cancelled within 90 days
   of closing, 0.5% later): one ``evaluate`` of 2026-04, which evaluates
   2026-01..03 again to find what they paid, and ``evaluate_periods`` of
   2026-01..04, which reads its own ledger instead (and rounds a month's
   reversals of one paying month together with the earlier months', so the
   two may differ by a cent: the run prints how often);
4. ``sequence``: ``evaluate_periods`` over the months of 2026 of a cumulative
   (year-to-date) marginal tiered commission on attainment of the annual
   target (the sum of the monthly ones) and a recoverable monthly draw, won
   back from half the earnings above it; pandas loops over the same months.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import perfkit as pk
from _engine_pandas import (
    Frames,
    frames,
    pandas_clawback,
    pandas_per_record,
    pandas_sequence,
    pandas_tiered,
)
from _engine_plans import (
    CLAWBACK_MONTH,
    CLAWBACK_POLICY,
    LINE_COUNT,
    PER_RECORD_POLICY,
    SEQUENCE_POLICY,
    TIERED_POLICY,
    Tables,
    month_label,
    with_products,
)
from _measure import Figures, Options, RepOut, Row, Side, contest, to_cents

Window = tuple[datetime.date, datetime.date]

# --- perfkit's side -------------------------------------------------------------------


def single(period: str) -> Callable[[pk.Policy, pk.Dataset], pk.Result]:
    """``evaluate`` for one period."""

    def run(policy: pk.Policy, dataset: pk.Dataset) -> pk.Result:
        return pk.evaluate(policy, dataset, period)

    return run


def periods(labels: Sequence[str]) -> Callable[[pk.Policy, pk.Dataset], tuple[pk.Result, ...]]:
    """``evaluate_periods`` over consecutive periods."""

    def run(policy: pk.Policy, dataset: pk.Dataset) -> tuple[pk.Result, ...]:
        return pk.evaluate_periods(policy, dataset, list(labels))

    return run


def month_outputs(results: pk.Result | Sequence[pk.Result]) -> dict[str, RepOut]:
    """Per rep and period: the payout and each component's lines summed (clawbacks too).

    Also, under ``reversed <period> <paid in>``, how many records a clawback
    reversed in that period, by the period that paid them.
    """
    out: dict[str, RepOut] = {}
    for result in [results] if isinstance(results, pk.Result) else results:
        for rep in result.participants:
            mine = out.setdefault(rep.id, {})
            for line in rep.lines:
                key = f"{line.component} {result.period}"
                mine[key] = mine.get(key, Decimal(0)) + line.amount
                if line.kind == "clawback" and line.record is not None:
                    key = f"reversed {result.period} {line.original_period}"
                    mine[key] = mine.get(key, 0) + 1
            mine[result.period] = rep.payout
            mine["balance"] = rep.balances.get("draw")
    return out


def rep_outputs(result: pk.Result) -> dict[str, RepOut]:
    """Per rep: attainment (exact), the commission line and the payout."""
    return {
        rep.id: {
            "attainment": rep.attainment.get("revenue"),
            **{line.component: line.amount for line in rep.lines},
            "payout": rep.payout,
        }
        for rep in result.participants
    }


def reversed_in(outputs: Mapping[str, RepOut], period: str) -> str:
    """``1,234 records (2026-01 56, ...)``: what clawbacks reversed in ``period``, by payer."""
    found: Counter[str] = Counter()
    for mine in outputs.values():
        for key, count in mine.items():
            if key.startswith(f"reversed {period} "):
                found[key.rsplit(" ", 1)[1]] += count
    paid = ", ".join(f"{label} {found[label]:,}" for label in sorted(found))
    return f"{sum(found.values()):,} records ({paid or 'none'})"


# --- comparison -----------------------------------------------------------------------------


CENT = Decimal("0.01")


def count_cents(
    exact: Mapping[str, RepOut],
    floats: Mapping[str, RepOut],
    paid: Sequence[str],
    lines: Sequence[str] = (),
    examples: int = 3,
) -> str:
    """Print how many reps the float version pays differently (``paid`` fields); summarise it."""
    cells = dict.fromkeys([*paid, *lines], 0)
    differ: list[tuple[Decimal, str, str]] = []
    cells_off = big = 0
    for rep, mine in exact.items():
        theirs = floats[rep]
        worst: tuple[Decimal, str] | None = None
        for name in cells:
            gap = abs((mine.get(name) or Decimal(0)) - to_cents(theirs[name]))
            if gap >= CENT:
                cells[name] += 1
                if name in paid:
                    cells_off += 1
                    worst = max(worst or (gap, name), (gap, name))
        if worst is not None:
            differ.append((worst[0], rep, worst[1]))
            big += worst[0] > CENT
    what = f"{len(differ):,} of {len(exact):,} reps"
    if len(paid) > 1:
        what += f" ({cells_off:,} of {len(exact) * len(paid):,} rep-periods)"
    print(
        f"\nexactness: the float64 pandas version pays {what} differently by 0.01 or more "
        f"({big:,} reps by more than a cent somewhere)"
    )
    counts = ", ".join(f"{name} {count:,}" for name, count in cells.items() if count)
    print(f"  cells that differ: {counts or 'none'}")
    differ.sort(key=lambda item: (-item[0], item[1]))
    for gap, rep, name in differ[:examples]:
        mine, theirs = exact[rep], floats[rep]
        print(f"  {rep} {name}: perfkit {mine[name]}, pandas {theirs[name]!r} (off by {gap})")
        others = [f for f in lines if (mine.get(f) or Decimal(0)) != to_cents(theirs[f])]
        for field in others[:4]:
            raw = theirs.get(f"{field}_raw", theirs[field])
            print(f"    {field}: perfkit {mine.get(field)}, pandas {raw!r}")
    return what


# --- the scenarios --------------------------------------------------------------------------


def _perfkit(
    policy: str, tables: Tables, run: Callable[[pk.Policy, pk.Dataset], Any], read: Any
) -> Side:
    loaded = pk.load_policy(policy)
    return Side(lambda: pk.Dataset.from_records(tables), lambda ds: run(loaded, ds), read)


def _pandas(tables: Tables, compute: Callable[[Any, Any, Frames], Any]) -> Callable[..., Side]:
    def side(pd: Any, np: Any) -> Side:
        return Side(
            lambda: frames(pd, tables),
            lambda f: compute(pd, np, f),
            lambda reps: reps.to_dict("index"),
        )

    return side


def _row(
    name: str, mine: Figures, theirs: Figures | None, paid: Sequence[str], lines: Sequence[str] = ()
) -> Row:
    found = "-" if theirs is None else count_cents(mine.outputs, theirs.outputs, paid, lines)
    return Row(name, mine, theirs, found)


def tiered(tables: Tables, period: str, window: Window, options: Options) -> Row:
    """Scenario 1: marginal tiers on attainment, base target."""
    used = {name: tables[name] for name in ("participants", "deals", "targets")}
    mine, theirs = contest(
        f"tiered (marginal, on attainment, base target), {period}",
        len(used["deals"]),
        _perfkit(TIERED_POLICY, used, single(period), rep_outputs),
        _pandas(used, lambda pd, np, f: pandas_tiered(pd, np, f, *window)),
        options,
        steps=("perfkit.evaluate", "group-by, tiers, half-up"),
    )
    return _row(f"tiered marginal {period}", mine, theirs, ["payout"], ["commission"])


def per_record(tables: Tables, period: str, window: Window, seed: int, options: Options) -> Row:
    """Scenario 2: per-record lines by product and category."""
    used = {
        "participants": tables["participants"],
        "deals": with_products(tables["deals"], seed),
    }
    mine, theirs = contest(
        f"per_record (keys: [product, category], {LINE_COUNT} lines), {period}",
        len(used["deals"]),
        _perfkit(PER_RECORD_POLICY, used, single(period), rep_outputs),
        _pandas(used, lambda pd, np, f: pandas_per_record(pd, np, f, *window)),
        options,
        steps=("perfkit.evaluate", "rates by line, group-by, half-up"),
    )
    return _row(f"per_record {period}", mine, theirs, ["payout"], ["commission"])


def clawback(tables: Tables, options: Options) -> list[Row]:
    """Scenario 3: a clawback month by ``evaluate`` (re-evaluating) and ``evaluate_periods``."""
    month = month_label(CLAWBACK_MONTH)
    labels = [month_label(m) for m in range(1, CLAWBACK_MONTH + 1)]
    deals = len(tables["deals"])
    rows: list[Row] = []
    one, one_pd = contest(
        f"clawback: evaluate {month} (evaluates {labels[0]}..{labels[-2]} again)",
        deals,
        _perfkit(CLAWBACK_POLICY, tables, single(month), month_outputs),
        _pandas(
            tables, lambda pd, np, f: pandas_clawback(pd, np, f, [CLAWBACK_MONTH], ledger=False)
        ),
        options,
        steps=("perfkit.evaluate", "4 months of lines, clawbacks"),
    )
    print(f"\nclawback lines in {month}: {reversed_in(one.outputs, month)}")
    lines = [f"commission {month}", f"clawback {month}"]
    rows.append(_row(f"clawback evaluate {month}", one, one_pd, [month], lines))
    many, many_pd = contest(
        f"clawback: evaluate_periods {labels[0]}..{labels[-1]} (its ledger)",
        deals,
        _perfkit(CLAWBACK_POLICY, tables, periods(labels), month_outputs),
        _pandas(
            tables,
            lambda pd, np, f: pandas_clawback(pd, np, f, range(1, len(labels) + 1), ledger=True),
        ),
        options,
        steps=(f"perfkit.evaluate_periods x{len(labels)}", "4 months of lines, clawbacks"),
    )
    print()
    for label in labels:
        print(f"clawback lines in {label}: {reversed_in(many.outputs, label)}")
    lines = [f"{kind} {label}" for label in labels for kind in ("commission", "clawback")]
    rows.append(_row(f"clawback evaluate_periods x{len(labels)}", many, many_pd, labels, lines))
    differ = [rep for rep in one.outputs if one.outputs[rep][month] != many.outputs[rep][month]]
    print(
        f"perfkit's two ways agree on the {month} payout of "
        f"{len(one.outputs) - len(differ):,} of {len(one.outputs):,} reps"
    )
    key = f"clawback {month}"
    for rep in differ[:3]:
        print(
            f"  {rep}: evaluate claws back {one.outputs[rep][key]}, evaluate_periods "
            f"{many.outputs[rep][key]} (it rounds with the reversals of earlier months)"
        )
    return rows


def sequence(tables: Tables, months: int, options: Options) -> Row:
    """Scenario 4: evaluate_periods over months: cumulative tiers and a recoverable draw."""
    labels = [month_label(m) for m in range(1, months + 1)]
    used = {name: tables[name] for name in ("participants", "deals", "targets")}
    mine, theirs = contest(
        f"sequence: evaluate_periods {labels[0]}..{labels[-1]}, "
        "cumulative tiers and a recoverable draw",
        len(used["deals"]),
        _perfkit(SEQUENCE_POLICY, used, periods(labels), month_outputs),
        _pandas(used, lambda pd, np, f: pandas_sequence(pd, np, f, months)),
        options,
        steps=(f"perfkit.evaluate_periods x{months}", "month loop: tiers year to date, draw"),
    )
    lines = [f"{kind} {label}" for label in labels for kind in ("commission", "draw")]
    return _row(f"sequence x{months} months", mine, theirs, labels, [*lines, "balance"])
