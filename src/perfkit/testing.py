"""Helpers for testing code that embeds perfkit: builders and hypothesis strategies.

A host application can build a small policy and dataset inline, and generate
exact amounts, percentages, periods and deal records for property tests::

    from perfkit import testing

    policy = testing.build_policy(
        attributes={"base_salary": "decimal"},
        incentives=[{"id": "fixed", "amount": "base_salary * 10%"}],
    )

The strategies need ``hypothesis`` (imported when first used).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perfkit._dataset import Dataset
from perfkit._loader import load_policy
from perfkit._time import Period
from perfkit.errors import InvalidValueError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from perfkit._policy import Policy
    from perfkit._registry import Registry

__all__ = [
    "amounts",
    "build_dataset",
    "build_policy",
    "deal_records",
    "percentages",
    "periods",
]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} into a policy")


def build_policy(
    *,
    name: str = "test plan",
    currency: str = "CNY",
    registry: Registry | None = None,
    **sections: Any,
) -> Policy:
    """Build a policy from Python data, exactly as if it were written in YAML.

    Args:
        name: the policy's name.
        currency: its currency code.
        registry: functions and rule kinds, as for :func:`perfkit.load_policy`.
        **sections: the policy's sections (``tables``, ``metrics``, ``incentives``...)
            as dicts and lists; Decimals and dates are written as their text.

    Raises:
        PolicyError: as :func:`perfkit.load_policy` does.
    """
    document = {"perfkit": 1, "name": name, "currency": currency, **sections}
    try:
        text = json.dumps(document, default=_plain, ensure_ascii=False, indent=1)
    except TypeError as exc:
        raise InvalidValueError(f"build_policy: {exc}") from None
    return load_policy(text, registry=registry)


def build_dataset(**tables: Iterable[Mapping[str, object]]) -> Dataset:
    """A :class:`perfkit.Dataset` from keyword tables of records: ``deals=[{...}, ...]``."""
    return Dataset.from_records(tables)


def _st() -> Any:
    try:
        from hypothesis import strategies
    except ImportError:
        raise InvalidValueError(
            "perfkit.testing strategies need hypothesis: pip install hypothesis"
        ) from None
    return strategies


def amounts(
    *, min_value: Decimal | int = 0, max_value: Decimal | int = 10**9, places: int = 2
) -> SearchStrategy[Decimal]:
    """Exact Decimal amounts with ``places`` decimal places."""
    st = _st()
    scale = 10**places
    low, high = int(Decimal(min_value) * scale), int(Decimal(max_value) * scale)
    return st.integers(min_value=low, max_value=high).map(  # type: ignore[no-any-return]
        lambda n: Decimal(n).scaleb(-places)
    )


def percentages(*, max_value: int = 200, places: int = 2) -> SearchStrategy[Decimal]:
    """Exact ratios such as 0.05 or 1.25 (as Decimal), up to ``max_value`` percent."""
    st = _st()
    scale = 10 ** (places + 2)
    return st.integers(min_value=0, max_value=max_value * 10**places).map(  # type: ignore[no-any-return]
        lambda n: Decimal(n) / scale
    )


def periods(
    *,
    units: Sequence[str] = ("month", "quarter"),
    first_year: int = 2020,
    last_year: int = 2030,
) -> SearchStrategy[Period]:
    """Periods (months and quarters by default) between two years."""
    st = _st()

    def make(args: tuple[str, int, int]) -> Period:
        unit, year, index = args
        if unit == "quarter":
            return Period.parse(f"{year}-Q{index % 4 + 1}")
        if unit == "half":
            return Period.parse(f"{year}-H{index % 2 + 1}")
        if unit == "year":
            return Period.parse(f"FY{year}")
        return Period.parse(f"{year}-{index % 12 + 1:02d}")

    return st.tuples(  # type: ignore[no-any-return]
        st.sampled_from(list(units)),
        st.integers(min_value=first_year, max_value=last_year),
        st.integers(min_value=0, max_value=11),
    ).map(make)


def deal_records(
    participants: Sequence[str],
    period: Period,
    *,
    max_deals: int = 30,
    max_amount: Decimal | int = 500_000,
) -> SearchStrategy[list[dict[str, object]]]:
    """Lists of deal records (id, owner, amount, closed_on) inside ``period``.

    Amounts may be negative (refunds and credit notes) now and then.
    """
    st = _st()
    days = period.days()
    deal = st.tuples(
        st.sampled_from(list(participants)),
        amounts(min_value=-10_000, max_value=max_amount),
        st.integers(min_value=0, max_value=days - 1),
    )

    def records(items: list[tuple[str, Decimal, int]]) -> list[dict[str, object]]:
        return [
            {
                "id": f"d{index}",
                "owner": owner,
                "amount": amount,
                "closed_on": period.start + datetime.timedelta(days=offset),
            }
            for index, (owner, amount, offset) in enumerate(items)
        ]

    return st.lists(deal, max_size=max_deals).map(records)  # type: ignore[no-any-return]
