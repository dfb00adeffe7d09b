"""perfkit.testing: builders and strategies host applications use in their own tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit as pk
from perfkit import testing

PLAN: dict[str, Any] = {
    "tables": {
        "deals": {
            "columns": {"id": "string", "owner": "string", "amount": "decimal", "closed_on": "date"}
        }
    },
    "metrics": {"revenue": {"table": "deals", "sum": "amount", "date": "closed_on"}},
    "incentives": [{"id": "commission", "rate": {"on": "revenue", "rate": Decimal("0.03")}}],
}


def test_build_policy_is_the_same_as_yaml() -> None:
    """A policy built from Python data equals the one written in YAML."""
    built = testing.build_policy(**PLAN)
    written = pk.load_policy(
        "perfkit: 1\nname: test plan\ncurrency: CNY\n"
        "tables:\n  deals: {columns: {id: string, owner: string, amount: decimal, "
        "closed_on: date}}\n"
        "metrics:\n  revenue: {table: deals, sum: amount, date: closed_on}\n"
        "incentives:\n  - {id: commission, rate: {on: revenue, rate: 0.03}}\n"
    )
    assert built.content_hash == written.content_hash


def test_build_policy_reports_mistakes_like_load_policy() -> None:
    """A mistake in built data is a PolicyError with a field path."""
    with pytest.raises(pk.PolicyError, match=r"incentives\[0\]"):
        testing.build_policy(incentives=[{"id": "x", "amout": "1"}])


@given(
    st.data(),
    testing.periods(),
)
def test_strategies_generate_valid_inputs(data: st.DataObject, period: pk.Period) -> None:
    """Generated deals evaluate, and the payout is 3% of their sum, exactly."""
    deals = data.draw(testing.deal_records(["a", "b"], period, max_deals=8))
    policy = testing.build_policy(**PLAN)
    result = pk.evaluate(policy, testing.build_dataset(deals=deals), period)
    owners = {str(d["owner"]) for d in deals}
    assert set(result.payouts) == owners
    for rep in owners:
        total = sum((Decimal(str(d["amount"])) for d in deals if d["owner"] == rep), Decimal(0))
        assert result.payouts[rep] == pk.quantize(total * Decimal("0.03"))
    for deal in deals:
        assert period.contains(deal["closed_on"])  # type: ignore[arg-type]


@given(testing.amounts(min_value=-5, max_value=5), testing.percentages(max_value=150))
def test_amount_and_percentage_strategies_are_exact(amount: Decimal, ratio: Decimal) -> None:
    """Amounts have two places and stay in range; percentages are exact Decimals."""
    assert amount.as_tuple().exponent == -2
    assert Decimal(-5) <= amount <= Decimal(5)
    assert Decimal(0) <= ratio <= Decimal("1.5")
