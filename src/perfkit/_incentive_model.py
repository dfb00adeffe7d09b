"""Incentive rules as models: tiers, rates, per-record lines, SPIFFs, pools, draws.

Each rule kind is named by one key (``tiered:``, ``per_record:``, ``draw:``...)
holding its specification, beside the fields every rule shares (``id``,
``when``, ``cap``, ``floor``, ``cap_ytd``, ``rounding``). Models describe; the
math is in ``_plan`` and ``_incentives``, the record passes in ``_records``.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from perfkit._model_types import (
    Description,
    ErrorAt,
    Expr,
    Identifier,
    Number,
    StrictBool,
    StrictModel,
)
from perfkit._numbers import CENT, RoundingMode

__all__ = [
    "RULE_KINDS",
    "ClawbackRule",
    "DrawRule",
    "FormulaRule",
    "ImprovementRule",
    "MultiplierRule",
    "PayoutRules",
    "PenaltyRule",
    "PerRecordRule",
    "PluginRule",
    "PoolRule",
    "RateRule",
    "Rounding",
    "Rule",
    "SpiffRule",
    "Tier",
    "TieredRule",
    "TieredSpec",
    "check_tiers",
]


class Rounding(StrictModel):
    """Where results are rounded: a quantum and a mode (``half_up`` by default)."""

    quantum: Number = Field(default=CENT, description="The unit results are rounded to, e.g. 0.01.")
    mode: RoundingMode = Field(
        default=RoundingMode.HALF_UP,
        description="half_up (ties away from zero), half_even, half_down, down or up.",
    )

    @field_validator("quantum")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("the rounding quantum must be positive, e.g. 0.01")
        return value


class Tier(StrictModel):
    """One tier, half-open ``[from, to)``; the last may be open."""

    from_: Number = Field(alias="from", description="Lower bound, included.")
    to: Number | None = Field(
        default=None, description="Upper bound, excluded; default: next tier."
    )
    rate: Number | None = Field(default=None, description="Rate paid in this tier.")
    amount: Number | None = Field(default=None, description="Or a fixed amount.")

    @model_validator(mode="after")
    def _pays_one_way(self) -> Tier:
        if (self.rate is None) == (self.amount is None):
            raise ValueError("a tier pays either a 'rate' or a fixed 'amount'")
        return self


def _not_negative(value: Any, what: str) -> Any:
    """A literal rate, amount or factor below zero is refused (penalties deduct)."""
    if isinstance(value, Decimal) and value < 0:
        raise ValueError(
            f"the {what} {value} is below zero: deduct with a 'penalty' rule, whose amount "
            "is the (positive) deduction"
        )
    return value


def check_tiers(tiers: list[Tier], *, negative: bool = False) -> list[Tier]:
    """Tiers must be in increasing order, meet without gaps or overlaps, pay >= 0."""
    for index, (low, high) in enumerate(itertools.pairwise(tiers)):
        if high.from_ <= low.from_:
            raise ErrorAt(
                f"tiers must be in increasing order: tier {index + 1} starts at {high.from_}, "
                f"not above tier {index}'s {low.from_}",
                index + 1,
            )
        if low.to is not None and low.to != high.from_:
            kind = "gap" if low.to < high.from_ else "overlap"
            raise ErrorAt(
                f"{kind} between tier {index} (to {low.to}) and tier {index + 1} "
                f"(from {high.from_}): tiers are half-open [from, to) and must meet",
                index + 1,
            )
    if tiers and tiers[-1].to is not None and tiers[-1].to <= tiers[-1].from_:
        raise ErrorAt(f"the last tier ends at {tiers[-1].to}, not above its start", len(tiers) - 1)
    if not negative:
        for index, tier in enumerate(tiers):
            paid = tier.rate if tier.rate is not None else tier.amount
            if paid is not None and paid < 0:
                raise ErrorAt(
                    f"tier {index} pays {paid}, below zero: tiers pay non-negative rates and "
                    "amounts (deduct with a 'penalty' rule, or set 'negative: true' on purpose)",
                    index,
                )
    return tiers


class _RuleBase(StrictModel):
    id: Identifier = Field(description="Unique name of the rule; its amount's name.")
    description: Description = None
    when: Expr | None = Field(default=None, description="Pays only when this holds.")
    cap: Expr | None = Field(default=None, description="Most the rule pays in a period.")
    floor: Expr | None = Field(default=None, description="Least the rule pays in a period.")
    cap_ytd: Expr | None = Field(
        default=None,
        description="Most the rule pays in the fiscal year to date, counting what earlier "
        "periods paid (in evaluate_periods, or passed as paid).",
    )
    rounding: Rounding | None = Field(default=None, description="Overrides the policy's.")


class FormulaRule(_RuleBase):
    """Pays the value of an expression: ``amount: "target_bonus * score / 100"``."""

    amount: Expr = Field(description="The amount paid.")


class RateSpec(StrictModel):
    """``on`` times ``rate``, optionally only above a threshold."""

    on: Expr = Field(description="The amount the rate applies to.")
    rate: Number | Expr = Field(description="A number or an expression.")
    threshold: Expr | None = Field(default=None, description="Pays nothing below this on-value.")

    @field_validator("rate")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        return _not_negative(value, "rate")


class RateRule(_RuleBase):
    """A rate on an amount, e.g. 3% of revenue."""

    rate: RateSpec = Field(description="on x rate.")


class TieredSpec(StrictModel):
    """Tiers on a measured value; ``mode`` must say marginal or retroactive."""

    on: Expr = Field(description="The measured value, e.g. attainment.revenue.")
    mode: Literal["marginal", "retroactive"] = Field(
        description="marginal: each slice at its tier's rate; retroactive: all at the rate reached."
    )
    base: Expr | None = Field(
        default=None,
        description="The amount one unit of the on-value is worth, e.g. target.revenue when "
        "tiers are on attainment; default 1 (the on-value is itself an amount).",
    )
    cumulative: StrictBool = Field(
        default=False,
        description="Measure the fiscal year to date (metrics year to date, targets of the "
        "year) and pay this period's increment, so the periods of a year sum to the annual "
        "calculation.",
    )
    negative: StrictBool = Field(default=False, description="Allow tiers that pay below zero.")
    tiers: list[Tier] = Field(min_length=1, description="Half-open tiers in increasing order.")

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, tiers: list[Tier], info: ValidationInfo) -> list[Tier]:
        return check_tiers(tiers, negative=bool(info.data.get("negative")))


class TieredRule(_RuleBase):
    """Tiered (graduated or whole-amount) commission."""

    tiered: TieredSpec = Field(description="The tier table and how it pays.")


MatchValue = Annotated[str | bool | int | Decimal, Field(description="A value of the column.")]


class RecordLine(StrictModel):
    """One line of a per-record table: which records it matches and what it pays each."""

    match: dict[Identifier, MatchValue] = Field(
        default_factory=dict,
        description="Column -> value a record must have; no match keys: the default line.",
    )
    rate: Number | Expr | None = Field(
        default=None, description="Rate on the record's credited amount (may read its columns)."
    )
    amount: Number | Expr | None = Field(
        default=None, description="Or a fixed amount per record (times its credit share)."
    )

    @model_validator(mode="after")
    def _one_way(self) -> RecordLine:
        if (self.rate is None) == (self.amount is None):
            raise ValueError("a line pays either a 'rate' or an 'amount' per record")
        return self

    @field_validator("rate", "amount")
    @classmethod
    def _not_negative(cls, value: Any, info: ValidationInfo) -> Any:
        return _not_negative(value, str(info.field_name))


class PerRecordSpec(StrictModel):
    """A rate or amount per credited record, chosen by the most specific matching line."""

    metric: Identifier = Field(
        description="A sum metric: its table, window, filter and crediting choose the records, "
        "its summed column is the amount a rate applies to."
    )
    keys: list[Identifier] | None = Field(
        default=None,
        description="Match columns, most important first: a line matching a more important "
        "column wins. Needed when lines match on more than one column.",
    )
    lines: list[RecordLine] = Field(min_length=1, description="The lines, in any order.")


class PerRecordRule(_RuleBase):
    """Per-line commission: each record pays at the rate of the line it matches."""

    per_record: PerRecordSpec = Field(description="The lines and the records they apply to.")


class SpiffSpec(StrictModel):
    """A bonus for an event: per qualifying record, or once per period."""

    per: Literal["record", "period"] = Field(description="Pay per record, or once per period.")
    metric: Identifier | None = Field(
        default=None,
        description="per: record: the metric whose records qualify (its filter, window and "
        "crediting); each pays the amount times its credit share.",
    )
    amount: Number | Expr = Field(
        description="The bonus; per record it may read the record's columns."
    )

    @model_validator(mode="after")
    def _metric_for_records(self) -> SpiffSpec:
        if self.per == "record" and self.metric is None:
            raise ValueError("a SPIFF per record names the 'metric' whose records qualify")
        if self.per == "period" and self.metric is not None:
            raise ValueError(
                "a SPIFF per period has no 'metric': say when it is paid with the rule's 'when'"
            )
        return self

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        return _not_negative(value, "amount")


class SpiffRule(_RuleBase):
    """SPIFF: a fixed or formula bonus per qualifying record or per period."""

    spiff: SpiffSpec = Field(description="What qualifies and what it pays.")


class MultiplierSpec(StrictModel):
    """Scale earlier rules' lines: pays (factor - 1) x their sum."""

    of: Annotated[
        list[Identifier],
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ]
            }
        ),
    ] = Field(min_length=1, description="Earlier rules whose lines it scales (one or a list).")
    factor: Number | Expr = Field(
        description="The multiplier, e.g. 1.5 (a kicker) or 0.5 (a decelerator)."
    )

    @field_validator("of", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("factor")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        return _not_negative(value, "factor")


class MultiplierRule(_RuleBase):
    """Kicker or multiplier: scales earlier lines when its ``when`` holds."""

    multiplier: MultiplierSpec = Field(description="Which lines, by what factor.")


class ImprovementSpec(StrictModel):
    """Pays on growth over the previous period or the same period last year."""

    metric: Identifier = Field(description="The metric whose growth is paid.")
    over: Literal["previous", "last_year"] = Field(description="The baseline period.")
    rate: Number | Expr | None = Field(
        default=None, description="Rate on the increase (current - baseline), when positive."
    )
    tiers: list[Tier] | None = Field(
        default=None,
        description="Or tiers on the growth ratio (increase / baseline), e.g. from 10% pay 500.",
    )
    mode: Literal["marginal", "retroactive"] | None = Field(
        default=None, description="How the growth tiers pay; required with tiers."
    )

    @field_validator("tiers")
    @classmethod
    def _ordered(cls, tiers: list[Tier] | None) -> list[Tier] | None:
        return None if tiers is None else check_tiers(tiers)

    base: Expr | None = Field(
        default=None, description="What one unit of growth ratio is worth for tier rates."
    )

    @model_validator(mode="after")
    def _one_way(self) -> ImprovementSpec:
        if (self.rate is None) == (self.tiers is None):
            raise ValueError("an improvement bonus pays a 'rate' on the increase or 'tiers'")
        if self.tiers is not None and self.mode is None:
            raise ValueError("growth tiers need 'mode: marginal' or 'mode: retroactive'")
        return self

    @field_validator("rate")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        return _not_negative(value, "rate")


class ImprovementRule(_RuleBase):
    """Improvement bonus: rewards the improver, not only the leader."""

    improvement: ImprovementSpec = Field(description="The growth measured and how it pays.")


class PoolSpec(StrictModel):
    """A team pool: funded by the team's numbers, allocated exactly to its members."""

    group: Identifier = Field(description="Participant attribute naming each member's team.")
    fund: Expr = Field(
        description="The pool, from team totals: team.<metric>, team.target.<metric>, "
        "team.attainment.<metric>, team.size."
    )
    weights: Literal["equal", "score", "contribution"] = Field(
        default="equal", description="How members share it."
    )
    contribution: Identifier | None = Field(
        default=None, description="weights: contribution: the metric each member contributed."
    )

    @model_validator(mode="after")
    def _contribution(self) -> PoolSpec:
        if self.weights == "contribution" and self.contribution is None:
            raise ValueError(
                "weights: contribution needs 'contribution: <metric>', the metric each "
                "member contributed"
            )
        if self.weights != "contribution" and self.contribution is not None:
            raise ValueError("'contribution' is used only with 'weights: contribution'")
        return self


class PoolRule(_RuleBase):
    """Team bonus pool, allocated by largest remainder so the shares sum to the pool."""

    pool: PoolSpec = Field(description="The team, the fund and the weights.")


class PenaltySpec(StrictModel):
    """A deduction: the amount (positive) is paid as a negative line."""

    amount: Number | Expr = Field(description="How much is deducted, as a positive amount.")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if isinstance(value, Decimal) and value < 0:
            raise ValueError(
                f"a penalty gives the deduction as a positive amount, not {value}: write {-value}"
            )
        return value


class PenaltyRule(_RuleBase):
    """Penalty or deduction; ``payout.deductions`` limits all of them together."""

    penalty: PenaltySpec = Field(description="The deduction.")


class ClawbackSpec(StrictModel):
    """Reverse what a rule paid on records cancelled or refunded within a window."""

    of: Identifier = Field(description="The rule whose payment on the record is reversed.")
    date: Identifier = Field(description="Column of the record's table: the cancellation date.")
    within: int = Field(ge=0, description="Days after the record's own date a cancellation counts.")
    metric: Identifier | None = Field(
        default=None,
        description="For a rule that does not pay per record (e.g. tiers on attainment): the "
        "sum metric whose records it paid on. A cancelled record is reversed at the rule's "
        "effective rate in the period that paid it: its line there divided by this metric.",
    )


def _no_limits(rule: _RuleBase, why: str) -> None:
    """Refuse ``cap``, ``floor`` and ``cap_ytd`` on a rule they cannot apply to."""
    for name in ("cap", "floor", "cap_ytd"):
        if getattr(rule, name) is not None:
            raise ErrorAt(f"'{name}' does not apply to {why}", name)


class ClawbackRule(_RuleBase):
    """Clawback: a negative line per cancelled record, at the amount originally paid."""

    clawback: ClawbackSpec = Field(description="The rule reversed and the window.")

    @model_validator(mode="after")
    def _limits(self) -> ClawbackRule:
        _no_limits(
            self, "a clawback: it takes back exactly what was paid (limit the rule it reverses)"
        )
        return self


class Recovery(StrictModel):
    """How a recoverable draw is won back from later earnings."""

    share: Number = Field(
        default=Decimal(1),
        description="Share of earnings above the draw amount used to recover, e.g. 50%.",
    )
    limit: Expr | None = Field(default=None, description="Most recovered in one period.")

    @field_validator("share")
    @classmethod
    def _share(cls, value: Decimal) -> Decimal:
        if not 0 < value <= 1:
            raise ValueError(f"the recovery share must be above 0% and at most 100%, got {value}")
        return value


class DrawSpec(StrictModel):
    """A draw: recoverable (an advance) or not (a guaranteed minimum)."""

    amount: Number | Expr = Field(description="The draw per period.")

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Any) -> Any:
        return _not_negative(value, "amount")

    recoverable: StrictBool = Field(
        description="true: an advance recovered from later earnings; false: a guarantee."
    )
    recover: Recovery | None = Field(
        default=None, description="How a recoverable draw is recovered (required for one)."
    )

    @model_validator(mode="after")
    def _recovery(self) -> DrawSpec:
        if self.recoverable and self.recover is None:
            raise ValueError(
                "a recoverable draw needs a 'recover' rule, e.g. recover: {share: 100%}"
            )
        if not self.recoverable and self.recover is not None:
            raise ValueError("a non-recoverable draw (a guarantee) is never recovered")
        return self


class DrawRule(_RuleBase):
    """Draw: tops a period's earnings up to an amount, recovered later or not."""

    draw: DrawSpec = Field(description="The amount and whether it is recovered.")

    @model_validator(mode="after")
    def _limits(self) -> DrawRule:
        _no_limits(self, "a draw: its 'amount' and 'recover' rule say what it pays")
        return self


class PluginRule(_RuleBase):
    """A rule of a kind a plugin registered: ``kind`` names it, ``params`` configure it."""

    kind: Identifier = Field(description="The registered rule kind.")
    params: dict[str, Any] = Field(default_factory=dict, description="Its configuration.")


class PayoutRules(StrictModel):
    """Limits on a participant's whole payout, and what a negative period does."""

    cap: Expr | None = Field(default=None, description="Most a participant earns in a period.")
    cap_ytd: Expr | None = Field(
        default=None, description="Most a participant earns in the fiscal year to date."
    )
    deductions: Expr | None = Field(
        default=None,
        description="Most all penalty lines deduct together in a period; may read 'earnings' "
        "(the lines before the penalties' limit, penalties excluded).",
    )
    negative: Literal["pay", "carry", "forgive"] = Field(
        default="pay",
        description="A period netting below zero: pay the negative amount (owed), or pay zero "
        "and carry the balance to later periods, or pay zero and forgive it.",
    )


RULE_KINDS: dict[str, type[_RuleBase]] = {
    "tiered": TieredRule,
    "rate": RateRule,
    "amount": FormulaRule,
    "per_record": PerRecordRule,
    "spiff": SpiffRule,
    "multiplier": MultiplierRule,
    "improvement": ImprovementRule,
    "pool": PoolRule,
    "penalty": PenaltyRule,
    "clawback": ClawbackRule,
    "draw": DrawRule,
    "kind": PluginRule,
}
"""The key that names each built-in rule kind, in the order they are recognised."""


def _rule_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((key for key in RULE_KINDS if key in value), None)
    for key, cls in RULE_KINDS.items():
        if isinstance(value, cls):
            return key
    return None


Rule = Annotated[
    Annotated[TieredRule, Tag("tiered")]
    | Annotated[RateRule, Tag("rate")]
    | Annotated[FormulaRule, Tag("amount")]
    | Annotated[PerRecordRule, Tag("per_record")]
    | Annotated[SpiffRule, Tag("spiff")]
    | Annotated[MultiplierRule, Tag("multiplier")]
    | Annotated[ImprovementRule, Tag("improvement")]
    | Annotated[PoolRule, Tag("pool")]
    | Annotated[PenaltyRule, Tag("penalty")]
    | Annotated[ClawbackRule, Tag("clawback")]
    | Annotated[DrawRule, Tag("draw")]
    | Annotated[PluginRule, Tag("kind")],
    Discriminator(
        _rule_kind,
        custom_error_type="rule_kind",
        custom_error_message="an incentive needs one of the keys: "
        + ", ".join(RULE_KINDS)
        + " (which names its kind)",
    ),
]
