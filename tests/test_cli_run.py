"""`perfkit run`, `explain` and `demo`: summaries, stable JSON, and no tracebacks."""

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

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

PLAN = """\
perfkit: 1
name: CLI plan
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    rate: {on: revenue, rate: 3%}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "deals.csv").write_text(
        "id,owner,amount,closed_on\nd1,ann,1000.00,2026-04-02\nd2,bob,250.50,2026-05-09\n"
        "d3,ann,-100.00,2026-06-30\n",
        encoding="utf-8",
    )
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_run_prints_a_summary_table(workdir: Path) -> None:
    """The table format shows each participant's lines and payout, with totals."""
    code, out = run(
        "run", str(workdir / "plan.yaml"), "--data", str(workdir / "data"), "--period", "2026-Q2"
    )
    assert code == 0, out
    assert "CLI plan — 2026-Q2 (CNY)" in out
    assert "27.00" in out  # ann: 900 x 3%
    assert "7.52" in out  # bob: 250.50 x 3% = 7.515 -> 7.52
    assert "34.52" in out  # the total


def test_run_json_is_stable_and_amounts_are_strings(workdir: Path) -> None:
    """--format json gives the documented structure; two runs give identical bytes."""
    args = (
        "run",
        str(workdir / "plan.yaml"),
        "--data",
        str(workdir / "data"),
        "--period",
        "2026-Q2",
        "--format",
        "json",
    )
    code, first = run(*args)
    assert code == 0, first
    _, second = run(*args)
    assert first == second
    data = json.loads(first)
    assert data["payouts"] == {"ann": "27.00", "bob": "7.52"}
    assert data["currency"] == "CNY"
    assert data["lines"][0] == {
        "participant": "ann",
        "component": "commission",
        "amount": "27.00",
        "period": "2026-Q2",
        "rule": "commission",
    }


def test_run_csv_to_a_file(workdir: Path) -> None:
    """--format csv --out writes one row per payout line."""
    out = workdir / "lines.csv"
    code, _ = run(
        "run",
        str(workdir / "plan.yaml"),
        "--data",
        str(workdir / "data"),
        "--period",
        "2026-Q2",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["participant"], r["amount"]) for r in rows] == [("ann", "27.00"), ("bob", "7.52")]


def test_explain_prints_the_trace(workdir: Path) -> None:
    """explain shows the line, the rule's location and the records behind the metric."""
    code, out = run(
        "explain",
        str(workdir / "plan.yaml"),
        "--data",
        str(workdir / "data"),
        "--period",
        "2026-Q2",
        "--participant",
        "ann",
    )
    assert code == 0, out
    assert "line commission = 27.00" in out
    assert "plan.yaml:9:5" in out
    assert "record d1 = 1000.00" in out
    assert "record d3 = -100.00" in out
    assert "deals.csv:2" in out


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from perfkit._cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--period", "2026-Q5"), "2026-Q5"),
        (("--period", "2026-Q2", "--data", "nowhere"), "nowhere"),
    ],
)
def test_bad_input_exits_2_with_a_message_not_a_traceback(
    workdir: Path, change: tuple[str, ...], message: str
) -> None:
    """A bad period or a missing data directory exits 2 with one clear line."""
    args = ["run", str(workdir / "plan.yaml"), "--data", str(workdir / "data"), *change]
    if "--data" in change:
        args = ["run", str(workdir / "plan.yaml"), *change]
    done = run_process(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_data_lists_every_bad_row(workdir: Path) -> None:
    """Unparseable values in two rows are both reported with file and line, exit 2."""
    (workdir / "data" / "deals.csv").write_text(
        "id,owner,amount,closed_on\nd1,ann,1.000.00,2026-04-02\nd2,bob,abc,2026-13-01\n",
        encoding="utf-8",
    )
    done = run_process(
        "run", str(workdir / "plan.yaml"), "--data", str(workdir / "data"), "--period", "2026-Q2"
    )
    assert done.returncode == 2
    assert "deals.csv:2" in done.stderr
    assert "deals.csv:3" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_runs_the_bundled_company() -> None:
    """perfkit demo evaluates the sample company and says where its files are."""
    code, out = run("demo")
    assert code == 0, out
    assert "2026-Q2" in out
    assert "rep-001" in out
    assert "coaching_plan" in out
    assert "perfkit demo --copy" in out


def test_demo_copy_gives_editable_files_that_run(tmp_path: Path) -> None:
    """--copy writes the policy and data; running the copy gives the demo's JSON."""
    target = tmp_path / "my-plan"
    code, out = run("demo", "--copy", str(target))
    assert code == 0, out
    assert (target / "field-sales.yaml").is_file()
    assert (target / "data" / "deals.csv").is_file()
    code, copied = run(
        "run",
        str(target / "field-sales.yaml"),
        "--data",
        str(target / "data"),
        "--period",
        "2026-Q2",
        "--format",
        "json",
    )
    assert code == 0, copied
    _, original = run("demo", "--format", "json")
    assert json.loads(copied)["payouts"] == json.loads(original)["payouts"]


def test_plan_decomposes_the_demo_goal_exactly(tmp_path: Path) -> None:
    """perfkit plan prints the demo goal's plan; its JSON children sum to their parents."""
    from perfkit._demo import demo_files

    with demo_files() as (policy, data):
        code, out = run(
            "plan", str(policy), "--data", str(data), "--unit", "quarter", "--depth", "1"
        )
        assert code == 0, out
        assert "revenue-2026" in out
        assert "90,000,000.00" in out
        target = tmp_path / "plan.csv"
        code, _ = run(
            "plan",
            str(policy),
            "--data",
            str(data),
            "--format",
            "csv",
            "--unit",
            "month",
            "--out",
            str(target),
        )
        assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    company = [r for r in rows if r["node"] == "company"]
    assert len(company) == 12
    assert sum(Decimal(r["base"]) for r in company) == Decimal("90000000.00")


def test_plan_without_goals_is_a_clear_error(workdir: Path) -> None:
    """A policy with no goals section gets a message, exit 2, no traceback."""
    done = run_process("plan", str(workdir / "plan.yaml"), "--data", str(workdir / "data"))
    assert done.returncode == 2
    assert "no goals" in done.stderr


def test_suggest_prints_targets_with_their_backtest_error(tmp_path: Path) -> None:
    """perfkit suggest gives each rep a base and stretch, the method and its error."""
    from perfkit._demo import demo_files

    with demo_files() as (policy, data):
        code, out = run(
            "suggest", str(policy), "--data", str(data), "--horizon", "6", "--start", "2026-07"
        )
        assert code == 0, out
        assert "MASE" in out
        assert "rep-001" in out
        target = tmp_path / "s.json"
        code, _ = run(
            "suggest",
            str(policy),
            "--data",
            str(data),
            "--horizon",
            "3",
            "--start",
            "2026-07",
            "--format",
            "json",
            "--out",
            str(target),
        )
        assert code == 0
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert rows
    assert {"node", "base", "stretch"} <= set(rows[0])
    assert all(Decimal(r["stretch"]) >= Decimal(r["base"]) >= 0 for r in rows)
