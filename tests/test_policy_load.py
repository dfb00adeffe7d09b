"""Loading policies: every problem reported at file:line:col, in one PolicyError."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import perfkit as pk
from perfkit._policy_model import FormulaRule, TieredRule

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MINIMAL = """\
perfkit: 1
name: Minimal
currency: CNY
attributes: {base_salary: decimal}
incentives:
  - id: fixed
    amount: "base_salary * 10%"
"""


def load(text: str) -> pk.Policy:
    return pk.load_policy(textwrap.dedent(text))


def errors(text: str) -> list[pk.Diagnostic]:
    with pytest.raises(pk.PolicyError) as caught:
        load(text)
    return list(caught.value.diagnostics)


def test_minimal_policy_loads_with_decimal_numbers() -> None:
    """A small policy loads; rounding defaults to 0.01 half_up."""
    policy = load(MINIMAL)
    assert policy.name == "Minimal"
    assert policy.rounding.quantum == Decimal("0.01")
    assert isinstance(policy.incentives[0], FormulaRule)


def test_worked_example_loads_from_file_and_its_tests_pass() -> None:
    """The DOMAIN.md worked example loads and every example inside it passes."""
    from perfkit._policy_tests import run_policy_tests

    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    assert isinstance(policy.incentives[0], TieredRule)
    outcomes = list(run_policy_tests(policy))
    assert outcomes
    assert [o.report() for o in outcomes if not o.passed] == []


def test_version_key_is_required() -> None:
    """A policy without 'perfkit: 1' is refused, naming the supported versions."""
    (diag,) = errors("name: x\ncurrency: CNY\n")
    assert diag.code == "policy.version-missing"
    assert "perfkit: 1" in diag.message


def test_unknown_version_is_refused_at_its_line() -> None:
    """An unsupported DSL version is reported at its line with the supported list."""
    (diag,) = errors("name: x\nperfkit: 7\ncurrency: CNY\n")
    assert diag.code == "policy.version-unsupported"
    assert diag.location.line == 2
    assert "supported" in diag.message or "reads: 1" in diag.message


def test_every_problem_is_reported_with_its_line_and_path() -> None:
    """Several mistakes give one PolicyError listing each at its own line."""
    diags = errors(
        """\
        perfkit: 1
        name: Bad
        currency: CNY
        rounding: {quantum: "0.01", mode: banker}
        incentives:
          - id: a
            amount: "1"
            wehn: "True"
          - id: b
            tiered:
              on: "1"
              tiers: [{from: 0, rate: 2%}]
        """
    )
    by_code = {d.code: d for d in diags}
    assert by_code["policy.choice"].location.line == 4
    assert by_code["policy.choice"].location.path == "rounding.mode"
    unknown = by_code["policy.unknown-key"]
    assert unknown.location.line == 8
    assert "did you mean 'when'?" in unknown.message
    assert unknown.location.path == "incentives[0].wehn"
    missing = by_code["policy.missing-key"]
    assert missing.location.path == "incentives[1].tiered.mode"
    assert missing.location.line == 11


def test_rendered_diagnostic_points_into_the_file(tmp_path: Path) -> None:
    """Diagnostics render file:line:col: path: message [code] for a policy file."""
    path = tmp_path / "plan.yaml"
    path.write_text(MINIMAL.replace("currency: CNY", "currency: yuan"), encoding="utf-8")
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(path)
    rendered = caught.value.diagnostics[0].render()
    assert rendered.startswith(f"{path}:3:11: currency: ")
    assert rendered.endswith("got 'yuan' [policy.invalid]")


def test_float_free_typed_fields_refuse_yaml_1_1_booleans_and_leading_zeros() -> None:
    """'yes' is not a boolean and '012' is not a number: both are refused with a hint."""
    diags = errors(
        """\
        perfkit: 1
        name: x
        currency: CNY
        rounding: {quantum: 012}
        tables:
          deals: {columns: {id: string}}
        metrics:
          n: {table: deals, count: yes}
        """
    )
    messages = " ".join(d.message for d in diags)
    assert "'012'" in messages
    assert {d.location.line for d in diags} == {4, 8}


def test_unknown_expression_names_are_load_time_errors_with_suggestions() -> None:
    """An expression naming something undeclared fails at load, at its line."""
    diags = errors(MINIMAL.replace('amount: "base_salary * 10%"', 'amount: "base_salry * 10%"'))
    (diag,) = diags
    assert diag.code == "expr.unknown-name"
    assert "base_salary" in diag.message
    assert diag.location.line == 7


def test_weights_must_sum_to_100_percent() -> None:
    """Scorecard weights that do not add to 100% are an error at the scorecard."""
    diags = errors(
        """\
        perfkit: 1
        name: x
        currency: CNY
        attributes: {visits: decimal}
        metrics: {}
        scorecard:
          components:
            - {metric: visits, weight: 60%, on: value, curve: [[0, 0], [30, 100]]}
            - {metric: visits, id: v2, weight: 30%, on: value, curve: [[0, 0], [30, 100]]}
        """
    )
    assert any("sum to exactly 100%" in d.message and d.location.line == 7 for d in diags)


def test_tiers_out_of_order_are_reported_at_the_tier_at_fault() -> None:
    """Tier tables must increase; a gap between 'to' and the next 'from' is named."""
    diags = errors(
        """\
        perfkit: 1
        name: x
        currency: CNY
        attributes: {a: decimal}
        incentives:
          - id: t
            tiered:
              on: a
              mode: marginal
              tiers:
                - {from: 0, to: 40%, rate: 2%}
                - {from: 50%, rate: 5%}
        """
    )
    (diag,) = diags
    assert "gap between tier 0" in diag.message
    assert diag.location.path == "incentives[0].tiered.tiers[1]"
    assert diag.location.line == 12  # the tier after the gap


def test_includes_merge_sections_and_locate_problems_in_the_included_file(
    tmp_path: Path,
) -> None:
    """An included file contributes metrics; its mistakes point into it."""
    (tmp_path / "lib.yaml").write_text(
        "perfkit: 1\nmetrics:\n"
        "  revenue: {table: deals, sum: amount, where: \"stagee == 'won'\"}\n",
        encoding="utf-8",
    )
    main = tmp_path / "plan.yaml"
    main.write_text(
        "perfkit: 1\nname: x\ncurrency: CNY\ninclude: [lib.yaml]\n"
        "tables:\n"
        "  deals: {columns: {id: string, owner: string, amount: decimal, stage: string}}\n",
        encoding="utf-8",
    )
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(main)
    (diag,) = caught.value.diagnostics
    assert diag.location.file is not None
    assert diag.location.file.endswith("lib.yaml")
    assert diag.location.line == 3
    assert "stage" in diag.message
    (tmp_path / "lib.yaml").write_text(
        "perfkit: 1\nmetrics:\n  revenue: {table: deals, sum: amount, where: \"stage == 'won'\"}\n",
        encoding="utf-8",
    )
    policy = pk.load_policy(main)
    assert "revenue" in policy.metrics


def test_include_cycles_are_detected(tmp_path: Path) -> None:
    """A file that includes itself (through another) is reported, not recursed."""
    (tmp_path / "a.yaml").write_text("perfkit: 1\ninclude: [b.yaml]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("perfkit: 1\ninclude: [a.yaml]\n", encoding="utf-8")
    main = tmp_path / "plan.yaml"
    main.write_text("perfkit: 1\nname: x\ncurrency: CNY\ninclude: [a.yaml]\n", encoding="utf-8")
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(main)
    assert [d.code for d in caught.value.diagnostics] == ["policy.include-cycle"]


def test_missing_include_is_reported_at_the_include_line(tmp_path: Path) -> None:
    """Including a file that does not exist points at the include entry."""
    main = tmp_path / "plan.yaml"
    main.write_text(
        "perfkit: 1\nname: x\ncurrency: CNY\ninclude:\n  - nope.yaml\n", encoding="utf-8"
    )
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(main)
    (diag,) = caught.value.diagnostics
    assert diag.code == "policy.include-missing"
    assert diag.location.line == 5


def test_duplicate_names_across_includes(tmp_path: Path) -> None:
    """The same metric defined in the policy and an included file is an error."""
    (tmp_path / "lib.yaml").write_text("perfkit: 1\nattributes:\n  a: decimal\n", encoding="utf-8")
    main = tmp_path / "plan.yaml"
    main.write_text(
        "perfkit: 1\nname: x\ncurrency: CNY\ninclude: [lib.yaml]\nattributes: {a: decimal}\n",
        encoding="utf-8",
    )
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(main)
    (diag,) = caught.value.diagnostics
    assert diag.code == "policy.duplicate-name"
    assert diag.location.file is not None
    assert diag.location.file.endswith("lib.yaml")


def test_versions_pick_the_one_in_force() -> None:
    """A dated version replaces sections from its date; a change inside a period is refused."""
    policy = load(
        MINIMAL
        + textwrap.dedent(
            """\
            versions:
              - from: 2026-07-01
                incentives:
                  - {id: fixed, amount: "base_salary * 20%"}
            """
        )
    )
    from perfkit._plan import evaluate_participant

    h1 = evaluate_participant(policy.in_force("2026-Q2"), {"base_salary": Decimal("1000")})
    h2 = evaluate_participant(policy.in_force("2026-Q3"), {"base_salary": Decimal("1000")})
    assert h1.lines["fixed"] == Decimal("100.00")
    assert h2.lines["fixed"] == Decimal("200.00")
    with pytest.raises(pk.EvaluationError, match="2026-07-01"):
        policy.in_force("2026-06-15..2026-07-15")


def test_chinese_names_and_text() -> None:
    """Chinese identifiers and strings work in names and expressions."""
    policy = load(
        """\
        perfkit: 1
        name: 华东销售计划
        currency: CNY
        attributes: {销售额: decimal, 区域: string}
        incentives:
          - id: 提成
            amount: "销售额 * 5% if 区域 == '华东' else 0"
        """
    )
    from perfkit._plan import evaluate_participant

    outcome = evaluate_participant(policy, {"销售额": Decimal("1000"), "区域": "华东"})
    assert outcome.lines["提成"] == Decimal("50.00")


def test_content_hash_is_stable_and_sensitive() -> None:
    """Equal policies hash equally; a changed rate changes the hash."""
    assert load(MINIMAL).content_hash == load(MINIMAL).content_hash
    assert load(MINIMAL).content_hash != load(MINIMAL.replace("10%", "11%")).content_hash


def test_policy_is_frozen() -> None:
    """A loaded policy cannot be changed in place."""
    policy = load(MINIMAL)
    with pytest.raises(ValueError, match="frozen"):
        policy.name = "other"  # type: ignore[misc]
