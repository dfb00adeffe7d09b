"""Reading pandas DataFrames into raw tables (pandas is imported only here, lazily).

Columns keep their Python values (``Series.tolist()``), with pandas' missing
markers (``NaN``, ``NaT``, ``pd.NA``) as ``None``. A float column is refused as
a whole (``data.float``, naming the table and column): a float has no exact
decimal value, so the honest fix is to read the column as text
(``pd.read_csv(..., dtype=str)``) or to hold ``Decimal`` values. A column that
is entirely missing is accepted whatever its dtype. Date-time columns whose
values are all at midnight become dates; others are refused.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from perfkit._dataset_raw import Problems, RawTable
from perfkit.errors import DataError, Diagnostic, Location

__all__ = ["PANDAS_HINT", "tables_from_pandas"]

PANDAS_HINT = "pip install 'perfkit[pandas]'"


def _import_pandas() -> Any:
    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise DataError(
            [
                Diagnostic(
                    "data.missing-dependency",
                    f"Dataset.from_pandas needs pandas, which is not installed: {PANDAS_HINT}",
                )
            ]
        ) from None
    return pandas


def tables_from_pandas(frames: Mapping[str, Any], problems: Problems) -> dict[str, RawTable]:
    """Turn DataFrames into raw tables, recording every column that cannot be used.

    Args:
        frames: table name -> ``pandas.DataFrame``.
        problems: where problems are recorded.

    Raises:
        DataError: if pandas is not installed.
    """
    pd = _import_pandas()
    tables: dict[str, RawTable] = {}
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            problems.add(
                "data.bad-record",
                f"expected a pandas DataFrame, got {type(frame).__name__}",
                Location(path=str(name)),
            )
            continue
        header: list[str] = []
        columns: list[tuple[object, ...]] = []
        usable = True
        for position, label in enumerate(frame.columns):
            where = Location(path=f"{name}.{label}")
            if not isinstance(label, str):
                problems.add("data.bad-record", f"column names must be text, got {label!r}", where)
                usable = False
                continue
            if label in header:
                problems.add("data.duplicate-column", f"column {label!r} appears twice", where)
                usable = False
                continue
            values = _column_values(pd, name, label, frame.iloc[:, position], problems)
            usable = usable and values is not None
            header.append(label)
            columns.append(values or ())
        if usable:
            tables[name] = RawTable(name=name, header=tuple(header), columns=tuple(columns))
    return tables


def _column_values(
    pd: Any, name: str, label: str, series: Any, problems: Problems
) -> tuple[object, ...] | None:
    """One column's values as Python objects, None for missing; None if refused."""
    where = Location(path=f"{name}.{label}")
    missing = series.isna()
    if bool(missing.all()):
        return (None,) * len(series)
    kind = series.dtype.kind
    if kind in "fc":
        problems.add(
            "data.float",
            f"column {label!r} of table {name!r} holds floats ({series.dtype}), which are "
            "not exact: read it as text (pd.read_csv(..., dtype=str)) or hold Decimal values",
            where,
        )
        return None
    if kind == "M":
        if getattr(series.dtype, "tz", None) is not None or not bool(
            (series[~missing].dt.normalize() == series[~missing]).all()
        ):
            problems.add(
                "data.type",
                f"column {label!r} of table {name!r} holds date-times; perfkit reads dates: "
                "convert it with .dt.date",
                where,
            )
            return None
        series = series.dt.date
    elif kind == "m":
        problems.add(
            "data.type",
            f"column {label!r} of table {name!r} holds durations ({series.dtype})",
            where,
        )
        return None
    values: list[object] = series.astype(object).where(~missing, None).tolist()
    if any(type(value).__module__ == "numpy" for value in set(map(type, values))):
        values = [_native(value) for value in values]
    return tuple(values)


def _native(value: object) -> object:
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value
