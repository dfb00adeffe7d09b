"""The JSON Schema and the generated DSL reference stay true to the models."""

from __future__ import annotations

from pathlib import Path

import pytest

import perfkit as pk
from perfkit._cli import policy_json_schema
from perfkit._docgen import reference
from perfkit._incentive_model import RULE_KINDS
from perfkit._yaml import load_yaml, load_yaml_file

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted(
    [*ROOT.glob("examples/*.yaml"), *(ROOT / "src" / "perfkit" / "demo").glob("*.yaml")]
)


def test_reference_page_is_generated_from_the_models() -> None:
    """docs/dsl/reference.md is exactly what python -m perfkit._docgen prints."""
    page = (ROOT / "docs" / "dsl" / "reference.md").read_text(encoding="utf-8")
    assert page == reference(), "regenerate: python -m perfkit._docgen > docs/dsl/reference.md"


def test_reference_documents_every_key_of_every_section() -> None:
    """Every field of the policy models has a row with a meaning."""
    page = reference()
    assert "|  |" not in page.replace("|---|", "")
    for key in ("incentives", "scorecard", "goals", "when_zero", "missing", "over_assign"):
        assert f"`{key}`" in page


@pytest.mark.parametrize("path", POLICIES, ids=[p.name for p in POLICIES])
def test_every_policy_in_the_repo_validates_against_the_schema(path: Path) -> None:
    """The example and demo policies load, and their YAML passes the JSON Schema."""
    jsonschema = pytest.importorskip("jsonschema")
    pk.load_policy(path)
    validator = jsonschema.Draft202012Validator(policy_json_schema())
    errors = sorted(validator.iter_errors(load_yaml_file(path).data), key=str)
    assert errors == []


EVERY_RULE_KIND = """\
perfkit: 1
name: Every rule kind
currency: CNY
tables:
  participants: {columns: {id: string, team: string, target_bonus: decimal}}
  deals:
    key: id
    columns:
      id: string
      owner: string
      amount: decimal
      product: string
      region: string
      new_logo: bool
      closed: date
      cancelled: date
metrics:
  revenue: {table: deals, sum: amount, date: closed}
  new_logos: {table: deals, count: true, where: new_logo, date: closed}
targets:
  revenue: {value: "100000"}
scorecard:
  components:
    - {metric: revenue, weight: 100%, curve: [[0, 0], [1, 100]]}
incentives:
  - id: commission
    per_record:
      metric: revenue
      keys: [product, region]
      lines:
        - {match: {product: software}, rate: 8%}
        - {match: {region: east}, rate: 6%}
        - {rate: 5%}
  - {id: base, rate: {on: revenue, rate: 1%, threshold: "50000"}}
  - id: accelerator
    tiered:
      on: attainment.revenue
      base: target.revenue
      mode: marginal
      tiers: [{from: 0, rate: 0%}, {from: 100%, rate: 2%}]
  - {id: fixed, amount: "target_bonus * 10%"}
  - {id: logo_spiff, spiff: {per: record, metric: new_logos, amount: 500}}
  - {id: kickoff, spiff: {per: period, amount: 200}, when: "new_logos >= 3"}
  - {id: kicker, when: "attainment.revenue >= 120%", multiplier: {of: [commission], factor: 1.5}}
  - {id: growth, improvement: {metric: revenue, over: last_year, rate: 1%}}
  - {id: team_bonus, pool: {group: team, fund: "team.revenue * 1%", weights: score}}
  - {id: late_reports, penalty: {amount: 100}, when: "revenue < 1000"}
  - {id: reversal, clawback: {of: commission, date: cancelled, within: 90}}
  - {id: advance, draw: {amount: 3000, recoverable: true, recover: {share: 50%, limit: "1000"}}}
payout:
  cap: "target_bonus * 4"
  deductions: "earnings * 10%"
  negative: carry
"""
"""One valid policy with a rule of every built-in kind and a payout section."""


def schema_errors(text: str) -> list[str]:
    """What the JSON Schema finds wrong with a policy's YAML (it must load first)."""
    jsonschema = pytest.importorskip("jsonschema")
    pk.load_policy(text)
    validator = jsonschema.Draft202012Validator(policy_json_schema())
    return sorted(e.message for e in validator.iter_errors(load_yaml(text).data))


def test_every_rule_kind_validates_against_the_schema() -> None:
    """The repo's policies use few rule kinds: this one uses every built-in one."""
    policy = pk.load_policy(EVERY_RULE_KIND)
    kinds = {
        kind for kind, cls in RULE_KINDS.items() if any(type(r) is cls for r in policy.incentives)
    }
    assert kinds == set(RULE_KINDS) - {"kind"}
    assert schema_errors(EVERY_RULE_KIND) == []


def test_a_multiplier_of_one_name_validates_against_the_schema() -> None:
    """``of`` takes one rule's id or a list of them, in the schema as in the model."""
    text = EVERY_RULE_KIND.replace("of: [commission]", "of: commission")
    assert schema_errors(text) == []
