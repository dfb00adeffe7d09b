"""The data layer: Dataset constructors, validation into typed tables, fingerprints."""

from __future__ import annotations

import csv
import datetime
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfkit._dataset import Dataset, TypedData, TypedTable
from perfkit._dataset_convert import BAD, _to_decimal, _to_integer, convert_column
from perfkit._dataset_raw import MAX_DIAGNOSTICS
from perfkit._policy_model import ColumnType, Table
from perfkit.errors import DataError, Diagnostic, InvalidValueError, Location

DEALS = Table(
    columns={
        "id": "string",
        "owner": "string",
        "amount": "decimal",
        "closed_on": "date",
        "stage": "string",
    },
    key="id",
)
DEALS_CSV = (
    "id,owner,amount,closed_on,stage\n"
    "D-1,rep-1,1234.50,2026-04-02,won\n"
    "D-2,rep-2,-3,2026-05-10,lost\n"
    "D-3,rep-1,1e3,,won\n"
)


def write(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``name -> content`` files into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return directory


def problems(excinfo: pytest.ExceptionInfo[DataError]) -> list[tuple[str, str]]:
    """The (code, rendered diagnostic) pairs of a DataError."""
    return [(d.code, d.render()) for d in excinfo.value.diagnostics]


def codes(excinfo: pytest.ExceptionInfo[DataError]) -> list[str]:
    """The reason codes of a DataError, in order."""
    return [d.code for d in excinfo.value.diagnostics]


# --- from_records -------------------------------------------------------------------


def test_from_records_holds_tables_and_rows() -> None:
    """from_records keeps each table's rows, columns in first-seen order, sources as paths."""
    data = Dataset.from_records(
        {
            "targets": [{"rep": "rep-1", "revenue": "100"}],
            "deals": [{"id": "D-1", "amount": Decimal("5")}, {"id": "D-2", "stage": "won"}],
        }
    )
    assert data.table_names() == ("deals", "targets")
    assert "deals" in data
    assert "surveys" not in data
    assert data.columns("deals") == ("id", "amount", "stage")
    assert data.row_count("deals") == 2
    assert len(data.rows("deals")) == 2
    assert data.rows("deals")[1] == {"id": "D-2", "amount": None, "stage": "won"}
    assert data.rows("deals")[-1]["id"] == "D-2"
    assert data.source("deals", 1) == Location(path="deals[1]")
    assert repr(data) == "<Dataset deals (2 rows), targets (1 rows)>"


def test_from_records_accepts_any_iterable_of_mappings() -> None:
    """Rows may come from a generator; an empty table has no rows."""
    data = Dataset.from_records({"deals": ({"id": str(i)} for i in range(3)), "empty": []})
    assert data.row_count("deals") == 3
    assert data.row_count("empty") == 0
    assert data.columns("empty") == ()


def test_from_records_collects_every_bad_row() -> None:
    """Rows that are not mappings, non-text column names and odd values are reported together."""
    tables: Any = {
        "deals": [{"id": "D-1"}, ["D-2"], {1: "x"}, {"id": [1, 2]}],
        "targets": "not rows",
    }
    with pytest.raises(DataError) as excinfo:
        Dataset.from_records(tables)
    assert problems(excinfo) == [
        (
            "data.bad-record",
            "deals[1]: expected a mapping of column name to value, got list [data.bad-record]",
        ),
        ("data.bad-record", "deals[2]: column names must be text, got 1 [data.bad-record]"),
        (
            "data.bad-record",
            "targets: expected an iterable of rows (mappings), got str [data.bad-record]",
        ),
    ]
    with pytest.raises(DataError) as excinfo:
        Dataset.from_records({"deals": [{"id": "D-1"}, {"id": [1, 2]}]})
    assert problems(excinfo) == [
        (
            "data.bad-record",
            (
                "deals[1].id: unsupported value [1, 2] of type list; expected str, int, Decimal, "
                "bool, date or None [data.bad-record]"
            ),
        )
    ]


def test_from_records_refuses_a_non_mapping() -> None:
    """Passing a list of tables instead of a mapping is a usage error."""
    with pytest.raises(InvalidValueError, match="expected a mapping of table name to rows"):
        Dataset.from_records([{"id": 1}])  # type: ignore[arg-type]


def test_dataset_is_immutable() -> None:
    """A dataset cannot be changed after it is made."""
    data = Dataset.from_records({"deals": [{"id": "D-1"}]})
    with pytest.raises(AttributeError, match="immutable"):
        data._tables = {}
    assert Dataset().table_names() == ()
    assert repr(Dataset()) == "<Dataset (no tables)>"


def test_datasets_and_typed_data_pickle() -> None:
    """Datasets and validated data survive pickling (for worker processes)."""
    data = Dataset.from_records({"deals": [{"id": "D-1", "amount": "1.50"}]})
    schema = {"deals": Table(columns={"id": "string", "amount": "decimal"}, key="id")}
    copy = pickle.loads(pickle.dumps(data))
    assert copy.fingerprint() == data.fingerprint()
    typed = pickle.loads(pickle.dumps(copy.validate(schema)))
    assert typed["deals"].row(0) == {"id": "D-1", "amount": Decimal("1.50")}
    assert typed.schema("deals") == schema["deals"]


def test_unknown_table_lookup_suggests_a_name() -> None:
    """Asking for a table the dataset lacks names the tables it has."""
    data = Dataset.from_records({"deals": []})
    with pytest.raises(DataError) as excinfo:
        data.rows("deal")
    assert problems(excinfo) == [
        (
            "data.missing-table",
            "deal: no table 'deal' (did you mean 'deals'?); tables: deals [data.missing-table]",
        )
    ]
    with pytest.raises(DataError, match="has no row 0"):
        data.source("deals", 0)


# --- from_csv_dir -------------------------------------------------------------------


def test_from_csv_dir_reads_text_with_file_and_line(tmp_path: Path) -> None:
    """Cells are kept as text, empty ones as missing; rows know their file and line."""
    folder = write(tmp_path / "data", {"deals.csv": DEALS_CSV, "notes.txt": "ignored"})
    data = Dataset.from_csv_dir(folder)
    assert data.table_names() == ("deals",)
    assert data.columns("deals") == ("id", "owner", "amount", "closed_on", "stage")
    assert data.rows("deals")[2] == {
        "id": "D-3",
        "owner": "rep-1",
        "amount": "1e3",
        "closed_on": None,
        "stage": "won",
    }
    assert data.source("deals", 0) == Location(str(folder / "deals.csv"), 2, None, "deals[0]")
    assert data.source("deals", 2).line == 4


def test_csv_ignores_hidden_files_and_folders(tmp_path: Path) -> None:
    """Only visible *.csv files are tables; a header-only file is an empty table."""
    folder = write(tmp_path, {".backup.csv": "x\n1\n", "targets.CSV": "rep,revenue\n"})
    (folder / "archive.csv").mkdir()
    data = Dataset.from_csv_dir(folder)
    assert data.table_names() == ("targets",)
    assert data.row_count("targets") == 0


def test_csv_bom_and_chinese_text(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is skipped and Chinese text is read as written."""
    content = "\ufeffid,负责人,产品\nD-1,张三,企业版\n"
    folder = write(tmp_path, {"deals.csv": content.encode("utf-8")})
    data = Dataset.from_csv_dir(folder)
    assert data.columns("deals") == ("id", "负责人", "产品")
    assert data.rows("deals")[0] == {"id": "D-1", "负责人": "张三", "产品": "企业版"}
    schema = {"deals": Table(columns={"id": "string", "负责人": "string"})}
    assert data.validate(schema)["deals"].column("负责人") == ("张三",)


def test_csv_header_names_are_trimmed(tmp_path: Path) -> None:
    """Spaces around header names are dropped, so ' amount ' is the column 'amount'."""
    folder = write(tmp_path, {"deals.csv": "id , amount\nD-1, 5 \n"})
    data = Dataset.from_csv_dir(folder)
    assert data.columns("deals") == ("id", "amount")
    assert data.rows("deals")[0] == {"id": "D-1", "amount": " 5 "}


def test_csv_multi_line_cells_and_blank_lines_shift_lines(tmp_path: Path) -> None:
    """A quoted cell spanning lines and blank lines move the lines of the rows after them."""
    content = 'id,note\nD-1,"two\nlines"\n\nD-2,plain\n"D-3",""\n\n'
    folder = write(tmp_path, {"deals.csv": content})
    data = Dataset.from_csv_dir(folder)
    assert data.row_count("deals") == 3
    assert [data.source("deals", i).line for i in range(3)] == [2, 5, 6]
    assert data.rows("deals")[0]["note"] == "two\nlines"
    assert data.rows("deals")[2] == {"id": "D-3", "note": None}


def test_csv_reading_problems_are_collected_across_files(tmp_path: Path) -> None:
    """Ragged rows, repeated header names and empty files in several files: one DataError."""
    folder = write(
        tmp_path / "data",
        {
            "deals.csv": "id,amount\nD-1,5\nD-2,6,7\nD-3\nD-4,8\n",
            "targets.csv": "rep,revenue,rep\nrep-1,5,x\n",
            "surveys.csv": "",
        },
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder)
    deals, targets, surveys = (str(folder / f"{n}.csv") for n in ("deals", "targets", "surveys"))
    assert problems(excinfo) == [
        (
            "data.ragged-row",
            f"{deals}:3: deals[1]: the row has 3 cells but the header has 2 [data.ragged-row]",
        ),
        (
            "data.ragged-row",
            f"{deals}:4: deals[2]: the row has 1 cell but the header has 2 [data.ragged-row]",
        ),
        ("data.csv", f"{surveys}:1: the file is empty [data.csv]"),
        (
            "data.duplicate-column",
            (
                f"{targets}:1:3: targets.rep: column 'rep' appears twice in the header "
                "(fields 1 and 3) [data.duplicate-column]"
            ),
        ),
    ]


def test_csv_ragged_row_after_a_multi_line_cell_has_its_true_line(tmp_path: Path) -> None:
    """The line of a ragged row counts the lines of a quoted cell before it."""
    folder = write(tmp_path, {"deals.csv": 'id,note\nD-1,"a\nb\nc"\nD-2\n'})
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder)
    assert excinfo.value.diagnostics[0].location.line == 5


def test_csv_malformed_quotes_and_encoding(tmp_path: Path) -> None:
    """An unclosed quote and a non-UTF-8 byte are errors with their line."""
    folder = write(
        tmp_path,
        {
            "deals.csv": 'id,note\nD-1,ok\nD-2,"never closed\nD-3,x\n',
            "targets.csv": b"rep,name\nrep-1,ok\nrep-2,caf\xe9\n",
        },
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder)
    (deals_code, deals), (targets_code, targets) = problems(excinfo)
    assert (deals_code, targets_code) == ("data.csv", "data.encoding")
    assert deals.startswith(f"{folder / 'deals.csv'}:4: malformed CSV: unexpected end of data")
    assert targets.startswith(f"{folder / 'targets.csv'}:3: the file is not UTF-8 text")
    assert "'CSV UTF-8'" in targets


def test_csv_path_must_be_a_directory(tmp_path: Path) -> None:
    """A missing directory or a file given as the directory is a data.read error."""
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(tmp_path / "nowhere")
    assert problems(excinfo) == [
        ("data.read", f"{tmp_path / 'nowhere'}: there is no such directory [data.read]")
    ]
    file = write(tmp_path, {"deals.csv": DEALS_CSV}) / "deals.csv"
    with pytest.raises(DataError, match="not a directory") as excinfo:
        Dataset.from_csv_dir(file)
    assert codes(excinfo) == ["data.read"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_csv_unreadable_file(tmp_path: Path) -> None:
    """A file that cannot be opened is reported with its name."""
    folder = write(tmp_path, {"deals.csv": DEALS_CSV})
    (folder / "deals.csv").chmod(0)
    with pytest.raises(DataError, match="cannot read the file") as excinfo:
        Dataset.from_csv_dir(folder)
    assert codes(excinfo) == ["data.read"]


def test_csv_two_files_for_one_table(tmp_path: Path) -> None:
    """deals.csv and deals.CSV would both be the table 'deals': refused."""
    folder = write(tmp_path, {"deals.csv": DEALS_CSV, "deals.CSV": DEALS_CSV})
    if len(list(folder.iterdir())) < 2:
        pytest.skip("case-insensitive file system")
    with pytest.raises(DataError, match="two files for table 'deals'") as excinfo:
        Dataset.from_csv_dir(folder)
    assert codes(excinfo) == ["data.duplicate-table"]


# --- validate: conversions ------------------------------------------------------------


def validate_column(kind: ColumnType, values: list[object]) -> tuple[object, ...]:
    """Validate one column of records and return its converted values."""
    data = Dataset.from_records({"t": [{"v": v} for v in values]})
    return data.validate({"t": Table(columns={"v": kind})})["t"].column("v")


def test_decimal_text_is_read_exactly() -> None:
    """Decimal text keeps its exact value and scale; a percent sign divides by 100."""
    got = validate_column("decimal", ["1234.50", "-3", "1e3", " 7 ", ".5", "60%", "", None])
    assert got == (
        Decimal("1234.50"),
        Decimal("-3"),
        Decimal("1E+3"),
        Decimal("7"),
        Decimal("0.5"),
        Decimal("0.60"),
        None,
        None,
    )
    assert [str(v) for v in got[:6]] == ["1234.50", "-3", "1E+3", "7", "0.5", "0.60"]


def test_decimal_from_python_values() -> None:
    """Decimals and ints are taken as they are; a whitespace-only cell is missing."""
    assert validate_column("decimal", [Decimal("1.10"), 3, "  "]) == (Decimal("1.10"), 3, None)


def test_other_types_convert() -> None:
    """Integers, dates, booleans and strings convert from text and from Python values."""
    assert validate_column("integer", ["42", "-7", " 3 ", 5, Decimal("6"), ""]) == (
        42,
        -7,
        3,
        5,
        6,
        None,
    )
    dates = validate_column("date", ["2026-02-28", datetime.date(2026, 3, 1), None])
    assert dates == (pendulum.Date(2026, 2, 28), pendulum.Date(2026, 3, 1), None)
    assert all(type(d) is pendulum.Date for d in dates[:2])
    assert validate_column("bool", ["true", "FALSE", "True", "1", "0", True, 0, ""]) == (
        True,
        False,
        True,
        True,
        False,
        True,
        False,
        None,
    )
    assert validate_column("string", ["a b ", "", None, 17, "  "]) == (
        "a b ",
        None,
        None,
        "17",
        "  ",
    )


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (
            "decimal",
            "1,234.50",
            (
                "'1,234.50' is not a decimal number: write it without thousands separators, "
                "e.g. '1234.50'"
            ),
        ),
        (
            "decimal",
            "12,5",
            "'12,5' is not a decimal number: write the decimal point as '.', e.g. '12.5'",
        ),
        ("decimal", "NaN", "'NaN' is not a decimal number: only finite numbers are accepted"),
        (
            "decimal",
            "1_000",
            (
                "'1_000' is not a decimal number (expected digits such as "
                "'1234.50', '-3', '1e3' or '5%')"
            ),
        ),
        ("decimal", "١٢", "'١٢' is not a decimal number"),
        ("decimal", True, "expected a decimal number, got the boolean True"),
        ("decimal", Decimal("Infinity"), "Decimal('Infinity') is not a finite number"),
        ("integer", "1.5", "'1.5' is not an integer (a whole number such as '42')"),
        ("integer", Decimal("1.5"), "expected an integer, got Decimal Decimal('1.5')"),
        ("date", "2026-02-30", "'2026-02-30' is not a date (YYYY-MM-DD): day is out of range"),
        ("date", "2026/01/05", "'2026/01/05' is not a date (YYYY-MM-DD)"),
        ("date", "20260105", "'20260105' is not a date (YYYY-MM-DD)"),
        (
            "date",
            datetime.datetime(2026, 1, 5, 9, 30),
            "expected a date, got the date-time 2026-01-05T09:30:00; pass its .date()",
        ),
        ("bool", "maybe", "'maybe' is not a boolean (true/false or 1/0)"),
        ("bool", "yes", "'yes' is not a boolean (true/false or 1/0)"),
        ("bool", 2, "expected a boolean (true/false or 1/0), got int 2"),
        ("string", datetime.date(2026, 1, 5), "expected text, got the date 2026-01-05"),
    ],
)
def test_unconvertible_values_are_data_type_errors(
    kind: ColumnType, value: object, message: str
) -> None:
    """Each refused value is a data.type diagnostic saying what the value is and why."""
    data = Dataset.from_records({"t": [{"v": None}, {"v": value}]})
    with pytest.raises(DataError) as excinfo:
        data.validate({"t": Table(columns={"v": kind})})
    (diagnostic,) = excinfo.value.diagnostics
    assert diagnostic.code == "data.type"
    assert diagnostic.location == Location(path="t[1].v")
    assert diagnostic.message.startswith(message)


@pytest.mark.parametrize("kind", ["string", "decimal", "integer", "date", "bool"])
def test_floats_are_refused_with_their_row(kind: ColumnType) -> None:
    """A float in any declared column is a data.float diagnostic naming the row."""
    data = Dataset.from_records({"deals": [{"x": None}, {"x": 19.99}, {"x": float("nan")}]})
    with pytest.raises(DataError) as excinfo:
        data.validate({"deals": Table(columns={"x": kind})})
    assert problems(excinfo) == [
        (
            "data.float",
            (
                "deals[1].x: got the float 19.99; floats are not exact: pass Decimal('19.99') or "
                "the text '19.99' if that is the exact value meant [data.float]"
            ),
        ),
        (
            "data.float",
            (
                "deals[2].x: got the float nan; floats are not exact: use None (or an empty cell) "
                "for a missing value [data.float]"
            ),
        ),
    ]


def test_undeclared_columns_are_not_checked() -> None:
    """Only declared columns are converted; a float elsewhere does not matter."""
    data = Dataset.from_records({"deals": [{"id": "D-1", "score": 0.5}]})
    typed = data.validate({"deals": Table(columns={"id": "string"})})
    assert typed["deals"].columns == {"id": ("D-1",)}


# --- validate: tables, columns, keys --------------------------------------------------


def test_csv_type_errors_point_at_file_line_and_field(tmp_path: Path) -> None:
    """A CSV value error names the file, line, field position, row path, value and reason."""
    folder = write(
        tmp_path,
        {"deals.csv": 'id,owner,amount,closed_on,stage\nD-1,r,"1,234.50",2026-02-30,won\n'},
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder).validate({"deals": DEALS})
    file = folder / "deals.csv"
    assert problems(excinfo) == [
        (
            "data.type",
            (
                f"{file}:2:3: deals[0].amount: '1,234.50' is not a decimal number: write it "
                "without thousands separators, e.g. '1234.50' [data.type]"
            ),
        ),
        (
            "data.type",
            (
                f"{file}:2:4: deals[0].closed_on: '2026-02-30' is not a date (YYYY-MM-DD): "
                "day is out of range for month [data.type]"
            ),
        ),
    ]


def test_missing_tables_and_columns_suggest_names(tmp_path: Path) -> None:
    """Missing tables list what exists with a did-you-mean; missing columns point at the header."""
    folder = write(
        tmp_path, {"deal.csv": "id,owner,amonut,closed_on,stage\n", "targets.csv": "rep\n"}
    )
    schema = {"deals": DEALS, "deal": DEALS}
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder).validate(schema)
    assert problems(excinfo) == [
        (
            "data.missing-table",
            (
                f"deals: table 'deals' is missing: there is no deals.csv in {folder} "
                "(did you mean 'deal'?); tables: deal, targets [data.missing-table]"
            ),
        ),
        (
            "data.missing-column",
            (
                f"{folder / 'deal.csv'}:1: deal.amount: table 'deal' has no column 'amount' "
                "(did you mean 'amonut'?); its columns: id, owner, amonut, closed_on, stage "
                "[data.missing-column]"
            ),
        ),
    ]


def test_semicolon_separated_files_get_a_hint(tmp_path: Path) -> None:
    """A header that reads as one column because of ';' separators says so."""
    folder = write(tmp_path, {"targets.csv": "rep;revenue\nrep-1;5\n"})
    with pytest.raises(DataError, match=r"separate cells with semicolons; perfkit reads commas"):
        Dataset.from_csv_dir(folder).validate({"targets": Table(columns={"rep": "string"})})


def test_ragged_rows_are_capped_but_counted(tmp_path: Path) -> None:
    """A file whose every row is ragged lists the first MAX_DIAGNOSTICS and counts the rest."""
    rows = MAX_DIAGNOSTICS + 20
    folder = write(tmp_path, {"deals.csv": "id,amount\n" + "D-1\n" * rows})
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder)
    diagnostics = excinfo.value.diagnostics
    assert len(diagnostics) == MAX_DIAGNOSTICS + 1
    assert diagnostics[-2].location.line == MAX_DIAGNOSTICS + 1
    assert diagnostics[-1].message.startswith(f"20 more problems not listed ({rows:,} in total)")


def test_required_limits_which_tables_must_exist() -> None:
    """With required, absent optional tables are skipped but present ones are still checked."""
    data = Dataset.from_records({"deals": [{"id": "D-1"}], "surveys": [{"score": "x"}]})
    schema = {
        "deals": Table(columns={"id": "string"}),
        "surveys": Table(columns={"score": "decimal"}),
        "tasks": Table(columns={"id": "string"}),
    }
    with pytest.raises(DataError) as excinfo:
        data.validate(schema, required=["deals"])
    assert codes(excinfo) == ["data.type"]
    typed = data.validate({"deals": schema["deals"], "tasks": schema["tasks"]}, required={"deals"})
    assert list(typed) == ["deals"]
    with pytest.raises(DataError) as excinfo:
        data.validate(schema, required=["deals", "tasks"])
    assert codes(excinfo) == ["data.type", "data.missing-table"]
    with pytest.raises(InvalidValueError, match="not declared in the schema"):
        data.validate(schema, required=["targets"])
    with pytest.raises(InvalidValueError, match="expected table names"):
        data.validate(schema, required="deals")


def test_duplicate_and_missing_keys_name_both_rows(tmp_path: Path) -> None:
    """A repeated key names the earlier row and its line; a missing key is its own code."""
    folder = write(
        tmp_path,
        {"deals.csv": DEALS_CSV + "D-2,rep-3,5,2026-05-11,won\n,rep-4,6,2026-05-12,won\n"},
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder).validate({"deals": DEALS})
    file = folder / "deals.csv"
    assert problems(excinfo) == [
        (
            "data.duplicate-key",
            (
                f"{file}:5:1: deals[3].id: duplicate key id='D-2': deals[1] (line 3) has it too "
                "[data.duplicate-key]"
            ),
        ),
        (
            "data.missing-key",
            (
                f"{file}:6:1: deals[4].id: the key 'id' is missing; every row of 'deals' needs one "
                "[data.missing-key]"
            ),
        ),
    ]


def test_keys_compare_by_converted_value() -> None:
    """Decimal keys 1.0 and 1.00 are the same key."""
    data = Dataset.from_records({"t": [{"k": "1.0"}, {"k": "1.00"}, {"k": "oops"}]})
    with pytest.raises(DataError) as excinfo:
        data.validate({"t": Table(columns={"k": "decimal"}, key="k")})
    assert codes(excinfo) == ["data.duplicate-key", "data.type"]


def test_all_problems_at_once_in_row_order(tmp_path: Path) -> None:
    """Every problem of every table is in one error, by table, then row, then column."""
    folder = write(
        tmp_path,
        {
            "deals.csv": (
                "id,owner,amount,closed_on,stage\n"
                "D-1,r,x,2026-01-01,won\n"
                "D-1,r,1,bad,won\n"
                "D-3,r,y,also bad,won\n"
            ),
            "targets.csv": "rep,revenue\nrep-1,12,5\n",
        },
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder)
    assert codes(excinfo) == ["data.ragged-row"]
    (folder / "targets.csv").write_text("rep,revenue\nrep-1,12;5\n", encoding="utf-8")
    schema = {"deals": DEALS, "targets": Table(columns={"rep": "string", "revenue": "decimal"})}
    with pytest.raises(DataError) as excinfo:
        Dataset.from_csv_dir(folder).validate(schema)
    paths = [d.location.path for d in excinfo.value.diagnostics]
    assert paths == [
        "deals[0].amount",
        "deals[1].id",
        "deals[1].closed_on",
        "deals[2].amount",
        "deals[2].closed_on",
        "targets[0].revenue",
    ]
    assert str(excinfo.value).startswith("the data has problems (6 errors):\n")


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    """Past MAX_DIAGNOSTICS, one final diagnostic counts the problems not listed."""
    bad = MAX_DIAGNOSTICS + 500
    data = Dataset.from_records(
        {"a": [{"n": "x"}] * bad, "b": [{"n": "1.5"}] * 10, "c": [{"n": "1"}]}
    )
    schema = {name: Table(columns={"n": "integer"}) for name in ("a", "b", "c")}
    with pytest.raises(DataError) as excinfo:
        data.validate(schema)
    diagnostics = excinfo.value.diagnostics
    assert len(diagnostics) == MAX_DIAGNOSTICS + 1
    assert diagnostics[-1] == Diagnostic(
        "data.too-many-problems",
        f"{510:,} more problems not listed ({bad + 10:,} in total); "
        "fix the ones above and check again",
    )


# --- typed data -----------------------------------------------------------------------


def test_typed_tables_hold_declared_columns_refs_and_sources(tmp_path: Path) -> None:
    """A typed table has only declared columns, key-based refs and CSV sources."""
    folder = write(
        tmp_path,
        {
            "deals.csv": DEALS_CSV.replace("stage", "stage,extra", 1)
            .replace("won\n", "won,\n")
            .replace("lost\n", "lost,\n")
        },
    )
    schema = {
        "deals": Table(columns={"amount": "decimal", "id": "string"}, key="id"),
        "events": Table(columns={"id": "string"}),
    }
    data = Dataset.from_csv_dir(folder).validate(schema, required=["deals"])
    assert isinstance(data, TypedData)
    deals = data.table("deals")
    assert isinstance(deals, TypedTable)
    assert data["deals"] is deals
    assert (deals.name, deals.key, len(deals), len(data)) == ("deals", "id", 3, 1)
    assert tuple(deals.columns) == ("amount", "id")
    assert deals.types == {"amount": "decimal", "id": "string"}
    assert deals.schema is schema["deals"]
    assert data.schema("deals") is schema["deals"]
    assert deals.column("amount") == (Decimal("1234.50"), Decimal("-3"), Decimal("1E+3"))
    assert deals.row(1) == {"amount": Decimal("-3"), "id": "D-2"}
    assert deals.row_ref(1) == "D-2"
    assert deals.source(2) == Location(str(folder / "deals.csv"), 4, None, "deals[2]")
    with pytest.raises(InvalidValueError, match=r"no declared column 'amont' \(did you mean"):
        deals.column("amont")
    with pytest.raises(IndexError):
        deals.row_ref(3)
    with pytest.raises(DataError, match="no validated table 'events'"):
        data.table("events")
    assert repr(deals) == "<TypedTable deals: 3 rows, columns amount, id>"


def test_row_refs_without_a_key_use_the_row_index() -> None:
    """Without a key a row is referenced as table#index; dates and bools as canonical text."""
    data = Dataset.from_records(
        {"visits": [{"on": "2026-01-02"}, {"on": "2026-01-03"}], "flags": [{"f": "TRUE"}]}
    )
    typed = data.validate(
        {
            "visits": Table(columns={"on": "date"}),
            "flags": Table(columns={"f": "bool"}, key="f"),
        }
    )
    assert [typed["visits"].row_ref(i) for i in range(2)] == ["visits#0", "visits#1"]
    assert typed["flags"].row_ref(0) == "true"
    assert typed["visits"].source(1) == Location(path="visits[1]")


# --- fingerprints ---------------------------------------------------------------------


def test_fingerprint_is_pinned_and_ignores_table_order() -> None:
    """The fingerprint is a fixed function of content, whatever order tables come in."""
    deals: list[dict[str, object]] = [
        {"id": "D-1", "amount": Decimal("1.50")},
        {"id": "D-2", "amount": None},
    ]
    targets: list[dict[str, object]] = [
        {"rep": "rep-1", "on": datetime.date(2026, 1, 1), "ok": True}
    ]
    one = Dataset.from_records({"deals": deals, "targets": targets})
    two = Dataset.from_records({"targets": targets, "deals": deals})
    assert one.fingerprint() == two.fingerprint()
    assert one.fingerprint() == "13fcf5d1a64b96681ca1c6edab7d91fcce34c647abf5fa4c0c6b4a270ec0f5b5"


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    """Same text from CSV or records fingerprints alike; any changed cell changes it."""
    folder = write(tmp_path, {"deals.csv": "id,amount\nD-1,1.50\nD-2,\n"})
    from_csv = Dataset.from_csv_dir(folder)
    same = Dataset.from_records(
        {"deals": [{"id": "D-1", "amount": Decimal("1.50")}, {"id": "D-2", "amount": None}]}
    )
    assert from_csv.fingerprint() == same.fingerprint()
    changed = Dataset.from_records(
        {"deals": [{"id": "D-1", "amount": Decimal("1.5")}, {"id": "D-2", "amount": None}]}
    )
    renamed = Dataset.from_records({"deal": [{"id": "D-1", "amount": "1.50"}, {"id": "D-2"}]})
    reordered = Dataset.from_records(
        {"deals": [{"amount": "1.50", "id": "D-1"}, {"amount": None, "id": "D-2"}]}
    )
    prints = {d.fingerprint() for d in (from_csv, changed, renamed, reordered)}
    assert len(prints) == 4


def test_fingerprint_framing_keeps_values_apart() -> None:
    """Values holding the separator, and shifted boundaries, give different fingerprints."""
    variants: list[list[dict[str, object]]] = [
        [{"a": "x\x00"}, {"a": "y"}],
        [{"a": "x"}, {"a": "\x00y"}],
        [{"a": "x\\0"}, {"a": "y"}],
        [{"a": "x"}, {"a": "y"}],
        [{"a": "x"}, {"a": "y"}, {"a": None}],
    ]
    prints = {Dataset.from_records({"t": rows}).fingerprint() for rows in variants}
    assert len(prints) == len(variants)


def test_fingerprint_of_a_subset() -> None:
    """fingerprint(tables=...) covers only the named tables."""
    full = Dataset.from_records({"deals": [{"id": "1"}], "targets": [{"rep": "r"}]})
    only = Dataset.from_records({"deals": [{"id": "1"}]})
    assert full.fingerprint(["deals"]) == only.fingerprint()
    assert full.fingerprint() != only.fingerprint()
    with pytest.raises(DataError, match="no table 'surveys'"):
        full.fingerprint(["surveys"])


# --- properties -----------------------------------------------------------------------

KINDS: tuple[ColumnType, ...] = ("string", "decimal", "integer", "date", "bool")
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False),
    "integer": st.integers(),
    "date": st.dates(),
    "bool": st.booleans(),
}


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@st.composite
def typed_tables(draw: st.DrawFn) -> tuple[dict[str, ColumnType], list[dict[str, object]]]:
    """A random schema of 1-5 columns and rows of matching values (some missing)."""
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=5))
    columns = {f"c{i}": kind for i, kind in enumerate(kinds)}
    row = st.fixed_dictionaries({name: st.none() | _VALUES[kind] for name, kind in columns.items()})
    return columns, draw(st.lists(row, max_size=20))


@given(typed_tables())
def test_csv_round_trip_is_exact(
    table: tuple[dict[str, ColumnType], list[dict[str, object]]],
) -> None:
    """Typed values written as CSV text and read back validate to exactly the same values."""
    columns, rows = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_as_text(row[name]) for name in columns])
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "t.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
        typed = Dataset.from_csv_dir(folder).validate({"t": Table(columns=columns)})["t"]
    assert len(typed) == len(rows)
    for name in columns:
        got = typed.column(name)
        for value, back in zip((r[name] for r in rows), got, strict=True):
            assert back == value
            assert type(back) is type(value) or (value is None or isinstance(back, pendulum.Date))
            if isinstance(value, Decimal):
                assert isinstance(back, Decimal)
                assert back.as_tuple() == value.as_tuple()


@given(st.lists(st.text("0123456789.+-eE%, \t_nNaI", max_size=8), max_size=30))
def test_bulk_conversion_agrees_with_value_by_value(values: list[str]) -> None:
    """The fast whole-column paths give the same values and refusals as one-by-one conversion."""
    for kind, convert in (("decimal", _to_decimal), ("integer", _to_integer)):
        result = convert_column(tuple(values), kind, text_only=True, limit=1000)  # type: ignore[arg-type]
        expected: list[object] = []
        for value in values:
            try:
                expected.append(convert(value))
            except Exception:  # noqa: BLE001 -- any refusal is the BAD placeholder
                expected.append(BAD)
        assert list(result.values) == expected
        assert [str(v) for v in result.values] == [str(v) for v in expected]
        assert result.count == expected.count(BAD)


# --- pandas ---------------------------------------------------------------------------


def test_from_pandas_without_pandas_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, from_pandas raises a DataError that says how to install it."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(DataError, match=r"pip install 'perfkit\[pandas\]'") as excinfo:
        Dataset.from_pandas({})
    assert codes(excinfo) == ["data.missing-dependency"]


def test_from_pandas_converts_columns() -> None:
    """DataFrame columns become Python values with pandas' missing markers as None."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "id": ["D-1", "D-2", None],
            "amount": [Decimal("1.50"), None, Decimal("2")],
            "units": pd.array([1, None, 3], dtype="Int64"),
            "won": [True, False, True],
            "closed_on": pd.to_datetime(["2026-04-01", None, "2026-04-03"]),
            "empty": [float("nan")] * 3,
        }
    )
    data = Dataset.from_pandas({"deals": frame})
    assert data.rows("deals")[1] == {
        "id": "D-2",
        "amount": None,
        "units": None,
        "won": False,
        "closed_on": None,
        "empty": None,
    }
    schema = Table(
        columns={
            "id": "string",
            "amount": "decimal",
            "units": "integer",
            "won": "bool",
            "closed_on": "date",
            "empty": "decimal",
        }
    )
    typed = data.validate({"deals": schema})["deals"]
    assert typed.row(0) == {
        "id": "D-1",
        "amount": Decimal("1.50"),
        "units": 1,
        "won": True,
        "closed_on": pendulum.Date(2026, 4, 1),
        "empty": None,
    }


def test_from_pandas_refuses_floats_and_date_times() -> None:
    """A float column and a date-time column with times are refused, naming table and column."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "amount": [1.5, 2.0],
            "at": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 00:00"]),
            "ok": ["a", "b"],
        }
    )
    with pytest.raises(DataError) as excinfo:
        Dataset.from_pandas({"deals": frame, "targets": [1]})
    assert codes(excinfo) == ["data.float", "data.type", "data.bad-record"]
    message = excinfo.value.diagnostics[0].render()
    assert message.startswith("deals.amount: column 'amount' of table 'deals' holds floats")
    assert "dtype=str" in message
