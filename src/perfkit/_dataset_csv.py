"""Reading a directory of CSV files into raw tables.

One ``<table>.csv`` per table: UTF-8 (a byte-order mark is fine), comma
separated, double quotes around cells that need them, a header row naming the
columns. Every cell is kept as the text read; an empty cell is missing. The csv
module reads in strict mode, so a quote left open is an error rather than a
cell that silently swallows the rest of the file.

The csv module streams the file in chunks and each chunk is turned into columns
at once, so a million rows read in about a second. Line numbers are those an
editor shows: the header is line 1 and the first row line 2. A quoted cell that
spans lines, or a blank line, shifts the rows after it; that is detected by
comparing the reader's line count with the rows read, and only then are the
lines of each row found in a second pass.
"""

from __future__ import annotations

import csv
import os
from array import array
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from perfkit._dataset_raw import Problems, RawTable, gc_paused
from perfkit.errors import Diagnostic, Location

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["read_csv_dir"]

_CHUNK = 65_536


def read_csv_dir(path: str | os.PathLike[str]) -> dict[str, RawTable]:
    """Read every ``*.csv`` file of a directory as a table named after the file.

    Files whose names start with a dot, and subdirectories, are ignored.

    Args:
        path: the directory.

    Returns:
        The tables by name, in file-name order.

    Raises:
        DataError: listing every reading problem of every file: a missing
            directory, an unreadable or non-UTF-8 file, malformed CSV, a
            duplicate column name, a row with more or fewer cells than the header.
    """
    directory = Path(path)
    problems = Problems()
    files: dict[str, Path] = {}
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        problems.add("data.read", "there is no such directory", Location(file=str(path)))
        entries = []
    except NotADirectoryError:
        problems.add(
            "data.read",
            "not a directory: give the directory holding the CSV files",
            Location(file=str(path)),
        )
        entries = []
    except OSError as exc:
        problems.add("data.read", f"cannot list the directory: {_reason(exc)}", Location(str(path)))
        entries = []
    for entry in entries:
        if entry.suffix.lower() != ".csv" or entry.name.startswith(".") or entry.is_dir():
            continue
        name = entry.stem
        if name in files:
            problems.add(
                "data.duplicate-table",
                f"two files for table {name!r}: {files[name].name} and {entry.name}",
                Location(file=str(entry)),
            )
            continue
        files[name] = entry
    tables: dict[str, RawTable] = {}
    for name, file in files.items():
        table = _read_table(name, file, problems)
        if table is not None:
            tables[name] = table
    problems.raise_if_any()
    return tables


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read_table(name: str, file: Path, problems: Problems) -> RawTable | None:
    """Read one CSV file, recording its problems; None when it cannot be used."""
    where = str(file)
    try:
        with gc_paused(), open(file, encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, strict=True)
            try:
                return _read_rows(name, where, reader, problems)
            except csv.Error as exc:
                problems.add("data.csv", f"malformed CSV: {exc}", Location(where, reader.line_num))
                return None
    except UnicodeDecodeError as exc:
        line, offset = _bad_byte(file)
        problems.add(
            "data.encoding",
            f"the file is not UTF-8 text ({exc.reason} at byte {offset}); "
            "save it as UTF-8 (Excel: 'CSV UTF-8')",
            Location(where, line),
        )
    except OSError as exc:
        problems.add("data.read", f"cannot read the file: {_reason(exc)}", Location(where))
    return None


def _bad_byte(file: Path) -> tuple[int | None, int | None]:
    """The line and byte offset of the first byte that is not UTF-8."""
    try:
        data = file.read_bytes()
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1, exc.start
    except OSError:
        pass
    return None, None


def _read_rows(name: str, where: str, reader: Reader, problems: Problems) -> RawTable | None:
    header_row = next(reader, None)
    if not header_row:
        problems.add(
            "data.csv",
            "the file is empty" if header_row is None else "the first line is empty",
            Location(where, 1 if header_row is None else reader.line_num),
        )
        return None
    header = tuple(cell.strip() for cell in header_row)
    header_end = reader.line_num
    usable = _check_header(name, where, header, header_end, problems)
    width = len(header)
    columns: list[list[str]] = [[] for _ in header]
    records = 0  # rows read, blank lines included
    shifted = False  # a blank line before a data row moves the rows after it
    pending_blank = False
    ragged: list[tuple[int, int]] = []  # (row, cells) of the first ragged rows
    ragged_count = 0
    kept = 0
    while chunk := list(islice(reader, _CHUNK)):
        records += len(chunk)
        if set(map(len, chunk)) != {width}:
            good: list[list[str]] = []
            for row in chunk:
                if not row:
                    pending_blank = True
                    continue
                shifted = shifted or pending_blank
                pending_blank = False
                if len(row) != width:
                    ragged_count += 1
                    if len(ragged) < problems.cap:
                        ragged.append((kept, len(row)))
                else:
                    good.append(row)
                kept += 1
            chunk = good
        else:
            shifted = shifted or pending_blank
            pending_blank = False
            kept += len(chunk)
        if usable and not ragged:
            for column, values in zip(columns, zip(*chunk, strict=True), strict=False):
                column.extend(values)
    multi_line = reader.line_num - header_end != records
    lines = _row_lines(where) if shifted or multi_line else None
    problems.extend(
        (
            Diagnostic(
                "data.ragged-row",
                f"the row has {cells} cell{'s' if cells != 1 else ''} but the header has {width}",
                location=Location(
                    where,
                    lines[index] if lines is not None else header_end + 1 + index,
                    path=f"{name}[{index}]",
                ),
            )
            for index, cells in ragged
        ),
        ragged_count,
    )
    if not usable or ragged:
        return None
    frozen: list[tuple[str, ...]] = []
    while columns:  # one column at a time, so each list is freed as its tuple is made
        frozen.append(tuple(columns.pop(0)))
    return RawTable(
        name=name,
        header=header,
        columns=tuple(frozen),
        text_only=True,
        file=where,
        first_line=header_end + 1,
        lines=lines,
    )


def _check_header(
    name: str, where: str, header: tuple[str, ...], line: int, problems: Problems
) -> bool:
    """Report column names used twice; True when the header is usable."""
    first: dict[str, int] = {}
    usable = True
    for position, column in enumerate(header):
        if column in first:
            usable = False
            problems.add(
                "data.duplicate-column",
                f"column {column!r} appears twice in the header "
                f"(fields {first[column] + 1} and {position + 1})",
                Location(where, line, position + 1, f"{name}.{column}"),
            )
        else:
            first[column] = position
    return usable


def _row_lines(where: str) -> array[int]:
    """The line on which each non-blank row starts (a second, slower pass)."""
    lines = array("q")
    with gc_paused(), open(where, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, strict=True)
        next(reader)  # the header: one record, however many lines it spans
        previous = reader.line_num
        for row in reader:
            if row:
                lines.append(previous + 1)
            previous = reader.line_num
    return lines
