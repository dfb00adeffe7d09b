"""What a participant's plan carries between periods and how a period settles.

A period's rules produce *entries* (one per rule, or one per record for a
clawback). Settlement then applies, in this documented order:

1. the deductions limit (``payout.deductions``) over the penalty lines;
2. the participant's cap for the period (``payout.cap``), then for the fiscal
   year to date (``payout.cap_ytd``);
3. draws, in rule order: a guarantee tops the period up to its amount; a
   recoverable draw advances the shortfall, or recovers its balance from the
   earnings above its amount;
4. the negative balance: a balance carried in is recovered from a positive
   net, and a period netting below zero pays zero and carries (or forgives)
   the difference when ``payout.negative`` says so.

Each step that changes the payout adds its own line, so the statement shows
what bit and by how much; nothing rewrites a rule's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = ["BALANCE", "CAP", "CAP_YTD", "DEDUCTIONS", "Carry", "Entry", "Inputs"]

# The components of the lines settlement adds (draw lines carry their rule's id).
DEDUCTIONS = "payout.deductions"
CAP = "payout.cap"
CAP_YTD = "payout.cap_ytd"
BALANCE = "payout.balance"

ZERO = Decimal(0)


@dataclass(frozen=True)
class Entry:
    """One payout line before it is placed in a result.

    ``kind`` is ``rule`` (a rule's line), ``clawback`` (one per reversed
    record, linked to the period that paid it), ``adjustment`` (a closed
    period's difference, linked to that period), ``draw`` or ``settlement``.
    """

    component: str
    rule: str
    amount: Decimal
    kind: str = "rule"
    record: str | None = None
    original_period: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Carry:
    """What earlier periods leave a participant with.

    Attributes:
        draw: recoverable draw advanced and not yet recovered.
        carried: negative balance carried forward (a positive number: owed).
        ytd: component -> amount paid in earlier periods of the fiscal year
            (adjustments included).
        ytd_payout: the participant's net payout in earlier periods of the year.
    """

    draw: Decimal = ZERO
    carried: Decimal = ZERO
    ytd: Mapping[str, Decimal] = field(default_factory=dict)
    ytd_payout: Decimal = ZERO


@dataclass(frozen=True)
class Inputs:
    """Inputs the engine computes from records or across participants.

    Attributes:
        records: per-record rule id -> the exact sum of its records' amounts.
        detail: per-record rule id -> record key -> exact amount (kept for rules
            a clawback reverses).
        unmatched: per-record rule id -> records that matched no line.
        clawbacks: clawback rule id -> (record key, period paid, amount paid,
            credited amount). For a record paid in this period the amount is None:
            the plan reads what a per-record rule paid on it, or applies the rule's
            effective rate (its line over the clawback's metric) to the credited
            amount.
        pools: pool rule id -> this member's share, already allocated exactly.
        pool_notes: pool rule id -> how the share was found.
        cumulative: cumulative tiered rule id -> (year-to-date values, the
            values year to date before this period), for ``on`` and ``base``.
        adjustments: entries for closed periods' differences (kind adjustment).
    """

    records: Mapping[str, Fraction] = field(default_factory=dict)
    detail: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)
    unmatched: Mapping[str, int] = field(default_factory=dict)
    clawbacks: Mapping[str, list[tuple[str, str, Fraction | None, Fraction | None]]] = field(
        default_factory=dict
    )
    pools: Mapping[str, Decimal] = field(default_factory=dict)
    pool_notes: Mapping[str, str] = field(default_factory=dict)
    cumulative: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]] = field(
        default_factory=dict
    )
    adjustments: tuple[Entry, ...] = ()
    clawed: Mapping[tuple[str, str], tuple[Decimal, Fraction]] = field(default_factory=dict)
    """(clawback rule, period paid) -> what earlier clawback lines took back for
    it, and the exact amounts they reversed (so reversals round as one line)."""
