"""Validating raw tables against the declared tables of a policy.

Every problem in every table is collected into one :class:`~perfkit.DataError`
(missing tables and columns, values that do not convert, floats, missing and
duplicate keys), listed in table order and, within a table, by row and column,
up to :data:`~perfkit._dataset_raw.MAX_DIAGNOSTICS` with a final count of the rest.
There is never a partial result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from perfkit._dataset_convert import BAD, convert_column
from perfkit._dataset_raw import Problems, RawTable, close_match
from perfkit._policy_model import Table
from perfkit._typed_data import TypedData, TypedTable, ref_text
from perfkit.errors import Diagnostic, InvalidValueError, Location

__all__ = ["validate_tables"]


def validate_tables(
    tables: Mapping[str, RawTable],
    schema: Mapping[str, Table],
    *,
    required: Iterable[str] | None = None,
    origin: str | None = None,
) -> TypedData:
    """Check and convert the tables ``schema`` declares.

    Args:
        tables: the raw tables by name.
        schema: table name -> its declared columns (and optional key).
        required: the tables that must be present; all of ``schema`` when None.
            Declared tables that are present are checked either way.
        origin: the directory the tables were read from, for messages.

    Returns:
        The converted tables that are present, in schema order.

    Raises:
        DataError: listing every problem found.
        InvalidValueError: if ``required`` names a table ``schema`` does not declare.
    """
    if isinstance(required, str):
        raise InvalidValueError(f"required: expected table names, got the str {required!r}")
    must = set(schema) if required is None else set(required)
    undeclared = sorted(must - set(schema))
    if undeclared:
        raise InvalidValueError(
            f"required tables {undeclared} are not declared in the schema "
            f"(declared: {', '.join(schema) or 'none'})"
        )
    problems = Problems()
    typed: dict[str, TypedTable] = {}
    for name, spec in schema.items():
        raw = tables.get(name)
        if raw is None:
            if name in must:
                problems.add(
                    "data.missing-table", _missing_table(name, tables, origin), Location(path=name)
                )
            continue
        table = _validate_table(raw, spec, problems)
        if table is not None:
            typed[name] = table
    problems.raise_if_any()
    return TypedData(typed)


def _missing_table(name: str, tables: Mapping[str, RawTable], origin: str | None) -> str:
    where = f"there is no {name}.csv in {origin}" if origin is not None else "the dataset has none"
    known = ", ".join(sorted(tables)) or "none"
    return f"table {name!r} is missing: {where}{close_match(name, tables)}; tables: {known}"


def _validate_table(raw: RawTable, spec: Table, problems: Problems) -> TypedTable | None:
    """Convert one table's declared columns, recording its problems; None if any."""
    failed = False
    if not raw.header and not raw.text_only:
        # An empty list of records: no columns to check, nothing to convert.
        return TypedTable(raw, spec, dict.fromkeys(spec.columns, ()))
    for column in spec.columns:
        if raw.position(column) is None:
            failed = True
            problems.add(
                "data.missing-column",
                f"table {raw.name!r} has no column {column!r}{close_match(column, raw.header)}; "
                f"its columns: {', '.join(raw.header) or 'none'}{_separator_hint(raw)}",
                raw.header_location(column),
            )
    cells: list[tuple[int, int, Diagnostic]] = []
    refused = 0
    converted: dict[str, tuple[object, ...]] = {}
    for column, kind in spec.columns.items():
        position = raw.position(column)
        if position is None:
            continue
        result = convert_column(
            raw.columns[position], kind, text_only=raw.text_only, limit=problems.cap
        )
        converted[column] = result.values
        refused += result.count
        cells.extend(
            (row, position, Diagnostic(code, message, location=raw.location(row, column)))
            for row, code, message in result.problems
        )
    if spec.key is not None and spec.key in converted:
        key_cells, count = _check_key(raw, spec.key, converted[spec.key], problems.cap)
        cells.extend(key_cells)
        refused += count
    cells.sort(key=lambda cell: (cell[0], cell[1]))
    problems.extend((diagnostic for _, _, diagnostic in cells), refused)
    if failed or refused:
        return None
    return TypedTable(raw, spec, converted)


def _separator_hint(raw: RawTable) -> str:
    """A hint when a CSV header reads as one column because cells are not comma separated."""
    if raw.file is None or len(raw.header) != 1:
        return ""
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if separator in raw.header[0]:
            return f" (the file seems to separate cells with {name}; perfkit reads commas)"
    return ""


def _check_key(
    raw: RawTable, key: str, values: tuple[object, ...], limit: int
) -> tuple[list[tuple[int, int, Diagnostic]], int]:
    """Report rows whose key is missing or repeats an earlier row's (refused values aside)."""
    distinct = set(values)
    if len(distinct) == len(values) and None not in distinct and BAD not in distinct:
        return [], 0
    position = raw.header.index(key)
    cells: list[tuple[int, int, Diagnostic]] = []
    count = 0
    first: dict[object, int] = {}
    for row, value in enumerate(values):
        if value is BAD:
            continue
        if value is None:
            code = "data.missing-key"
            message = f"the key {key!r} is missing; every row of {raw.name!r} needs one"
        else:
            earlier = first.setdefault(value, row)
            if earlier == row:
                continue
            code = "data.duplicate-key"
            message = (
                f"duplicate key {key}={ref_text(value)!r}: {_row_name(raw, earlier)} has it too"
            )
        count += 1
        if len(cells) < limit:
            cells.append(
                (row, position, Diagnostic(code, message, location=raw.location(row, key)))
            )
    return cells, count


def _row_name(raw: RawTable, row: int) -> str:
    line = raw.line(row)
    return f"{raw.name}[{row}]" if line is None else f"{raw.name}[{row}] (line {line})"
