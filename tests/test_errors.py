"""Errors: one root, one subclass per layer, diagnostics rendered for editors."""

from __future__ import annotations

import pytest

import perfkit as pk
from perfkit.errors import Diagnostic, Location, Severity


def test_every_error_derives_from_the_root() -> None:
    """A host can catch everything perfkit raises with one except clause."""
    for cls in (
        pk.PolicyError,
        pk.DataError,
        pk.EvaluationError,
        pk.InvalidValueError,
        pk.OrgTreeError,
    ):
        assert issubclass(cls, pk.PerfkitError)


def test_diagnostic_renders_file_line_col_path_message_code() -> None:
    """A located diagnostic renders as file:line:col: path: message [code]."""
    d = Diagnostic(
        code="policy.type",
        message="expected a number",
        location=Location(file="plans/field.yaml", line=12, column=7, path="incentives[0].rate"),
    )
    assert (
        d.render() == "plans/field.yaml:12:7: incentives[0].rate: expected a number [policy.type]"
    )
    assert str(d) == d.render()


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (Location(), "oops [x]"),
        (Location(path="deals[3].amount"), "deals[3].amount: oops [x]"),
        (Location(file="a.yaml"), "a.yaml: oops [x]"),
        (Location(file="a.yaml", line=3), "a.yaml:3: oops [x]"),
        (Location(line=3, column=4), "<input>:3:4: oops [x]"),
    ],
)
def test_partial_locations_leave_out_what_is_unknown(location: Location, expected: str) -> None:
    """Unknown parts of a location are left out of the rendering."""
    assert Diagnostic(code="x", message="oops", location=location).render() == expected


def test_warnings_are_labelled_and_do_not_count_as_errors() -> None:
    """A warning renders with its severity and is not an error."""
    d = Diagnostic(code="goal.smart", message="no parent goal", severity=Severity.WARNING)
    assert d.render() == "warning: no parent goal [goal.smart]"
    assert not d.is_error


def test_policy_error_carries_and_lists_every_diagnostic() -> None:
    """A PolicyError keeps all diagnostics and its message lists each on its own line."""
    diags = [
        Diagnostic("a", "first", location=Location(file="p.yaml", line=1, column=1)),
        Diagnostic("b", "second", location=Location(file="p.yaml", line=9, column=3)),
    ]
    err = pk.PolicyError(diags)
    assert err.diagnostics == tuple(diags)
    text = str(err)
    assert "2 errors" in text
    assert "p.yaml:1:1: first [a]" in text
    assert "p.yaml:9:3: second [b]" in text


def test_single_diagnostic_error_message_is_the_diagnostic() -> None:
    """With one diagnostic the message is just its rendering; a plain string works too."""
    d = Diagnostic("data.type", "not a date", location=Location(path="deals[4].closed_on"))
    assert str(pk.DataError([d])) == "deals[4].closed_on: not a date [data.type]"
    assert str(pk.DataError("missing table 'deals'")) == "missing table 'deals' [error]"
