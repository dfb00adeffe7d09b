"""Findings about goals: reported, not raised, each with a code and its numbers.

A finding says something a person should look at (a target that no longer sums
to its parent, a goal without a metric, growth far beyond history) without
stopping anything. Its ``code`` is stable and machine-readable, its
``numbers`` are the figures behind it, and ``field`` names the goal field it is
about, so a policy loader can point at the YAML line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal

from perfkit.errors import Severity

__all__ = ["GoalFinding"]


@dataclasses.dataclass(frozen=True, slots=True)
class GoalFinding:
    """One thing found about a goal or a plan.

    Attributes:
        code: stable reason code, e.g. ``goal.target-mismatch``, ``smart.achievable``.
        message: what was found, in words, with the numbers.
        severity: WARNING for problems, INFO for notes.
        goal: the goal's id.
        node: the node it is about, if any.
        period: the period label it is about, if any.
        level: the level (base, stretch, ...) it is about, if any.
        field: the goal field it is about (``levels.base``, ``metric``, ...), if any.
        numbers: the figures behind it, by name.
    """

    code: str
    message: str
    severity: Severity = Severity.WARNING
    goal: str | None = None
    node: str | None = None
    period: str | None = None
    level: str | None = None
    field: str | None = None
    numbers: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)

    def render(self) -> str:
        """One line: ``goal revenue: east 2026-Q1 base: message [code]``."""
        where = " ".join(
            part
            for part in (
                f"goal {self.goal}" if self.goal else None,
                self.node,
                self.period,
                self.level,
            )
            if part
        )
        label = "" if self.severity is Severity.WARNING else f"{self.severity.value}: "
        return f"{where + ': ' if where else ''}{label}{self.message} [{self.code}]"

    def __str__(self) -> str:
        return self.render()
