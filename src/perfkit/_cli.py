"""The ``perfkit`` command line: check, test and describe policies.

Every perfkit error becomes a message and an exit code, never a traceback:
1 when a policy has errors or a policy test fails, 2 for bad usage or input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from perfkit._loader import load_policy
from perfkit._policy import Policy
from perfkit._policy_tests import run_policy_tests
from perfkit._version import __version__
from perfkit.errors import PerfkitError, PolicyError, Severity

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfkit")
def cli() -> None:
    """perfkit: exact, explainable sales performance plans from YAML policies."""


@cli.command()
@click.argument("policies", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and warnings.")
def check(policies: tuple[Path, ...], quiet: bool) -> None:
    """Load POLICIES and print every problem as file:line:col: path: message [code].

    Exits 1 when any policy has errors, 0 when there are only warnings.
    """
    failed = False
    for path in policies:
        try:
            policy = load_policy(path)
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
    document["title"] = "perfkit policy (DSL version 1)"
    return document


@cli.command(name="test")
@click.argument("policies", nargs=-1, required=True, type=click.Path(path_type=Path))
def test_command(policies: tuple[Path, ...]) -> None:
    """Run the examples written in POLICIES' ``tests:`` sections.

    Prints pass/fail per example with expected vs actual; exits 1 on any failure.
    """
    failures = 0
    total = 0
    for path in policies:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(diagnostic.render())
            failures += 1
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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``perfkit`` console script."""
    try:
        cli.main(args=argv, prog_name="perfkit", standalone_mode=True)
    except PerfkitError as exc:  # anything not handled by a command: a message, not a trace
        click.echo(f"perfkit: {exc}", err=True)
        sys.exit(2)
