"""The Policy: a loaded, validated, compiled plan, and the versions in force.

A :class:`Policy` is what :func:`perfkit.load_policy` returns. Its fields are the
YAML's sections as frozen models; its expressions were compiled and their names
checked when it loaded, so evaluating it never parses text again.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, WithJsonSchema

from perfkit._goals_model import Goal
from perfkit._model_types import DateValue, Description
from perfkit._policy_model import PolicyBody, PolicyTest, PolicyVersion, Rounding
from perfkit._time import Calendar, Period
from perfkit.errors import Diagnostic, EvaluationError, Location

if TYPE_CHECKING:
    from perfkit._expr import Expression

__all__ = ["Policy"]


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"expected a three-letter ISO 4217 code such as CNY or USD, got {value!r}")
    return value


Currency = Annotated[
    str, BeforeValidator(_currency), WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"})
]


class Policy(PolicyBody):
    """A sales performance plan: tables, metrics, targets, scorecard, incentives.

    Build one with :func:`perfkit.load_policy` (which reports every problem with
    its file:line:col) rather than directly. Frozen: a policy never changes after
    it loads; :meth:`in_force` returns the version for a period as a new Policy.
    """

    perfkit: Literal[1] = Field(description="The DSL version; 1 is the only one so far.")
    name: str = Field(min_length=1, description="The plan's name, shown in results.")
    description: Description = None
    currency: Currency = Field(description="ISO 4217 code, e.g. CNY, USD.")
    rounding: Rounding = Field(default_factory=Rounding, description="Default 0.01 half_up.")
    calendar: Calendar = Field(default_factory=Calendar, description="Fiscal year and workdays.")
    include: list[str] = Field(
        default_factory=list, description="Files (relative paths) whose sections join this one."
    )
    valid_from: DateValue | None = Field(default=None, description="First day the plan applies.")
    versions: list[PolicyVersion] = Field(
        default_factory=list, description="Sections replaced from a date on."
    )
    tests: list[PolicyTest] = Field(default_factory=list, description="Examples to check.")
    goals: list[Goal] = Field(
        default_factory=list,
        description="Goals with their levels and how they decompose over the org and time "
        "(see Goals and targets); `perfkit plan` prints the decomposed plan.",
    )

    _expressions: dict[str, Expression] = PrivateAttr(default_factory=dict)
    _diagnostics: tuple[Diagnostic, ...] = PrivateAttr(default=())
    _source: str | None = PrivateAttr(default=None)
    _locations: dict[str, Any] = PrivateAttr(default_factory=dict)
    _locate: Any = PrivateAttr(default=None)
    _registry: Any = PrivateAttr(default=None)
    _content_hash: str = PrivateAttr(default="")

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Warnings found while loading (errors would have stopped the load)."""
        return self._diagnostics

    @property
    def source(self) -> str | None:
        """The file the policy was loaded from, if any."""
        return self._source

    @property
    def content_hash(self) -> str:
        """SHA-256 of the policy's canonical JSON: equal policies, equal hashes."""
        if not self._content_hash:
            canonical = json.dumps(
                self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False
            )
            self._content_hash = hashlib.sha256(canonical.encode()).hexdigest()
        return self._content_hash

    def goal(self, goal_id: str) -> Goal:
        """The goal with this id; EvaluationError listing the ids when there is none."""
        for goal in self.goals:
            if goal.id == goal_id:
                return goal
        known = ", ".join(g.id for g in self.goals) or "none"
        raise EvaluationError(f"no goal {goal_id!r} in policy {self.name!r}; goals: {known}")

    def expression(self, path: str) -> Expression:
        """The compiled expression at a field path such as ``incentives[0].amount``."""
        try:
            return self._expressions[path]
        except KeyError:
            raise EvaluationError(f"no expression at {path!r} in policy {self.name!r}") from None

    def location(self, path: str) -> Location | None:
        """The :class:`~perfkit.errors.Location` of a field path, when known."""
        where = self._locations.get(path)
        if where is None or self._locate is None:
            return None
        return self._locate(where)  # type: ignore[no-any-return]

    def in_force(self, period: Period | str) -> Policy:
        """Return the policy as in force for ``period`` (its dated versions applied).

        Raises:
            EvaluationError: when a version starts strictly inside the period, so no
                single version covers it, or the period starts before ``valid_from``.
        """
        span = Period.coerce(period, self.calendar)
        if self.valid_from is not None and span.start < self.valid_from:
            raise EvaluationError(
                f"policy {self.name!r} applies from {self.valid_from}, "
                f"but period {span} starts on {span.start}"
            )
        chosen: PolicyVersion | None = None
        for version in sorted(self.versions, key=lambda v: v.from_):
            if span.start < version.from_ < span.end:
                raise EvaluationError(
                    f"policy {self.name!r} changes version on {version.from_}, inside period "
                    f"{span}: evaluate the parts before and after separately"
                )
            if version.from_ <= span.start:
                chosen = version
        if chosen is None:
            return self
        return self._with_version(chosen)

    def _with_version(self, version: PolicyVersion) -> Policy:
        updates: dict[str, Any] = {}
        for section in ("rate_tables", "variables"):
            replacement = getattr(version, section)
            if replacement is not None:
                updates[section] = {**getattr(self, section), **replacement}
        for section in ("scorecard", "incentives", "payout", "actions", "alerts"):
            replacement = getattr(version, section)
            if replacement is not None:
                updates[section] = replacement
        resolved = self.model_copy(update=updates)
        prefix = f"versions[{self.versions.index(version)}]."
        resolved._expressions = dict(self._expressions)
        for path, expression in self._expressions.items():
            if path.startswith(prefix):
                resolved._expressions[path.removeprefix(prefix)] = expression
        resolved._locations = dict(self._locations)
        for path, where in self._locations.items():
            if path.startswith(prefix):
                resolved._locations[path.removeprefix(prefix)] = where
        resolved._content_hash = ""
        return resolved
