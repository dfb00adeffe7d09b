"""Benchmark: exact allocation of 1,000,000.00 over 10,000 keys.

Baseline, measured in the same run: the loop a user would write by hand, one
Decimal division and quantize per part (which, note, does not even sum exactly).

Run: ``python benchmarks/bench_numbers.py``
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import perfkit
from _common import best_of, report

CENT = Decimal("0.01")


def naive(total: Decimal, weights: dict[str, int]) -> dict[str, Decimal]:
    wsum = Decimal(sum(weights.values()))
    return {k: (total * w / wsum).quantize(CENT) for k, w in weights.items()}


def main() -> None:
    rng = random.Random(20261126)
    total = Decimal("1000000.00")
    keys = 10_000
    equal = {f"rep-{i:05d}": 1 for i in range(keys)}
    varied = {f"rep-{i:05d}": rng.randint(1, 10_000) for i in range(keys)}
    decimal_weights = {k: Decimal(v).scaleb(-3) for k, v in varied.items()}

    print(f"allocate {total} over {keys:,} keys (best of 5)")
    t_eq, parts = best_of(lambda: perfkit.allocate(total, equal))
    assert sum(parts.values()) == total
    report("perfkit.allocate, equal integer weights", t_eq, unit="parts", count=keys)
    t_var, parts = best_of(lambda: perfkit.allocate(total, varied))
    assert sum(parts.values()) == total
    report("perfkit.allocate, varied integer weights", t_var, unit="parts", count=keys)
    t_dec, parts = best_of(lambda: perfkit.allocate(total, decimal_weights))
    assert sum(parts.values()) == total
    report("perfkit.allocate, Decimal weights (3 places)", t_dec, unit="parts", count=keys)
    t_naive, naive_parts = best_of(lambda: naive(total, varied))
    report("baseline: per-part Decimal divide + quantize", t_naive, unit="parts", count=keys)
    drift = sum(naive_parts.values()) - total
    print(f"baseline sums to {sum(naive_parts.values())} (off by {drift}); perfkit sums exactly")
    print(f"ratio perfkit/baseline (varied weights): {t_var / t_naive:.2f}x the baseline's time")


if __name__ == "__main__":
    main()
