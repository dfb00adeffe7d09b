"""Benchmark: reading and validating a million deals from CSV.

The deals table has six columns (string id, string owner, decimal amount, date
closed_on, string stage, string product), generated with a fixed seed into a
temporary directory. Figures: ``Dataset.from_csv_dir``, ``validate`` (with the
``id`` key checked for uniqueness), ``fingerprint``, and the peak memory of
reading plus validating. The baseline, measured in the same run, is what a user
would write: a ``csv.DictReader`` loop that builds a dict per row with
``Decimal`` and ``date.fromisoformat`` (it checks no keys and stops at the first
bad value).

Run: ``python benchmarks/bench_dataset.py [--rows N] [--seed S] [--repeat R]``
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, peak_memory, report
from perfkit._dataset import Dataset, TypedData
from perfkit._policy_model import Table

DEALS = Table(
    columns={
        "id": "string",
        "owner": "string",
        "amount": "decimal",
        "closed_on": "date",
        "stage": "string",
        "product": "string",
    },
    key="id",
)


def write_deals(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` seeded deals with a header to ``path``."""
    rng = random.Random(seed)
    first = datetime.date(2025, 1, 1).toordinal()
    days = [datetime.date.fromordinal(first + n).isoformat() for n in range(730)]
    owners = [f"rep-{n}" for n in range(2_000)]
    stages = ["won", "lost", "open"]
    products = ["alpha", "beta", "gamma", "delta"]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(DEALS.columns)
        writer.writerows(
            (
                f"D-{n:07d}",
                rng.choice(owners),
                f"{rng.randrange(100, 10_000_000) / 100:.2f}",
                rng.choice(days),
                rng.choice(stages),
                rng.choice(products),
            )
            for n in range(rows)
        )


def baseline(path: Path) -> list[dict[str, object]]:
    """What a user would write: DictReader, one dict per row, Decimal and date per value."""
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            rows.append(
                {
                    "id": row["id"],
                    "owner": row["owner"],
                    "amount": Decimal(row["amount"]),
                    "closed_on": datetime.date.fromisoformat(row["closed_on"]),
                    "stage": row["stage"],
                    "product": row["product"],
                }
            )
    return rows


def interleaved(
    steps: dict[str, Callable[[], object]], repeat: int
) -> dict[str, tuple[float, float]]:
    """Run the steps in turn ``repeat`` times; best wall and CPU seconds of each.

    Interleaving, rather than repeating one step before the next, gives every
    step the same share of a busy machine's quiet moments; CPU time is the less
    disturbed figure when other processes compete for the cores.
    """
    best = {name: (float("inf"), float("inf")) for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            cpu = time.process_time()
            wall, _ = best_of(step, repeat=1)
            cpu = time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def timings(directory: Path, rows: int, repeat: int) -> None:
    """Time reading, validating and the baseline (checked to agree); print the figures."""
    data = Dataset.from_csv_dir(directory)
    typed = data.validate({"deals": DEALS})
    plain = baseline(directory / "deals.csv")
    amounts = typed["deals"].column("amount")
    assert len(amounts) == len(plain) == rows
    assert all(a == p["amount"] for a, p in zip(amounts, plain, strict=True))
    del typed, plain
    figures = interleaved(
        {
            "Dataset.from_csv_dir": lambda: Dataset.from_csv_dir(directory),
            "Dataset.validate (6 columns, unique key)": lambda: data.validate({"deals": DEALS}),
            "baseline: csv.DictReader + Decimal + date per row": lambda: baseline(
                directory / "deals.csv"
            ),
        },
        repeat,
    )
    for name, (wall, cpu) in figures.items():
        report(name, wall, unit="rows", count=rows)
        print(f"{'':<58} {cpu * 1000:10.2f} ms CPU")
    t_print, _ = best_of(data.fingerprint, repeat=1)
    report("Dataset.fingerprint (first call)", t_print, unit="rows", count=rows)
    read, check, base = figures.values()
    total = read[0] + check[0]
    report("read + validate", total, unit="rows", count=rows)
    print(
        f"read + validate: {base[0] / total:.2f}x as fast as the baseline by wall time, "
        f"{base[1] / (read[1] + check[1]):.2f}x by CPU time"
    )


def memory(directory: Path) -> tuple[float, float]:
    """Peak traced memory (MiB) of reading plus validating, and of the baseline."""

    def read_and_validate() -> TypedData:
        return Dataset.from_csv_dir(directory).validate({"deals": DEALS})

    mib, _ = peak_memory(read_and_validate)
    base_mib, _ = peak_memory(lambda: baseline(directory / "deals.csv"))
    return mib, base_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        write_deals(directory / "deals.csv", args.rows, args.seed)
        size = (directory / "deals.csv").stat().st_size / 2**20
        print(f"{args.rows:,} deals, {size:.1f} MiB of CSV (best of {args.repeat})")
        timings(directory, args.rows, args.repeat)
        mib, base_mib = memory(directory)
    print(f"{'peak memory, read + validate':<58} {mib:10.1f} MiB")
    print(f"{'peak memory, baseline':<58} {base_mib:10.1f} MiB")
    print(f"read + validate: {mib / base_mib:.2f}x the baseline's peak memory")


if __name__ == "__main__":
    main()
