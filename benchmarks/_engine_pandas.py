"""The float64 pandas baselines of bench_engine's rule-kind scenarios.

What a user would otherwise write for each plan of ``_engine_plans``: frames
from the records (decimals as float64, dates as datetime64), group-bys, and the
usual ``floor(x * 100 + 0.5)`` half-up to the cent. Each returns one row per
rep with the same field names as perfkit's outputs.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from _engine_plans import (
    BOTH_LINES,
    CATEGORY_LINES,
    DEFAULT_RATE,
    DRAW_SHARE,
    PRODUCT_LINES,
    TIERS,
    WITHIN,
    YEAR,
    Tables,
    month_label,
)

Frames = dict[str, Any]


def frames(pd: Any, tables: Tables) -> Frames:
    """DataFrames from the records: decimals as float64, dates as datetime64, as usual."""
    out: Frames = {}
    for name, rows in tables.items():
        frame = pd.DataFrame.from_records(rows)
        for column in frame.columns:
            sample = next((v for v in frame[column] if v is not None), None)
            if isinstance(sample, Decimal):
                frame[column] = frame[column].astype("float64")
            elif isinstance(sample, datetime.date):
                frame[column] = pd.to_datetime(frame[column])
        out[name] = frame
    return out


def half_up(np: Any, x: Any) -> Any:
    """The usual float half-up to the cent: ``floor(|x| * 100 + 0.5) / 100``, signed."""
    return np.sign(x) * np.floor(np.abs(x) * 100 + 0.5) / 100


def _rate(text: str) -> float:
    return float(Decimal(text.rstrip("%")) / 100)


def marginal(np: Any, attainment: Any) -> Any:
    """Marginal tiers on attainment, per unit of base (the target): each slice at its rate."""
    total = np.zeros(len(attainment))
    bounds = [float(low) for low, _ in TIERS]
    for index, (low, rate) in enumerate(TIERS):
        high = bounds[index + 1] if index + 1 < len(bounds) else np.inf
        part = (np.minimum(attainment, high) - float(low)) * _rate(rate)
        total += np.where(attainment >= float(low), part, 0.0)
    return total


def line_rates(pd: Any, deals: Any) -> Any:
    """Each deal's rate: product-and-category line, else product, else category, else default."""
    both = {f"{p}|{c}": _rate(r) for (p, c), r in BOTH_LINES.items()}
    pair = deals["product"] + "|" + deals["category"].fillna("")
    rate = pair.map(both)
    rate = rate.fillna(deals["product"].map({p: _rate(r) for p, r in PRODUCT_LINES.items()}))
    rate = rate.fillna(deals["category"].map({c: _rate(r) for c, r in CATEGORY_LINES.items()}))
    return rate.fillna(_rate(DEFAULT_RATE)).astype("float64")


def between(frame: Any, column: str, start: Any, end: Any) -> Any:
    """The rows whose ``column`` is in ``[start, end)``."""
    return frame[(frame[column] >= start) & (frame[column] < end)]


def pandas_tiered(pd: Any, np: Any, f: Frames, start: datetime.date, end: datetime.date) -> Any:
    """Revenue per rep, attainment, the marginal tiers worth the target, rounded."""
    deals = between(f["deals"], "closed_on", pd.Timestamp(start), pd.Timestamp(end))
    ids = f["participants"]["id"]
    reps = pd.DataFrame(index=ids)
    reps["target"] = f["targets"].set_index("participant")["revenue"].reindex(ids)
    reps["revenue"] = deals.groupby("owner")["amount"].sum().reindex(ids, fill_value=0.0)
    reps["attainment"] = reps["revenue"] / reps["target"]
    reps["commission_raw"] = marginal(np, reps["attainment"].to_numpy()) * reps["target"]
    reps["commission"] = half_up(np, reps["commission_raw"])
    reps["payout"] = reps["commission"]
    return reps


def pandas_per_record(pd: Any, np: Any, f: Frames, start: datetime.date, end: datetime.date) -> Any:
    """Each deal at its line's rate, summed per rep, rounded."""
    deals = between(f["deals"], "closed_on", pd.Timestamp(start), pd.Timestamp(end))
    ids = f["participants"]["id"]
    pay = deals["amount"] * line_rates(pd, deals)
    reps = pd.DataFrame(index=ids)
    reps["commission_raw"] = pay.groupby(deals["owner"]).sum().reindex(ids, fill_value=0.0)
    reps["commission"] = half_up(np, reps["commission_raw"])
    reps["payout"] = reps["commission"]
    return reps


def _month_index(pd: Any, first: int, last: int) -> Any:
    return pd.period_range(f"{YEAR}-{first:02d}", f"{YEAR}-{last:02d}", freq="M")


def pandas_clawback(pd: Any, np: Any, f: Frames, months: Sequence[int], *, ledger: bool) -> Any:
    """Per rep and month: the per-record commission, the clawback of what it paid, the payout.

    What a record was paid is its amount x rate scaled by the rounded line over
    the exact sum of its rep's month (so a clawback reverses what was paid).
    The records of one paying month reversed in a month are rounded as one
    line; with ``ledger`` (``evaluate_periods``), together with those reversed
    in the earlier months evaluated, less what those lines took back.
    """
    labels = [month_label(m) for m in months]
    wanted = pd.PeriodIndex(labels, freq="M")
    first = pd.Timestamp(labels[0]) - pd.Timedelta(days=WITHIN)  # oldest deal one may reverse
    end = (wanted[-1] + 1).start_time
    deals = between(f["deals"], "closed_on", first.to_period("M").start_time, end)
    ids = f["participants"]["id"]
    owner = deals["owner"]
    month = deals["closed_on"].dt.to_period("M")
    pay = deals["amount"] * line_rates(pd, deals)
    total = pay.groupby([owner, month]).sum()
    line = half_up(np, total)
    scale = (line / total).where(total != 0, 0.0)
    paid = pay * scale.reindex(pd.MultiIndex.from_arrays([owner, month])).to_numpy()
    cancelled = deals["cancelled_on"]
    days = (cancelled - deals["closed_on"]).dt.days
    in_month = cancelled.dt.to_period("M")
    hit = (days >= 0) & (days <= WITHIN) & in_month.isin(wanted)
    exact = paid[hit].groupby([owner[hit], month[hit], in_month[hit]]).sum()
    if ledger:
        so_far = half_up(np, exact.groupby(level=[0, 1]).cumsum())
        taken = so_far - so_far.groupby(level=[0, 1]).shift(fill_value=0.0)
    else:
        taken = half_up(np, exact)
    clawed = -taken.groupby(level=[0, 2]).sum()
    commission = line.unstack(fill_value=0.0).reindex(index=ids, columns=wanted, fill_value=0.0)
    clawback = clawed.unstack(fill_value=0.0).reindex(index=ids, columns=wanted, fill_value=0.0)
    reps = pd.DataFrame(index=ids)
    for period, label in zip(wanted, labels, strict=True):
        reps[f"commission {label}"] = commission[period].to_numpy()
        reps[f"clawback {label}"] = clawback[period].to_numpy()
        reps[label] = reps[f"commission {label}"] + reps[f"clawback {label}"]
    return reps


def pandas_sequence(pd: Any, np: Any, f: Frames, months: int) -> Any:
    """The months in order: year-to-date tiers less what they earned before, then the draw."""
    labels = [month_label(m) for m in range(1, months + 1)]
    wanted = _month_index(pd, 1, months)
    start, end = pd.Timestamp(f"{YEAR}-01-01"), (wanted[-1] + 1).start_time
    deals = between(f["deals"], "closed_on", start, end)
    people = f["participants"].set_index("id")
    ids = people.index
    by_month = deals.groupby([deals["owner"], deals["closed_on"].dt.to_period("M")])["amount"]
    revenue = (
        by_month.sum().unstack(fill_value=0.0).reindex(index=ids, columns=wanted, fill_value=0.0)
    )
    year_to_date = revenue.cumsum(axis=1).to_numpy()
    annual = f["targets"].groupby("participant")["revenue"].sum().reindex(ids).to_numpy()
    draw = people["monthly_draw"].to_numpy()
    share = _rate(DRAW_SHARE)
    earned_before = np.zeros(len(ids))
    owed = np.zeros(len(ids))
    reps = pd.DataFrame(index=ids)
    for index, label in enumerate(labels):
        earned = half_up(np, marginal(np, year_to_date[:, index] / annual) * annual)
        commission = earned - earned_before
        short = commission < draw
        recovered = np.maximum(np.minimum(owed, half_up(np, (commission - draw) * share)), 0.0)
        line = np.where(short, draw - commission, -recovered)
        owed = np.where(short, owed + draw - commission, owed - recovered)
        reps[f"commission {label}"] = commission
        reps[f"draw {label}"] = line
        reps[label] = commission + line
        earned_before = earned
    reps["balance"] = owed
    return reps
