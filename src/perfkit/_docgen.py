"""Generate the DSL reference (docs/dsl/reference.md) from the policy models.

Run ``python -m perfkit._docgen > docs/dsl/reference.md``; a test fails when the
checked-in page differs from what this prints, so the reference never drifts
from the schema.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from perfkit._goals_model import Decomposition, Goal, HistoryBasis, OrgSplit, TimeSplit
from perfkit._incentive_model import (
    ClawbackRule,
    ClawbackSpec,
    DrawRule,
    DrawSpec,
    FormulaRule,
    ImprovementRule,
    ImprovementSpec,
    MultiplierRule,
    MultiplierSpec,
    PayoutRules,
    PenaltyRule,
    PenaltySpec,
    PerRecordRule,
    PerRecordSpec,
    PluginRule,
    PoolRule,
    PoolSpec,
    RateRule,
    RateSpec,
    RecordLine,
    Recovery,
    Rounding,
    SpiffRule,
    SpiffSpec,
    Tier,
    TieredRule,
    TieredSpec,
)
from perfkit._policy import Policy
from perfkit._policy_model import (
    Action,
    Alert,
    Component,
    Credit,
    Metric,
    Participants,
    PolicyTest,
    PolicyVersion,
    RateTable,
    Scorecard,
    Table,
    TargetSource,
)
from perfkit._time import Calendar

__all__ = ["reference"]

_SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("Policy (top level)", Policy, "The document itself."),
    ("rounding", Rounding, "Where payout lines and totals are rounded."),
    ("calendar", Calendar, "Fiscal year, weekends, holidays and make-up working days."),
    ("participants", Participants, "Which table lists the participants."),
    ("tables.<name>", Table, "A table of input records."),
    ("metrics.<name>", Metric, "A number per participant and period, from a table."),
    ("metrics.<name>.credit", Credit, "Crediting records to participants (when not a column)."),
    ("targets.<metric>", TargetSource, "Where a metric's target comes from."),
    ("rate_tables.<name>", RateTable, "Lookup and tier tables for expressions."),
    ("tiers[]", Tier, "One tier of a tier table or a tiered rule."),
    ("scorecard", Scorecard, "The weighted scorecard."),
    ("scorecard.components[]", Component, "One component of the scorecard."),
    ("incentives[] with amount", FormulaRule, "A formula incentive."),
    ("incentives[] with rate", RateRule, "A rate on an amount."),
    ("incentives[].rate", RateSpec, "The rate block."),
    ("incentives[] with tiered", TieredRule, "A tiered commission."),
    ("incentives[].tiered", TieredSpec, "The tiered block."),
    ("incentives[] with per_record", PerRecordRule, "A commission per credited record."),
    ("incentives[].per_record", PerRecordSpec, "The per-record block."),
    ("incentives[].per_record.lines[]", RecordLine, "One line: what it matches and pays."),
    ("incentives[] with spiff", SpiffRule, "A bonus per qualifying record or per period."),
    ("incentives[].spiff", SpiffSpec, "The SPIFF block."),
    ("incentives[] with multiplier", MultiplierRule, "A kicker or decelerator on earlier lines."),
    ("incentives[].multiplier", MultiplierSpec, "The multiplier block."),
    ("incentives[] with improvement", ImprovementRule, "A bonus on growth."),
    ("incentives[].improvement", ImprovementSpec, "The improvement block."),
    ("incentives[] with pool", PoolRule, "A team bonus pool shared exactly."),
    ("incentives[].pool", PoolSpec, "The pool block."),
    ("incentives[] with penalty", PenaltyRule, "A deduction."),
    ("incentives[].penalty", PenaltySpec, "The penalty block."),
    ("incentives[] with clawback", ClawbackRule, "Reverses pay on cancelled records."),
    ("incentives[].clawback", ClawbackSpec, "The clawback block."),
    ("incentives[] with draw", DrawRule, "A recoverable draw or a guarantee."),
    ("incentives[].draw", DrawSpec, "The draw block."),
    ("incentives[].draw.recover", Recovery, "How a recoverable draw is recovered."),
    ("incentives[] with kind", PluginRule, "A rule kind registered by a plugin."),
    ("payout", PayoutRules, "Limits on a participant's whole payout; negative periods."),
    ("actions[]", Action, "Flags raised on participants."),
    ("alerts[]", Alert, "Messages raised on participants."),
    ("versions[]", PolicyVersion, "Dated versions of sections."),
    ("tests[]", PolicyTest, "Examples run by `perfkit test`."),
    ("goals[]", Goal, "A goal, its levels and how it decomposes (`perfkit plan`)."),
    ("goals[].decompose", Decomposition, "How a goal splits over the org and over time."),
    ("goals[].decompose.org[]", OrgSplit, "One step down the org tree."),
    ("goals[].decompose.time[]", TimeSplit, "One step over time, coarse to fine."),
    ("history / seasonality", HistoryBasis, "Which past actuals weight a split."),
]


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is typing.Annotated:
        inner = args[0]
        metadata = " ".join(repr(m) for m in args[1:])
        if "_expr" in metadata:
            return "expression"
        if "_number" in metadata:
            return "number"
        if "_identifier" in metadata:
            return "name"
        if "_date" in metadata:
            return "date"
        if "_rule_kind" in metadata:
            return "incentive"
        return _type_name(inner)
    if origin in (Union, types.UnionType):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}"
        return "[" + ", ".join(_type_name(a) for a in args) + "]"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return annotation.__name__
        return {"str": "text", "int": "integer", "bool": "true/false", "Decimal": "number"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation).replace("typing.", "")


def _default(info: Any) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        value = info.default_factory()
        if isinstance(value, BaseModel):
            return "defaults"
        return f"`{value!r}`" if value not in ({}, [], ()) else "empty"
    if info.default is PydanticUndefined or info.default is None:
        return "—"
    value = info.default
    return f"`{getattr(value, 'value', value)}`"


def reference() -> str:
    """Return the Markdown text of the DSL reference."""
    lines = [
        "# DSL reference",
        "",
        "<!-- Generated by `python -m perfkit._docgen > docs/dsl/reference.md`; do not edit. -->",
        "",
        (
            "Every key a policy may hold, section by section, as the models define them. "
            "Unknown keys are errors (with a suggestion). *number* is an exact decimal "
            "(`19.99`, `'19.99'` or a percentage `5%`); *name* is an identifier (letters of "
            "any script, digits, `_`); *expression* is text in the "
            "[expression language](expressions.md). `perfkit schema` prints the same as "
            "JSON Schema for editors."
        ),
        "",
    ]
    for title, model, blurb in _SECTIONS:
        lines += [
            f"## {title}",
            "",
            blurb,
            "",
            "| key | type | default | meaning |",
            "|---|---|---|---|",
        ]
        fields = model.model_fields
        for name, info in fields.items():
            key = info.alias or name
            description = (info.description or "").replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | {description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")
