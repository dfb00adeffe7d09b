"""Measuring a benchmark step in its own process: clocks, peak RSS and traced peak.

Each measured step runs in a forked child that shares the parent's input records,
so every peak resident set size (``getrusage`` max RSS) is that step's alone; the
child sends its result and memory back through a pipe. ``measure`` keeps the
best of repeated timed runs plus one tracemalloc run, ``show`` and ``ratios``
print them, and ``summary`` prints one line per scenario at the end of a run.
A step is two parts: building the inputs (a ``Dataset``, DataFrames) and
computing on them, timed apart.
"""

from __future__ import annotations

import cProfile
import importlib
import importlib.util
import io
import os
import pickle
import pstats
import resource
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import perfkit as pk
from _common import peak_memory, report

T = TypeVar("T")
RepOut = dict[str, Any]
"""One participant's outputs: field name -> value (exact on perfkit's side, float on pandas')."""


# --- isolation: one forked process per measured step ----------------------------------


def resident_mib() -> float:
    """The current resident set size in MiB (Linux), or the peak where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as stream:
            pages = int(stream.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return max_rss_mib()


def max_rss_mib() -> float:
    """This process's peak resident set size in MiB (``getrusage``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@dataclass(frozen=True)
class Isolated:
    """What a step run in its own process returned, and its memory."""

    value: Any
    start_mib: float  # resident at the start: the interpreter and the input records
    peak_mib: float  # getrusage max RSS at the end

    @property
    def own_mib(self) -> float:
        """The peak net of what was resident when the step started."""
        return max(0.0, self.peak_mib - self.start_mib)


def isolated(step: Callable[[], object]) -> Isolated:
    """Run ``step`` in a forked child (sharing the records); return its result and RSS."""
    if not hasattr(os, "fork"):
        start = resident_mib()
        return Isolated(step(), start, max_rss_mib())
    sys.stdout.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send back (value, start, peak), always exit here
        code = 1
        try:
            os.close(read_end)
            start = resident_mib()
            payload = (step(), start, max_rss_mib())
            with os.fdopen(write_end, "wb") as stream:
                pickle.dump(payload, stream, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException:
            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    if status or not data:
        raise RuntimeError("the measured step failed in its process (its traceback is above)")
    value, start, peak = pickle.loads(data)
    return Isolated(value, start, peak)


# --- timing a build-and-compute step -------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """Wall and CPU seconds of the two parts of a run, and its outputs per participant."""

    build: tuple[float, float]
    run: tuple[float, float]
    outputs: dict[str, RepOut]


def clocks() -> tuple[float, float]:
    """Wall and CPU clocks, now."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """Wall and CPU seconds since ``start``."""
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def timed(
    build: Callable[[], T], run: Callable[[T], object], read: Callable[[Any], dict[str, RepOut]]
) -> Timed:
    """Time ``build()`` then ``run(built)``; ``read`` turns the result into outputs, untimed."""
    start = clocks()
    built = build()
    build_time = since(start)
    start = clocks()
    result = run(built)
    run_time = since(start)
    return Timed(build_time, run_time, read(result))


def traced(build: Callable[[], T], run: Callable[[T], object]) -> float:
    """Peak traced memory (MiB) of building and running, under tracemalloc."""
    mib, _ = peak_memory(lambda: run(build()))
    return mib


def profiled(title: str, build: Callable[[], T], run: Callable[[T], object], top: int = 25) -> str:
    """cProfile of one ``run`` (built beforehand): the top ``top`` by cumulative and own time."""
    built = build()
    profiler = cProfile.Profile()
    profiler.enable()
    run(built)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs()
    for key in ("cumulative", "tottime"):
        text.write(f"\n=== {title}: top {top} by {key} ===\n")
        stats.sort_stats(key).print_stats(top)
    return text.getvalue()


@dataclass(frozen=True)
class Figures:
    """The best timings of repeated runs, the outputs, and the memory of one kind of run."""

    build: tuple[float, float]
    run: tuple[float, float]
    outputs: dict[str, RepOut]
    rss: Isolated
    traced_mib: float | None  # None: the tracemalloc run was skipped

    @property
    def total(self) -> tuple[float, float]:
        """Wall and CPU seconds of both parts."""
        return self.build[0] + self.run[0], self.build[1] + self.run[1]


def measure(
    timed_run: Callable[[], Timed], traced_run: Callable[[], float] | None, repeat: int
) -> Figures:
    """Run ``timed_run`` ``repeat`` times and ``traced_run`` once, each in its own process."""
    runs = [isolated(timed_run) for _ in range(repeat)]
    values: list[Timed] = [run.value for run in runs]

    def best(pick: Callable[[Timed], tuple[float, float]]) -> tuple[float, float]:
        return min(pick(v)[0] for v in values), min(pick(v)[1] for v in values)

    return Figures(
        build=best(lambda v: v.build),
        run=best(lambda v: v.run),
        outputs=values[0].outputs,
        rss=min(runs, key=lambda run: run.peak_mib),
        traced_mib=None if traced_run is None else isolated(traced_run).value,
    )


def show(figures: Figures, names: tuple[str, str, str], rows: int) -> None:
    """Print the wall and CPU times and the memory of one kind of run."""
    for name, (wall, cpu) in zip(names, (figures.build, figures.run, figures.total), strict=True):
        report(name, wall, unit="deals", count=rows)
        print(f"{'':<58} {cpu * 1000:10.2f} ms CPU")
    traced_mib = "skipped" if figures.traced_mib is None else f"{figures.traced_mib:10.1f} MiB"
    print(f"{'peak traced memory (tracemalloc)':<58} {traced_mib:>14}")
    print(f"{'peak RSS (getrusage), input records included':<58} {figures.rss.peak_mib:10.1f} MiB")
    print(f"{'peak RSS net of what was resident before':<58} {figures.rss.own_mib:10.1f} MiB")


def ratios(mine: Figures, theirs: Figures, step: str) -> None:
    """Print perfkit's figures as multiples of the baseline's."""
    traced_ratio = (
        f"{mine.traced_mib / theirs.traced_mib:.2f}x the traced peak, "
        if mine.traced_mib is not None and theirs.traced_mib
        else ""
    )
    print(
        f"\nperfkit / pandas: {mine.total[0] / theirs.total[0]:.2f}x the wall time end to end "
        f"({mine.total[1] / theirs.total[1]:.2f}x CPU); {step} alone "
        f"{mine.run[0] / theirs.run[0]:.1f}x the hand-written computation; {traced_ratio}"
        f"{mine.rss.own_mib / max(theirs.rss.own_mib, 1.0):.2f}x the net RSS peak"
    )


def load_pandas() -> tuple[Any, Any] | None:
    """pandas and numpy (imported by name: neither is a dependency), or None."""
    if importlib.util.find_spec("pandas") is None:
        return None
    return importlib.import_module("pandas"), importlib.import_module("numpy")


def to_cents(value: float) -> Decimal:
    """A float amount, already rounded to the cent in binary, as that exact cent."""
    return Decimal(f"{value:.2f}")


# --- a scenario: perfkit against the baseline ------------------------------------------


@dataclass(frozen=True)
class Options:
    """How every scenario is measured."""

    repeat: int
    traced: bool
    profile: bool
    pandas: tuple[Any, Any] | None


@dataclass(frozen=True)
class Side:
    """One side of a scenario: how its inputs are built, how it computes, how it is read."""

    build: Callable[[], Any]
    run: Callable[[Any], Any]
    read: Callable[[Any], dict[str, RepOut]]


def contest(
    title: str,
    deals: int,
    mine: Side,
    theirs: Callable[[Any, Any], Side] | None,
    options: Options,
    *,
    steps: tuple[str, str] = ("perfkit.evaluate", "pandas computation"),
    then: Callable[[Figures], None] | None = None,
) -> tuple[Figures, Figures | None]:
    """Measure both sides of one scenario; print their figures and ratios.

    ``steps`` names the computing part of each side; ``then`` prints more about
    perfkit's figures before the baseline runs.
    """
    print(f"\n=== {title} ===")

    def figures(side: Side) -> Figures:
        return measure(
            lambda: timed(side.build, side.run, side.read),
            (lambda: traced(side.build, side.run)) if options.traced else None,
            options.repeat,
        )

    ours = figures(mine)
    print(f"perfkit {pk.__version__}, {len(ours.outputs):,} reps (best of {options.repeat}):")
    show(ours, ("Dataset.from_records", steps[0], "both"), deals)
    if then is not None:
        then(ours)
    if options.profile:
        print(isolated(lambda: profiled(steps[0], mine.build, mine.run)).value)
    if theirs is None or options.pandas is None:
        return ours, None
    pd, np = options.pandas
    baseline = figures(theirs(pd, np))
    print(f"\npandas {pd.__version__} baseline (float64, hand-written):")
    show(baseline, ("DataFrames from the records", steps[1], "both"), deals)
    ratios(ours, baseline, steps[0].removeprefix("perfkit."))
    return ours, baseline


# --- the summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One scenario's line in the summary: both sides' figures and what the floats got wrong."""

    scenario: str
    mine: Figures
    theirs: Figures | None
    mismatched: str


def _mib(figures: Figures) -> str:
    traced_mib = "-" if figures.traced_mib is None else f"{figures.traced_mib:,.0f}"
    return f"{figures.rss.own_mib:,.0f} / {traced_mib}"


def summary(rows: Sequence[Row]) -> None:
    """Print one line per scenario: seconds, ratios, memory and cent mismatches."""
    print(
        "\n=== summary: wall seconds (build + compute), perfkit / pandas ratios, "
        "MiB (net peak RSS / traced peak), reps the float64 version pays differently ==="
    )
    head = (
        f"{'scenario':<34} {'perfkit s':>15} {'pandas s':>15} {'x e2e':>6} {'x run':>6} "
        f"{'perfkit MiB':>13} {'pandas MiB':>11}  float pays differently"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        mine, theirs = row.mine, row.theirs
        them = e2e = run = mem = "-"
        if theirs is not None:
            them = f"{theirs.build[0]:>6.2f} + {theirs.run[0]:>6.2f}"
            e2e = f"{mine.total[0] / theirs.total[0]:.1f}"
            run = f"{mine.run[0] / theirs.run[0]:.1f}"
            mem = _mib(theirs)
        print(
            f"{row.scenario:<34} {mine.build[0]:>6.2f} + {mine.run[0]:>6.2f} {them:>15} "
            f"{e2e:>6} {run:>6} {_mib(mine):>13} {mem:>11}  {row.mismatched}"
        )
