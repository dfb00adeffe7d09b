"""Benchmark the effective-dated org tree: build 100k nodes, answer 1M ancestor queries.

The tree is company -> 10 regions -> 100 areas -> 1,000 teams -> ~99,000 reps,
and about 5% of the reps move team once during 2024. Queries are random
(node, date) pairs over 2024. A naive baseline (scan the node's memberships for
the date, walk up the parents, no memo) runs on a subsample and is extrapolated.

Run with ``python benchmarks/bench_org.py [--nodes N] [--queries Q] [--seed S]``.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta

from perfkit._org import Membership, OrgTree

YEAR_START = date(2024, 1, 1)


def make_memberships(total: int, seed: int) -> list[Membership]:
    """Build the memberships of a ``total``-node tree, seeded."""
    rng = random.Random(seed)
    members = [Membership("company", None)]
    regions = [f"region-{k}" for k in range(10)]
    areas = [f"area-{k}" for k in range(100)]
    teams = [f"team-{k}" for k in range(1000)]
    members += [Membership(r, "company") for r in regions]
    members += [Membership(a, regions[k // 10]) for k, a in enumerate(areas)]
    members += [Membership(t, areas[k // 10]) for k, t in enumerate(teams)]
    for k in range(total - len(members)):
        rep, team = f"rep-{k}", teams[k % len(teams)]
        if rng.random() < 0.05:
            moved = YEAR_START + timedelta(days=rng.randrange(1, 366))
            other = rng.choice(teams)
            members.append(Membership(rep, team, None, moved))
            members.append(Membership(rep, other, moved, None))
        else:
            members.append(Membership(rep, team))
    return members


def naive_ancestors(by_node: dict[str, list[Membership]], node: str, on: date) -> tuple[str, ...]:
    """The reference: scan memberships per step, walk up, remember nothing."""
    chain: list[str] = []
    current: str | None = node
    while current is not None:
        parent = None
        for m in by_node.get(current, ()):
            if (m.start is None or m.start <= on) and (m.end is None or on < m.end):
                parent = m.parent
                break
        else:
            if current in by_node:
                raise LookupError(f"{current} not in the tree on {on}")
        if parent is not None:
            chain.append(parent)
        current = parent
    return tuple(chain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=100_000, help="naive subsample size")
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args()

    members = make_memberships(args.nodes, args.seed)
    moved = len(members) - args.nodes
    print(f"python {sys.version.split()[0]}; {args.nodes:,} nodes, {len(members):,} memberships")
    print(f"  reps moving team mid-year: {moved:,}")

    started = time.perf_counter()
    tree = OrgTree(members)
    build = time.perf_counter() - started
    print(f"build:              {build:8.3f} s   {tree!r}")

    rng = random.Random(args.seed + 1)
    names = sorted({m.node for m in members})
    days = [YEAR_START + timedelta(days=k) for k in range(366)]
    nodes = [rng.choice(names) for _ in range(args.queries)]
    dates = [rng.choice(days) for _ in range(args.queries)]

    ancestors = tree.ancestors
    started = time.perf_counter()
    for node, on in zip(nodes, dates, strict=True):
        ancestors(node, on)
    fast = time.perf_counter() - started
    print(
        f"ancestors (cold):   {fast:8.3f} s   {args.queries / fast:12,.0f} queries/s"
        f"   ({fast / args.queries * 1e6:.2f} us/query, timelines built on first use)"
    )
    started = time.perf_counter()
    for node, on in zip(nodes, dates, strict=True):
        ancestors(node, on)
    warm = time.perf_counter() - started
    print(f"ancestors (warm):   {warm:8.3f} s   {args.queries / warm:12,.0f} queries/s")

    by_node: dict[str, list[Membership]] = {}
    for m in members:
        by_node.setdefault(m.node, []).append(m)
    sample = min(args.naive, args.queries)
    started = time.perf_counter()
    expected = [
        naive_ancestors(by_node, n, d) for n, d in zip(nodes[:sample], dates[:sample], strict=True)
    ]
    naive = (time.perf_counter() - started) * args.queries / sample
    assert expected == [
        ancestors(n, d) for n, d in zip(nodes[:sample], dates[:sample], strict=True)
    ]
    print(
        f"naive (extrapolated from {sample:,}): {naive:8.3f} s   "
        f"{args.queries / naive:12,.0f} queries/s"
    )
    print(f"speed-up over naive: cold {naive / fast:5.1f}x, warm {naive / warm:5.1f}x")

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of the whole run: {peak_kib / 1024:8.1f} MiB")

    del tree
    tracemalloc.start()
    tree = OrgTree(members)
    built, _ = tracemalloc.get_traced_memory()
    for node in names:
        tree.ancestors(node, YEAR_START)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"tree memory (tracemalloc): {built / 2**20:.1f} MiB built, "
        f"{current / 2**20:.1f} MiB with every timeline, peak {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
