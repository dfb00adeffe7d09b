"""Draw the figure of docs/concepts/suggestions.md: history, suggestion, band and backtest.

The series is the page's example (a rep with four years of monthly revenue),
built by the same code. The figure shows the history, the suggested base and
the band up to the stretch for the next twelve months, and the backtest: what
the chosen method forecast from a year earlier, against what happened.

matplotlib is a docs-only dependency::

    pip install matplotlib
    python scripts/plot_suggestions.py            # writes docs/img/suggestions.png
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from perfkit._suggest import suggest_targets
from perfkit._suggest_backtest import SeriesLab

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "suggestions.png"


def example_history() -> dict[str, str]:
    """The example of docs/concepts/suggestions.md: 48 months of a rep's revenue."""
    rng = random.Random(42)
    shape = [0.8, 0.85, 1.0, 0.95, 1.0, 1.05, 0.9, 0.85, 1.05, 1.0, 1.1, 1.45]
    history = {}
    for i in range(48):
        value = 40000 * 1.01**i * shape[i % 12] * rng.uniform(0.9, 1.1)
        history[f"{2022 + i // 12}-{i % 12 + 1:02d}"] = f"{value:.2f}"
    return history


def main() -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is not installed: pip install matplotlib")
    history = example_history()
    suggestion = suggest_targets(history, horizon=12, name="rep-17")
    values = [float(v) for v in history.values()]
    n = len(values)
    lab = SeriesLab(values, 12, 12)
    backtest = lab.forecast(suggestion.method, n - 12) or []

    past = list(range(n))
    future = list(range(n, n + 12))
    base = [float(p.base) for p in suggestion.periods]
    stretch = [float(p.stretch) for p in suggestion.periods]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    ax.plot(past, [v / 1000 for v in values], color="#333333", label="history")
    ax.plot(range(n - 12, n), [v / 1000 for v in backtest], color="#d62728", linestyle="--",
            label=f"backtest: forecast from {list(history)[n - 12 - 1]}")  # fmt: skip
    ax.fill_between(future, [b / 1000 for b in base], [s / 1000 for s in stretch],
                    color="#1f77b4", alpha=0.2, label="band: base to stretch")  # fmt: skip
    ax.plot(future, [b / 1000 for b in base], color="#1f77b4", label="suggested base")
    ax.plot(future, [s / 1000 for s in stretch], color="#1f77b4", linestyle=":",
            label=f"stretch (base + {suggestion.stretch_uplift:.1%})")  # fmt: skip
    labels = [*history, *(str(p.period) for p in suggestion.periods)]
    ticks = list(range(0, n + 12, 6))
    ax.set_xticks(ticks, [labels[t] for t in ticks], rotation=45, ha="right")
    ax.set_ylabel("revenue (thousands)")
    mase, smape = suggestion.mase, suggestion.smape
    ax.set_title(
        f"rep-17: {suggestion.method}, backtest MASE {mase:.2f}, sMAPE {float(smape or 0):.1%}"
    )
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
