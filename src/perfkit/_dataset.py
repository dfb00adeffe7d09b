"""The dataset: named tables of input records, as read, before any typing.

A :class:`Dataset` is immutable. It is built from Python records, from a
directory of CSV files or from pandas DataFrames, remembers where each row came
from, and has a fingerprint that identifies its content. :meth:`Dataset.validate`
checks it against the tables a policy declares and returns the converted
:class:`~perfkit._typed_data.TypedData`, or raises one
:class:`~perfkit.DataError` listing every problem.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal as _Decimal
from operator import itemgetter
from types import MappingProxyType
from typing import Any, overload

from perfkit._dataset_csv import read_csv_dir
from perfkit._dataset_pandas import tables_from_pandas
from perfkit._dataset_raw import (
    Problems,
    RawTable,
    check_value_types,
    gc_paused,
    missing_table,
)
from perfkit._dataset_validate import validate_tables
from perfkit._policy_model import Table
from perfkit._typed_data import TypedData, TypedTable
from perfkit.errors import DataError, InvalidValueError, Location

__all__ = ["Dataset", "TypedData", "TypedTable"]

_FINGERPRINT_VERSION = b"perfkit.dataset.v1"


class Dataset:
    """Named tables of input records (deals, activities, targets...), immutable.

    Build one with :meth:`from_records`, :meth:`from_csv_dir` or
    :meth:`from_pandas`; ``Dataset()`` is an empty dataset. Values are kept as
    given (CSV cells as text) until :meth:`validate` converts the declared
    columns. An empty string and ``None`` both mean a missing value.
    """

    __slots__ = ("_digests", "_origin", "_tables")

    _tables: Mapping[str, RawTable]
    _origin: str | None
    _digests: dict[str, bytes]

    def __init__(self) -> None:
        self._init({}, None)

    def _init(self, tables: Mapping[str, RawTable], origin: str | None) -> None:
        object.__setattr__(self, "_tables", MappingProxyType(dict(sorted(tables.items()))))
        object.__setattr__(self, "_origin", origin)
        object.__setattr__(self, "_digests", {})

    @classmethod
    def _make(cls, tables: Mapping[str, RawTable], origin: str | None = None) -> Dataset:
        dataset = cls.__new__(cls)
        dataset._init(tables, origin)
        return dataset

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Dataset is immutable: cannot set {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Dataset._make, (dict(self._tables), self._origin))

    # --- constructors ---------------------------------------------------------------

    @classmethod
    def from_records(cls, tables: Mapping[str, Iterable[Mapping[str, object]]]) -> Dataset:
        """Make a dataset from rows given as mappings of column name to value.

        A table's columns are the keys its rows use, in first-seen order; a row
        without one of them has ``None`` there. Values may be ``str``, ``int``,
        ``Decimal``, ``bool``, ``date`` or ``None``; a ``float`` is accepted
        here and refused, with its row named, when its column is validated.

        Args:
            tables: table name -> an iterable of rows (each a mapping).

        Returns:
            The dataset; row sources are ``table[index]`` paths.

        Raises:
            DataError: listing every row that is not a mapping, every column
                name that is not text, and every value of an unsupported type.
        """
        if not isinstance(tables, Mapping):
            raise InvalidValueError(
                "from_records: expected a mapping of table name to rows, "
                f"got {type(tables).__name__}"
            )
        problems = Problems()
        raw: dict[str, RawTable] = {}
        with gc_paused():
            for name, rows in tables.items():
                if not isinstance(name, str) or not name:
                    problems.add(
                        "data.bad-record",
                        f"a table name must be non-empty text, got {name!r}",
                        Location(),
                    )
                    continue
                table = _records_table(name, rows, problems)
                if table is not None:
                    check_value_types(table, problems)
                    raw[name] = table
        problems.raise_if_any()
        return cls._make(raw)

    @classmethod
    def from_csv_dir(cls, path: str | os.PathLike[str]) -> Dataset:
        """Read one table per ``<table>.csv`` file in a directory.

        Files are UTF-8 (a byte-order mark is fine) with a header row; every
        cell is kept as text and an empty cell is missing. Rows remember their
        file and line (the header is line 1).

        Args:
            path: the directory.

        Raises:
            DataError: listing every reading problem with its file and line: no
                such directory, an unreadable or non-UTF-8 file, malformed CSV,
                a column named twice, a row with a different number of cells
                than the header.
        """
        return cls._make(read_csv_dir(path), origin=str(path))

    @classmethod
    def from_pandas(cls, frames: Mapping[str, Any]) -> Dataset:
        """Make a dataset from pandas DataFrames, one per table.

        Values are taken as Python objects, pandas' missing markers as ``None``.
        A float column is refused: read it as text or hold ``Decimal`` values.

        Args:
            frames: table name -> ``pandas.DataFrame``.

        Raises:
            DataError: if pandas is not installed (with the install hint), and
                listing every column or value that cannot be used.
        """
        problems = Problems()
        with gc_paused():
            tables = tables_from_pandas(frames, problems)
            for table in tables.values():
                check_value_types(table, problems)
        problems.raise_if_any()
        return cls._make(tables)

    # --- looking inside -----------------------------------------------------------------

    def table_names(self) -> tuple[str, ...]:
        """The names of the tables, sorted."""
        return tuple(self._tables)

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def columns(self, table: str) -> tuple[str, ...]:
        """A table's column names, in input (header) order."""
        return self._table(table).header

    def row_count(self, table: str) -> int:
        """How many rows a table has."""
        return len(self._table(table))

    def rows(self, table: str) -> Sequence[dict[str, object]]:
        """A table's rows as dicts, made on demand (missing values are ``None``)."""
        return _Rows(self._table(table))

    def source(self, table: str, row: int) -> Location:
        """Where a row came from: file and line for CSV, always ``table[row]`` as path."""
        raw = self._table(table)
        if not 0 <= row < len(raw):
            raise DataError(f"table {table!r} has no row {row} (it has {len(raw)})")
        return raw.location(row)

    def _table(self, name: str) -> RawTable:
        try:
            return self._tables[name]
        except KeyError:
            raise missing_table(name, self._tables) from None

    def __repr__(self) -> str:
        inside = ", ".join(f"{name} ({len(table):,} rows)" for name, table in self._tables.items())
        return f"<Dataset {inside}>" if inside else "<Dataset (no tables)>"

    # --- fingerprint and validation ---------------------------------------------------

    def fingerprint(self, tables: Iterable[str] | None = None) -> str:
        """A SHA-256 hex digest of the content, stable across runs and machines.

        It covers the table names, each table's column names in header order
        and every value as canonical text (a missing value and an empty string
        alike); not the order tables were given in, nor where rows came from.

        Args:
            tables: only these tables (all when None).

        Raises:
            DataError: if a named table is not in the dataset.
        """
        names = sorted(self._tables if tables is None else set(tables))
        digest = hashlib.sha256(_FINGERPRINT_VERSION)
        for name in names:
            table_digest = self._digests.get(name)
            if table_digest is None:
                table_digest = _table_digest(self._table(name))
                self._digests[name] = table_digest
            _frame(digest, name.encode("utf-8", "surrogatepass"))
            digest.update(table_digest)
        return digest.hexdigest()

    def validate(
        self, schema: Mapping[str, Table], *, required: Iterable[str] | None = None
    ) -> TypedData:
        """Check and convert the tables ``schema`` declares.

        Every problem in every table is collected into one DataError: missing
        tables and columns (with did-you-mean hints), values that do not
        convert, floats, missing and duplicate keys.

        Args:
            schema: table name -> :class:`Table` (its columns, their types, a key).
            required: the tables that must exist (all of ``schema`` when None);
                declared tables that exist are checked either way.

        Returns:
            The converted tables.

        Raises:
            DataError: listing every problem, with file, line and column for CSV.
            InvalidValueError: if ``required`` names a table the schema lacks.
        """
        return validate_tables(self._tables, schema, required=required, origin=self._origin)


def _records_table(name: str, rows: object, problems: Problems) -> RawTable | None:
    """Turn one table's rows (mappings) into columns."""
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        problems.add(
            "data.bad-record",
            f"expected an iterable of rows (mappings), got {type(rows).__name__}",
            Location(path=name),
        )
        return None
    header: list[str] = []
    seen: set[object] = set()
    tuples: list[tuple[object, ...]] = []
    getter: Any = None
    failed = False
    for index, row in enumerate(rows):
        if getter is not None:
            try:
                if len(row) == len(header):
                    tuples.append(getter(row))
                    continue
            except (KeyError, TypeError):
                pass  # different keys, or not a mapping: look closer below
        if not isinstance(row, Mapping):
            failed = True
            problems.add(
                "data.bad-record",
                f"expected a mapping of column name to value, got {type(row).__name__}",
                Location(path=f"{name}[{index}]"),
            )
            continue
        for key in row:
            if key not in seen:
                seen.add(key)
                if isinstance(key, str):
                    header.append(key)
                else:
                    failed = True
                    problems.add(
                        "data.bad-record",
                        f"column names must be text, got {key!r}",
                        Location(path=f"{name}[{index}]"),
                    )
        getter = _getter(header)
        tuples.append(tuple(row.get(column) for column in header))
    if failed:
        return None
    width = len(header)
    if any(len(values) != width for values in tuples):
        tuples = [values + (None,) * (width - len(values)) for values in tuples]
    columns = tuple(zip(*tuples, strict=True)) if tuples else tuple(() for _ in header)
    return RawTable(name=name, header=tuple(header), columns=columns)


def _getter(header: list[str]) -> Any:
    if len(header) == 1:
        only = header[0]
        return lambda row: (row[only],)
    return itemgetter(*header) if header else None


class _Rows(Sequence[dict[str, object]]):
    """A table's rows as dicts, made when asked for."""

    __slots__ = ("_table",)

    def __init__(self, table: RawTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, index: int) -> dict[str, object]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, object]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, object] | list[dict[str, object]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        table = self._table
        if index < 0:
            index += len(table)
        if not 0 <= index < len(table):
            raise IndexError(f"table {table.name!r} has no row {index}")
        return {
            name: (None if value == "" else value)
            for name, value in zip(table.header, (c[index] for c in table.columns), strict=True)
        }


# --- fingerprints -------------------------------------------------------------------


def _frame(digest: Any, data: bytes) -> None:
    """Feed length-prefixed bytes, so no two sequences of parts hash alike."""
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _canonical(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


_BY_DISTINCT = (str, bool, datetime.date, type(None))


def _canonical_column(values: Sequence[object]) -> Sequence[str]:
    """Canonical text of a column: Decimals in bulk, dates and booleans once per value."""
    kinds = set(map(type, values))
    if kinds == {_Decimal}:
        return tuple(map(str, values))
    if all(issubclass(k, _BY_DISTINCT) and not issubclass(k, datetime.datetime) for k in kinds):
        texts = {value: _canonical(value) for value in set(values)}
        return tuple(map(texts.__getitem__, values))
    return tuple(map(_canonical, values))


def _table_digest(table: RawTable) -> bytes:
    """SHA-256 of a table: row count, header, then each column's values."""
    digest = hashlib.sha256()
    digest.update(len(table).to_bytes(8, "big"))
    digest.update(len(table.header).to_bytes(8, "big"))
    for name in table.header:
        _frame(digest, name.encode("utf-8", "surrogatepass"))
    for values in table.columns:
        texts: Sequence[str]
        if table.text_only or set(map(type, values)) <= {str}:
            texts = values  # type: ignore[assignment]  # all str, checked
        else:
            texts = _canonical_column(values)
        joined = "\x00".join(texts)
        if joined.count("\x00") != max(len(texts) - 1, 0):  # a value holds NUL: escape
            digest.update(b"E")
            joined = "\x00".join(t.replace("\\", "\\\\").replace("\x00", "\\0") for t in texts)
        else:
            digest.update(b"P")
        _frame(digest, joined.encode("utf-8", "surrogatepass"))
    return digest.digest()
