"""The JSON Schema and the generated DSL reference stay true to the models."""

from __future__ import annotations

from pathlib import Path

import pytest

import perfkit as pk
from perfkit._cli import policy_json_schema
from perfkit._docgen import reference
from perfkit._yaml import load_yaml_file

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
