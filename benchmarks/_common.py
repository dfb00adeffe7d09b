"""Small timing helpers shared by the benchmark scripts (no third-party deps)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeat: int = 5) -> tuple[float, T]:
    """Run ``fn`` ``repeat`` times; return the best wall time in seconds and the last result."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_memory(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` once under tracemalloc; return the peak traced memory in MiB and the result."""
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, result


def report(name: str, seconds: float, *, unit: str = "", count: int | None = None) -> None:
    """Print one figure line, with a rate when ``count`` is given."""
    rate = f"  ({count / seconds:,.0f} {unit}/s)" if count and seconds > 0 else ""
    print(f"{name:<58} {seconds * 1000:10.2f} ms{rate}")
