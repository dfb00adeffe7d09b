"""The ``perfkit`` command line: check, test and describe policies.

Every perfkit error becomes a message and an exit code, never a traceback:
1 when a policy has errors or a policy test fails, 2 for bad usage or input.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from perfkit._dataset import Dataset
from perfkit._demo import DEMO_PERIOD, copy_demo, demo_files
from perfkit._engine import evaluate
from perfkit._loader import load_policy
from perfkit._periods import evaluate_periods, paid_json
from perfkit._planner import plan_goal, suggest_for_policy
from perfkit._policy import Policy
from perfkit._policy_tests import run_policy_tests
from perfkit._registry import Registry, default_registry
from perfkit._render import render
from perfkit._time import Period
from perfkit._version import __version__
from perfkit.errors import EvaluationError, PerfkitError, PolicyError, Severity

__all__ = ["main"]


_PLUGINS = click.option(
    "--plugins/--no-plugins",
    default=False,
    help="Load functions and rule kinds from installed plugins (entry points 'perfkit.plugins').",
)


def _registry(plugins: bool) -> Registry | None:
    """The default registry, or a copy with the installed plugins loaded."""
    if not plugins:
        return None
    registry = default_registry().copy()
    for diagnostic in registry.load_entry_points():
        click.echo(diagnostic.render(), err=True)
    return registry


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfkit")
def cli() -> None:
    """perfkit: exact, explainable sales performance plans from YAML policies."""


@cli.command()
@click.argument("policies", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and warnings.")
@_PLUGINS
def check(policies: tuple[Path, ...], quiet: bool, plugins: bool) -> None:
    """Load POLICIES and print every problem as file:line:col: path: message [code].

    Exits 1 when any policy has errors, 0 when there are only warnings.
    """
    failed = False
    for path in policies:
        try:
            policy = load_policy(path, registry=_registry(plugins))
        except PolicyError as exc:
            failed = True
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.render(), err=False)
            errors = sum(1 for d in exc.diagnostics if d.severity is Severity.ERROR)
            click.echo(f"{path}: {errors} error(s)", err=True)
            continue
        except PerfkitError as exc:
            failed = True
            click.echo(f"{path}: {exc}", err=True)
            continue
        for diagnostic in policy.diagnostics:
            click.echo(diagnostic.render())
        if not quiet:
            warnings = len(policy.diagnostics)
            note = f" with {warnings} warning(s)" if warnings else ""
            click.echo(f"{path}: ok{note} ({policy.name})", err=True)
    sys.exit(1 if failed else 0)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
def schema(out: Path | None) -> None:
    """Print the JSON Schema of a policy, for editors (e.g. VS Code's YAML extension)."""
    text = json.dumps(policy_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


def policy_json_schema() -> dict[str, object]:
    """The JSON Schema of a policy document, with a title and an id."""
    document = Policy.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["$id"] = "https://perfkit.dev/schema/policy-1.json"
    document["title"] = "perfkit policy (DSL version 1)"
    return document


@cli.command(name="test")
@click.argument("policies", nargs=-1, required=True, type=click.Path(path_type=Path))
@_PLUGINS
def test_command(policies: tuple[Path, ...], plugins: bool) -> None:
    """Run the examples written in POLICIES' ``tests:`` sections.

    Prints pass/fail per example with expected vs actual; exits 1 on any failure.
    """
    failures = 0
    total = 0
    for path in policies:
        try:
            policy = load_policy(path, registry=_registry(plugins))
        except PolicyError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.render())
            click.echo(f"FAIL {path}: the policy does not load")
            failures += 1
            total += 1
            continue
        for outcome in run_policy_tests(policy):
            total += 1
            mark = "PASS" if outcome.passed else "FAIL"
            click.echo(f"{mark} {path}: {outcome.name}")
            if not outcome.passed:
                failures += 1
                for line in outcome.report():
                    click.echo(f"    {line}")
    click.echo(f"{total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


def _load_inputs(policy_path: Path, data: Path) -> tuple[Policy, Dataset]:
    policy = load_policy(policy_path)
    dataset = Dataset.from_csv_dir(data)
    return policy, dataset


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


def _progress(quiet: bool) -> Callable[[int, int], None] | None:
    """A stderr progress bar when stderr is a terminal and --quiet is not given."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(stderr=True))
    task = bar.add_task("evaluating", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if done >= total:
            bar.stop()

    return update


F = TypeVar("F", bound=Callable[..., Any])


def _inputs(function: F) -> F:
    """The POLICY argument and --data option every data-reading command takes."""
    function = click.option(
        "--data",
        "data",
        required=True,
        type=click.Path(path_type=Path),
        help="Directory with one CSV file per table.",
    )(function)
    return click.argument("policy", type=click.Path(path_type=Path))(function)


def _period(function: F) -> F:
    """The --period and --as-of options of the evaluating commands."""
    function = click.option(
        "--as-of", "as_of", default=None, help="Evaluate as of this date (YYYY-MM-DD)."
    )(function)
    return click.option("--period", required=True, help="Period label, e.g. 2026-Q2 or 2026-05.")(
        function
    )


def _output(function: F) -> F:
    """The --format and --out options of the commands that print results."""
    function = click.option(
        "--out", type=click.Path(path_type=Path), help="Write to a file instead of stdout."
    )(function)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
    )(function)


@cli.command()
@_inputs
@_period
@_output
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(
    policy: Path,
    data: Path,
    period: str,
    as_of: str | None,
    fmt: str,
    out: Path | None,
    quiet: bool,
) -> None:
    """Evaluate POLICY on the CSV tables in --data for --period."""
    loaded, dataset = _load_inputs(policy, data)
    result = evaluate(loaded, dataset, period, as_of=as_of, progress=_progress(quiet))
    _emit(render(result, fmt), out)


@cli.command()
@_inputs
@click.option(
    "--period",
    "periods",
    required=True,
    multiple=True,
    help="A period label; repeat it for each period, in order (e.g. the months of a year).",
)
@click.option(
    "--paid",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="JSON of results already paid (closed periods), as this command wrote them.",
)
@_output
def periods(
    policy: Path,
    data: Path,
    periods: tuple[str, ...],
    paid: Path | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Evaluate POLICY for several periods in order, carrying balances forward.

    Closed periods given in --paid come back as they were paid; changes found in
    them are paid as adjustment lines in the first open period. The JSON output
    (--format json) is what --paid reads back next time.
    """
    loaded, dataset = _load_inputs(policy, data)
    earlier = None
    if paid is not None:
        try:
            earlier = json.loads(paid.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise EvaluationError(f"{paid}: not JSON: {exc}") from None
        if not isinstance(earlier, list):
            raise EvaluationError(f"{paid}: expected a JSON array of results")
    results = evaluate_periods(loaded, dataset, periods, paid=earlier)
    if fmt == "json":
        text = paid_json(results)
    elif fmt == "csv":
        parts = [render(result, "csv") for result in results]
        text = parts[0] + "".join(part.split("\n", 1)[1] for part in parts[1:])
    else:
        text = "\n".join(render(result, "table") for result in results)
    _emit(text, out)


@cli.command()
@_inputs
@_period
@click.option("--participant", required=True, help="Participant id.")
@click.option("--component", default=None, help="Only this payout component (incentive id).")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
def explain(
    policy: Path,
    data: Path,
    period: str,
    participant: str,
    component: str | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Explain one participant's payout down to rules, inputs and records."""
    loaded, dataset = _load_inputs(policy, data)
    trace = evaluate(loaded, dataset, period, as_of=as_of).explain(participant, component)
    click.echo(trace.to_json() if as_json else str(trace))


@cli.command()
@_inputs
@click.option("--goal", "goal_id", default=None, help="Goal id (default: the first goal).")
@click.option("--unit", default=None, help="Show one grain only: year, half, quarter, month, week.")
@click.option("--depth", type=int, default=None, help="Show the tree to this depth (table format).")
@_output
def plan(
    policy: Path,
    data: Path,
    goal_id: str | None,
    unit: str | None,
    depth: int | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Decompose a goal of POLICY down the org tree and over time, and check it (SMART)."""
    loaded, dataset = _load_inputs(policy, data)
    goal_plan, findings = plan_goal(loaded, dataset, goal_id)
    if fmt == "json":
        text = goal_plan.to_json(indent=2) + "\n"
    elif fmt == "csv":
        text = _records_csv(goal_plan.to_records(unit=unit))
    else:
        text = goal_plan.render(unit=unit, max_depth=depth)
        text += "\n" if not text.endswith("\n") else ""
    _emit(text, out)
    for finding in findings:
        click.echo(finding.render(), err=True)


def _records_csv(rows: Sequence[Mapping[str, object]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


@cli.command()
@_inputs
@click.option("--horizon", type=int, default=12, show_default=True, help="Months to suggest.")
@click.option("--metric", default=None, help="Metric (default: the first with a target).")
@click.option("--start", default=None, help="First month, e.g. 2027-01 (default: after the data).")
@click.option(
    "--method",
    default="auto",
    show_default=True,
    help="auto, seasonal_naive, trend_seasonal, holt_winters, hw_additive, ...",
)
@_output
def suggest(
    policy: Path,
    data: Path,
    horizon: int,
    metric: str | None,
    start: str | None,
    method: str,
    fmt: str,
    out: Path | None,
) -> None:
    """Suggest base and stretch targets per participant from a metric's history.

    Prints each participant's suggestion with the method chosen and its backtest
    error (MASE: below 1 beats repeating last year's month), then the flags.
    """
    loaded, dataset = _load_inputs(policy, data)
    name = metric or next(iter(loaded.targets), None) or next(iter(loaded.metrics), None)
    if name is None:
        raise EvaluationError(f"policy {loaded.name!r} has no metrics to suggest targets for")
    first = None if start is None else Period.parse(start, loaded.calendar)
    result = suggest_for_policy(loaded, dataset, name, horizon=horizon, start=first, method=method)
    if fmt == "json":
        text = json.dumps(result.to_records(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = _records_csv(result.to_records())
    else:
        text = result.render()
        text += "\n" if not text.endswith("\n") else ""
    _emit(text, out)
    for finding in result.flags:
        click.echo(finding.render(), err=True)


@cli.command()
@click.option("--period", default=DEMO_PERIOD, show_default=True, help="Period to evaluate.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--copy",
    "copy_to",
    type=click.Path(path_type=Path),
    default=None,
    help="Copy the demo policy and data into this directory, to edit them.",
)
def demo(period: str, fmt: str, copy_to: Path | None) -> None:
    """Run the bundled sample company through the bundled policy and print the summary."""
    with demo_files() as (policy_path, data_dir):
        if copy_to is not None:
            target = copy_demo(copy_to)
            click.echo(f"copied the demo policy and data to {target}")
            click.echo(
                f"try: perfkit run {target / policy_path.name} --data {target / 'data'} "
                f"--period {period}"
            )
            return
        result = evaluate(load_policy(policy_path), Dataset.from_csv_dir(data_dir), period)
        click.echo(render(result, fmt), nl=False)
        if fmt == "table":
            click.echo()
            click.echo(f"policy: {policy_path}")
            click.echo(f"data:   {data_dir}")
            click.echo("copy both to edit them: perfkit demo --copy ./my-plan")
            some = result.participants[0].id if result.participants else "ID"
            click.echo(
                f"explain a payout: perfkit explain {policy_path} --data {data_dir} "
                f"--period {period} --participant {some}"
            )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``perfkit`` console script."""
    try:
        cli.main(args=argv, prog_name="perfkit", standalone_mode=True)
    except PerfkitError as exc:  # anything not handled by a command: a message, not a trace
        click.echo(f"perfkit: error: {exc}", err=True)
        sys.exit(2)
