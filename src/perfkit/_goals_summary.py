"""A plan's summary: its size and every over-assignment, stated, never accidental.

Also the one helper that turns integer quanta back into Decimals, fast and exact.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from perfkit._goals_model import percent
from perfkit._time import Period

__all__ = ["OverAssignment", "PlanSummary", "amount_maker"]

_WIDE = decimal.Context(prec=decimal.MAX_PREC)


def amount_maker(quantum: Decimal) -> Callable[[int], Decimal]:
    """A fast exact ``units -> units * quantum`` (``0.01`` -> two decimal places)."""
    _sign, digits, exponent = quantum.as_tuple()
    if digits == (1,) and isinstance(exponent, int):
        scaleb = Decimal.scaleb
        return lambda units: scaleb(Decimal(units), exponent, _WIDE)
    return lambda units: _WIDE.multiply(Decimal(units), quantum)


@dataclass(frozen=True, slots=True)
class OverAssignment:
    """What one org step over-assigned: its factor and the totals before and after.

    Attributes:
        step: the index of the org step (``decompose.org[step]``).
        factor: the children carry the parent's target times this.
        parents: level -> the total of the targets this step split.
        children: level -> the total of the children's targets.
    """

    step: int
    factor: Decimal
    parents: Mapping[str, Decimal]
    children: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A plan at a glance: its goal, size and every over-assignment.

    Attributes:
        goal: the goal's id.
        period: the goal's period.
        levels: level -> the goal's target.
        rows: how many rows (a node over its stretch of membership) the plan has.
        leaves: how many rows no org step split further.
        periods: how many periods (of every grain) each row has targets for.
        over_assignment: one entry per org step, in order.
    """

    goal: str
    period: Period
    levels: Mapping[str, Decimal]
    rows: int
    leaves: int
    periods: int
    over_assignment: tuple[OverAssignment, ...]

    def render(self) -> str:
        """A few lines of text, naming every over-assignment factor."""
        levels = ", ".join(f"{name} {value:,}" for name, value in self.levels.items())
        lines = [
            f"goal {self.goal} for {self.period}: {levels}",
            f"{self.rows} rows ({self.leaves} leaves) x {self.periods} periods",
        ]
        for item in self.over_assignment:
            if item.factor == 1:
                continue
            moved = ", ".join(
                f"{name} {item.parents[name]:,} -> {item.children[name]:,}" for name in item.parents
            )
            lines.append(f"org step {item.step} over-assigns x{percent(item.factor)}: {moved}")
        return "\n".join(lines)
