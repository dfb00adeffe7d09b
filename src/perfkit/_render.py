"""Rendering a Result for people and for other programs: table, JSON, CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from perfkit._result import Result, render_value

__all__ = ["render"]


def render(result: Result, fmt: str) -> str:
    """Render ``result`` as ``table`` (a readable summary), ``json`` or ``csv`` (lines)."""
    if fmt == "json":
        return result.to_json()
    if fmt == "csv":
        return _csv(result)
    return _table(result)


def _csv(result: Result) -> str:
    out = io.StringIO()
    rows = result.to_rows()
    fieldnames = ["participant", "component", "amount", "period", "rule"]
    extra = ["kind", "record", "original_period", "note"]
    if any(key in row for row in rows for key in extra):  # clawbacks, adjustments...
        fieldnames += extra
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _percent(value: object) -> str:
    if value is None:
        return "—"
    number = Decimal(str(render_value(value)))
    return f"{number * 100:.1f}%"


def _table(result: Result) -> str:
    # Rule components first, as the first participant has them; then components
    # only some participants have (settlement lines), in order of appearance.
    components = list(
        dict.fromkeys(line.component for p in result.participants for line in p.lines)
    )
    attained = sorted(result.participants[0].attainment) if result.participants else []
    table = Table(title=f"{result.policy} — {result.period} ({result.currency})", show_footer=True)
    table.add_column("participant", footer="total")
    for name in attained:
        table.add_column(f"{name} att.", justify="right")
    table.add_column("score", justify="right")
    totals: dict[str, Decimal] = dict.fromkeys(components, Decimal(0))
    for participant in result.participants:
        for line in participant.lines:
            totals[line.component] += line.amount
    for name in components:
        table.add_column(name, justify="right", footer=f"{totals[name]:,}")
    grand = sum(result.payouts.values(), Decimal(0))
    table.add_column("payout", justify="right", footer=f"{grand:,}")
    table.add_column("flags")
    for participant in result.participants:
        score = participant.score
        row = [participant.id]
        row += [_percent(participant.attainment.get(name)) for name in attained]
        row.append("—" if score is None else f"{Decimal(str(render_value(score))):.1f}")
        mine: dict[str, Decimal] = {}
        for line in participant.lines:
            mine[line.component] = mine.get(line.component, Decimal(0)) + line.amount
        row += [f"{mine[name]:,}" if name in mine else "—" for name in components]
        row.append(f"{participant.payout:,}")
        row.append(", ".join(participant.flags))
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=200, record=True, force_terminal=False)
    console.print(table)
    text = console.export_text()
    if result.alerts:
        text += f"\n{len(result.alerts)} alert(s):\n"
        text += "".join(f"  [{a.level}] {a.participant}: {a.message}\n" for a in result.alerts)
    return text
