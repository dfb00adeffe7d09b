"""The policy model: what a YAML policy describes, as frozen pydantic models.

Models describe; they compute nothing. Cross-field rules that a single field
cannot check (weights summing to 100%, tiers in order, exactly one aggregation
per metric) are validators here, so they are reported at the field's line.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from perfkit._incentive_model import (
    RULE_KINDS,
    FormulaRule,
    PayoutRules,
    PluginRule,
    RateRule,
    Rounding,
    Rule,
    Tier,
    TieredRule,
    check_tiers,
)
from perfkit._model_types import (
    DateValue,
    Description,
    Expr,
    Identifier,
    Number,
    StrictBool,
    StrictModel,
)

__all__ = [
    "DSL_VERSIONS",
    "RULE_KINDS",
    "Action",
    "Alert",
    "Component",
    "Credit",
    "FormulaRule",
    "Metric",
    "Participants",
    "PluginRule",
    "PolicyBody",
    "PolicyTest",
    "PolicyVersion",
    "RateRule",
    "RateTable",
    "Rounding",
    "Rule",
    "Scorecard",
    "Table",
    "TargetSource",
    "Tier",
    "TieredRule",
]

DSL_VERSIONS = (1,)
"""The DSL versions this release reads (the top-level ``perfkit:`` key)."""

ColumnType = Literal["string", "decimal", "integer", "date", "bool"]


class Table(StrictModel):
    """A table of input records and the types of its columns."""

    columns: dict[Identifier, ColumnType] = Field(
        min_length=1, description="Column name -> string, decimal, integer, date or bool."
    )
    key: Identifier | None = Field(default=None, description="A column unique per row.")
    description: Description = None

    @model_validator(mode="after")
    def _key_is_a_column(self) -> Table:
        if self.key is not None and self.key not in self.columns:
            raise ValueError(f"key {self.key!r} is not one of the columns {sorted(self.columns)}")
        return self


class Participants(StrictModel):
    """Which table lists the participants; its other columns become attributes."""

    table: Identifier = Field(default="participants", description="The participants table.")
    id: Identifier = Field(default="id", description="Its column of participant ids.")
    manager: Identifier | None = Field(default=None, description="Column naming the manager.")
    org: Identifier | None = Field(
        default=None,
        description="Table of the effective-dated org tree: columns node, parent, start, end.",
    )
    where: Expr | None = Field(
        default=None,
        description="Only participants for whom this holds are evaluated, e.g. "
        "\"role == 'rep' and hire_date < period.end\".",
    )


class Credit(StrictModel):
    """How a record credits participants: an owner column, or a split table."""

    owner: Identifier | None = Field(default=None, description="Column naming the participant.")
    splits: Identifier | None = Field(
        default=None, description="Table of (record, participant, share)."
    )
    record: Identifier = Field(default="record", description="Split table column: record id.")
    participant: Identifier = Field(default="participant", description="Split column: who.")
    share: Identifier = Field(default="share", description="Split column: share, e.g. 60%.")
    overlay: Identifier | None = Field(
        default=None, description="Bool column marking overlay credit."
    )
    roll_up: bool = Field(default=False, description="Also credit managers up the org tree.")

    @model_validator(mode="after")
    def _one_source(self) -> Credit:
        if (self.owner is None) == (self.splits is None):
            raise ValueError("give exactly one of 'owner' (a column) or 'splits' (a table)")
        return self


Window = Literal["period", "period_to_date", "trailing", "previous_period", "same_period_last_year"]
_AGGREGATIONS = ("sum", "count", "count_distinct", "mean", "min", "max", "ratio")


class Metric(StrictModel):
    """A number computed per participant from a table for a period."""

    table: Identifier = Field(description="The table the metric reads.")
    sum: Identifier | None = Field(default=None, description="Sum of this column.")
    count: StrictBool | None = Field(default=None, description="Count of records: true.")
    count_distinct: Identifier | None = Field(default=None, description="Distinct values.")
    mean: Identifier | None = Field(default=None, description="Mean of this column (exact).")
    min: Identifier | None = Field(default=None, description="Smallest value of this column.")
    max: Identifier | None = Field(default=None, description="Largest value of this column.")
    ratio: tuple[Expr, Expr] | None = Field(
        default=None, description="[numerator condition, denominator condition], counted."
    )
    where: Expr | None = Field(default=None, description="Only records where this holds.")
    date: Identifier | None = Field(default=None, description="Column placing a record in time.")
    credit: Identifier | Credit | None = Field(
        default=None, description="Owner column, or a credit block; default: 'owner'."
    )
    window: Window = Field(default="period", description="Which time the metric covers.")
    periods: int | None = Field(default=None, ge=1, description="For window: trailing.")
    unit: str | None = Field(default=None, description="Unit for people, e.g. CNY or visits.")
    description: Description = None

    @model_validator(mode="after")
    def _one_aggregation(self) -> Metric:
        if self.count is False:
            raise ValueError("'count: false' counts nothing: write 'count: true' or remove it")
        given = [name for name in _AGGREGATIONS if getattr(self, name) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"a metric needs exactly one of {', '.join(_AGGREGATIONS)} (found: {found})"
            )
        if (self.window == "trailing") != (self.periods is not None):
            raise ValueError("window: trailing needs 'periods: N', and 'periods' needs it")
        return self

    @property
    def aggregation(self) -> str:
        """The aggregation this metric uses (sum, count, ...)."""
        return next(name for name in _AGGREGATIONS if getattr(self, name) is not None)


class TargetSource(StrictModel):
    """Where a metric's target comes from: a table column or an expression."""

    table: Identifier | None = Field(default=None, description="Table of targets.")
    column: Identifier | None = Field(default=None, description="Its column for this metric.")
    value: Expr | None = Field(default=None, description="An expression of attributes.")
    participant: Identifier = Field(
        default="participant", description="Column of the targets table naming the participant."
    )
    period: Identifier | None = Field(
        default=None,
        description="Column of period labels (e.g. 2026-Q2): only rows for the evaluated "
        "period are used.",
    )
    when_zero: Literal["error", "zero", "full"] = Field(
        default="error",
        description="Attainment when the target is zero or missing: an error, 0, or 100%.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> TargetSource:
        from_table = self.table is not None or self.column is not None
        if from_table and (self.table is None or self.column is None):
            raise ValueError("a target from a table needs both 'table' and 'column'")
        if from_table == (self.value is not None):
            raise ValueError("give either 'table' and 'column', or 'value'")
        return self


class RateTable(StrictModel):
    """A lookup table (key -> value) or a tier table, usable in expressions."""

    values: dict[str, Number] | None = Field(default=None, description="Key -> value.")
    tiers: list[Tier] | None = Field(default=None, description="Or tiers, for tier().")
    default: Number | None = Field(default=None, description="Value for a missing key.")
    description: Description = None

    @model_validator(mode="after")
    def _one_shape(self) -> RateTable:
        if (self.values is None) == (self.tiers is None):
            raise ValueError("a rate table has either 'values' (a mapping) or 'tiers'")
        return self

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, tiers: list[Tier] | None) -> list[Tier] | None:
        return None if tiers is None else check_tiers(tiers, negative=True)


class Component(StrictModel):
    """One scorecard component: a metric, a weight and a scoring curve."""

    id: Identifier | None = Field(default=None, description="Defaults to the metric name.")
    metric: Identifier = Field(description="The metric scored.")
    weight: Number = Field(description="Share of the total, e.g. 50%; weights sum to 100%.")
    on: Literal["attainment", "value"] = Field(
        default="attainment", description="Score attainment (actual/target) or the raw value."
    )
    curve: list[tuple[Number, Number]] | None = Field(
        default=None, description="Points [x, score] joined linearly; x ascending."
    )
    steps: list[tuple[Number, Number]] | None = Field(
        default=None, description="Steps [from, score]: the score of the last step reached."
    )
    floor: Number = Field(default=Decimal(0), description="Score below the first point.")
    above: Literal["cap", "extend"] = Field(
        default="cap", description="Above the last point: hold its score, or extend the line."
    )
    gate: Expr | None = Field(default=None, description="The component scores 0 unless this holds.")
    missing: Literal["floor", "reweight", "error"] = Field(
        default="floor",
        description="When the value is missing (a mean with no records, no target): score the "
        "floor, drop the component and share its weight among the others, or stop with an error.",
    )
    cap: Number | None = Field(default=None, description="Highest score of the component.")

    @property
    def name(self) -> str:
        """The component's id, or its metric's name."""
        return self.id or self.metric

    @model_validator(mode="after")
    def _curve(self) -> Component:
        if (self.curve is None) == (self.steps is None):
            raise ValueError("a component has either a 'curve' or 'steps'")
        points = self.curve if self.curve is not None else self.steps
        assert points is not None
        if not points:
            raise ValueError("the curve needs at least one point")
        xs = [x for x, _ in points]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError(f"curve x values must be strictly increasing, got {xs}")
        if self.weight < 0:
            raise ValueError("a component weight cannot be negative")
        return self


class Scorecard(StrictModel):
    """Weighted components (weights sum to exactly 100%), with gates and caps."""

    components: list[Component] = Field(min_length=1, description="Weighted components.")
    gate: Expr | None = Field(default=None, description="The total is 0 unless this holds.")
    cap: Number | None = Field(default=None, description="Highest total score.")

    @model_validator(mode="after")
    def _weights(self) -> Scorecard:
        total = sum((c.weight for c in self.components), Decimal(0))
        if total not in (Decimal(1), Decimal(100)):
            weights = ", ".join(f"{c.name} {c.weight}" for c in self.components)
            raise ValueError(
                f"component weights must sum to exactly 100% (or 100), they sum to {total}: "
                f"{weights}"
            )
        names = [c.name for c in self.components]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two components are named {duplicates[0]!r}: give one an 'id'")
        return self


class Action(StrictModel):
    """A flag raised on a participant when a condition holds (e.g. a coaching plan)."""

    when: Expr = Field(description="Raise the flag when this holds.")
    flag: Identifier = Field(description="The flag, e.g. coaching_plan.")
    note: str | None = Field(default=None, description="Text for people.")


class Alert(StrictModel):
    """A message raised when a condition holds; ``{name}`` placeholders are filled in."""

    when: Expr = Field(description="Raise the alert when this holds.")
    level: Literal["info", "warning", "critical"] = Field(
        default="warning", description="Severity."
    )
    message: str = Field(description="Text; {name} or {name:.0%} is replaced by the value.")


class PolicyTest(StrictModel):
    """An example inside the policy: given values, the results expected."""

    name: str = Field(description="What the example shows.")
    given: dict[str, Any] = Field(default_factory=dict, description="Name -> value inputs.")
    expect: dict[str, Any] = Field(min_length=1, description="Name -> value expected.")


class PolicyBody(StrictModel):
    """The sections a policy, an included file or a dated version may hold."""

    participants: Participants = Field(
        default_factory=Participants, description="Which table lists participants."
    )
    tables: dict[Identifier, Table] = Field(default_factory=dict, description="Input tables.")
    attributes: dict[Identifier, ColumnType] = Field(
        default_factory=dict, description="Per-participant values given directly (e.g. in tests)."
    )
    metrics: dict[Identifier, Metric] = Field(default_factory=dict, description="Metrics.")
    targets: dict[Identifier, TargetSource] = Field(
        default_factory=dict, description="Targets by metric."
    )
    rate_tables: dict[Identifier, RateTable] = Field(
        default_factory=dict, description="Lookup and tier tables."
    )
    variables: dict[Identifier, Expr] = Field(
        default_factory=dict, description="Named formulas, in order; later ones may use earlier."
    )
    scorecard: Scorecard | None = Field(default=None, description="The scorecard.")
    incentives: list[Rule] = Field(default_factory=list, description="Incentive rules, in order.")
    payout: PayoutRules = Field(
        default_factory=PayoutRules,
        description="Limits on the whole payout (caps, deductions) and negative periods.",
    )
    actions: list[Action] = Field(default_factory=list, description="Flags on participants.")
    alerts: list[Alert] = Field(default_factory=list, description="Alerts on participants.")


class PolicyVersion(StrictModel):
    """Sections that replace the policy's own from a date on."""

    from_: DateValue = Field(alias="from", description="First day of the version.")
    description: Description = None
    rate_tables: dict[Identifier, RateTable] | None = Field(
        default=None, description="Rate tables replaced by name."
    )
    variables: dict[Identifier, Expr] | None = Field(
        default=None, description="Variables replaced by name."
    )
    scorecard: Scorecard | None = Field(default=None, description="Replaces the scorecard.")
    incentives: list[Rule] | None = Field(default=None, description="Replaces the incentives.")
    payout: PayoutRules | None = Field(default=None, description="Replaces the payout limits.")
    actions: list[Action] | None = Field(default=None, description="Replaces the actions.")
    alerts: list[Alert] | None = Field(default=None, description="Replaces the alerts.")
