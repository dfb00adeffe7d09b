"""Raw tables and the problem collector shared by the dataset readers and validation.

A :class:`RawTable` is one input table as read, before any typing: a header, one
tuple of values per column (columnar, so a whole column converts in one pass),
and where each row came from. CSV cells are kept as the strings read, an empty
cell as ``""``; records and DataFrames keep their Python values. ``""`` and
``None`` both mean *missing* everywhere in perfkit, so no reader has to spend a
pass over every cell to rewrite one as the other.
"""

from __future__ import annotations

import datetime
import difflib
import gc
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from perfkit.errors import DataError, Diagnostic, Location

__all__ = [
    "MAX_DIAGNOSTICS",
    "Problems",
    "RawTable",
    "check_value_types",
    "close_match",
    "gc_paused",
    "missing_table",
]

MAX_DIAGNOSTICS = 1_000
"""How many diagnostics one DataError lists before a final summary counts the rest."""

# What a record value may be. Floats are stored (and refused when a column is
# validated, with the row named); anything else has no canonical text.
_STORABLE = (str, int, Decimal, datetime.date, float, type(None))


@dataclass(frozen=True, slots=True, eq=False)
class RawTable:
    """One table as read: header, columns of raw values, and row sources.

    Attributes:
        name: the table's name.
        header: column names in their input order.
        columns: one tuple of values per header name, all of equal length.
        text_only: True when every value is a ``str`` (CSV input).
        file: the file the rows came from, or None.
        first_line: the line of row 0 when ``lines`` is None (CSV: 2).
        lines: the start line of each row, when rows span several lines.
    """

    name: str
    header: tuple[str, ...]
    columns: tuple[tuple[object, ...], ...]
    text_only: bool = False
    file: str | None = None
    first_line: int | None = None
    lines: array[int] | None = None

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def position(self, column: str) -> int | None:
        """The 0-based position of ``column`` in the header, or None."""
        try:
            return self.header.index(column)
        except ValueError:
            return None

    def line(self, row: int) -> int | None:
        """The line of the input file where ``row`` starts, or None for records."""
        if self.lines is not None:
            return self.lines[row]
        if self.first_line is None:
            return None
        return self.first_line + row

    def location(self, row: int, column: str | None = None) -> Location:
        """Where a row (or one of its cells) came from.

        For CSV the location's column is the field's 1-based position in the header.
        """
        path = f"{self.name}[{row}]" if column is None else f"{self.name}[{row}].{column}"
        position = None if column is None else self.position(column)
        return Location(
            file=self.file,
            line=self.line(row),
            column=None if position is None or self.file is None else position + 1,
            path=path,
        )

    def header_location(self, column: str | None = None) -> Location:
        """Where the table (or one named column of it) is declared: its header."""
        path = self.name if column is None else f"{self.name}.{column}"
        if self.file is None:
            return Location(path=path)
        return Location(file=self.file, line=(self.first_line or 2) - 1, path=path)


class Problems:
    """Diagnostics collected lazily: every problem is counted, the first ``cap`` kept."""

    def __init__(self, cap: int = MAX_DIAGNOSTICS) -> None:
        self.cap = cap
        self.listed: list[Diagnostic] = []
        self.unlisted = 0

    @property
    def full(self) -> bool:
        """True once ``cap`` diagnostics are kept; later ones are only counted."""
        return len(self.listed) >= self.cap

    def add(self, code: str, message: str, location: Location) -> None:
        """Record one error diagnostic (or only count it when full)."""
        if self.full:
            self.unlisted += 1
        else:
            self.listed.append(Diagnostic(code, message, location=location))

    def extend(self, diagnostics: Iterable[Diagnostic], total: int) -> None:
        """Record ``diagnostics``, out of ``total`` problems of which the rest are counted."""
        kept = 0
        for diagnostic in diagnostics:
            if self.full:
                break
            self.listed.append(diagnostic)
            kept += 1
        self.unlisted += total - kept

    def __bool__(self) -> bool:
        return bool(self.listed) or self.unlisted > 0

    def raise_if_any(self) -> None:
        """Raise one DataError carrying every kept diagnostic and a count of the rest.

        Raises:
            DataError: if any problem was recorded.
        """
        if not self:
            return
        diagnostics = list(self.listed)
        if self.unlisted:
            total = len(self.listed) + self.unlisted
            diagnostics.append(
                Diagnostic(
                    "data.too-many-problems",
                    f"{self.unlisted:,} more problems not listed ({total:,} in total); "
                    "fix the ones above and check again",
                )
            )
        raise DataError(diagnostics)


def close_match(name: str, known: Iterable[str]) -> str:
    """A `` (did you mean 'x'?)`` hint for a misspelt name, or an empty string."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small lists are made.

    Reading a million CSV rows makes a million row lists; the collector's
    repeated scans of them tripled the reading time. Nothing made here forms a
    cycle, and the previous state is restored on the way out.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_value_types(table: RawTable, problems: Problems) -> None:
    """Report record values that have no meaning in a table (lists, objects, ...)."""
    for name, values in zip(table.header, table.columns, strict=True):
        kinds = set(map(type, values))
        if all(issubclass(kind, _STORABLE) for kind in kinds):
            continue
        for row, value in enumerate(values):
            if not isinstance(value, _STORABLE):
                problems.add(
                    "data.bad-record",
                    f"unsupported value {_short(value)} of type {type(value).__name__}; "
                    "expected str, int, Decimal, bool, date or None",
                    table.location(row, name),
                )


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def missing_table(name: str, tables: Mapping[str, object], *, what: str = "table") -> DataError:
    """The error for a table that is not there, naming the ones that are."""
    known = ", ".join(tables) or "none"
    return DataError(
        [
            Diagnostic(
                "data.missing-table",
                f"no {what} {name!r}{close_match(name, tables)}; tables: {known}",
                location=Location(path=name),
            )
        ]
    )
