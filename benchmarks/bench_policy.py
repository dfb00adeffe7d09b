"""Benchmark: load and validate a policy of 200 rules and 50 metrics (target < 100 ms).

Prints the full load time (YAML with locations, model validation, name checks
and expression compilation) and its stages, best of N, and in the same run the
time PyPy-free plain ``ruamel.yaml`` safe loading of the same text takes, as the
floor any located loader starts from.

Run: ``python benchmarks/bench_policy.py``
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ruamel.yaml import YAML

import perfkit
from _common import best_of, report
from perfkit._yaml import load_yaml


def policy_text(rules: int = 200, metrics: int = 50) -> str:
    out = io.StringIO()
    out.write("perfkit: 1\nname: Benchmark plan\ncurrency: CNY\n")
    out.write("tables:\n  participants:\n    columns: {id: string, base_salary: decimal, ")
    out.write("target_bonus: decimal, region: string}\n")
    out.write("  deals:\n    columns: {id: string, owner: string, amount: decimal, ")
    out.write("stage: string, product: string, closed_on: date}\n")
    out.write("  targets:\n    columns: {participant: string")
    for m in range(metrics):
        out.write(f", m{m}: decimal")
    out.write("}\nmetrics:\n")
    for m in range(metrics):
        out.write(
            f"  m{m}: {{table: deals, sum: amount, date: closed_on, "
            f"where: \"stage == 'won' and product == 'p{m}'\"}}\n"
        )
    out.write("targets:\n")
    for m in range(metrics):
        out.write(f"  m{m}: {{table: targets, column: m{m}}}\n")
    out.write("rate_tables:\n  region_rate: {values: {east: 5%, west: 4%}, default: 3%}\n")
    out.write("incentives:\n")
    for r in range(rules):
        m = r % metrics
        kind = r % 3
        if kind == 0:
            out.write(
                f"  - id: r{r}\n    tiered:\n      on: attainment.m{m}\n      base: target.m{m}\n"
                "      mode: marginal\n      tiers:\n        - {from: 0, rate: 2%}\n"
                "        - {from: 50%, rate: 5%}\n        - {from: 100%, rate: 8%}\n"
                '    cap: "3 * target_bonus"\n'
            )
        elif kind == 1:
            out.write(
                f"  - id: r{r}\n    when: \"attainment.m{m} >= 0.5 and region != 'north'\"\n"
                f'    amount: "m{m} * lookup(region_rate, region) + min(500, base_salary * 1%)"\n'
            )
        else:
            out.write(
                f'  - id: r{r}\n    rate: {{on: m{m}, rate: 3%, threshold: "target.m{m} * 0.5"}}\n'
            )
    out.write('actions:\n  - {when: "attainment.m0 < 0.6", flag: coaching_plan}\n')
    return out.getvalue()


def main() -> None:
    text = policy_text()
    lines = text.count("\n")
    policy = perfkit.load_policy(text)
    assert len(policy.incentives) == 200
    assert len(policy.metrics) == 50
    print(f"policy of 200 rules, 50 metrics: {lines} lines, {len(text):,} bytes (best of 7)")
    t_load, _ = best_of(lambda: perfkit.load_policy(text), repeat=7)
    report("perfkit.load_policy (all stages)", t_load)
    t_yaml, _ = best_of(lambda: load_yaml(text), repeat=7)
    report("  of which: located YAML (perfkit._yaml.load_yaml)", t_yaml)
    yaml = YAML(typ="safe", pure=True)
    t_ruamel, _ = best_of(lambda: yaml.load(text), repeat=7)
    report("baseline: ruamel.yaml safe load, pure Python, no checks", t_ruamel)
    verdict = "meets" if t_load < 0.1 else "MISSES"
    print(
        f"load time {t_load * 1000:.1f} ms {verdict} the 100 ms target; "
        f"{t_load / t_ruamel:.2f}x plain ruamel's time"
    )


if __name__ == "__main__":
    main()
