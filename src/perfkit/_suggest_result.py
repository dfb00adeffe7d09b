"""Suggested targets as results: per node and period a base and a stretch, with their error.

A :class:`Suggestion` is one node's suggestion: a :class:`SuggestedPeriod`
(forecast, base, stretch) per future period, the method used, the backtest
scores of every method tried, the adjustments applied (market growth, tier
growth, ceilings) and its flags. It plugs straight into a goal:
:meth:`Suggestion.goal` builds a :class:`~perfkit.Goal` whose levels are the
suggested totals and whose time decomposition reproduces the suggested periods
exactly, and ``period.levels`` are ready-made goal levels. A
:class:`SuggestionSet` holds many, with the reconciliation to a top-down number.
Every target is a Decimal at the quantum; results are immutable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from perfkit._goals_actuals import exact_sum
from perfkit._goals_findings import GoalFinding
from perfkit._goals_model import Decomposition, Goal, TimeSplit
from perfkit._numbers import CENT, allocate
from perfkit._suggest_backtest import MethodScore
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

__all__ = [
    "PipelineCheck",
    "Reconciliation",
    "SuggestedPeriod",
    "Suggestion",
    "SuggestionSet",
]

Level = Literal["base", "stretch", "forecast"]


@dataclass(frozen=True, slots=True)
class SuggestedPeriod:
    """One future period of a suggestion.

    Attributes:
        period: the period.
        forecast: the statistical point forecast, before growth, tiers and ceilings.
        base: the suggested base target.
        stretch: the suggested stretch target (never below ``base``).
    """

    period: Period
    forecast: Decimal
    base: Decimal
    stretch: Decimal

    @property
    def levels(self) -> dict[str, Decimal]:
        """Goal levels: ``base``, and ``stretch`` when it is above the base."""
        return _levels(self.base, self.stretch)


def _levels(base: Decimal, stretch: Decimal) -> dict[str, Decimal]:
    return {"base": base, "stretch": stretch} if stretch > base else {"base": base}


@dataclass(frozen=True, slots=True)
class PipelineCheck:
    """Open pipeline against a suggested target.

    Attributes:
        pipeline: open pipeline expected to close within the horizon.
        win_rate: the share of it expected to be won.
        expected: ``pipeline × win_rate``, at the quantum.
        target: the suggested base total.
        coverage: ``expected / target`` at 0.0001 (None for a zero target);
            below 1 the pipeline does not cover the target.
    """

    pipeline: Decimal
    win_rate: Decimal
    expected: Decimal
    target: Decimal
    coverage: Decimal | None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The sum of the suggestions against a top-down company number.

    Attributes:
        top_down: the company number.
        base: the sum of every suggested base total.
        stretch: the sum of every suggested stretch total.
        gap: ``top_down - base``: what the suggestions leave unassigned (negative
            when they assign more).
        over_assignment: ``base / top_down`` at 0.0001 (1.05 means the
            participants carry 105% of the company number); None when it is 0.
    """

    top_down: Decimal
    base: Decimal
    stretch: Decimal
    gap: Decimal
    over_assignment: Decimal | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One node's suggested targets, how they were made and how far to trust them.

    Attributes:
        node: whose targets.
        method: the method that made the forecast (see :mod:`perfkit._suggest_methods`;
            ``a+b`` is the mean of two; also ``borrowed_seasonal``, ``level``
            and ``peer_median``).
        periods: one :class:`SuggestedPeriod` per future period, in order.
        scores: the backtest score of every method compared, the chosen one included.
        stretch_quantile: the residual quantile the stretch is set at.
        stretch_uplift: stretch / base - 1, from that quantile of the backtest's
            errors relative to the level (or borrowed, see the flags).
        growth: the market growth applied.
        tier: the capability tier, when tiers are used.
        tier_score: the score the tier was read from.
        tier_growth: the tier's growth expectation applied.
        ceiling: the capacity or market-size ceiling that capped it, if any.
        pipeline: the pipeline check, when a pipeline was given.
        flags: findings about the data and the result (codes ``suggest.*``).
        quantum: the unit every target is rounded to.
    """

    node: str
    method: str
    periods: tuple[SuggestedPeriod, ...]
    scores: tuple[MethodScore, ...]
    stretch_quantile: Decimal
    stretch_uplift: Decimal
    growth: Decimal
    tier: str | None
    tier_score: Decimal | None
    tier_growth: Decimal
    ceiling: Decimal | None
    pipeline: PipelineCheck | None
    flags: tuple[GoalFinding, ...]
    quantum: Decimal = CENT
    calendar: Calendar | None = field(default=None, repr=False, compare=False)

    @property
    def score(self) -> MethodScore | None:
        """The chosen method's backtest score, or None when it had no backtest."""
        return next((s for s in self.scores if s.method == self.method), None)

    @property
    def mase(self) -> Decimal | None:
        """The chosen method's MASE (below 1 beats "same period last season")."""
        score = self.score
        return score.mase if score else None

    @property
    def smape(self) -> Decimal | None:
        """The chosen method's sMAPE, as a fraction (0.05 is 5%)."""
        score = self.score
        return score.smape if score else None

    @property
    def base(self) -> Decimal:
        """The base total over the horizon."""
        return exact_sum(p.base for p in self.periods)

    @property
    def stretch(self) -> Decimal:
        """The stretch total over the horizon."""
        return exact_sum(p.stretch for p in self.periods)

    @property
    def levels(self) -> dict[str, Decimal]:
        """Goal levels for the whole horizon: ``base``, and ``stretch`` when above it."""
        return _levels(self.base, self.stretch)

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """The codes of the flags, in order."""
        return tuple(f.code for f in self.flags)

    def targets(self, level: Level = "base") -> dict[Period, Decimal]:
        """Period -> the ``base``, ``stretch`` or ``forecast`` of each period."""
        return {p.period: getattr(p, level) for p in self.periods}

    def at(self, period: Period | str) -> SuggestedPeriod:
        """The suggestion for one period (a Period or its label).

        Raises:
            InvalidValueError: if the period is not one of the suggestion's.
        """
        wanted = Period.coerce(period, self.calendar)
        for item in self.periods:
            if item.period == wanted:
                return item
        labels = ", ".join(str(p.period) for p in self.periods)
        raise InvalidValueError(f"suggestion for {self.node!r}: no {period}; it covers {labels}")

    def goal(
        self,
        *,
        id: str | None = None,
        owner: str | None = None,
        metric: str | None = None,
        unit: str | None = None,
        period: Period | str | None = None,
        parent: str | None = None,
        description: str | None = None,
    ) -> Goal:
        """A goal with the suggested levels, for the whole horizon or one period.

        For the whole horizon, the goal's time decomposition splits it by
        percentages that give back exactly the suggested base of every period
        (the stretch is split by the same shares, as every level is).

        Args:
            id: the goal's id (default ``suggested-<owner>``).
            owner: the owning node (default the suggestion's node).
            metric: the metric, e.g. ``revenue``.
            unit: the unit, e.g. ``CNY``.
            period: one period of the suggestion; the whole horizon when None.
            parent: the goal this one supports.
            description: free text.

        Raises:
            InvalidValueError: for an unknown period or bad goal fields.
        """
        who = owner or self.node
        common = {
            "id": id or f"suggested-{who}",
            "owner": who,
            "metric": metric,
            "unit": unit,
            "parent": parent,
            "description": description,
        }
        if period is not None:
            item = self.at(period)
            return Goal(**common, period=item.period, levels=item.levels)
        first, last = self.periods[0].period, self.periods[-1].period
        whole = Period.between(first.start, last.end, self.calendar or Calendar())
        return Goal(**common, period=whole, levels=self.levels, decompose=self._decomposition())

    def _decomposition(self) -> Decomposition | None:
        if len(self.periods) < 2 or not self.base:
            return None
        # Shares fine enough that the goal's own largest-remainder split of the
        # base lands exactly on each period's base: each share is within 10**-k
        # of the exact one, so each part is within a hundredth of a quantum.
        exponent = int(self.base.as_tuple().exponent)
        units = int(self.base.scaleb(-exponent))
        digits = len(str(abs(units))) - exponent + 2
        shares = allocate(
            Decimal(1),
            {str(p.period): p.base for p in self.periods},
            quantum=Decimal(1).scaleb(-digits),
        )
        first = self.periods[0].period
        months = (first.end.year - first.start.year) * 12 + first.end.month - first.start.month
        into: Literal["month", "quarter"] = "month" if months == 1 else "quarter"
        split = TimeSplit(into=into, by="percentages", percentages=shares)
        return Decomposition(time=(split,), quantum=self.quantum)


@dataclass(frozen=True, slots=True)
class SuggestionSet:
    """Suggested targets for many nodes, reconciled to a top-down number when one is given.

    Iterating yields the :class:`Suggestion` of every node, sorted by node;
    ``suggestions[node]`` picks one.

    Attributes:
        suggestions: node -> suggestion.
        periods: the future periods every suggestion covers.
        reconciliation: the sum against the market's ``top_down``, or None.
    """

    suggestions: Mapping[str, Suggestion]
    periods: tuple[Period, ...]
    reconciliation: Reconciliation | None

    def __getitem__(self, node: str) -> Suggestion:
        try:
            return self.suggestions[node]
        except KeyError:
            raise InvalidValueError(f"no suggestion for {node!r}") from None

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.suggestions.values())

    def __len__(self) -> int:
        return len(self.suggestions)

    def __contains__(self, node: object) -> bool:
        return node in self.suggestions

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes, sorted."""
        return tuple(self.suggestions)

    @property
    def base(self) -> Decimal:
        """The sum of every node's base total."""
        return exact_sum(s.base for s in self)

    @property
    def stretch(self) -> Decimal:
        """The sum of every node's stretch total."""
        return exact_sum(s.stretch for s in self)

    @property
    def flags(self) -> tuple[GoalFinding, ...]:
        """Every node's flags, by node."""
        return tuple(f for s in self for f in s.flags)

    def goals(self, *, metric: str | None = None, unit: str | None = None) -> list[Goal]:
        """One goal per node for the whole horizon (see :meth:`Suggestion.goal`)."""
        return [s.goal(metric=metric, unit=unit) for s in self]

    def to_records(self) -> list[dict[str, str]]:
        """Flat rows, one per node and period, amounts as strings (for CSV or a DataFrame)."""
        rows: list[dict[str, str]] = []
        for s in self:
            mase = "" if s.mase is None else str(s.mase)
            smape = "" if s.smape is None else str(s.smape)
            flags = " ".join(s.flag_codes)
            rows.extend(
                {
                    "node": s.node,
                    "period": str(p.period),
                    "forecast": str(p.forecast),
                    "base": str(p.base),
                    "stretch": str(p.stretch),
                    "method": s.method,
                    "mase": mase,
                    "smape": smape,
                    "tier": s.tier or "",
                    "flags": flags,
                }
                for p in s.periods
            )
        return rows

    def render(self, *, limit: int | None = None) -> str:
        """A plain-text table, one row per node: totals, method, error and flags."""
        head = f"{'node':<16} {'base':>14} {'stretch':>14} {'method':<26} {'MASE':>7} {'sMAPE':>7}"
        lines = [head + "  flags"]
        for k, s in enumerate(self):
            if limit is not None and k >= limit:
                lines.append(f"... and {len(self) - limit} more")
                break
            mase = "—" if s.mase is None else f"{s.mase:.2f}"
            smape = "—" if s.smape is None else f"{s.smape * 100:.1f}%"
            flags = " ".join(c.removeprefix("suggest.") for c in s.flag_codes)
            lines.append(
                f"{s.node:<16} {s.base:>14,} {s.stretch:>14,} {s.method:<26} "
                f"{mase:>7} {smape:>7}  {flags}"
            )
        lines.append(f"{'total':<16} {self.base:>14,} {self.stretch:>14,}")
        if self.reconciliation is not None:
            r = self.reconciliation
            share = "—" if r.over_assignment is None else f"{r.over_assignment * 100:.2f}%"
            lines.append(f"top-down {r.top_down:,}: suggestions carry {share} of it, gap {r.gap:,}")
        return "\n".join(lines)
