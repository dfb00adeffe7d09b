"""Draw the figure of docs/incentives/marginal-vs-retroactive.md: one tier table, two payouts.

The table is the page's example (10% up to 1,000, 15% from 1,000 to 1,800, 20%
above), loaded as a policy and paid by perfkit's own tier math, so the curves
are exactly what the engine pays. Marginal pay is continuous; retroactive pay
jumps at each boundary (a filled dot marks the value at the boundary, which
belongs to the upper tier; an open dot the limit from the left).

matplotlib is a docs-only dependency::

    pip install matplotlib
    python scripts/plot_tiers.py                  # writes docs/img/tiers.png
"""

from __future__ import annotations

import itertools
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import perfkit as pk
from perfkit._plan import tiered_amount

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "tiers.png"

POLICY = """\
perfkit: 1
name: Brackets
currency: CNY
attributes: {sales: decimal}
incentives:
  - id: graduated
    tiered:
      on: sales
      mode: marginal
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
  - id: whole
    tiered:
      on: sales
      mode: retroactive
      tiers: [{from: 0, rate: 10%}, {from: 1000, rate: 15%}, {from: 1800, rate: 20%}]
"""

TOP = 2600
STEP = 10


def specs() -> tuple[Any, Any]:
    """The marginal and the retroactive tier specifications of the example policy."""
    rules: list[Any] = list(pk.load_policy(POLICY).incentives)
    graduated, whole = (rule.tiered for rule in rules)
    return graduated, whole


def curve(spec: Any, xs: list[Fraction]) -> list[float]:
    """The exact amounts at ``xs``, as floats for plotting only."""
    return [float(tiered_amount(spec, x, Fraction(1))) for x in xs]


def main() -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is not installed: pip install matplotlib")
    graduated, whole = specs()
    bounds = [Fraction(t.from_) for t in whole.tiers]
    edges = [*bounds, Fraction(TOP)]

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=100)
    shades = ["#f2f2f2", "#e6e6e6", "#dadada"]
    for (low, high), tier, shade in zip(
        itertools.pairwise(edges), whole.tiers, shades, strict=True
    ):
        ax.axvspan(float(low), float(high), color=shade, zorder=0)
        ax.text(float(low + high) / 2, 575, f"{tier.rate:.0%} tier", ha="center", fontsize=9,
                color="#555555")  # fmt: skip

    xs = [Fraction(x) for x in range(0, TOP + 1, STEP)]
    ax.plot([float(x) for x in xs], curve(graduated, xs), color="#1f77b4", linewidth=2,
            label="marginal (graduated): each slice at its tier's rate")  # fmt: skip

    # Retroactive: one segment per tier, so the jumps are not drawn as slopes.
    tiny = Fraction(1, 10**9)
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        segment = [x for x in xs if low <= x < high] + [high - tiny]
        ax.plot([float(x) for x in segment], curve(whole, segment), color="#d62728",
                linewidth=2, label=None if index else
                "retroactive (whole amount): all of it at the rate reached")  # fmt: skip
    for b in bounds[1:]:
        left, at = curve(whole, [b - tiny, b])
        ax.plot([float(b), float(b)], [left, at], color="#d62728", linestyle=":", linewidth=1)
        ax.plot(float(b), left, "o", markerfacecolor="white", markeredgecolor="#d62728")
        ax.plot(float(b), at, "o", color="#d62728")
        ax.annotate(f"+{at - left:.2f} at exactly {int(b):,}", (float(b), (left + at) / 2),
                    xytext=(-8, 0), textcoords="offset points", va="center", ha="right", fontsize=8,
                    color="#d62728")  # fmt: skip

    at_2500 = Fraction(2500)
    for spec, color in ((graduated, "#1f77b4"), (whole, "#d62728")):
        (value,) = curve(spec, [at_2500])
        ax.plot(2500, value, "o", color=color)
        ax.annotate(f"{value:,.2f}", (2500, value), xytext=(-10, 8), textcoords="offset points",
                    ha="right", fontsize=9, color=color)  # fmt: skip

    ax.set_xlim(0, TOP)
    ax.set_ylim(0, 600)
    ax.set_xlabel("sales")
    ax.set_ylabel("commission")
    ax.set_title("One tier table, two readings: 10% to 1,000, 15% to 1,800, 20% above")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
