"""The goal model: what a goal is and how it is to be decomposed, as frozen models.

Models describe; they compute nothing. A :class:`Goal` names a metric, a unit,
an owner node, a period and its levels (``base`` required, further levels
strictly increasing in the order written). A :class:`Decomposition` says how the
goal is split: :class:`OrgSplit` steps down the org tree, one per tree level,
then :class:`TimeSplit` steps over time, coarse to fine. Each model maps one to
one onto a block of YAML, so a policy's ``goals:`` section validates straight
into them.

Built directly, a model raises :class:`~perfkit.errors.InvalidValueError`
naming every bad field (``levels.stretch: ...``); validated inside a larger
pydantic model, its errors are that model's ``ValidationError`` with the path.
A goal's period label is read with the calendar passed as validation context
(``Goal.model_validate(data, context={"calendar": calendar})``) so fiscal labels
such as ``FY2026`` mean the company's fiscal year.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from perfkit._model_types import Identifier, Number, StrictBool
from perfkit._numbers import CENT, RoundingMode
from perfkit._time import Calendar, Period, Unit
from perfkit._value_model import ValueModel
from perfkit.errors import InvalidValueError

__all__ = [
    "Decomposition",
    "Goal",
    "HistoryBasis",
    "OrgSplit",
    "PeriodValue",
    "ProrationRule",
    "TimeSplit",
    "percent",
]

ProrationRule = Literal["months", "days", "working_days"]
"""How presence for part of a period is measured (see :func:`perfkit.prorate`)."""

_UNIT_ORDER: tuple[Unit, ...] = ("half", "quarter", "month", "week", "day")
_ONE = Decimal(1)


class _Model(ValueModel):
    """A frozen model with unknown keys refused; InvalidValueError when built directly."""


def _period(value: Any, info: ValidationInfo) -> Period:
    if isinstance(value, Period):
        return value
    calendar = (info.context or {}).get("calendar") if info is not None else None
    if calendar is not None and not isinstance(calendar, Calendar):
        raise ValueError("the validation context's 'calendar' must be a perfkit Calendar")
    if not isinstance(value, str):
        raise ValueError(f"expected a period label such as FY2026 or 2026-Q2, got {value!r}")
    try:
        return Period.parse(value, calendar)
    except InvalidValueError as exc:
        raise ValueError(str(exc)) from None


PeriodValue = Annotated[
    Period,
    PlainValidator(_period),
    PlainSerializer(lambda p: p.label, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "description": "A period label: FY2026, 2026-Q2, ..."}),
]
"""A :class:`Period`, written as its label; fiscal labels follow the context's calendar."""


def percent(value: Decimal) -> str:
    """Write a fraction as a percentage without trailing zeros: ``0.9`` -> ``90%``."""
    text = f"{value * 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _non_negative(weights: dict[Any, Decimal], what: str) -> None:
    for key, weight in weights.items():
        if weight < 0:
            raise ValueError(f"{what} for {key!r} is negative ({weight}); weights are >= 0")
    if weights and not any(weights.values()):
        raise ValueError(f"{what}s are all zero; at least one must be positive")


def _hundred_percent(weights: dict[Any, Decimal], what: str) -> None:
    total = sum(weights.values(), Decimal(0))
    if total != 1:
        raise ValueError(
            f"{what} must total 100%, not {percent(total)}: a share that is not written "
            "is an error, never a silent 0%"
        )


def _node_id(value: str, what: str) -> str:
    if not value or "/" in value:
        raise ValueError(f"{what} {value!r} is not a node id (non-empty, without '/')")
    return value


class HistoryBasis(_Model):
    """Which history a split is proportional to.

    ``years_back`` blends the goal period shifted back by whole years, e.g.
    ``{1: 50%, 2: 50%}`` for half last year and half the year before (shares are
    blended, not amounts, so one strong year does not dominate). In YAML a basis
    may be written as ``last_year`` or ``trailing_12_months``.
    """

    years_back: dict[int, Number] = Field(
        default_factory=lambda: {1: _ONE},
        description="Years back -> weight of that year's shares; weights total 100%.",
    )
    trailing_12_months: StrictBool = Field(
        default=False,
        description="Use the 12 months before the goal period starts instead of years_back.",
    )
    missing: Literal["error", "zero", "mean"] = Field(
        default="error",
        description="A node without history: an error, a zero share, or the siblings' mean share.",
    )
    node: str | None = Field(
        default=None, description="Seasonality only: whose history (default: the goal's owner)."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "last_year":
            return {"years_back": {1: _ONE}}
        if value == "trailing_12_months":
            return {"trailing_12_months": True}
        if isinstance(value, str):
            raise ValueError(
                f"{value!r} is not a history basis: write last_year, trailing_12_months "
                "or a mapping such as {years_back: {1: 50%, 2: 50%}}"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> HistoryBasis:
        if not self.years_back:
            raise ValueError("years_back needs at least one year")
        for years in self.years_back:
            if isinstance(years, bool) or years < 1:
                raise ValueError(f"years_back: {years!r} is not a number of years back (1, 2, ...)")
        _non_negative(self.years_back, "years_back weight")
        _hundred_percent(self.years_back, "years_back weights")
        if self.trailing_12_months and self.years_back != {1: 1}:
            raise ValueError("give either trailing_12_months or years_back, not both")
        if self.node is not None:
            _node_id(self.node, "node")
        return self


class OrgSplit(_Model):
    """One step down the org tree: each current node's target split among its children.

    ``by`` chooses the weights: ``even``, explicit ``weights`` (child -> weight,
    relative within each parent), ``history`` (shares of past actuals) or
    ``tier`` (``tiers`` maps a tier to a weight per head; each child's tier is
    given in ``assign`` or found from last year's attainment with
    ``tier_by_attainment``, tier -> minimum attainment). ``over_assign`` makes
    the children carry more (or less) than the parent: ``110%`` means the
    children's targets total the parent's times 1.10, rounded at the quantum.
    """

    by: Literal["even", "weights", "history", "tier"] = Field(
        default="even", description="How children share the parent's target."
    )
    weights: dict[str, Number] | None = Field(
        default=None, description="by: weights: child node -> weight (relative within a parent)."
    )
    history: HistoryBasis | None = Field(
        default=None, description="by: history: which history (default last_year)."
    )
    tiers: dict[Identifier, Number] | None = Field(
        default=None, description="by: tier: tier name -> weight per child in that tier."
    )
    assign: dict[str, Identifier] | None = Field(
        default=None, description="by: tier: child node -> tier name."
    )
    tier_by_attainment: dict[Identifier, Number] | None = Field(
        default=None,
        description="by: tier: tier name -> minimum attainment of last year (e.g. A: 110%).",
    )
    default_tier: Identifier | None = Field(
        default=None, description="by: tier: the tier of a child with no assignment or history."
    )
    over_assign: Number = Field(
        default=_ONE, description="Children carry this multiple of the parent, e.g. 110%."
    )

    @model_validator(mode="after")
    def _check(self) -> OrgSplit:
        used = {
            "weights": self.weights is not None,
            "history": self.history is not None,
            "tiers": self.tiers is not None,
            "assign": self.assign is not None,
            "tier_by_attainment": self.tier_by_attainment is not None,
            "default_tier": self.default_tier is not None,
        }
        allowed = {
            "even": set(),
            "weights": {"weights"},
            "history": {"history"},
            "tier": {"tiers", "assign", "tier_by_attainment", "default_tier"},
        }[self.by]
        stray = sorted(name for name, given in used.items() if given and name not in allowed)
        if stray:
            raise ValueError(f"by: {self.by} does not use {', '.join(stray)}")
        if self.over_assign <= 0:
            raise ValueError(f"over_assign must be positive, got {self.over_assign}")
        if self.by == "weights":
            if not self.weights:
                raise ValueError("by: weights needs 'weights' (child node -> weight)")
            for node in self.weights:
                _node_id(node, "weights key")
            _non_negative(self.weights, "weight")
        if self.by == "tier":
            self._check_tiers()
        return self

    def _check_tiers(self) -> None:
        if not self.tiers:
            raise ValueError("by: tier needs 'tiers' (tier name -> weight)")
        _non_negative(self.tiers, "tier weight")
        if self.assign is None and self.tier_by_attainment is None:
            raise ValueError("by: tier needs 'assign' and/or 'tier_by_attainment'")
        named = [
            *(self.assign or {}).values(),
            *(self.tier_by_attainment or {}),
            *([self.default_tier] if self.default_tier else []),
        ]
        unknown = sorted({t for t in named if t not in self.tiers})
        if unknown:
            raise ValueError(
                f"unknown tier(s) {', '.join(unknown)}; tiers are {', '.join(self.tiers)}"
            )
        for node in self.assign or {}:
            _node_id(node, "assign key")

    @property
    def history_basis(self) -> HistoryBasis:
        """The history basis, last year's when none is written."""
        return self.history or HistoryBasis()


class TimeSplit(_Model):
    """One step over time: each current period split into ``into`` units.

    ``by`` chooses the weights: calendar ``days``, the calendar's
    ``working_days``, ``seasonality`` (shares of the same parts in past years)
    or explicit ``percentages`` keyed by each part's label (``2026-03``) or
    short name (``mar``, ``Q1``, ``H2``, ``W05``). Percentages are shares of the
    period being split: every part needs one and each parent's parts total
    exactly 100%.
    """

    into: Unit = Field(description="half, quarter, month, week or day.")
    by: Literal["days", "working_days", "seasonality", "percentages"] = Field(
        default="days", description="How the parts share their parent's target."
    )
    percentages: dict[str, Number] | None = Field(
        default=None, description="by: percentages: part label or short name -> share."
    )
    seasonality: HistoryBasis | None = Field(
        default=None, description="by: seasonality: which history (default last_year)."
    )

    @model_validator(mode="after")
    def _check(self) -> TimeSplit:
        if (self.by == "percentages") != (self.percentages is not None):
            raise ValueError("'percentages' goes with by: percentages, and it needs them")
        if self.seasonality is not None and self.by != "seasonality":
            raise ValueError(f"by: {self.by} does not use 'seasonality'")
        if self.seasonality is not None and self.seasonality.trailing_12_months:
            raise ValueError("seasonality compares the same parts in past years: use years_back")
        for key, share in (self.percentages or {}).items():
            if not 0 <= share <= 1:
                raise ValueError(f"percentage for {key!r} is {percent(share)}; expected 0% to 100%")
        return self

    @property
    def seasonality_basis(self) -> HistoryBasis:
        """The seasonality basis, last year's when none is written."""
        return self.seasonality or HistoryBasis()


class Decomposition(_Model):
    """How a goal is split: org steps (one per tree level), then time steps, coarse to fine.

    ``proration`` measures partial presence (a join, a leave or a move inside
    a period): ``months`` counts a whole month when the person is present on its
    ``month_cutoff_day`` (default the 15th) and nothing otherwise, every month
    weighing the same; ``days`` counts calendar days; ``working_days`` the
    calendar's working days. ``ramp`` gives the fraction of a full target a new
    person carries in tenure months 1, 2, ...; after the schedule it is 100%.
    """

    org: tuple[OrgSplit, ...] = Field(default=(), description="Steps down the org tree.")
    time: tuple[TimeSplit, ...] = Field(default=(), description="Steps over time, coarse to fine.")
    proration: ProrationRule = Field(
        default="months", description="How partial presence is measured: months, days or ..."
    )
    month_cutoff_day: int = Field(
        default=15, ge=1, le=31, description="months: a month counts if present on this day."
    )
    ramp: tuple[Number, ...] = Field(
        default=(), description="Fraction of full target by tenure month, e.g. [0, 25%, 50%]."
    )
    quantum: Number = Field(default=CENT, description="The unit targets are rounded to.")
    rounding: RoundingMode = Field(
        default=RoundingMode.HALF_UP, description="Rounding of over-assigned totals."
    )

    @field_validator("ramp")
    @classmethod
    def _ramp(cls, value: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        for month, factor in enumerate(value, start=1):
            if not 0 <= factor <= 1:
                raise ValueError(f"tenure month {month}: {percent(factor)} is not within 0%..100%")
        return value

    @field_validator("quantum")
    @classmethod
    def _quantum(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("the quantum must be positive, e.g. 0.01")
        return value

    @model_validator(mode="after")
    def _nested(self) -> Decomposition:
        units = [step.into for step in self.time]
        for k, (coarse, fine) in enumerate(itertools.pairwise(units), start=1):
            if _UNIT_ORDER.index(fine) <= _UNIT_ORDER.index(coarse):
                raise ValueError(
                    f"time[{k}].into: {fine} periods do not nest in {coarse} periods; "
                    "list time steps from coarse to fine (half, quarter, month, week, day)"
                )
        return self


class Goal(_Model):
    """A goal: a metric and unit, an owner node, a period and its levels.

    ``levels`` needs ``base``; other levels (``stretch``, ...) are optional and
    all levels must increase strictly in the order written. ``parent`` names the
    goal this one supports (alignment); ``contributors`` shares a goal across
    departments, node -> weight, weights totalling 100%. ``metric``, ``unit``,
    ``period`` and ``parent`` may be left out: :func:`perfkit.check_goals`
    reports such a goal as not SMART instead of refusing it.
    """

    id: str = Field(min_length=1, description="The goal's id, unique in a policy.")
    metric: Identifier | None = Field(default=None, description="The metric the goal is on.")
    unit: str | None = Field(default=None, description="What the metric counts: CNY, deals, ...")
    owner: str = Field(description="The node that owns the goal.")
    period: PeriodValue | None = Field(default=None, description="The period the goal covers.")
    levels: dict[Identifier, Number] = Field(description="Level -> target; base is required.")
    parent: str | None = Field(default=None, description="The id of the goal this one supports.")
    contributors: dict[str, Number] | None = Field(
        default=None, description="Shared goal: department node -> weight, totalling 100%."
    )
    description: str | None = Field(default=None, description="Free text for people.")
    decompose: Decomposition | None = Field(
        default=None, description="How the goal is split down the org tree and over time."
    )

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        return _node_id(value, "owner")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if "base" not in value:
            raise ValueError("a goal needs a 'base' level")
        names = list(value)
        for low, high in itertools.pairwise(names):
            if value[high] <= value[low]:
                raise ValueError(
                    f"levels out of order: {high} ({value[high]}) must be above {low} "
                    f"({value[low]}); write levels from lowest to highest"
                )
        return value

    @field_validator("contributors")
    @classmethod
    def _contributors(cls, value: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        if value is not None:
            if not value:
                raise ValueError("contributors needs at least one department")
            for node in value:
                _node_id(node, "contributor")
            _non_negative(value, "contributor weight")
            _hundred_percent(value, "contributor weights")
        return value

    @property
    def base(self) -> Decimal:
        """The base target."""
        return self.levels["base"]

    @property
    def stretch(self) -> Decimal | None:
        """The stretch target, or None when the goal has none."""
        return self.levels.get("stretch")
