"""The ``perfkit`` command line: check, test and schema, their output and exit codes.

Also checks that the complete policies in the DSL documentation (``yaml`` blocks
titled ``name.yaml``) pass ``perfkit check`` and ``perfkit test``, and that the
command output the pages show is what the commands print.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from perfkit._cli import cli
from perfkit._yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
WORKED = ROOT / "examples" / "worked-example.yaml"
DSL_DOCS = ROOT / "docs" / "dsl"
DOCUMENTED = ("index.md", "tutorial.md", "testing.md")
"""DSL pages whose titled yaml blocks are complete policies."""

HEAD = "perfkit: 1\nname: Demo\ncurrency: CNY\n"

WARNING_POLICY = (
    HEAD
    + """\
attributes: {target_bonus: decimal}
incentives:
  - id: monthly_bonus
    amount: "round(target_bonus / 3, 2)"
"""
)

BROKEN_POLICY = (
    HEAD
    + """\
rounding: {mode: bankers}
attributes: {target_bonus: decimal}
incentives:
  - id: bonus
    amount: "target_bonus"
    wehn: "True"
"""
)

WRONG_EXPECTATION = (
    HEAD
    + """\
attributes: {revenue: decimal, base_salary: decimal}
incentives:
  - id: commission
    tiered:
      on: revenue
      mode: marginal
      tiers:
        - {from: 0, rate: 2%}
        - {from: 50000, rate: 5%}
  - id: penalty
    when: "revenue < 60000"
    amount: "-min(500, base_salary * 5%)"
tests:
  - name: right
    given: {revenue: 55000, base_salary: 9000.10}
    expect: {commission: 1250.00, penalty: -450.01}
  - name: wrong
    given: {revenue: 55000, base_salary: 9000.10}
    expect: {commission: 1300.00, penalty: -450.01, payout: 800}
"""
)


def invoke(*args: str | Path) -> Result:
    """Run the perfkit command line with ``args``, as a user would."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory, so output names files as given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


# --- help and version ----------------------------------------------------------------


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_works_on_every_command(command: list[str], flag: str) -> None:
    result = invoke(*command, flag)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    group_or_command: click.Command = cli.commands[command[0]] if command else cli
    summary = (group_or_command.help or "").split("\n")[0]
    assert summary.split(" ")[0] in result.output


def test_help_lists_check_test_and_schema() -> None:
    output = invoke("--help").output
    for name in ("check", "test", "schema"):
        assert re.search(rf"^  {name} ", output, flags=re.MULTILINE), output


def test_version() -> None:
    from perfkit import __version__

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"perfkit, version {__version__}\n"


def test_unknown_command_and_missing_arguments_are_usage_errors() -> None:
    assert invoke("frobnicate").exit_code == 2
    assert invoke("check").exit_code == 2
    assert invoke("test").exit_code == 2
    assert invoke("check", "--no-such-option", WORKED).exit_code == 2


# --- check -------------------------------------------------------------------------


def test_check_ok() -> None:
    result = invoke("check", WORKED)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"{WORKED}: ok (Field sales Q2 2026 (worked example))\n"


def test_check_quiet_prints_nothing_for_a_sound_policy() -> None:
    result = invoke("check", "--quiet", WORKED)
    assert result.exit_code == 0
    assert result.output == ""


def test_check_warnings_exit_0_and_are_printed(workdir: Path) -> None:
    write("plan.yaml", WARNING_POLICY)
    result = invoke("check", "plan.yaml")
    assert result.exit_code == 0
    assert result.stdout == (
        "plan.yaml:7:14: incentives[0].amount: warning: round(x, 2) rounds to a multiple of 2, "
        "not to 2 decimal places: the second argument is a step; write round(x, 0.01) for "
        "cents [expr.round-quantum]\n"
    )
    assert result.stderr == "plan.yaml: ok with 1 warning(s) (Demo)\n"


def test_check_errors_exit_1_with_every_problem_rendered(workdir: Path) -> None:
    write("plan.yaml", BROKEN_POLICY)
    result = invoke("check", "plan.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        (
            "plan.yaml:4:18: rounding.mode: expected 'half_up', 'half_even', 'half_down', 'down' "
            "or 'up', got 'bankers' [policy.choice]"
        ),
        (
            "plan.yaml:9:5: incentives[0].wehn: unknown key 'wehn'; did you mean 'when'? "
            "[policy.unknown-key]"
        ),
    ]
    assert result.stderr == "plan.yaml: 2 error(s)\n"


def test_check_expression_errors_point_into_the_formula(workdir: Path) -> None:
    write("plan.yaml", WARNING_POLICY.replace("target_bonus / 3", "target_bonsu / 3"))
    result = invoke("check", "plan.yaml")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert re.fullmatch(
        r"plan\.yaml:7:\d+: incentives\[0\]\.amount: unknown name 'target_bonsu'; "
        r"did you mean 'target_bonus'\? \[expr\.unknown-name\]",
        line,
    )


def test_check_several_policies_fails_if_any_fails(workdir: Path) -> None:
    write("good.yaml", WARNING_POLICY)
    write("bad.yaml", BROKEN_POLICY)
    result = invoke("check", "good.yaml", "bad.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "good.yaml: ok with 1 warning(s) (Demo)",
        "bad.yaml: 2 error(s)",
    ]
    assert invoke("check", "good.yaml", "good.yaml").exit_code == 0


def test_check_a_missing_file_is_an_error_not_a_traceback(workdir: Path) -> None:
    result = invoke("check", "plans/missing.yaml")
    assert result.exit_code == 1
    assert result.stdout == (
        "plans/missing.yaml: cannot read the policy file: No such file or directory [yaml.io]\n"
    )
    assert result.stderr == "plans/missing.yaml: 1 error(s)\n"


def test_check_yaml_errors(workdir: Path) -> None:
    write("plan.yaml", HEAD + "currency: USD\n")
    result = invoke("check", "plan.yaml")
    assert result.exit_code == 1
    assert result.stdout.startswith("plan.yaml:4:1: currency: duplicate key 'currency'")
    assert result.stdout.rstrip().endswith("[yaml.duplicate-key]")


# --- schema ------------------------------------------------------------------------


def schema_document() -> dict[str, Any]:
    result = invoke("schema")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def test_schema_is_a_valid_json_schema() -> None:
    document = schema_document()
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["required"]) >= {"perfkit", "name", "currency"}
    assert document["additionalProperties"] is False


def test_schema_accepts_the_worked_example() -> None:
    validator = Draft202012Validator(schema_document())
    data = load_yaml(WORKED.read_text(encoding="utf-8")).data
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_schema_accepts_the_documented_policies() -> None:
    validator = Draft202012Validator(schema_document())
    for name, text in documented_policies():
        errors = [e.message for e in validator.iter_errors(load_yaml(text).data)]
        assert errors == [], name


def _worked_data() -> dict[str, Any]:
    data = load_yaml(WORKED.read_text(encoding="utf-8")).data
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(scorecrd={}), "'scorecrd' was unexpected"),
        (lambda d: d["incentives"][0].update(wehn="True"), "'wehn' was unexpected"),
        (lambda d: d["rounding"].update(mode="bankers"), "'bankers' is not one of"),
        (lambda d: d.pop("currency"), "'currency' is a required property"),
        (lambda d: d["incentives"][0]["tiered"].pop("mode"), "'mode' is a required property"),
    ],
    ids=["unknown-key", "unknown-nested-key", "bad-choice", "missing-currency", "missing-mode"],
)
def test_schema_rejects_mistakes(change: Any, expected: str) -> None:
    validator = Draft202012Validator(schema_document())
    data = _worked_data()
    change(data)
    messages = [e.message for e in validator.iter_errors(data)]
    best = [m for m in messages if expected in m]
    if not best:  # anyOf/oneOf failures hold the real reason in their context
        messages = [
            sub.message for e in validator.iter_errors(data) for sub in e.context or () if sub
        ] + messages
        best = [m for m in messages if expected in m]
    assert best, messages


def test_schema_out_writes_the_same_document(workdir: Path) -> None:
    result = invoke("schema", "--out", "perfkit-policy.schema.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "wrote perfkit-policy.schema.json\n"
    written = Path("perfkit-policy.schema.json").read_text(encoding="utf-8")
    assert json.loads(written) == schema_document()
    assert written == invoke("schema").stdout


# --- test --------------------------------------------------------------------------


def test_test_passes_on_the_worked_example() -> None:
    result = invoke("test", WORKED)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"PASS {WORKED}: the worked example rep",
        f"PASS {WORKED}: one day of 91, commission capped",
        "2 passed, 0 failed",
    ]


def test_test_fails_with_a_readable_expected_actual_diff(workdir: Path) -> None:
    write("plan.yaml", WRONG_EXPECTATION)
    result = invoke("test", "plan.yaml")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "PASS plan.yaml: right",
        "FAIL plan.yaml: wrong",
        "    commission  expected 1300.00, got 1250.00",
        "    payout      expected 800, got 799.99",
        "1 passed, 1 failed",
    ]


def test_test_shows_exact_fractions_with_their_approximate_value(workdir: Path) -> None:
    write(
        "plan.yaml",
        HEAD
        + """\
attributes: {revenue: decimal}
variables:
  share: "revenue / 3"
tests:
  - name: a third
    given: {revenue: 2}
    expect: {share: 0.67}
""",
    )
    result = invoke("test", "plan.yaml")
    assert result.exit_code == 1
    assert "    share  expected 0.67, got 2/3 (≈ 0.6666666667)" in result.output.splitlines()


def test_test_fails_when_an_example_cannot_run(workdir: Path) -> None:
    write(
        "plan.yaml",
        WRONG_EXPECTATION.replace(
            "given: {revenue: 55000, base_salary: 9000.10}\n    expect: {commission: 1250.00",
            "given: {revenue: 55000}\n    expect: {commission: 1250.00",
        ),
    )
    result = invoke("test", "plan.yaml")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "FAIL plan.yaml: right"
    assert lines[1].startswith("    error: ")
    assert "'base_salary'" in lines[1]
    assert lines[-1] == "0 passed, 2 failed"


def test_test_on_a_policy_that_does_not_load(workdir: Path) -> None:
    write("plan.yaml", BROKEN_POLICY)
    result = invoke("test", "plan.yaml")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("[policy.choice]")
    assert lines[1].endswith("[policy.unknown-key]")
    assert lines[-1].endswith(" passed, 1 failed")


def test_test_counts_a_policy_that_does_not_load_once(workdir: Path) -> None:
    """A policy that does not load counts as one failure, not as a negative pass."""
    write("plan.yaml", BROKEN_POLICY)
    assert invoke("test", "plan.yaml").output.splitlines()[-1] == "0 passed, 1 failed"


def test_test_without_examples_passes(workdir: Path) -> None:
    write("plan.yaml", WARNING_POLICY)
    result = invoke("test", "plan.yaml")
    assert result.exit_code == 0
    assert result.output == "0 passed, 0 failed\n"


# --- the documented policies and outputs -------------------------------------------

_TITLED_YAML = re.compile(
    r'^```yaml title="(?P<name>[^"]+\.yaml)"\n(?P<body>.*?)^```$', re.S | re.M
)


def documented_policies() -> list[tuple[str, str]]:
    """(file name, text) of every titled yaml block in the DSL pages listed above."""
    found = []
    for page in DOCUMENTED:
        text = (DSL_DOCS / page).read_text(encoding="utf-8")
        found += [(m["name"], m["body"]) for m in _TITLED_YAML.finditer(text)]
    return found


def page(name: str) -> str:
    return (DSL_DOCS / name).read_text(encoding="utf-8")


def test_there_are_documented_policies() -> None:
    names = [name for name, _ in documented_policies()]
    assert {"small-plan.yaml", "field-sales.yaml", "bonus-plan.yaml"} <= set(names)


@pytest.mark.parametrize(("name", "text"), documented_policies(), ids=lambda v: str(v)[:20])
def test_documented_policies_pass_check_and_test(name: str, text: str, workdir: Path) -> None:
    write(name, text)
    checked = invoke("check", name)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "", "a documented policy has warnings"
    tested = invoke("test", name)
    assert tested.exit_code == 0, tested.output
    count = len(load_policy_tests(text))
    assert tested.output.splitlines()[-1] == f"{count} passed, 0 failed"


def load_policy_tests(text: str) -> list[Any]:
    data = load_yaml(text).data
    assert isinstance(data, dict)
    tests = data.get("tests", [])
    assert isinstance(tests, list)
    return tests


def _documented(name: str) -> str:
    return next(text for title, text in documented_policies() if title == name)


def test_tutorial_shows_the_real_output(workdir: Path) -> None:
    """The outputs the tutorial shows are what perfkit prints."""
    tutorial = page("tutorial.md")
    policy = _documented("field-sales.yaml")
    write("field-sales.yaml", policy)
    for args in (["check", "field-sales.yaml"], ["test", "field-sales.yaml"]):
        assert invoke(*args).output in tutorial
    write(
        "field-sales.yaml",
        policy.replace("target_bonus * score / 100", "target_bonus * scor / 100"),
    )
    mistake = invoke("check", "field-sales.yaml")
    assert mistake.exit_code == 1
    assert mistake.output in tutorial
    write("field-sales.yaml", policy.replace("commission: 1250.00", "commission: 1350.00", 1))
    failing = invoke("test", "field-sales.yaml")
    assert failing.exit_code == 1
    assert failing.output in tutorial


def test_testing_page_shows_the_real_output(workdir: Path) -> None:
    testing = page("testing.md")
    policy = _documented("bonus-plan.yaml")
    write("bonus-plan.yaml", policy)
    assert invoke("test", "bonus-plan.yaml").output in testing
    wrong = "expect: {bonus: 0, penalty: -450.00, payout: -450.01, flags: []}"
    assert wrong in testing
    write(
        "bonus-plan.yaml",
        policy.replace(
            "expect: {bonus: 0, penalty: -450.01, payout: -450.01, flags: [coaching_plan]}", wrong
        ),
    )
    failing = invoke("test", "bonus-plan.yaml")
    assert failing.exit_code == 1
    assert failing.output in testing
