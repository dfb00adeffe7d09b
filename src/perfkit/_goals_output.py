"""Views of a goal plan: flat records, JSON (both ways), and an indented text table.

Records are made lazily, one dict per row and period, so a 500,000-cell plan
is only materialised when a caller asks for all of it. JSON carries everything
needed to read the plan back (goal, decomposition, calendar, periods, rows,
every target, and the time weights a re-plan spreads by); amounts are strings,
so no reader turns them into floats.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from perfkit._goals_alloc import Weights
from perfkit._goals_model import Decomposition, Goal
from perfkit._goals_org import Row
from perfkit._goals_plan import GoalPlan
from perfkit._goals_summary import OverAssignment, PlanSummary
from perfkit._goals_time import TimeTree
from perfkit._numbers import parse_decimal, to_fraction
from perfkit._time import Calendar, Period
from perfkit._value_model import describe_validation_error
from perfkit.errors import InvalidValueError

__all__ = ["iter_records", "plan_from_json", "plan_to_json", "render_plan"]

FORMAT = "perfkit.goal-plan/1"


def _level_indices(plan: GoalPlan, levels: Sequence[str] | None) -> list[tuple[str, int]]:
    names = list(levels) if levels is not None else list(plan.levels)
    return [(name, plan._level(name)) for name in names]


def iter_records(
    plan: GoalPlan, *, unit: str | None = None, levels: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """One flat dict per row and period (see :meth:`GoalPlan.iter_records`)."""
    time = plan._time_tree
    wanted = None if unit is None else plan._depth_of(unit)
    chosen = _level_indices(plan, levels)
    ks = [k for k in range(len(time.periods)) if wanted is None or time.depth[k] == wanted]
    goal_id, rows, make = plan.goal.id, plan._plan_rows, plan._amount
    for r in plan._row_order():
        row = rows[r]
        values = [(name, plan._row_units(r, j)) for name, j in chosen]
        base: dict[str, Any] = {
            "goal": goal_id,
            "node": row.node,
            "path": plan._row_path(r),
            "parent": rows[row.parent].node if row.parent >= 0 else None,
            "depth": row.depth,
        }
        for k in ks:
            period = time.periods[k]
            record = dict(base)
            record["period"] = period.label
            record["unit"] = time.units[time.depth[k]]
            record["start"] = period.start
            record["end"] = period.end
            for name, units in values:
                record[name] = make(units[k])
            yield record


# -- JSON -------------------------------------------------------------------------------


def _iso(ordinal: int) -> str:
    return datetime.date.fromordinal(ordinal).isoformat()


def plan_to_json(plan: GoalPlan, *, indent: int | None = None) -> str:
    """The plan as JSON text (see :meth:`GoalPlan.to_json`)."""
    time = plan._time_tree
    _, profile, profiles, _ = plan._export_state()
    make = plan._amount
    rows = []
    for r, row in enumerate(plan._plan_rows):
        targets = {}
        for j, level in enumerate(plan.levels):
            cells = plan._row_units(r, j)
            targets[level] = {p.label: str(make(cells[k])) for k, p in enumerate(time.periods)}
        rows.append(
            {
                "node": row.node,
                "parent": row.parent,
                "start": _iso(row.start),
                "end": _iso(row.end),
                "depth": row.depth,
                "step": row.step,
                "profile": profile[r],
                "targets": targets,
            }
        )
    summary = plan.summary
    document = {
        "format": FORMAT,
        "goal": plan.goal.model_dump(mode="json"),
        "decomposition": plan.decomposition.model_dump(mode="json"),
        "calendar": plan.calendar.model_dump(mode="json"),
        "periods": [
            {
                "label": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "parent": time.parent[k],
                "unit": time.units[time.depth[k]],
            }
            for k, p in enumerate(time.periods)
        ],
        "time_weights": list(time.weights),
        "profiles": [list(w.values) for w in profiles],
        "rows": rows,
        "summary": {
            "rows": summary.rows,
            "leaves": summary.leaves,
            "over_assignment": [
                {
                    "step": item.step,
                    "factor": str(item.factor),
                    "parents": {k: str(v) for k, v in item.parents.items()},
                    "children": {k: str(v) for k, v in item.children.items()},
                }
                for item in summary.over_assignment
            ],
        },
    }
    return json.dumps(document, indent=indent, ensure_ascii=False)


def _time_tree(periods: list[dict[str, Any]], weights: list[int], calendar: Calendar) -> TimeTree:
    made = [
        Period.between(p["start"], datetime.date.fromisoformat(p["end"]), calendar) for p in periods
    ]
    parent = [int(p["parent"]) for p in periods]
    children: list[list[int]] = [[] for _ in made]
    for k, up in enumerate(parent):
        if up >= 0:
            children[up].append(k)
    depth = [0] * len(made)
    for k, up in enumerate(parent):
        depth[k] = depth[up] + 1 if up >= 0 else 0
    units = [""] * (max(depth) + 1)
    for k, p in enumerate(periods):
        units[depth[k]] = p["unit"]
    leaves = tuple(k for k, kids in enumerate(children) if not kids)
    position = {k: n for n, k in enumerate(leaves)}
    ranges = [(0, 0)] * len(made)
    for k in range(len(made) - 1, -1, -1):
        kids = children[k]
        ranges[k] = (
            (position[k], position[k] + 1)
            if not kids
            else (ranges[kids[0]][0], ranges[kids[-1]][1])
        )
    return TimeTree(
        periods=tuple(made),
        parent=tuple(parent),
        children=tuple(tuple(kids) for kids in children),
        depth=tuple(depth),
        leaf_range=tuple(ranges),
        leaves=leaves,
        units=tuple(units),
        weights=tuple(int(w) for w in weights),
    )


def plan_from_json(text: str) -> GoalPlan:
    """Read a plan written by :func:`plan_to_json`."""
    try:
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise InvalidValueError(f"not a perfkit goal plan (expected format {FORMAT!r})")
        calendar = Calendar.model_validate(document["calendar"])
        context = {"calendar": calendar}
        goal = Goal.model_validate(document["goal"], context=context)
        spec = Decomposition.model_validate(document["decomposition"], context=context)
        time = _time_tree(document["periods"], document["time_weights"], calendar)
        return _plan(document, goal, spec, calendar, time)
    except ValidationError as exc:
        raise InvalidValueError(describe_validation_error(exc, "plan")) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, InvalidValueError):
            raise
        raise InvalidValueError(f"not a readable perfkit goal plan: {exc!r}") from None


def _plan(
    document: dict[str, Any], goal: Goal, spec: Decomposition, calendar: Calendar, time: TimeTree
) -> GoalPlan:
    quantum = to_fraction(spec.quantum)
    labels = [p.label for p in time.periods]

    def units_of(text: str) -> int:
        exact = to_fraction(parse_decimal(text, what="target")) / quantum
        if exact.denominator != 1:
            raise InvalidValueError(f"target {text} is not a whole number of quanta")
        return exact.numerator

    rows, units, profile, pins = [], [], [], {}
    for r, item in enumerate(document["rows"]):
        rows.append(
            Row(
                item["node"],
                int(item["parent"]),
                datetime.date.fromisoformat(item["start"]).toordinal(),
                datetime.date.fromisoformat(item["end"]).toordinal(),
                int(item["depth"]),
                int(item["step"]),
            )
        )
        profile.append(int(item["profile"]))
        per_level = []
        for j, level in enumerate(goal.levels):
            cells = [units_of(item["targets"][level][label]) for label in labels]
            leaves = [cells[k] for k in time.leaves]
            per_level.append(leaves)
            for k, kids in enumerate(time.children):
                first, end = time.leaf_range[k]
                if kids and cells[k] != sum(leaves[first:end]):
                    pins[(r, j, k)] = cells[k]
        units.append(per_level)
    summary_doc = document["summary"]
    summary = PlanSummary(
        goal=goal.id,
        period=time.periods[0],
        levels=dict(goal.levels),
        rows=int(summary_doc["rows"]),
        leaves=int(summary_doc["leaves"]),
        periods=len(time.periods),
        over_assignment=tuple(
            OverAssignment(
                step=int(o["step"]),
                factor=Decimal(o["factor"]),
                parents={k: Decimal(v) for k, v in o["parents"].items()},
                children={k: Decimal(v) for k, v in o["children"].items()},
            )
            for o in summary_doc["over_assignment"]
        ),
    )
    return GoalPlan(
        goal=goal,
        decomposition=spec,
        calendar=calendar,
        time=time,
        rows=rows,
        units=units,
        profile=profile,
        profiles=[Weights(w) for w in document["profiles"]],
        summary=summary,
        pins=pins,
    )


# -- text ---------------------------------------------------------------------------------


def table(header: Sequence[str], lines: Sequence[Sequence[str]], left: int = 2) -> str:
    """Align columns: the first ``left`` to the left, the rest (numbers) to the right."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines, strict=True)]
    out = []
    for cells in [header, *lines]:
        parts = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        out.append("  ".join(parts).rstrip())
    return "\n".join(out)


def row_label(plan: GoalPlan, r: int) -> str:
    """A row's node, indented by depth, with its dates when it covers part of the period."""
    row = plan._plan_rows[r]
    start, end = plan._row_span(r)
    label = "  " * row.depth + row.node
    if (start, end) != (plan.period.start, plan.period.end):
        label += f" ({start}..{end - datetime.timedelta(days=1)})"
    return label


def render_plan(
    plan: GoalPlan,
    *,
    unit: str | None = None,
    levels: Sequence[str] | None = None,
    max_depth: int | None = None,
) -> str:
    """The plan as an indented table (see :meth:`GoalPlan.render`)."""
    time = plan._time_tree
    if unit is None:
        unit = time.units[1] if len(time.units) > 1 else "goal"
    depth = plan._depth_of(unit)
    columns = [0] + [k for k in range(1, len(time.periods)) if time.depth[k] == depth]
    chosen = _level_indices(plan, levels)
    header = ["node", "level", *(time.periods[k].label for k in columns)]
    lines = []
    for r in plan._row_order():
        if max_depth is not None and plan._plan_rows[r].depth > max_depth:
            continue
        label = row_label(plan, r)
        for n, (name, j) in enumerate(chosen):
            cells = plan._row_units(r, j)
            lines.append(
                [label if n == 0 else "", name, *(f"{plan._amount(cells[k]):,}" for k in columns)]
            )
    return plan.summary.render() + "\n\n" + table(header, lines)
