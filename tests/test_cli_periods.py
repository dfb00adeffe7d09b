"""`perfkit periods`: a sequence of periods, carried balances, paid results read back."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfkit._cli import cli

PLAN = """\
perfkit: 1
name: Draw plan
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    rate: {on: revenue, rate: 10%}
  - id: draw
    draw: {amount: 3000, recoverable: true, recover: {share: 100%}}
"""

DEALS = "id,owner,amount,closed_on\nd1,ann,10000.00,2026-01-05\nd2,ann,38000.00,2026-02-05\n"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "deals.csv").write_text(DEALS, encoding="utf-8")
    return tmp_path


def run(workdir: Path, *args: str) -> tuple[int, str]:
    base = [str(workdir / "plan.yaml"), "--data", str(workdir / "data")]
    result = CliRunner().invoke(cli, ["periods", *base, *args])
    return result.exit_code, result.output


def fails(workdir: Path, *args: str) -> str:
    """Run the console script as a user does; it must fail with a message, not a trace."""
    base = [str(workdir / "plan.yaml"), "--data", str(workdir / "data")]
    done = subprocess.run(
        [sys.executable, "-c", "from perfkit._cli import main; main()", "periods", *base, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def test_json_carries_the_draw_balance_from_month_to_month(workdir: Path) -> None:
    code, out = run(workdir, "--period", "2026-01", "--period", "2026-02", "--format", "json")
    assert code == 0, out
    january, february = json.loads(out)
    ann_jan = january["participants"][0]
    ann_feb = february["participants"][0]
    # January earns 1,000.00: the draw advances 2,000.00 and is owed.
    assert ann_jan["balances"] == {"draw": "2000.00"}
    assert january["payouts"] == {"ann": "3000.00"}
    # February earns 3,800.00: 800.00 above the draw recovers 800.00 of it.
    assert ann_feb["balances"] == {"draw": "1200.00"}
    assert february["payouts"] == {"ann": "3000.00"}


def test_paid_results_come_back_unchanged_and_changes_become_adjustments(
    workdir: Path,
) -> None:
    code, out = run(workdir, "--period", "2026-01", "--format", "json")
    assert code == 0, out
    paid = workdir / "paid.json"
    paid.write_text(out, encoding="utf-8")
    # January's deal grows after January was paid.
    (workdir / "data" / "deals.csv").write_text(
        DEALS.replace("10000.00", "12000.00"), encoding="utf-8"
    )
    code, out = run(
        workdir,
        "--period",
        "2026-01",
        "--period",
        "2026-02",
        "--paid",
        str(paid),
        "--format",
        "csv",
    )
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    january = [r for r in rows if r["period"] == "2026-01"]
    assert [r["amount"] for r in january] == ["1000.00", "2000.00"]  # as paid
    (adjustment,) = [r for r in rows if r["kind"] == "adjustment"]
    assert adjustment["period"] == "2026-02"
    assert adjustment["original_period"] == "2026-01"
    assert Decimal(adjustment["amount"]) == Decimal("200.00")  # 10% of the 2,000.00 more
    assert "revenue 10000.00 -> 12000.00" in adjustment["note"]


def test_table_prints_one_summary_per_period(workdir: Path) -> None:
    code, out = run(workdir, "--period", "2026-01", "--period", "2026-02")
    assert code == 0, out
    assert "Draw plan — 2026-01" in out
    assert "Draw plan — 2026-02" in out


def test_a_paid_file_that_is_not_results_is_a_clear_error(workdir: Path) -> None:
    bad = workdir / "paid.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    assert "expected a JSON array of results" in fails(
        workdir, "--period", "2026-01", "--paid", str(bad)
    )


def test_periods_out_of_order_are_refused(workdir: Path) -> None:
    assert "in order without overlaps" in fails(
        workdir, "--period", "2026-02", "--period", "2026-01"
    )
