"""The goal model: what a goal and a decomposition may say, and the errors for what not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from perfkit._goals_model import Decomposition, Goal, HistoryBasis, OrgSplit, TimeSplit
from perfkit._time import Calendar, Period
from perfkit.errors import InvalidValueError

BASE = {"id": "revenue-2026", "owner": "company", "levels": {"base": "100"}}


def goal(**fields: object) -> Goal:
    return Goal(**{**BASE, **fields})


def test_a_goal_reads_yaml_shaped_data_exactly() -> None:
    """Numbers are read from their text, percentages divide by 100, the period is parsed."""
    g = goal(
        metric="revenue",
        unit="CNY",
        period="FY2026",
        levels={"base": "1000000", "stretch": 1200000},
        contributors={"sales": "70%", "marketing": "30%"},
    )
    assert g.levels == {"base": Decimal(1000000), "stretch": Decimal(1200000)}
    assert g.base == 1000000
    assert g.stretch == 1200000
    assert g.contributors == {"sales": Decimal("0.7"), "marketing": Decimal("0.3")}
    assert g.period == Period.parse("FY2026")


def test_the_period_follows_the_calendar_passed_as_context() -> None:
    """FY2026 of an April fiscal year ending in 2026 starts on 2025-04-01."""
    calendar = Calendar(fiscal_year_start=4)
    g = Goal.model_validate({**BASE, "period": "FY2026"}, context={"calendar": calendar})
    assert g.period is not None
    assert g.period.start.isoformat() == "2025-04-01"


def test_json_round_trip_keeps_labels_and_exact_numbers() -> None:
    """model_dump(mode='json') writes amounts as strings and the period as its label."""
    g = goal(period="2026-Q2", levels={"base": "19.99", "stretch": "25"})
    data = g.model_dump(mode="json")
    assert data["period"] == "2026-Q2"
    assert data["levels"] == {"base": "19.99", "stretch": "25"}
    assert Goal.model_validate(data) == g


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"levels": {"stretch": "5"}}, "goal.levels: a goal needs a 'base' level"),
        ({"levels": {"base": "5", "stretch": "5"}}, "levels out of order: stretch (5)"),
        ({"levels": {"base": "5", "stretch": "7", "hero": "6"}}, "hero (6) must be above stretch"),
        ({"levels": {"base": 0.5}}, "goal.levels.base"),
        ({"levels": {"base": "NaN"}}, "goal.levels.base"),
        ({"contributors": {"a": "50%", "b": "40%"}}, "must total 100%, not 90%"),
        ({"contributors": {"a": "-10%", "b": "110%"}}, "'a' is negative"),
        ({"owner": "company/east"}, "goal.owner: Value error, owner 'company/east'"),
        ({"period": "2026-Q5"}, "goal.period: '2026-Q5' is not a period label"),
        ({"colour": "red"}, "goal.colour: Extra inputs are not permitted"),
    ],
)
def test_bad_goals_raise_invalid_value_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    """Built directly, a bad goal raises InvalidValueError with the field path."""
    with pytest.raises(InvalidValueError) as excinfo:
        goal(**fields)
    assert message.replace("Value error, ", "") in str(excinfo.value)


def test_levels_below_base_are_allowed_in_order() -> None:
    """A threshold written before base is a level like any other, lowest first."""
    g = goal(levels={"threshold": "80", "base": "100", "stretch": "120"})
    assert list(g.levels) == ["threshold", "base", "stretch"]


def test_smart_gaps_are_not_validation_errors() -> None:
    """metric, unit, period and parent may be missing: check_goals reports them."""
    g = Goal(id="g", owner="company", levels={"base": "1"})
    assert g.metric is None
    assert g.unit is None
    assert g.period is None
    assert g.parent is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"by": "weights"}, "by: weights needs 'weights'"),
        ({"by": "even", "weights": {"a": 1}}, "by: even does not use weights"),
        ({"by": "weights", "weights": {"a": "-1"}}, "weight for 'a' is negative"),
        ({"by": "weights", "weights": {"a": "NaN"}}, "orgsplit.weights.a"),
        ({"by": "weights", "weights": {"a": 0, "b": 0}}, "weights are all zero"),
        ({"by": "tier", "tiers": {"A": 2}}, "needs 'assign' and/or 'tier_by_attainment'"),
        ({"by": "tier", "tiers": {"A": 2}, "assign": {"r": "B"}}, "unknown tier(s) B"),
        ({"over_assign": "0"}, "over_assign must be positive"),
    ],
)
def test_bad_org_splits(spec: dict[str, object], message: str) -> None:
    """Each rule of an org step is checked where it is written."""
    with pytest.raises(InvalidValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        OrgSplit(**spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"into": "month", "by": "percentages"}, "'percentages' goes with by: percentages"),
        ({"into": "month", "percentages": {"jan": "1"}}, "'percentages' goes with"),
        ({"into": "month", "by": "percentages", "percentages": {"jan": "120%"}}, "120%"),
        ({"into": "fortnight"}, "timesplit.into"),
    ],
)
def test_bad_time_splits(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        TimeSplit(**spec)


def test_time_steps_must_nest_coarse_to_fine() -> None:
    """Halves do not nest in quarters: listing them after is an error naming the step."""
    with pytest.raises(InvalidValueError, match=r"time\[1\]\.into: half periods do not nest"):
        Decomposition(time=[{"into": "quarter"}, {"into": "half"}])
    with pytest.raises(InvalidValueError, match="month periods do not nest in month"):
        Decomposition(time=[{"into": "month"}, {"into": "month"}])


def test_history_basis_shorthands_and_blend() -> None:
    """last_year, trailing_12_months, and a blend whose weights total 100%."""
    assert HistoryBasis.model_validate("last_year").years_back == {1: 1}
    assert HistoryBasis.model_validate("trailing_12_months").trailing_12_months
    blend = HistoryBasis.model_validate({"years_back": {1: "50%", 2: "50%"}})
    assert blend.years_back == {1: Decimal("0.5"), 2: Decimal("0.5")}
    with pytest.raises(ValidationError, match="must total 100%, not 90%"):
        HistoryBasis.model_validate({"years_back": {1: "50%", 2: "40%"}})
    with pytest.raises(ValidationError, match="not a history basis"):
        HistoryBasis.model_validate("last_decade")


def test_ramp_fractions_must_lie_between_0_and_100_percent() -> None:
    with pytest.raises(InvalidValueError, match="tenure month 2: 120% is not within"):
        Decomposition(ramp=["50%", "120%"])


def test_embedded_errors_keep_their_path() -> None:
    """Inside a larger model, errors stay pydantic errors located by path (for the DSL)."""

    class Policy(BaseModel):
        goals: list[Goal]

    with pytest.raises(ValidationError) as excinfo:
        Policy.model_validate(
            {"goals": [{**BASE, "decompose": {"org": [{"by": "weights", "weights": {"a": "-1"}}]}}]}
        )
    (error,) = excinfo.value.errors()
    assert error["loc"][:4] == ("goals", 0, "decompose", "org")


def test_json_schema_is_exported() -> None:
    """Editors get a schema: the period is a string, levels are exact numbers."""
    schema = Goal.model_json_schema()
    assert "levels" in schema["properties"]
    assert "Decomposition" in schema["$defs"]


def test_the_documented_yaml_block_validates_into_a_goal() -> None:
    """The goals: block shown in docs/concepts/goals.md maps straight onto the models."""
    import re
    from pathlib import Path

    from perfkit._yaml import load_yaml

    page = Path(__file__).resolve().parent.parent / "docs" / "concepts" / "goals.md"
    match = re.search(r"```yaml\n(goals:.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert match is not None
    data = load_yaml(match[1]).data
    assert isinstance(data, dict)
    goals = data["goals"]
    assert isinstance(goals, list)
    g = Goal.model_validate(goals[0], context={"calendar": Calendar()})
    assert g.decompose is not None
    assert g.decompose.org[0].over_assign == Decimal("1.1")
    assert g.decompose.org[1].history_basis.years_back == {1: Decimal("0.5"), 2: Decimal("0.5")}
    assert g.decompose.ramp == tuple(Decimal(f) for f in ("0", "0.25", "0.5", "0.75"))
