"""Adjusting suggested targets: growth, tiers, ceilings, pipeline coverage and the top-down gap.

:class:`TargetMaker` turns each node's float forecast into exact Decimal
targets and then into a :class:`~perfkit._suggest_result.Suggestion`. These
steps work on exact Decimals at the quantum, after the forecasts have been
rounded: a ceiling is applied by exact largest-remainder allocation, so a
capped total equals the ceiling (rounded down to the quantum) to the last cent
and is never above it.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from perfkit._goals_actuals import exact_sum
from perfkit._goals_findings import GoalFinding
from perfkit._numbers import Number, RoundingMode, allocate, parse_decimal, quantize
from perfkit._suggest_forecast import Draft
from perfkit._suggest_input import finding
from perfkit._suggest_model import Market, Tiers
from perfkit._suggest_result import PipelineCheck, Reconciliation, SuggestedPeriod, Suggestion
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

__all__ = [
    "Amounts",
    "TargetMaker",
    "cap_group",
    "check_market_nodes",
    "median",
    "pipeline_check",
    "reconcile",
    "tier_of",
    "tier_scores",
]

RATIO = Decimal("0.0001")
_UPLIFT = Decimal("0.0001")
_WIDE_BAND = Decimal("0.5")
_EXACT = decimal.Context(prec=decimal.MAX_PREC)  # products of Decimals, exactly

Amounts = dict[str, list[Decimal]]
"""node -> one amount per suggested period."""


def median(values: Sequence[Decimal], quantum: Decimal, mode: RoundingMode) -> Decimal:
    """The median of ``values`` (the mean of the middle two for an even count), at the quantum."""
    ordered = sorted(values)
    k = len(ordered)
    if k % 2:
        return ordered[k // 2]
    return quantize((Fraction(ordered[k // 2 - 1]) + Fraction(ordered[k // 2])) / 2, quantum, mode)


def tier_scores(
    recent: Mapping[str, Decimal],
    full_season: set[str],
    attainment: Mapping[str, Number] | None,
) -> dict[str, Decimal | None]:
    """Each node's tier score: given attainment, or its last season over everyone's median.

    Nodes with less than a full season of history (and no given attainment) get None.
    """
    given = {
        node: parse_decimal(value, what=f"attainment for {node!r}")
        for node, value in (attainment or {}).items()
    }
    pool = sorted(recent[node] for node in full_season)
    typical: Fraction | None = None
    if pool:
        k = len(pool)
        typical = (
            Fraction(pool[k // 2])
            if k % 2
            else (Fraction(pool[k // 2 - 1]) + Fraction(pool[k // 2])) / 2
        )
    scores: dict[str, Decimal | None] = {}
    for node in recent:
        if node in given:
            scores[node] = given[node]
        elif node in full_season and typical:
            scores[node] = quantize(Fraction(recent[node]) / typical, RATIO)
        else:
            scores[node] = None
    return scores


def tier_of(tiers: Tiers | None, score: Decimal | None) -> str | None:
    """The tier of a score, or None without tiers."""
    return tiers.tier_of(score) if tiers is not None else None


def _down(ceiling: Decimal, quantum: Decimal) -> Decimal:
    return quantize(ceiling, quantum, RoundingMode.DOWN)


def cap_group(
    base: Amounts,
    stretch: Amounts,
    nodes: Sequence[str],
    ceiling: Decimal,
    quantum: Decimal,
) -> bool:
    """Cap the total of ``nodes`` over every period at ``ceiling``, in place.

    The base is scaled down by exact allocation when it is over; the stretch
    keeps the base plus its share of what is left under the ceiling, so it is
    never below the base and the stretch total never above the ceiling.

    Returns:
        True if anything was capped.
    """
    limit = _down(ceiling, quantum)
    keys = [(node, i) for node in nodes for i in range(len(base[node]))]
    base_total = exact_sum(base[n][i] for n, i in keys)
    stretch_total = exact_sum(stretch[n][i] for n, i in keys)
    capped = False
    if base_total > limit:
        weights = {key: base[key[0]][key[1]] for key in keys}
        parts = allocate(limit, weights, quantum=quantum)
        for (node, i), part in parts.items():
            base[node][i] = part
        base_total, capped = limit, True
    if stretch_total > limit:
        room = limit - base_total
        weights = {key: stretch[key[0]][key[1]] for key in keys}
        extra = allocate(room, weights, quantum=quantum) if room else dict.fromkeys(weights, room)
        for (node, i), part in extra.items():
            stretch[node][i] = base[node][i] + part
        capped = True
    return capped


def pipeline_check(
    market: Market, node: str, target: Decimal, quantum: Decimal, mode: RoundingMode
) -> PipelineCheck | None:
    """Open pipeline × win rate against ``target``, or None without a pipeline for ``node``."""
    if node not in market.pipeline:
        return None
    rate = market.win_rate_for(node)
    if rate is None:
        raise InvalidValueError(
            f"market: pipeline for {node!r} but no win_rate for it (or its segment)"
        )
    pipeline = market.pipeline[node]
    expected = quantize(Fraction(pipeline) * Fraction(rate), quantum, mode)
    coverage = quantize(Fraction(expected) / Fraction(target), RATIO) if target else None
    return PipelineCheck(pipeline, rate, expected, target, coverage)


def reconcile(top_down: Decimal, base_total: Decimal, stretch_total: Decimal) -> Reconciliation:
    """The sum of the suggestions against the top-down number."""
    share = quantize(Fraction(base_total) / Fraction(top_down), RATIO) if top_down else None
    return Reconciliation(top_down, base_total, stretch_total, top_down - base_total, share)


def check_market_nodes(market: Market, nodes: set[str]) -> None:
    """Refuse capacity or pipeline entries for nodes that get no suggestion.

    Raises:
        InvalidValueError: naming the first few such nodes.
    """
    for field, keyed in (
        ("capacity", market.capacity),
        ("pipeline", market.pipeline),
        ("segments", market.segments),
    ):
        unknown = sorted(set(keyed) - nodes)
        if unknown:
            shown = ", ".join(repr(n) for n in unknown[:5])
            raise InvalidValueError(
                f"market.{field} names {shown}{' ...' if len(unknown) > 5 else ''}, "
                "which get no suggestion: give their history or list them in nodes="
            )


class TargetMaker:
    """Turns drafts into exact amounts per node, then into suggestions.

    Args:
        market: growth, ceilings and pipeline.
        tiers: capability tiers, or None.
        quantum: the unit targets are rounded to.
        mode: the rounding mode.
        stretch_quantile: the quantile the stretch uplifts were read at.
    """

    def __init__(
        self,
        market: Market,
        tiers: Tiers | None,
        quantum: Decimal,
        mode: RoundingMode,
        stretch_quantile: Decimal,
    ) -> None:
        self.market, self.tiers, self.quantum, self.mode = market, tiers, quantum, mode
        self.stretch_quantile = stretch_quantile
        self.forecast: Amounts = {}
        self.base: Amounts = {}
        self.stretch: Amounts = {}
        self.info: dict[str, tuple[Draft, Decimal, str | None, Decimal | None]] = {}
        self.ceiling: dict[str, Decimal] = {}
        self._pools: dict[
            tuple[str | None, str | None],
            tuple[list[Decimal], list[Decimal], Decimal, int, bool],
        ] = {}

    def _round(self, value: Decimal) -> Decimal:
        return quantize(value, self.quantum, self.mode)

    def _stretch(self, base: list[Decimal], uplift: Decimal) -> list[Decimal]:
        if not uplift:
            return list(base)
        factor = 1 + uplift
        return [self._round(_EXACT.multiply(b, factor)) for b in base]

    def add(self, draft: Draft, score: Decimal | None) -> None:
        """Round a forecast, apply growth and tier growth, set the stretch."""
        node = draft.node
        if any(v < 0 for v in draft.forecast):
            draft.flags.append(
                finding(
                    "suggest.clipped-at-zero",
                    node,
                    "the forecast is negative in some periods: raised to zero",
                )
            )
        forecast = [self._round(Decimal(max(v, 0.0))) for v in draft.forecast]
        tier = tier_of(self.tiers, score)
        growth = self.market.growth_for(node)
        tier_growth = self.tiers.growth_of(tier) if self.tiers else Decimal(0)
        factor = _EXACT.multiply(1 + growth, 1 + tier_growth)
        uplift = quantize(Decimal(draft.uplift or 0.0), _UPLIFT)
        if factor == 1:
            base = list(forecast)  # a copy: ceilings change the base in place
        else:
            base = [self._round(_EXACT.multiply(f, factor)) for f in forecast]
        self.forecast[node] = forecast
        self.base[node] = base
        self.stretch[node] = self._stretch(base, uplift)
        self.info[node] = (draft, uplift, tier, score)

    def add_from_peers(
        self, node: str, group: str | None, peers: list[str], score: Number | None
    ) -> None:
        """A node without history: its tier peers' median per period, flagged.

        Args:
            node: the node.
            group: the parent its peers share (None: everyone), which with the
                tier names the pool, so nodes with the same pool share one median.
            peers: the peers.
            score: its attainment, if given.
        """
        if not peers:
            raise InvalidValueError(
                f"{node!r} has no history and no peers with history to take a target from"
            )
        given = parse_decimal(score, what=f"attainment for {node!r}") if score is not None else None
        tier = tier_of(self.tiers, given)
        key = (group, tier)
        if key not in self._pools:
            self._pools[key] = self._pool(peers, tier)
        forecast, base, uplift, size, same = self._pools[key]
        which = f"in tier {tier}" if same else "(all tiers)" if self.tiers else ""
        flag = finding(
            "suggest.no-history", node, f"no history: the median of {size} peers {which}".rstrip()
        )
        draft = Draft(node, "peer_median", [], flags=[flag])
        self.forecast[node], self.base[node] = list(forecast), list(base)
        self.stretch[node] = self._stretch(base, uplift)
        self.info[node] = (draft, uplift, tier, given)

    def _pool(
        self, peers: list[str], tier: str | None
    ) -> tuple[list[Decimal], list[Decimal], Decimal, int, bool]:
        same = [p for p in peers if self.info[p][2] == tier] if tier is not None else []
        pool = same or peers
        quantum, mode = self.quantum, self.mode
        count = len(self.base[pool[0]])
        forecast = [
            median([self.forecast[p][i] for p in pool], quantum, mode) for i in range(count)
        ]
        base = [median([self.base[p][i] for p in pool], quantum, mode) for i in range(count)]
        uplift = median([self.info[p][1] for p in pool], _UPLIFT, mode)
        return forecast, base, uplift, len(pool), bool(same)

    def apply_ceilings(self) -> None:
        """Cap nodes at their capacity, then segments at their market size."""
        market = self.market
        for node, ceiling in sorted(market.capacity.items()):
            before = sum(self.base[node], Decimal(0))
            if cap_group(self.base, self.stretch, [node], ceiling, self.quantum):
                self._capped(node, ceiling, f"capacity {ceiling:,}", before)
        for segment, ceiling in sorted(market.market_size.items()):
            members = sorted(n for n, s in market.segments.items() if s == segment)
            before = sum((b for n in members for b in self.base[n]), Decimal(0))
            if cap_group(self.base, self.stretch, members, ceiling, self.quantum):
                for node in members:
                    what = f"segment {segment}'s market size {ceiling:,}"
                    self._capped(node, ceiling, what, before)

    def _capped(self, node: str, ceiling: Decimal, what: str, before: Decimal) -> None:
        draft = self.info[node][0]
        self.ceiling[node] = min(ceiling, self.ceiling.get(node, ceiling))
        message = f"capped at {what} (the suggestion would total {before:,})"
        draft.flags.append(finding("suggest.capped", node, message))

    def build(
        self, node: str, periods: tuple[Period, ...], calendar: Calendar | None
    ) -> Suggestion:
        """The finished suggestion of ``node``."""
        draft, uplift, tier, score = self.info[node]
        forecast, base, stretch = self.forecast[node], self.base[node], self.stretch[node]
        items = tuple(
            SuggestedPeriod(p, f, b, s)
            for p, f, b, s in zip(periods, forecast, base, stretch, strict=True)
        )
        flags: list[GoalFinding] = list(draft.flags)
        total = sum(base, Decimal(0))
        check = pipeline_check(self.market, node, total, self.quantum, self.mode)
        if check is not None and check.coverage is not None and check.coverage < 1:
            flags.append(
                finding(
                    "suggest.pipeline-short",
                    node,
                    f"open pipeline × win rate ({check.expected:,}) covers "
                    f"{check.coverage * 100:.1f}% of the target ({total:,})",
                )
            )
        if uplift > _WIDE_BAND:
            flags.append(
                finding(
                    "suggest.wide-band",
                    node,
                    f"the backtest missed widely: the stretch is {uplift:.0%} above the base",
                    note=True,
                )
            )
        if all(s <= b for s, b in zip(stretch, base, strict=True)):
            flags.append(
                finding(
                    "suggest.no-stretch",
                    node,
                    "the stretch is not above the base: the goal gets a base level only",
                    note=True,
                )
            )
        return Suggestion(
            node=node,
            method=draft.method,
            periods=items,
            scores=draft.scores,
            stretch_quantile=self.stretch_quantile,
            stretch_uplift=uplift,
            growth=self.market.growth_for(node),
            tier=tier,
            tier_score=score,
            tier_growth=self.tiers.growth_of(tier) if self.tiers else Decimal(0),
            ceiling=self.ceiling.get(node),
            pipeline=check,
            flags=tuple(flags),
            quantum=self.quantum,
            calendar=calendar,
        )
