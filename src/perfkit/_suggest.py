"""Suggested targets from history and market inputs, with their backtest error.

:func:`suggest_targets` turns each node's history into a base and a stretch
target per future period:

1. **forecast** (floats, :mod:`perfkit._suggest_forecast`): chosen by
   backtest MASE on the node's own history (``auto``: the mean of the two
   best methods, or the best alone when it is far ahead), or a named, flagged
   fallback for short, zero or broken series;
2. **growth**: the forecast times ``1 + market growth`` (per segment) times
   ``1 + tier growth`` (the node's capability tier), rounded to the quantum:
   the base target;
3. **stretch**: the base times ``1 + uplift``, the uplift being an upper
   quantile (80% by default) of the backtest's errors relative to the level
   (each error over its fold's mean forecast), so roughly one period in five
   beat the forecast by more than that in the backtest; an uplift above 50%
   is flagged (``suggest.wide-band``);
4. **no history**: a node listed in ``nodes`` without history gets, per
   period, the median base of its peers (same parent, else everyone) in its
   tier, and their median uplift, flagged;
5. **ceilings**: capacity per node and market size per segment cap the
   totals (exact allocation, never above), flagged;
6. **reports**: pipeline coverage per node, and the sum of the suggestions
   against the top-down number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import overload

from perfkit._goals_actuals import Actuals
from perfkit._numbers import CENT, Number, RoundingMode, parse_decimal
from perfkit._suggest_adjust import TargetMaker, check_market_nodes, reconcile, tier_scores
from perfkit._suggest_forecast import Draft, ParentSeasons, forecast_series
from perfkit._suggest_input import GapRule, History, finding, read_history
from perfkit._suggest_methods import AUTO, candidates_for
from perfkit._suggest_model import Market, Tiers
from perfkit._suggest_result import Suggestion, SuggestionSet
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

__all__ = ["suggest_targets"]

_MAX_HORIZON = 600


@overload
def suggest_targets(
    history: Mapping[Period, Number] | Mapping[str, Number],
    *,
    horizon: int,
    calendar: Calendar | None = ...,
    market: Market | None = ...,
    method: str = ...,
    tiers: Tiers | None = ...,
    attainment: Mapping[str, Number] | None = ...,
    parent: Mapping[str, str] | None = ...,
    nodes: Iterable[str] | None = ...,
    start: Period | str | None = ...,
    gaps: GapRule = ...,
    stretch_quantile: Number = ...,
    default_stretch: Number = ...,
    folds: int = ...,
    quantum: Number = ...,
    rounding: RoundingMode | str = ...,
    name: str = ...,
) -> Suggestion: ...


@overload
def suggest_targets(
    history: Actuals | Mapping[str, Mapping[Period, Number]] | Mapping[str, Mapping[str, Number]],
    *,
    horizon: int,
    calendar: Calendar | None = ...,
    market: Market | None = ...,
    method: str = ...,
    tiers: Tiers | None = ...,
    attainment: Mapping[str, Number] | None = ...,
    parent: Mapping[str, str] | None = ...,
    nodes: Iterable[str] | None = ...,
    start: Period | str | None = ...,
    gaps: GapRule = ...,
    stretch_quantile: Number = ...,
    default_stretch: Number = ...,
    folds: int = ...,
    quantum: Number = ...,
    rounding: RoundingMode | str = ...,
    name: str = ...,
) -> SuggestionSet: ...


def suggest_targets(
    history: History,
    *,
    horizon: int,
    calendar: Calendar | None = None,
    market: Market | None = None,
    method: str = AUTO,
    tiers: Tiers | None = None,
    attainment: Mapping[str, Number] | None = None,
    parent: Mapping[str, str] | None = None,
    nodes: Iterable[str] | None = None,
    start: Period | str | None = None,
    gaps: GapRule = "error",
    stretch_quantile: Number = "0.8",
    default_stretch: Number = "0.1",
    folds: int = 8,
    quantum: Number = CENT,
    rounding: RoundingMode | str = RoundingMode.HALF_UP,
    name: str = "series",
) -> Suggestion | SuggestionSet:
    """Suggest a base and a stretch target per future period, with the backtest error.

    Args:
        history: one series (``{period: value}``, returning a :class:`Suggestion`)
            or many (:class:`~perfkit.Actuals` or ``{node: {period: value}}``,
            returning a :class:`SuggestionSet`), monthly or quarterly; values are
            exact numbers.
        horizon: how many periods to suggest (12 for a year of months).
        calendar: reads fiscal labels (quarters follow its fiscal year).
        market: growth, ceilings, pipeline and the top-down number.
        method: ``auto`` (by backtest MASE among seasonal naive, trend +
            seasonal indices and damped Holt-Winters: the mean of the two best,
            or the best alone when it is far ahead), ``holt_winters`` (the best
            of the four Holt-Winters variants) or one method's name.
        tiers: capability tiers and their growth expectations.
        attainment: node -> last year's attainment, to read tiers from (else a
            node's last season over the median of everyone's).
        parent: node -> parent node, to borrow seasonality for short histories
            and to find the peers of a node without history.
        nodes: nodes to suggest for besides those with history (e.g. new hires).
        start: the first period to suggest; by default the one after the history.
        gaps: what a missing period inside a series is: an ``error``, a ``zero``,
            or ``interpolate`` (linearly); filled gaps are flagged.
        stretch_quantile: the quantile of backtest errors (relative to the level)
            the stretch is at.
        default_stretch: the stretch uplift when there is no backtest to read one
            from (and no peers to borrow it from), flagged.
        folds: at most this many backtest folds, a season apart, choose the method.
        quantum: the unit targets are rounded to.
        rounding: the rounding mode (``half_up`` by default).
        name: the node id of a single series.

    Returns:
        a :class:`Suggestion` for one series, a :class:`SuggestionSet` for many.

    Raises:
        InvalidValueError: for a horizon below 1, bad history (labels, values,
            mixed grains, gaps under ``gaps="error"``), an unknown method, bad
            numbers, market entries for nodes without a suggestion, or a node
            without history and without peers.
    """
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, int)
        or not 1 <= horizon <= _MAX_HORIZON
    ):
        raise InvalidValueError(
            f"horizon: expected a whole number of periods from 1 to {_MAX_HORIZON}, got {horizon!r}"
        )
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        raise InvalidValueError(f"folds: expected a whole number >= 1, got {folds!r}")
    candidates_for(method)
    q = parse_decimal(stretch_quantile, what="stretch_quantile")
    if not 0 < q < 1:
        raise InvalidValueError(f"stretch_quantile: expected between 0 and 1 (e.g. 80%), got {q}")
    fallback_uplift = parse_decimal(default_stretch, what="default_stretch")
    if fallback_uplift < 0:
        raise InvalidValueError(f"default_stretch: must not be negative, got {fallback_uplift}")
    unit = parse_decimal(quantum, what="quantum")
    if unit <= 0:
        raise InvalidValueError(f"quantum: must be positive, got {quantum!r}")
    mode = RoundingMode.parse(rounding)
    many, timeline, series, first_out, skip = read_history(
        history, calendar=calendar, gaps=gaps, start=start, name=name
    )
    market = market or Market()
    if not many and market.top_down is not None:
        raise InvalidValueError(
            "market.top_down reconciles many suggestions to a company number; "
            "give many series ({node: {period: value}} or Actuals)"
        )
    m = timeline.season
    links = dict(parent or {})
    wanted = sorted(set(series) | set(nodes or ()))
    check_market_nodes(market, set(wanted))
    seasons = ParentSeasons(series, links, m) if links else None
    drafts: dict[str, Draft] = {}
    for node in sorted(series):
        s = series[node]
        borrowed = seasons.indices(node) if seasons and len(s.values) < 2 * m else None
        drafts[node] = forecast_series(
            s,
            m=m,
            horizon=horizon,
            skip=skip,
            method=method,
            folds=folds,
            q=float(q),
            borrowed=borrowed,
        )
    peers = _Peers(links, drafts)
    _borrow_uplifts(drafts, peers, fallback_uplift)
    periods = tuple(timeline.period(first_out + i) for i in range(horizon))
    full = {n for n, s in series.items() if len(s.values) >= m}
    scores = tier_scores({n: s.recent for n, s in series.items()}, full, attainment)
    maker = TargetMaker(market, tiers, unit, mode, q)
    for node, draft in drafts.items():
        maker.add(draft, scores[node])
    for node in wanted:
        if node not in drafts:
            score = (attainment or {}).get(node)
            maker.add_from_peers(node, peers.group(node), peers.of(node), score)
    maker.apply_ceilings()
    made = {node: maker.build(node, periods, calendar) for node in wanted}
    if not many:
        return made[name]
    reconciliation = None
    if market.top_down is not None:
        result = SuggestionSet(made, periods, None)
        reconciliation = reconcile(market.top_down, result.base, result.stretch)
    return SuggestionSet(made, periods, reconciliation)


class _Peers:
    """Who a node's peers are: nodes with a forecast under the same parent, else everyone."""

    def __init__(self, links: Mapping[str, str], drafts: Mapping[str, Draft]) -> None:
        self._links = links
        self.everyone = sorted(drafts)
        self._groups: dict[str, list[str]] = {}
        for node in self.everyone:
            above = links.get(node)
            if above is not None:
                self._groups.setdefault(above, []).append(node)

    def group(self, node: str) -> str | None:
        """The parent whose other children are ``node``'s peers; None for everyone."""
        above = self._links.get(node)
        members = self._groups.get(above, ()) if above is not None else ()
        return above if any(p != node for p in members) else None

    def of(self, node: str) -> list[str]:
        """The peers of ``node`` (never itself)."""
        above = self.group(node)
        pool = self._groups[above] if above is not None else self.everyone
        return [p for p in pool if p != node]


def _median(values: list[float]) -> float:
    k = len(values)
    return values[k // 2] if k % 2 else (values[k // 2 - 1] + values[k // 2]) / 2


def _borrow_uplifts(drafts: dict[str, Draft], peers: _Peers, fallback: Decimal) -> None:
    """Give drafts without a backtest their peers' median uplift, or the default one."""
    own = {node: d.uplift for node, d in drafts.items() if d.uplift is not None}
    everyone = sorted(own.values())
    medians: dict[str | None, float | None] = {}
    for node, draft in drafts.items():
        if draft.uplift is not None:
            continue
        group = peers.group(node)
        if group not in medians:
            pool = peers.of(node) if group is not None else []
            known = sorted(own[p] for p in pool if p in own) or everyone
            medians[group] = _median(known) if known else None
        uplift = medians[group]
        if uplift is not None:
            draft.uplift = uplift
            draft.flags.append(
                finding(
                    "suggest.borrowed-stretch",
                    node,
                    "no backtest of its own: the stretch uplift is its peers' median",
                    note=True,
                )
            )
        else:
            draft.uplift = float(fallback)
            draft.flags.append(
                finding(
                    "suggest.default-stretch",
                    node,
                    f"no backtest to read a stretch from: the default uplift {fallback}",
                )
            )
