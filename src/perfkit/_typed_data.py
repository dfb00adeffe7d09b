"""Validated data: each table's declared columns, converted, with row references.

:class:`TypedData` is what :meth:`perfkit.Dataset.validate` returns: for every
table the schema names (and the dataset has), a :class:`TypedTable` holding one
tuple per declared column: ``str``, ``Decimal``, ``int``, ``pendulum.Date`` or
``bool`` values, ``None`` where a value is missing. Every row has a stable
reference for traces (its key when the table has one, else ``table#index``) and a
source location (file and line for CSV).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from perfkit._dataset_raw import RawTable, close_match, missing_table
from perfkit._policy_model import ColumnType, Table
from perfkit.errors import InvalidValueError, Location

__all__ = ["TypedData", "TypedTable", "ref_text"]


def ref_text(value: object) -> str:
    """How a key value is written in a row reference and in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class TypedTable:
    """One validated table: its declared columns, converted, and where rows came from.

    Row indexes count from 0 in input order, as in diagnostic paths such as
    ``deals[16].amount``.
    """

    __slots__ = ("_columns", "_raw", "_schema")

    def __init__(
        self, raw: RawTable, schema: Table, columns: Mapping[str, tuple[Any, ...]]
    ) -> None:
        self._raw = raw
        self._schema = schema
        self._columns = MappingProxyType({name: columns[name] for name in schema.columns})

    def __reduce__(self) -> tuple[Any, ...]:
        return (TypedTable, (self._raw, self._schema, dict(self._columns)))

    @property
    def name(self) -> str:
        """The table's name."""
        return self._raw.name

    @property
    def schema(self) -> Table:
        """The declared table: its columns, their types and its key."""
        return self._schema

    @property
    def key(self) -> str | None:
        """The column whose values identify rows, if the schema names one."""
        return self._schema.key

    @property
    def columns(self) -> Mapping[str, tuple[Any, ...]]:
        """Column name -> its converted values (``None`` when missing), in schema order.

        Values are typed ``Any`` because their type is the declared one, known at
        run time: ``str``, ``Decimal``, ``int``, ``pendulum.Date`` or ``bool``.
        """
        return self._columns

    @property
    def types(self) -> Mapping[str, ColumnType]:
        """Column name -> declared type, in schema order."""
        return self._schema.columns

    def __len__(self) -> int:
        return len(self._raw)

    def column(self, name: str) -> tuple[Any, ...]:
        """The converted values of one column, one per row (``None`` when missing).

        Raises:
            InvalidValueError: if the schema declares no such column.
        """
        try:
            return self._columns[name]
        except KeyError:
            raise InvalidValueError(
                f"table {self.name!r} has no declared column {name!r}"
                f"{close_match(name, self._columns)}; declared: {', '.join(self._columns)}"
            ) from None

    def row(self, index: int) -> dict[str, Any]:
        """One row as a dict of its declared columns."""
        self._check(index)
        return {name: values[index] for name, values in self._columns.items()}

    def row_ref(self, index: int) -> str:
        """A stable reference to a row for traces: its key, else ``table#index``."""
        self._check(index)
        key = self._schema.key
        if key is not None:
            return ref_text(self._columns[key][index])
        return f"{self.name}#{index}"

    def source(self, index: int) -> Location:
        """Where a row came from: file and line for CSV, ``table[index]`` as path always."""
        self._check(index)
        return self._raw.location(index)

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self._raw):
            raise IndexError(f"table {self.name!r} has no row {index} (it has {len(self)})")

    def __repr__(self) -> str:
        columns = ", ".join(self._columns)
        return f"<TypedTable {self.name}: {len(self):,} rows, columns {columns}>"


class TypedData(Mapping[str, TypedTable]):
    """The validated tables by name (a read-only mapping)."""

    __slots__ = ("_tables",)

    def __init__(self, tables: Mapping[str, TypedTable]) -> None:
        self._tables = MappingProxyType(dict(tables))

    def __reduce__(self) -> tuple[Any, ...]:
        return (TypedData, (dict(self._tables),))

    def __getitem__(self, name: str) -> TypedTable:
        return self._tables[name]

    def table(self, name: str) -> TypedTable:
        """The validated table ``name``.

        Raises:
            DataError: if the table was not validated (absent, or not declared).
        """
        try:
            return self._tables[name]
        except KeyError:
            raise missing_table(name, self._tables, what="validated table") from None

    def schema(self, name: str) -> Table:
        """The declared table ``name`` (its columns, types and key).

        Raises:
            DataError: if the table was not validated.
        """
        return self.table(name).schema

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def __repr__(self) -> str:
        inside = ", ".join(f"{name} ({len(table):,} rows)" for name, table in self._tables.items())
        return f"<TypedData {inside}>"
