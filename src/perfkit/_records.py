"""Record passes: per-record commission lines, SPIFFs per record, cancelled records.

Each pass runs once per rule and period over the rows its metric already
credited, in bulk: a record's line is resolved once per distinct combination
of its match columns, then each credited row pays ``amount x share x rate``
(or ``fixed amount x share``), exactly.

Precedence among matching lines (documented in docs/incentives): lines are
ranked by the match columns they use, compared in the order of ``keys`` (most
important first): a line that matches on a more important column wins; when
two lines agree on it, the next column decides; the default line (no match
columns) comes last. Two lines with the same columns and values are a load
error, so exactly one line wins, or none: such a record pays nothing and is
counted and traced.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._incentive_model import PerRecordRule, RecordLine, SpiffRule
from perfkit._metrics import Credited, _per_row
from perfkit._numbers import parse_decimal, to_fraction
from perfkit.errors import EvaluationError, InvalidValueError

if TYPE_CHECKING:
    from perfkit._expr import Expression
    from perfkit._typed_data import TypedTable

_EXACT = decimal.Context(prec=80, traps=[decimal.Inexact, decimal.InvalidOperation])
"""Sums of credited amounts: wide enough to stay exact, and trapping if ever not."""
_ZERO = Decimal(0)

__all__ = ["RecordPass", "cancelled_records", "match_value", "ranked_lines", "record_pass"]


@dataclass
class RecordPass:
    """What one per-record rule pays, per participant, from one period's records."""

    totals: dict[str, Fraction] = field(default_factory=dict)
    detail: dict[str, dict[str, Fraction]] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)
    line_of: dict[int, int | None] = field(default_factory=dict)
    """Row index -> the index of the line it matched (None: no line)."""


def ranked_lines(rule: PerRecordRule) -> list[int]:
    """Line indices, most specific first (see the module docs for the order)."""
    spec = rule.per_record
    keys = spec.keys or [k for line in spec.lines for k in line.match]
    order = list(dict.fromkeys(keys))

    def rank(index: int) -> tuple[bool, ...]:
        return tuple(key in spec.lines[index].match for key in order)

    return sorted(range(len(spec.lines)), key=lambda i: (rank(i), -i), reverse=True)


def match_value(value: Any, column_type: str) -> Any:
    """A match value in the column's own type, so '100' matches 100 and a date its text."""
    if value is None:
        return None
    if column_type in ("decimal", "integer"):
        try:
            return parse_decimal(value)
        except InvalidValueError:
            return str(value)
    if column_type == "date":
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if column_type == "bool":  # the load check allows only true or false here
        return value if isinstance(value, bool) else ("not a bool", str(value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def record_pass(
    rule: PerRecordRule | SpiffRule,
    path: str,
    table: TypedTable,
    rows: Credited,
    expressions: Mapping[str, Expression],
    rate_tables: Mapping[str, Any],
    *,
    amount_column: str | None,
    key_column: str | None,
    keep_detail: bool,
) -> RecordPass:
    """Pay each credited row of a per-record rule; sum per participant, exactly.

    A rate applies to the row's ``amount_column`` times its credit share; a
    fixed amount (a SPIFF, or a line's ``amount``) is paid times the share.
    """
    out = RecordPass()
    lines, _ = rule_lines(rule)
    order = [0] if isinstance(rule, SpiffRule) else ranked_lines(rule)
    indices = sorted({i for i, *_ in rows})
    chosen = _choose(lines, order, table, indices)
    out.line_of = chosen
    pays = line_values(rule, path, lines, chosen, table, expressions, rate_tables)
    amounts = table.columns[amount_column] if amount_column is not None else None
    keys = table.columns[key_column] if key_column is not None else None
    is_rate = [line.rate is not None for line in lines]
    totals = out.totals
    # Sum the credited amounts (or shares, for fixed amounts) per participant and
    # rate in exact Decimal, then multiply by each rate once: the same exact
    # result as paying row by row, without a Fraction per row.
    sums: dict[tuple[str, Fraction, bool], Decimal] = {}
    try:
        _sum_rows(rows, chosen, pays, is_rate, amounts, keys, out, sums, keep_detail=keep_detail)
    except (decimal.Inexact, decimal.InvalidOperation):
        raise EvaluationError(
            f"incentive {rule.id!r}: the records' amounts need more than "
            f"{_EXACT.prec} digits to sum exactly"
        ) from None
    for (who, rate, _), credited in sums.items():
        totals[who] = totals.get(who, Fraction(0)) + Fraction(credited) * rate
    return out


def _sum_rows(
    rows: Credited,
    chosen: Mapping[int, int | None],
    pays: Mapping[int, Fraction],
    is_rate: Sequence[bool],
    amounts: Sequence[Any] | None,
    keys: Sequence[Any] | None,
    out: RecordPass,
    sums: dict[tuple[str, Fraction, bool], Decimal],
    *,
    keep_detail: bool,
) -> None:
    unmatched, detail = out.unmatched, out.detail
    with decimal.localcontext(_EXACT):
        for i, who, share, _ in rows:
            hit = chosen[i]
            if hit is None:
                unmatched[who] = unmatched.get(who, 0) + 1
                continue
            if is_rate[hit]:
                value = amounts[i] if amounts is not None else None
                if value is None:
                    continue
                credited = value if share == 1 else value * share
            else:
                credited = share
            group = (who, pays[i], is_rate[hit])
            sums[group] = sums.get(group, _ZERO) + credited
            if keep_detail and keys is not None:
                mine = detail.setdefault(who, {})
                key = str(keys[i])
                mine[key] = mine.get(key, Fraction(0)) + Fraction(credited) * pays[i]


def rule_lines(rule: PerRecordRule | SpiffRule) -> tuple[list[RecordLine], list[str]]:
    """A per-record rule's lines and their field paths (a SPIFF is one line)."""
    if isinstance(rule, SpiffRule):
        return [RecordLine(amount=rule.spiff.amount)], ["spiff"]
    return list(rule.per_record.lines), [
        f"per_record.lines[{i}]" for i in range(len(rule.per_record.lines))
    ]


def line_values(
    rule: PerRecordRule | SpiffRule,
    path: str,
    lines: Sequence[RecordLine],
    chosen: Mapping[int, int | None],
    table: TypedTable,
    expressions: Mapping[str, Expression],
    rate_tables: Mapping[str, Any],
) -> dict[int, Fraction]:
    """Row -> the rate (or fixed amount) of the line it matched, exactly."""
    by_line: dict[int, list[int]] = {}
    for i, line in chosen.items():
        if line is not None:
            by_line.setdefault(line, []).append(i)
    pays: dict[int, Fraction] = {}
    _, fields = rule_lines(rule)
    for line_index, members in sorted(by_line.items()):
        record_line = lines[line_index]
        field_name = "rate" if record_line.rate is not None else "amount"
        spec_value = record_line.rate if record_line.rate is not None else record_line.amount
        where = f"{path}.{fields[line_index]}"
        if not isinstance(spec_value, str):  # a constant: one exact value for all rows
            pays.update(dict.fromkeys(members, _number(spec_value, rule.id, where)))
            continue
        expression = expressions[f"{where}.{field_name}"]
        values = _with_tables(expression, table, members, rate_tables)
        for i, value in zip(members, values, strict=True):
            pays[i] = _number(value, rule.id, where)
    return pays


def _with_tables(
    expression: Expression, table: TypedTable, rows: Sequence[int], rate_tables: Mapping[str, Any]
) -> list[object]:
    constants = {name: rate_tables[name] for name in expression.names if name in rate_tables}
    if not constants:
        return _per_row(expression, table, rows)
    columns = {
        name: [table.columns[name][i] for i in rows]
        for name in expression.names
        if name not in constants
    }
    return [
        expression.evaluate({**{k: v[n] for k, v in columns.items()}, **constants})
        for n in range(len(rows))
    ]


def _number(value: object, rule: str, path: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | Fraction):
        raise EvaluationError(f"incentive {rule!r}: {path} gave {value!r}, not a number")
    return value if isinstance(value, Fraction) else to_fraction(value)


def _choose(
    lines: Sequence[RecordLine], order: Sequence[int], table: TypedTable, rows: Sequence[int]
) -> dict[int, int | None]:
    """Row -> the most specific line it matches, resolved once per distinct key tuple."""
    columns = sorted({key for line in lines for key in line.match})
    types = table.schema.columns if hasattr(table, "schema") else {}
    wanted = [
        {key: match_value(value, types.get(key, "string")) for key, value in lines[i].match.items()}
        for i in range(len(lines))
    ]
    data = [table.columns[name] for name in columns]
    cache: dict[tuple[Any, ...], int | None] = {}
    chosen: dict[int, int | None] = {}
    for i in rows:
        values = tuple(column[i] for column in data)
        if values not in cache:
            have = {
                name: match_value(value, types.get(name, "string"))
                for name, value in zip(columns, values, strict=True)
            }
            cache[values] = next(
                (j for j in order if all(have[k] == v for k, v in wanted[j].items())), None
            )
        chosen[i] = cache[values]
    return chosen


def cancelled_records(
    record_dates: Sequence[Any],
    cancel_dates: Sequence[Any],
    keys: Sequence[Any],
    start: datetime.date,
    end: datetime.date,
    within: int,
) -> dict[Any, datetime.date]:
    """Record key -> its own date, for records cancelled in ``[start, end)`` within the window."""
    found: dict[Any, datetime.date] = {}
    for i, cancelled in enumerate(cancel_dates):
        if cancelled is None or not start <= cancelled < end:
            continue
        own = record_dates[i]
        if own is None:
            continue
        days = (cancelled - own).days
        if 0 <= days <= within:
            found[keys[i]] = own
    return found
