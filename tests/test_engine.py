"""The evaluation engine end to end: records in, exact and explainable payouts out."""

from __future__ import annotations

import datetime
import json
import textwrap
import threading
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit as pk

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
D = Decimal


def worked_example_data() -> pk.Dataset:
    """DOMAIN.md's worked example as records: rep-1, plus rep-2 with one day of 91."""
    return pk.Dataset.from_records(
        {
            "participants": [
                {"id": "rep-1", "base_salary": "9000.10", "target_bonus": "10000.00"},
                {"id": "rep-2", "base_salary": "9000.10", "target_bonus": "100.00"},
            ],
            "deals": [
                {
                    "id": "d1",
                    "owner": "rep-1",
                    "amount": "30000.00",
                    "closed_on": "2026-04-10",
                    "qualifying": True,
                },
                {
                    "id": "d2",
                    "owner": "rep-1",
                    "amount": "25000.00",
                    "closed_on": "2026-05-20",
                    "qualifying": True,
                },
                {
                    "id": "d3",
                    "owner": "rep-1",
                    "amount": "99999.00",
                    "closed_on": "2026-07-01",
                    "qualifying": True,
                },
                {
                    "id": "d4",
                    "owner": "rep-2",
                    "amount": "20000.00",
                    "closed_on": "2026-06-30",
                    "qualifying": False,
                },
            ],
            "activities": [
                {"id": f"a{i}", "owner": "rep-1", "kind": "visit", "done_on": "2026-05-01"}
                for i in range(30)
            ]
            + [{"id": "c1", "owner": "rep-1", "kind": "call", "done_on": "2026-05-01"}],
            "surveys": [
                {"id": "s1", "owner": "rep-1", "score": "3.9", "answered_on": "2026-04-02"},
                {"id": "s2", "owner": "rep-1", "score": "4.1", "answered_on": "2026-06-02"},
            ],
            "tasks": [
                {"id": f"t{i}", "owner": "rep-1", "due_on": "2026-05-10", "done_on": "2026-05-09"}
                for i in range(10)
            ],
            "targets": [
                {"participant": "rep-1", "revenue": "100000.00"},
                {"participant": "rep-2", "revenue": "10000.00"},
            ],
        }
    )


@pytest.fixture(scope="module")
def worked() -> pk.Result:
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    return pk.evaluate(policy, worked_example_data(), "2026-Q2")


def test_worked_example_rep_is_paid_to_the_cent(worked: pk.Result) -> None:
    """DOMAIN.md's worked example: 1,250 + 300 + 5,200 - 450.01 = 6,299.99."""
    rep = worked.participant("rep-1")
    assert {line.component: line.amount for line in rep.lines} == {
        "commission": D("1250.00"),
        "spiff": D("300.00"),
        "bonus": D("5200.00"),
        "penalty": D("-450.01"),
    }
    assert rep.payout == D("6299.99")
    assert worked.payouts["rep-1"] == D("6299.99")
    assert rep.flags == ("coaching_plan",)
    assert rep.score == 52
    assert rep.metrics["csat"] == Fraction(4)
    assert rep.metrics["visits"] == 30


def test_cap_bites_for_the_one_day_rep(worked: pk.Result) -> None:
    """A = 2.0 earns 1,150.00 before the cap of 3 x 100.00 and is paid 300.00."""
    rep = worked.participant("rep-2")
    assert rep.attainment["revenue"] == 2
    assert {line.component: line.amount for line in rep.lines}["commission"] == D("300.00")
    trace = worked.explain("rep-2", "commission")
    line = trace.find("line commission")
    assert line is not None
    assert line.note is not None
    assert "cap 3 * target_bonus" in line.note


def test_json_output_is_stable_and_documented(worked: pk.Result) -> None:
    """JSON has the documented top level, amounts as strings, and identical bytes on re-run."""
    data = json.loads(worked.to_json())
    assert list(data)[:5] == ["format", "policy", "period", "currency", "payouts"]
    assert data["payouts"] == {"rep-1": "6299.99", "rep-2": "375.00"}  # 300 + 75 bonus
    assert {
        "participant": "rep-1",
        "component": "penalty",
        "amount": "-450.01",
        "period": "2026-Q2",
        "rule": "penalty",
    } in data["lines"]
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    again = pk.evaluate(policy, worked_example_data(), "2026-Q2")
    assert again.to_json() == worked.to_json()
    assert again.fingerprint == worked.fingerprint


def test_fingerprint_tracks_policy_data_and_options(worked: pk.Result) -> None:
    """Changing the data, the period or the policy changes the matching fingerprint part."""
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    other_period = pk.evaluate(policy, worked_example_data(), "2026-Q3")
    assert other_period.fingerprint["options"] != worked.fingerprint["options"]
    assert other_period.fingerprint["data"] == worked.fingerprint["data"]
    assert set(worked.fingerprint) == {"policy", "data", "perfkit", "options"}


def test_explain_goes_from_line_to_rule_to_records(worked: pk.Result) -> None:
    """A trace names the rule's policy line and the deal records behind revenue."""
    trace = worked.explain("rep-1", "commission")
    text = str(trace)
    assert "line commission = 1250.00" in text
    assert "worked-example.yaml:" in text
    assert "record d1 = 30000.00" in text
    assert "record d2 = 25000.00" in text
    assert "record d3" not in text  # closed in July: outside 2026-Q2
    assert json.loads(trace.to_json())["value"] == "6299.99"


def test_evaluation_is_thread_safe(worked: pk.Result) -> None:
    """Eight threads evaluating one policy at once all get identical bytes."""
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    data = worked_example_data()
    outputs: list[str] = []

    def work() -> None:
        outputs.append(pk.evaluate(policy, data, "2026-Q2").to_json())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outputs == [worked.to_json()] * 8


TIE_POLICY = """\
perfkit: 1
name: Prorated marginal plan
currency: CNY
tables:
  participants: {columns: {id: string, days_present: integer}}
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}}
  targets: {columns: {participant: string, revenue: decimal}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
targets:
  revenue: {table: targets, column: revenue}
variables:
  prorated: "target.revenue * days_present / 91"
  attained: "revenue / prorated"
incentives:
  - id: commission
    tiered:
      on: attained
      base: prorated
      mode: marginal
      tiers: [{from: 0, rate: 2%}, {from: 50%, rate: 5%}, {from: 100%, rate: 8%}]
"""


def reference_commission(target: Fraction, days: int, revenue: Fraction) -> Decimal:
    """An independent Fraction computation of the marginal commission, rounded half-up."""
    prorated = target * days / 91
    a = revenue / prorated
    slices = [
        (Fraction(0), Fraction(1, 2), Fraction(2, 100)),
        (Fraction(1, 2), Fraction(1), Fraction(5, 100)),
        (Fraction(1), None, Fraction(8, 100)),
    ]
    total = Fraction(0)
    for low, high, rate in slices:
        if a > low:
            top = a if high is None else min(a, high)
            total += (top - low) * rate * prorated
    exact = Decimal(total.numerator) / Decimal(total.denominator)
    cents = total * 100
    if cents.denominator == 2:  # an exact half cent: round away from zero
        return Decimal(int(cents + Fraction(1, 2) if cents > 0 else cents - Fraction(1, 2))) / 100
    return exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@given(
    st.integers(min_value=1, max_value=10**7),
    st.integers(min_value=1, max_value=91),
    st.integers(min_value=0, max_value=10**8),
)
def test_lines_equal_an_independent_fraction_computation(
    target_cents: int, days: int, revenue_cents: int
) -> None:
    """Prorated marginal commissions equal the exact rational reference to the cent."""
    policy = pk.load_policy(TIE_POLICY)
    data = pk.Dataset.from_records(
        {
            "participants": [{"id": "r", "days_present": days}],
            "deals": [
                {
                    "id": "d",
                    "owner": "r",
                    "amount": D(revenue_cents).scaleb(-2),
                    "closed_on": "2026-05-01",
                }
            ],
            "targets": [{"participant": "r", "revenue": D(target_cents).scaleb(-2)}],
        }
    )
    result = pk.evaluate(policy, data, "2026-Q2")
    expected = reference_commission(Fraction(target_cents, 100), days, Fraction(revenue_cents, 100))
    assert result.payouts["r"] == expected


def test_half_cent_tie_from_a_45_of_91_proration() -> None:
    """An exact half cent (45.005 after a 45/91 proration) rounds away from zero."""
    # 9,100.00 x 45/91 = 4,500.00; 0.5 x 2% x 4,500 = 45.00; the 0.10 above 50% pays 0.005.
    policy = pk.load_policy(TIE_POLICY)
    revenue = D("2250.10")  # 0.5 x 4500 = 45.00; slice 0.10 x 5% = 0.005 -> 45.005
    data = pk.Dataset.from_records(
        {
            "participants": [{"id": "r", "days_present": 45}],
            "deals": [{"id": "d", "owner": "r", "amount": str(revenue), "closed_on": "2026-05-01"}],
            "targets": [{"participant": "r", "revenue": "9100.00"}],
        }
    )
    assert pk.evaluate(policy, data, "2026-Q2").payouts["r"] == D("45.01")


MEAN_POLICY = """\
perfkit: 1
name: CSAT gate
currency: CNY
tables:
  surveys: {columns: {id: string, owner: string, score: decimal}}
metrics:
  csat: {table: surveys, mean: score}
incentives:
  - {id: csat_bonus, when: "csat >= 3.5", amount: "100"}
"""


def test_a_mean_of_exactly_3_5_meets_the_threshold() -> None:
    """The mean of 3.4, 3.5 and 3.6 is exactly 3.5, so '>= 3.5' holds (floats would miss)."""
    policy = pk.load_policy(MEAN_POLICY)
    data = pk.Dataset.from_records(
        {
            "surveys": [
                {"id": str(i), "owner": "r", "score": s}
                for i, s in enumerate(["3.4", "3.5", "3.6", "3.1", "3.9"])
            ]
        }
    )
    result = pk.evaluate(policy, data, "2026-Q2")
    assert result.participant("r").metrics["csat"] == Fraction(7, 2)
    assert result.payouts["r"] == D("100.00")


SPLIT_POLICY = """\
perfkit: 1
name: Splits and roll-up
currency: CNY
participants: {table: people, id: id, manager: manager}
tables:
  people: {columns: {id: string, manager: string}}
  deals: {columns: {id: string, amount: decimal, closed_on: date}, key: id}
  splits: {columns: {record: string, participant: string, share: decimal, overlay: bool}}
metrics:
  revenue:
    table: deals
    sum: amount
    date: closed_on
    credit: {splits: splits, overlay: overlay, roll_up: true}
incentives:
  - {id: commission, rate: {on: revenue, rate: 10%}}
"""


def split_data(**changes: Any) -> pk.Dataset:
    splits = changes.get(
        "splits",
        [
            {"record": "d1", "participant": "ann", "share": "0.6", "overlay": False},
            {"record": "d1", "participant": "bob", "share": "0.4", "overlay": False},
            {"record": "d1", "participant": "spec", "share": "1", "overlay": True},
            {"record": "d2", "participant": "bob", "share": "1", "overlay": False},
        ],
    )
    return pk.Dataset.from_records(
        {
            "people": [
                {"id": "boss", "manager": None},
                {"id": "ann", "manager": "boss"},
                {"id": "bob", "manager": "boss"},
                {"id": "spec", "manager": None},
            ],
            "deals": [
                {"id": "d1", "amount": "1000.00", "closed_on": "2026-04-01"},
                {"id": "d2", "amount": "-200.00", "closed_on": "2026-05-01"},
            ],
            "splits": splits,
        }
    )


def test_splits_overlays_refunds_and_roll_up() -> None:
    """Shares split revenue, overlays credit in full, refunds net, managers see it all."""
    result = pk.evaluate(pk.load_policy(SPLIT_POLICY), split_data(), "2026-Q2")
    revenue = {p.id: p.metrics["revenue"] for p in result.participants}
    assert revenue == {"ann": D("600.0"), "bob": D("200.0"), "spec": D("1000"), "boss": D("800.0")}
    assert result.payouts["boss"] == D("80.00")


def test_splits_must_sum_to_100_percent() -> None:
    """A record whose splits sum to 90% is a DataError naming the record."""
    bad = [
        {"record": "d1", "participant": "ann", "share": "0.5", "overlay": False},
        {"record": "d1", "participant": "bob", "share": "0.4", "overlay": False},
    ]
    with pytest.raises(pk.DataError, match=r"'d1'.*90"):
        pk.evaluate(pk.load_policy(SPLIT_POLICY), split_data(splits=bad), "2026-Q2")


def test_splits_must_name_known_participants() -> None:
    """A split crediting someone who is not a participant is a DataError."""
    bad = [{"record": "d1", "participant": "zed", "share": "1", "overlay": False}]
    with pytest.raises(pk.DataError, match="'zed'"):
        pk.evaluate(pk.load_policy(SPLIT_POLICY), split_data(splits=bad), "2026-Q2")


WINDOW_POLICY = """\
perfkit: 1
name: Windows
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
  ytd: {table: deals, sum: amount, date: closed_on, window: period_to_date}
  trailing: {table: deals, sum: amount, date: closed_on, window: trailing, periods: 3}
incentives:
  - id: improvement
    when: "revenue >= previous.revenue * 1.2 and revenue > last_year.revenue"
    amount: "2000"
"""


def test_windows_previous_last_year_trailing_and_to_date() -> None:
    """Metrics see their own windows; previous and last-year values feed rules."""
    rows = [
        ("2026-03-15", "100"),
        ("2026-04-10", "50"),
        ("2026-04-20", "80"),
        ("2025-04-05", "90"),
        ("2026-02-01", "7"),
    ]
    data = pk.Dataset.from_records(
        {
            "deals": [
                {"id": str(i), "owner": "r", "amount": a, "closed_on": d}
                for i, (d, a) in enumerate(rows)
            ]
        }
    )
    result = pk.evaluate(pk.load_policy(WINDOW_POLICY), data, "2026-04", as_of="2026-04-15")
    rep = result.participant("r")
    assert rep.metrics["revenue"] == D("130")
    assert rep.metrics["ytd"] == D("50")
    assert rep.metrics["trailing"] == D("237")
    assert rep.lines[0].amount == D("2000.00")  # 130 >= 100 * 1.2 and 130 > 90


def test_bad_inputs_are_perfkit_errors() -> None:
    """A missing column, an unparseable period and an unknown participant are clear errors."""
    policy = pk.load_policy(WINDOW_POLICY)
    data = pk.Dataset.from_records({"deals": [{"id": "1", "owner": "r", "amount": "5"}]})
    with pytest.raises(pk.DataError, match="closed_on"):
        pk.evaluate(policy, data, "2026-04")
    good = pk.Dataset.from_records(
        {"deals": [{"id": "1", "owner": "r", "amount": "5", "closed_on": "2026-04-01"}]}
    )
    with pytest.raises(pk.EvaluationError, match="2026-Q5"):
        pk.evaluate(policy, good, "2026-Q5")
    result = pk.evaluate(policy, good, "2026-04")
    with pytest.raises(pk.EvaluationError, match="did you mean 'r'"):
        result.participant("r2")


def test_zero_target_is_an_explicit_condition() -> None:
    """A zero target stops with a message naming the participant and the fix."""
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    zero = pk.Dataset.from_records(
        {
            "participants": [{"id": "z", "base_salary": "1", "target_bonus": "1"}],
            "deals": [],
            "activities": [],
            "surveys": [],
            "tasks": [],
            "targets": [{"participant": "z", "revenue": "0"}],
        }
    )
    with pytest.raises(pk.EvaluationError, match=r"participant 'z'.*when_zero"):
        pk.evaluate(policy, zero, "2026-Q2")


def test_as_of_is_an_input_not_the_clock() -> None:
    """The same as_of gives the same result whatever today is."""
    policy = pk.load_policy(WINDOW_POLICY)
    data = pk.Dataset.from_records(
        {"deals": [{"id": "1", "owner": "r", "amount": "5", "closed_on": "2026-04-01"}]}
    )
    a = pk.evaluate(policy, data, "2026-04", as_of=datetime.date(2026, 4, 2))
    b = pk.evaluate(policy, data, "2026-04", as_of="2026-04-02")
    assert a.to_json() == b.to_json()


def test_worked_example_policy_text_is_unchanged_by_dedent() -> None:
    """Sanity: the inline policies above load (they double as documentation)."""
    for text in (TIE_POLICY, MEAN_POLICY, SPLIT_POLICY, WINDOW_POLICY):
        assert pk.load_policy(textwrap.dedent(text)).name


def test_results_say_which_gate_or_cap_bit(worked: pk.Result) -> None:
    """Notes name the cap that bit, the unmet condition and the tier reached."""
    capped = worked.participant("rep-2").notes
    assert capped["commission"].startswith("capped at 300.00 (cap: 3 * target_bonus)")
    assert capped["penalty"].startswith("not paid: 'when: attainment.revenue < 0.6'")
    assert capped["score.csat"] == "csat is missing: scored the floor"
    full = worked.participant("rep-1").notes
    assert full["commission"] == "marginal; top tier reached: from 0.50"
    assert json.loads(worked.to_json())["participants"][1]["notes"] == dict(capped)
    line = worked.explain("rep-2", "commission").find("line commission")
    assert line is not None
    assert line.note is not None
    assert "capped at 300.00" in line.note


def test_records_credited_to_people_not_evaluated_are_reported() -> None:
    """Deals owned by someone outside the participants table are an INFO diagnostic."""
    policy = pk.load_policy(EXAMPLES / "worked-example.yaml")
    data = worked_example_data()
    rows = {name: list(data.rows(name)) for name in data.table_names()}
    rows["deals"].append(
        {
            "id": "d9",
            "owner": "mgr-1",
            "amount": "5.00",
            "closed_on": "2026-05-05",
            "qualifying": False,
        }
    )
    result = pk.evaluate(policy, pk.Dataset.from_records(rows), "2026-Q2")
    (note,) = [d for d in result.diagnostics if "revenue" in d.message]
    assert note.code == "data.unevaluated-credit"
    assert "'mgr-1'" not in note.message
    assert "mgr-1" in note.message
    assert "mgr-1" not in result.payouts


def test_plugin_rule_kinds_slot_into_the_engine() -> None:
    """A rule kind registered as a callable pays through the engine, errors name the rule."""
    registry = pk.Registry.default().copy()

    def team_share(params: dict[str, object], values: Any) -> Decimal:
        return Decimal(str(params["share"])) * Decimal(values["revenue"])

    registry.register_rule_kind("share_of_revenue", team_share)
    text = WINDOW_POLICY.replace(
        """  - id: improvement
    when: "revenue >= previous.revenue * 1.2 and revenue > last_year.revenue"
    amount: "2000"
""",
        """  - {id: share, kind: share_of_revenue, params: {share: "0.5"}}
  - {id: broken, kind: share_of_revenue, params: {}}
""",
    )
    policy = pk.load_policy(text, registry=registry)
    data = pk.Dataset.from_records(
        {"deals": [{"id": "1", "owner": "r", "amount": "10", "closed_on": "2026-04-01"}]}
    )
    with pytest.raises(pk.EvaluationError, match=r"incentive 'broken'.*KeyError"):
        pk.evaluate(policy, data, "2026-04")
    policy = pk.load_policy(
        text.replace("  - {id: broken, kind: share_of_revenue, params: {}}\n", ""),
        registry=registry,
    )
    assert pk.evaluate(policy, data, "2026-04").payouts == {"r": Decimal("5.00")}


def test_fixes_participants_from_the_credit_column_and_targets_from_rate_tables() -> None:
    """Without a participants table, the credit column names participants; target
    formulas may read rate tables."""
    policy = pk.load_policy(
        """\
perfkit: 1
name: Sellers
currency: CNY
attributes: {region: string}
tables:
  deals: {columns: {id: string, seller: string, amount: decimal}}
metrics:
  revenue: {table: deals, sum: amount, credit: {owner: seller}}
rate_tables:
  quota: {values: {east: 1000}, default: 500}
targets:
  revenue: {value: "lookup(quota, 'east')"}
incentives:
  - {id: bonus, when: "attainment.revenue >= 1", amount: "100"}
"""
    )
    data = pk.Dataset.from_records({"deals": [{"id": "1", "seller": "s1", "amount": "1000"}]})
    result = pk.evaluate(policy, data, "2026-Q2")
    assert result.payouts == {"s1": D("100.00")}


def test_payout_is_exactly_the_sum_of_its_lines() -> None:
    """A line rounded to cents is not rounded again by a coarser policy quantum."""
    policy = pk.load_policy(
        """\
perfkit: 1
name: Coarse
currency: CNY
rounding: {quantum: 1}
tables:
  deals: {columns: {id: string, owner: string, amount: decimal}}
metrics:
  revenue: {table: deals, sum: amount}
incentives:
  - {id: fine, amount: "revenue * 5%", rounding: {quantum: "0.01"}}
"""
    )
    data = pk.Dataset.from_records({"deals": [{"id": "1", "owner": "r", "amount": "210"}]})
    rep = pk.evaluate(policy, data, "2026-Q2").participant("r")
    assert rep.lines[0].amount == D("10.50")
    assert rep.payout == D("10.50")


def test_tiny_ratios_never_print_in_scientific_notation() -> None:
    """JSON shows 0.0000001, not 1E-7."""
    from perfkit._result import render_value

    assert render_value(Fraction(1, 10**7)) == "0.0000001"
    assert render_value(D("1E+3")) == "1000"


def test_roll_up_credits_a_manager_once_per_record() -> None:
    """A deal split between two reps of one manager (plus an overlay) counts once for them."""
    result = pk.evaluate(pk.load_policy(SPLIT_POLICY), split_data(), "2026-Q2")
    assert result.participant("boss").metrics["revenue"] == D("800.0")
    text = SPLIT_POLICY.replace(
        "people: {columns: {id: string, manager: string}}",
        "people: {columns: {id: string, manager: string}}",
    )
    splits = [
        {"record": "d1", "participant": "ann", "share": "0.6", "overlay": False},
        {"record": "d1", "participant": "bob", "share": "0.4", "overlay": False},
        {"record": "d2", "participant": "bob", "share": "1", "overlay": False},
    ]
    people: list[dict[str, Any]] = [
        {"id": "boss", "manager": None},
        {"id": "ann", "manager": "boss"},
        {"id": "bob", "manager": "boss"},
        {"id": "spec", "manager": "boss"},
    ]
    rows: dict[str, list[dict[str, Any]]] = {
        "people": people,
        "deals": [
            {"id": "d1", "amount": "1000.00", "closed_on": "2026-04-01"},
            {"id": "d2", "amount": "-200.00", "closed_on": "2026-05-01"},
        ],
        "splits": [*splits, {"record": "d1", "participant": "spec", "share": "1", "overlay": True}],
    }
    boss = pk.evaluate(pk.load_policy(text), pk.Dataset.from_records(rows), "2026-Q2")
    assert boss.participant("boss").metrics["revenue"] == D("800.0")
