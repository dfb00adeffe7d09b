"""What suggested targets are adjusted by: market inputs and capability tiers, as frozen models.

Models describe; :func:`~perfkit._suggest.suggest_targets` computes. Both map
one to one onto YAML, take exact numbers (``"5%"`` is ``0.05``) and, built
directly, raise :class:`~perfkit.errors.InvalidValueError` naming every bad
field.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from pydantic import Field, model_validator

from perfkit._model_types import Identifier, Number
from perfkit._value_model import ValueModel

__all__ = ["Market", "Tiers"]

_ZERO = Decimal(0)


class _Model(ValueModel):
    """A frozen model with unknown keys refused; InvalidValueError when built directly."""


def _growth_rate(value: Decimal, what: str) -> None:
    if value <= -1:
        raise ValueError(f"{what} is {value}; growth must be above -100%")


class Market(_Model):
    """Market inputs: growth, ceilings, pipeline and the top-down number.

    - ``growth`` is extra growth on top of the statistical forecast (which
      already carries the history's own trend): ``5%`` multiplies every
      suggestion by 1.05. ``segment_growth`` overrides it for the nodes that
      ``segments`` puts in a segment.
    - ``capacity`` caps a node's total over the horizon and ``market_size`` a
      segment's total: suggestions never exceed them, and a capped suggestion
      is flagged (``suggest.capped``).
    - ``pipeline`` is each node's open pipeline expected to close within the
      horizon; times ``win_rate`` (``segment_win_rate`` per segment) it is what
      the pipeline is likely to bring, reported beside the suggested target as
      its coverage, and flagged (``suggest.pipeline-short``) below 100%.
    - ``top_down`` is the company number the sum of the suggestions is
      reconciled to: the gap and the over-assignment factor are reported.
    """

    growth: Number = Field(default=_ZERO, description="Extra growth for every node, e.g. 5%.")
    segments: dict[str, str] = Field(default_factory=dict, description="Node -> segment.")
    segment_growth: dict[str, Number] = Field(
        default_factory=dict, description="Segment -> extra growth, overriding growth."
    )
    capacity: dict[str, Number] = Field(
        default_factory=dict, description="Node -> ceiling on its total over the horizon."
    )
    market_size: dict[str, Number] = Field(
        default_factory=dict, description="Segment -> ceiling on its nodes' total."
    )
    pipeline: dict[str, Number] = Field(
        default_factory=dict, description="Node -> open pipeline expected to close in the horizon."
    )
    win_rate: Number | None = Field(default=None, description="Share of pipeline won, e.g. 25%.")
    segment_win_rate: dict[str, Number] = Field(
        default_factory=dict, description="Segment -> win rate, overriding win_rate."
    )
    top_down: Number | None = Field(
        default=None, description="The company number the suggestions are reconciled to."
    )

    @model_validator(mode="after")
    def _check(self) -> Market:
        _growth_rate(self.growth, "growth")
        for segment, rate in self.segment_growth.items():
            _growth_rate(rate, f"segment_growth[{segment!r}]")
        for field, ceilings in (("capacity", self.capacity), ("market_size", self.market_size)):
            for key, value in ceilings.items():
                if value < 0:
                    raise ValueError(f"{field}[{key!r}] is negative ({value})")
        for key, value in self.pipeline.items():
            if value < 0:
                raise ValueError(f"pipeline[{key!r}] is negative ({value})")
        rates = {"win_rate": self.win_rate} if self.win_rate is not None else {}
        rates.update({f"segment_win_rate[{k!r}]": v for k, v in self.segment_win_rate.items()})
        for what, rate in rates.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"{what} is {rate}; a win rate is between 0% and 100%")
        if self.pipeline and self.win_rate is None and not self.segment_win_rate:
            raise ValueError("pipeline needs a win_rate (or segment_win_rate)")
        known = set(self.segments.values())
        for field, keyed in (
            ("segment_growth", self.segment_growth),
            ("market_size", self.market_size),
            ("segment_win_rate", self.segment_win_rate),
        ):
            unknown = sorted(set(keyed) - known)
            if unknown:
                raise ValueError(
                    f"{field}: no node is in segment(s) {', '.join(unknown)}; "
                    "put nodes in segments with 'segments: {node: segment}'"
                )
        if self.top_down is not None and self.top_down < 0:
            raise ValueError(f"top_down is negative ({self.top_down})")
        return self

    def segment_of(self, node: str) -> str | None:
        """The segment ``node`` is in, or None."""
        return self.segments.get(node)

    def growth_for(self, node: str) -> Decimal:
        """The extra growth applied to ``node``'s suggestion."""
        segment = self.segments.get(node)
        if segment is not None and segment in self.segment_growth:
            return self.segment_growth[segment]
        return self.growth

    def win_rate_for(self, node: str) -> Decimal | None:
        """The win rate for ``node``'s pipeline, or None."""
        segment = self.segments.get(node)
        if segment is not None and segment in self.segment_win_rate:
            return self.segment_win_rate[segment]
        return self.win_rate


class Tiers(_Model):
    """Capability tiers: participants grouped by historical attainment, with a growth each.

    ``cuts`` maps each tier to the lowest score that reaches it, highest tier
    first, e.g. ``{A: 110%, B: 90%, C: 0%}``; a score below every cut is in the
    last tier. The score is last year's attainment when ``attainment`` is given
    to :func:`suggest_targets`, otherwise the node's last season of history
    over the median of everyone's (so 1.2 means 20% above the typical
    participant). ``growth`` is each tier's growth expectation, applied on top
    of the forecast (a tier without one grows 0%). ``default`` is the tier of a
    node without a score, such as a new hire.
    """

    cuts: dict[Identifier, Number] = Field(
        description="Tier -> lowest score reaching it, highest tier first."
    )
    growth: dict[Identifier, Number] = Field(
        default_factory=dict, description="Tier -> growth expectation, e.g. {A: 3%, C: 10%}."
    )
    default: Identifier | None = Field(
        default=None, description="The tier of a node without a score (a new hire)."
    )

    @model_validator(mode="after")
    def _check(self) -> Tiers:
        if not self.cuts:
            raise ValueError("cuts needs at least one tier")
        for (high, high_cut), (low, low_cut) in itertools.pairwise(self.cuts.items()):
            if low_cut >= high_cut:
                raise ValueError(
                    f"cuts out of order: {low} ({low_cut}) must be below {high} ({high_cut}); "
                    "write tiers from highest to lowest"
                )
        unknown = sorted(set(self.growth) - set(self.cuts))
        if self.default is not None and self.default not in self.cuts:
            unknown.append(self.default)
        if unknown:
            raise ValueError(
                f"unknown tier(s) {', '.join(unknown)}; tiers are {', '.join(self.cuts)}"
            )
        for tier, rate in self.growth.items():
            _growth_rate(rate, f"growth[{tier!r}]")
        return self

    def tier_of(self, score: Decimal | None) -> str | None:
        """The tier a score reaches; ``default`` for None."""
        if score is None:
            return self.default
        for tier, cut in self.cuts.items():
            if score >= cut:
                return tier
        return list(self.cuts)[-1]

    def growth_of(self, tier: str | None) -> Decimal:
        """The growth expectation of ``tier`` (0 for None or a tier without one)."""
        return self.growth.get(tier, _ZERO) if tier is not None else _ZERO
