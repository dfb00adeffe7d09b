"""Regressions from the review of the incentive engine: each case once paid a wrong amount.

Corrections paid once however many runs follow; clawbacks that take back what was
paid (adjustments included), once per record and person; balances never written
off; limits that apply where they load; one value, one duplicate; exact results
whatever else the process rounded before.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perfkit as pk

D = Decimal

MONTHLY = """\
perfkit: 1
name: Monthly commission
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}, key: id}
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    rate: {on: revenue, rate: 10%}
"""


def monthly(january: str) -> pk.Dataset:
    return pk.Dataset.from_records(
        {
            "deals": [
                {"id": "D1", "owner": "ann", "amount": january, "closed_on": "2026-01-10"},
                {"id": "D2", "owner": "ann", "amount": "10000.00", "closed_on": "2026-02-10"},
                {"id": "D3", "owner": "ann", "amount": "10000.00", "closed_on": "2026-03-10"},
            ]
        }
    )


def test_a_correction_is_paid_once_however_many_runs_follow() -> None:
    """January corrected after it was paid: February pays +300.00, March nothing more."""
    policy = pk.load_policy(MONTHLY)
    (jan,) = pk.evaluate_periods(policy, monthly("12000.00"), ["2026-01"])
    _, feb = pk.evaluate_periods(policy, monthly("15000.00"), ["2026-01", "2026-02"], paid=[jan])
    months = ["2026-01", "2026-02", "2026-03"]
    *_, mar = pk.evaluate_periods(policy, monthly("15000.00"), months, paid=[jan, feb])
    adjustments = [line.amount for line in feb.lines if line.kind == "adjustment"]
    assert adjustments == [D("300.00")]
    assert [line.kind for line in mar.lines] == ["rule"]
    assert jan.payouts["ann"] + feb.payouts["ann"] + mar.payouts["ann"] == D("3500.00")


PER_DEAL = """\
perfkit: 1
name: Per deal
currency: CNY
tables:
  deals:
    columns: {id: string, owner: string, amount: decimal, closed_on: date, cancelled_on: date}
    key: id
metrics:
  revenue: {table: deals, sum: amount, date: closed_on}
incentives:
  - id: commission
    per_record: {metric: revenue, lines: [{rate: 10%}]}
  - id: clawback
    clawback: {of: commission, date: cancelled_on, within: 365}
"""


def test_a_clawback_takes_back_what_was_paid_with_its_adjustment() -> None:
    """D1 paid 1,200.00, corrected to 1,500.00 and cancelled: all 1,500.00 comes back."""

    def data(d1: str, cancelled: str | None = None) -> pk.Dataset:
        return pk.Dataset.from_records(
            {
                "deals": [
                    {"id": "D1", "owner": "ann", "amount": d1, "closed_on": "2026-01-10",
                     "cancelled_on": cancelled},
                    {"id": "D2", "owner": "ann", "amount": "10000.00",
                     "closed_on": "2026-02-10", "cancelled_on": None},
                ]
            }
        )  # fmt: skip

    policy = pk.load_policy(PER_DEAL)
    (jan,) = pk.evaluate_periods(policy, data("12000.00"), ["2026-01"])
    _, feb = pk.evaluate_periods(
        policy, data("15000.00", "2026-02-05"), ["2026-01", "2026-02"], paid=[jan]
    )
    (reversal,) = [line for line in feb.lines if line.kind == "clawback"]
    assert (reversal.amount, reversal.record) == (D("-1500.00"), "D1")
    assert jan.payouts["ann"] + feb.payouts["ann"] == D("1000.00")  # D2's commission only


def test_a_record_credited_twice_to_one_person_is_reversed_once() -> None:
    """A manager with his own split and roll-up credit on D1 gives back what he got."""
    policy = pk.load_policy(
        """\
        perfkit: 1
        name: Rollup
        currency: CNY
        participants: {table: people, id: id, manager: manager}
        tables:
          people: {columns: {id: string, manager: string}}
          deals:
            columns: {id: string, amount: decimal, closed_on: date, cancelled_on: date}
            key: id
          splits: {columns: {record: string, participant: string, share: decimal}}
        metrics:
          revenue:
            {table: deals, sum: amount, date: closed_on, credit: {splits: splits, roll_up: true}}
        incentives:
          - id: commission
            rate: {on: revenue, rate: 10%}
          - id: clawback
            clawback: {of: commission, date: cancelled_on, within: 90, metric: revenue}
        """
    )
    data = pk.Dataset.from_records(
        {
            "people": [{"id": "mgr", "manager": None}, {"id": "ann", "manager": "mgr"}],
            "deals": [
                {"id": "D1", "amount": "10000.00", "closed_on": "2026-01-10",
                 "cancelled_on": "2026-01-20"}
            ],
            "splits": [
                {"record": "D1", "participant": "ann", "share": "50%"},
                {"record": "D1", "participant": "mgr", "share": "50%"},
            ],
        }
    )  # fmt: skip
    result = pk.evaluate(policy, data, "2026-01")
    assert result.payouts == {"ann": D("0.00"), "mgr": D("0.00")}
    assert len([line for line in result.lines if line.kind == "clawback"]) == 2


def test_a_draw_balance_outlives_a_version_without_the_draw() -> None:
    policy = pk.load_policy(
        MONTHLY
        + """\
  - id: draw
    draw: {amount: 3000, recoverable: true, recover: {share: 100%}}
versions:
  - from: 2026-02-01
    incentives:
      - id: commission
        rate: {on: revenue, rate: 10%}
"""
    )
    results = pk.evaluate_periods(policy, monthly("10000.00"), ["2026-01", "2026-02"])
    owed = [r.participant("ann").balances.get("draw") for r in results]
    assert owed == [D("2000.00"), D("2000.00")]


def test_a_rule_year_to_date_cap_counts_the_adjustments_paid_beside_it() -> None:
    policy = pk.load_policy(MONTHLY + '    cap_ytd: "5000"\n')
    (jan,) = pk.evaluate_periods(policy, monthly("40000.00"), ["2026-01"])
    _, feb = pk.evaluate_periods(policy, monthly("60000.00"), ["2026-01", "2026-02"], paid=[jan])
    paid = sum(line.amount for result in (jan, feb) for line in result.lines)
    assert paid == D("5000.00")


@pytest.mark.parametrize("kind", ["clawback", "draw"])
def test_limits_that_cannot_apply_are_refused_at_load(kind: str) -> None:
    spec = {
        "clawback": "clawback: {of: commission, date: cancelled_on, within: 90}",
        "draw": "draw: {amount: 3000, recoverable: false}",
    }[kind]
    text = PER_DEAL.replace(
        "  - id: clawback\n    clawback: {of: commission, date: cancelled_on, within: 365}\n",
        f'  - id: x\n    {spec}\n    floor: "-500"\n',
    )
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(text)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.location is not None
    assert diagnostic.location.path == "incentives[1].floor"
    assert f"'floor' does not apply to a {kind}" in diagnostic.message


def test_lines_matching_one_number_spelt_two_ways_are_duplicates() -> None:
    text = """\
perfkit: 1
name: Lines
currency: CNY
tables:
  deals: {columns: {id: string, owner: string, amount: decimal, band: decimal}, key: id}
metrics:
  revenue: {table: deals, sum: amount}
incentives:
  - id: commission
    per_record:
      metric: revenue
      lines: [{match: {band: 10}, rate: 5%}, {match: {band: '10.0'}, rate: 8%}]
"""
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(text)
    assert [d.code for d in caught.value.diagnostics] == ["policy.duplicate-line"]


def test_target_parts_that_overlap_are_refused_not_summed() -> None:
    policy = pk.load_policy(
        """\
        perfkit: 1
        name: Quotas
        currency: CNY
        tables:
          deals: {columns: {id: string, owner: string, amount: decimal, closed_on: date}}
          quotas: {columns: {participant: string, period: string, revenue: decimal}}
        metrics:
          revenue: {table: deals, sum: amount, date: closed_on}
        targets:
          revenue: {table: quotas, column: revenue, period: period}
        incentives:
          - {id: commission, rate: {on: revenue, rate: 1%}}
        """
    )
    rows = [
        {"participant": "ann", "period": label, "revenue": "10000.00"}
        for label in ("2026-01", "2026-01", "2026-02", "2026-03")
    ]
    deals = [{"id": "D1", "owner": "ann", "amount": "100.00", "closed_on": "2026-01-05"}]
    data = pk.Dataset.from_records({"deals": deals, "quotas": rows})
    with pytest.raises(pk.DataError) as caught:
        pk.evaluate(policy, data, "2026-Q1")
    assert "overlap inside 2026-Q1" in str(caught.value)
    single = pk.Dataset.from_records({"deals": deals, "quotas": rows[1:]})
    assert pk.evaluate(policy, single, "2026-Q1").participant("ann").targets["revenue"] == D(
        "30000.00"
    )


def test_a_result_does_not_depend_on_quanta_rounded_before() -> None:
    """0.01 and 0.010 are equal numbers with different exponents: each keeps its own."""
    assert str(pk.quantize(D("2.5"), D("1.00"))) == "3.00"
    assert str(pk.quantize(D("2.5"), D("1"))) == "3"
    assert str(pk.quantize(D("2.5"), D("1.00"))) == "3.00"
    assert str(pk.quantize(D("2.5"), D("1"))) == "3"


@pytest.mark.parametrize("bad", ["NaN", "sNaN", "Infinity"])
def test_result_json_with_a_non_finite_amount_is_refused(bad: str) -> None:
    (jan,) = pk.evaluate_periods(pk.load_policy(MONTHLY), monthly("100.00"), ["2026-01"])
    data = jan.to_dict()
    data["participants"][0]["payout"] = bad
    with pytest.raises(pk.EvaluationError, match="not a finite number"):
        pk.Result.from_dict(data)


def test_paid_takes_one_result_or_the_json_array_the_cli_writes() -> None:
    policy, data = pk.load_policy(MONTHLY), monthly("100.00")
    (jan,) = pk.evaluate_periods(policy, data, ["2026-01"])
    array = "[" + jan.to_json() + "]"
    for paid in (jan, jan.to_json(), array):
        assert pk.evaluate_periods(policy, data, ["2026-01"], paid=paid)[0] is not None
    with pytest.raises(pk.EvaluationError, match="periods: expected a list"):
        pk.evaluate_periods(policy, data, None)  # type: ignore[arg-type]


def test_a_capped_rule_traces_what_each_record_was_paid() -> None:
    policy = pk.load_policy(
        """\
        perfkit: 1
        name: Capped per deal
        currency: CNY
        tables:
          deals: {columns: {id: string, owner: string, amount: decimal}, key: id}
        metrics:
          revenue: {table: deals, sum: amount}
        incentives:
          - id: commission
            per_record: {metric: revenue, lines: [{rate: 10%}]}
            cap: "1000"
        """
    )
    deals = [{"id": f"D{i}", "owner": "ann", "amount": "20000.00"} for i in (1, 2)]
    result = pk.evaluate(policy, pk.Dataset.from_records({"deals": deals}), "2026-01")
    trace = result.explain("ann", "commission")
    values = [trace.find(f"record D{i}").value for i in (1, 2)]  # type: ignore[union-attr]
    assert values == [500, 500]  # 2,000.00 each, scaled by the cap to 1,000.00 in all
