"""Tests for the YAML layer of the policy DSL (perfkit._yaml)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit._yaml
from perfkit._yaml import (
    LoadedYaml,
    SourceMap,
    YamlValue,
    _use_c_parser,
    load_yaml,
    load_yaml_file,
    render_path,
)
from perfkit._yaml_events import c_parser_enabled, c_parser_installed
from perfkit.errors import Diagnostic, PolicyError

DOCS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "dsl" / "yaml.md"


@pytest.fixture(autouse=True, scope="module", params=["c", "pure"])
def parser(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run every test here with ruamel's C parser (ruamel.yaml.clib) and with the pure one.

    The C parser is used where it reads a document as the pure parser does, and
    anything else is read again by the pure parser, so every result, location
    and diagnostic must be the same with either.
    """
    if request.param == "c" and not c_parser_installed():
        pytest.skip("ruamel.yaml.clib is not installed")
    before = _use_c_parser(enabled=request.param == "c")
    yield str(request.param)
    _use_c_parser(enabled=before)


def diagnostics(text: str, **kwargs: object) -> list[Diagnostic]:
    """Load ``text`` expecting a PolicyError and return its diagnostics."""
    with pytest.raises(PolicyError) as info:
        load_yaml(text, **kwargs)  # type: ignore[arg-type]
    return list(info.value.diagnostics)


def only(text: str, **kwargs: object) -> Diagnostic:
    """Load ``text`` expecting exactly one diagnostic and return it."""
    found = diagnostics(text, **kwargs)
    assert len(found) == 1, found
    return found[0]


def where(diagnostic: Diagnostic) -> tuple[str, int | None, int | None]:
    """The code, line and column of a diagnostic."""
    return diagnostic.code, diagnostic.location.line, diagnostic.location.column


def value_of(scalar: str) -> YamlValue:
    """The value a scalar written after ``v: `` loads as."""
    data = load_yaml(f"v: {scalar}\n").data
    assert isinstance(data, dict)
    return data["v"]


def same(a: YamlValue, b: YamlValue) -> bool:
    """Equal values of equal types; Decimals equal digit for digit (same exponent)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal):
        assert isinstance(b, Decimal)
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# Scalars --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("-7", -7),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("0.1", Decimal("0.1")),
        ("19.99", Decimal("19.99")),
        ("-0.50", Decimal("-0.50")),
        (".5", Decimal(".5")),
        ("-.5", Decimal("-.5")),
        ("1.", Decimal("1")),
        ("1e3", Decimal("1e3")),
        ("2.5E-2", Decimal("0.025")),
        ("5%", Decimal("0.05")),
        ("12.5%", Decimal("0.125")),
        ("-3%", Decimal("-0.03")),
        ("100%", Decimal("1.00")),
        ("0.5%", Decimal("0.005")),
    ],
)
def test_plain_scalar_values(scalar: str, expected: YamlValue) -> None:
    """Plain scalars become None, bool, int or an exact Decimal by perfkit's narrow rules."""
    assert same(value_of(scalar), expected)


YAML_1_1_BOOLEANS = ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On"]
LEADING_ZEROS = ["012", "-07", "00", "012.5", "05%"]  # 12 to some readers, octal 10 to others
OTHER_BASES = ["0o17", "0x1F", "0x10", "0b101"]
UNDERSCORES = ["1_000", "1_000.5"]  # 1000 in YAML 1.1, text in YAML 1.2
LEADING_PLUS = ["+5", "+1.5"]
SEXAGESIMALS_AND_DATES = ["1:30", "12:00:00", "2026-04-01", "2026-04"]
NOT_NUMBERS = ["inf", "nan", "Infinity", "5 %", "1,000", "1.2.3", "e3", "-x", "TRUE_"]


@pytest.mark.parametrize(
    "scalar",
    [
        *YAML_1_1_BOOLEANS,
        *LEADING_ZEROS,
        *OTHER_BASES,
        *UNDERSCORES,
        *LEADING_PLUS,
        *SEXAGESIMALS_AND_DATES,
        *NOT_NUMBERS,
    ],
)
def test_ambiguous_plain_scalars_stay_strings(scalar: str) -> None:
    """Forms that YAML versions or libraries read differently load as their own text."""
    assert value_of(scalar) == scalar


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("'12'", "12"),
        ('"true"', "true"),
        ("'null'", "null"),
        ('"5%"', "5%"),
        ("'.inf'", ".inf"),
        ('"0.1"', "0.1"),
        ("|\n  12\n", "12\n"),
        (">-\n  3.5\n", "3.5"),
    ],
)
def test_quoted_and_block_scalars_are_strings(scalar: str, expected: str) -> None:
    """Only plain scalars are converted; quoted and block scalars are always strings."""
    assert value_of(scalar) == expected


def test_decimals_are_read_from_text_exactly() -> None:
    """0.1, 1e3 and -0.50 keep the digits and exponent written, never passing through float."""
    data = load_yaml("a: 0.1\nb: 1e3\nc: -0.50\nd: 0.30000000000000000000000000000001\n").data
    assert data == {
        "a": Decimal("0.1"),
        "b": Decimal("1000"),
        "c": Decimal("-0.5"),
        "d": Decimal("0.30000000000000000000000000000001"),
    }
    assert isinstance(data, dict)
    assert [str(v) for v in data.values()] == [
        "0.1",
        "1E+3",
        "-0.50",
        "0.30000000000000000000000000000001",
    ]


def test_yaml_1_1_directive_does_not_change_meaning() -> None:
    """A %YAML 1.1 (or 1.3) directive still gets perfkit's YAML 1.2 reading."""
    text = "%YAML 1.1\n---\na: yes\nb: 010\nc: 0o17\nd: 1:30\ne: 1_000\nf: on\n"
    assert load_yaml(text).data == {
        "a": "yes",
        "b": "010",
        "c": "0o17",
        "d": "1:30",
        "e": "1_000",
        "f": "on",
    }
    assert load_yaml("%YAML 1.3\n---\na: 1\n").data == {"a": 1}


@pytest.mark.parametrize(
    "scalar", [".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"]
)
def test_non_finite_numbers_are_refused(scalar: str) -> None:
    """.inf, .nan and their variants are a yaml.non-finite error at the value."""
    diagnostic = only(f"plan:\n  rate: {scalar}\n", filename="p.yaml")
    assert where(diagnostic) == ("yaml.non-finite", 2, 9)
    assert diagnostic.location.path == "plan.rate"
    assert scalar in diagnostic.message


def test_numbers_out_of_range_are_refused() -> None:
    """A number too large to hold is refused rather than loaded as something else."""
    assert where(only("a: 1e99999999999999999999999\n")) == ("yaml.non-finite", 1, 4)
    assert where(only("a: " + "9" * 5000 + "\n")) == ("yaml.non-finite", 1, 4)


# Keys -------------------------------------------------------------------------------


def test_keys_are_their_source_text() -> None:
    """Plain keys are never converted: 1, true, null, 0.5 and 2026-04 stay strings."""
    data = load_yaml("1: a\ntrue: b\nnull: c\n0.5: d\n2026-04: e\n'q': f\n~: g\n").data
    assert data == {
        "1": "a",
        "true": "b",
        "null": "c",
        "0.5": "d",
        "2026-04": "e",
        "q": "f",
        "~": "g",
    }


def test_duplicate_keys_name_the_key_and_both_lines() -> None:
    """A repeated key is yaml.duplicate-key at the repeat, naming the first and second line."""
    diagnostic = only("name: x\nrate: 5%\nother: 1\nrate: 50%\n", filename="p.yaml")
    assert where(diagnostic) == ("yaml.duplicate-key", 4, 1)
    assert "'rate'" in diagnostic.message
    assert "line 2" in diagnostic.message
    assert "line 4" in diagnostic.message
    assert diagnostic.render().startswith("p.yaml:4:1: rate: ")


def test_duplicate_keys_are_found_at_any_depth() -> None:
    """Duplicates deep inside lists of mappings are found, with their field path."""
    text = "incentives:\n  - tiers:\n      - rate: 1%\n        upto: 5\n        rate: 2%\n"
    diagnostic = only(text)
    assert where(diagnostic) == ("yaml.duplicate-key", 5, 9)
    assert diagnostic.location.path == "incentives[0].tiers[0].rate"


def test_keys_equal_as_text_are_duplicates() -> None:
    """1 and '1' are the same key, because keys are their text."""
    assert where(only("1: a\n'1': b\n")) == ("yaml.duplicate-key", 2, 1)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("? {a: 1}\n: x\n", 1, 3), ("? [1, 2]\n: x\n", 1, 3), ("a:\n  [1]: x\n", 2, 3)],
)
def test_non_scalar_keys_are_refused(text: str, line: int, column: int) -> None:
    """A mapping or list used as a key is yaml.key-type."""
    assert where(only(text)) == ("yaml.key-type", line, column)


def test_merge_keys_are_refused() -> None:
    """The merge key << is yaml.merge-key, with the alternative in the message."""
    text = "base: &base {rate: 5%}\nplan:\n  <<: *base\n  cap: 100\n"
    diagnostic = only(text)
    assert where(diagnostic) == ("yaml.merge-key", 3, 3)
    assert "alias" in diagnostic.message


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    """Only the plain << is a merge key; '<<' quoted is just text."""
    assert load_yaml("'<<': 1\n").data == {"<<": 1}


# Tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tagged", "shown"),
    [
        ("!!python/object:os.system x", "!!python/object:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!custom 5", "!custom"),
        ("!!binary aGk=", "!!binary"),
        ("!!set {a: null}", "!!set"),
        ("!!omap [a: 1]", "!!omap"),
        ("!!str 5", "!!str"),
        ("!!int 5", "!!int"),
        ("!!float 0.1", "!!float"),
        ("! 5", "!"),
        ("!<tag:yaml.org,2002:str> 5", "!<tag:yaml.org,2002:str>"),
    ],
)
def test_every_explicit_tag_is_refused(tagged: str, shown: str) -> None:
    """Any explicit tag is yaml.tag at its node, naming the tag as written."""
    diagnostic = only(f"a: 1\nb: {tagged}\n")
    assert where(diagnostic) == ("yaml.tag", 2, 4)
    assert repr(shown) in diagnostic.message


def test_tags_on_keys_and_collections_are_refused() -> None:
    """Tags are refused on keys, lists and mappings too, each at its position."""
    found = diagnostics("? !!str k\n: 1\nl: !!seq [1]\nm: !!map {a: 1}\n")
    assert [where(d) for d in found] == [("yaml.tag", 1, 3), ("yaml.tag", 3, 4), ("yaml.tag", 4, 4)]


def test_undefined_tag_handle_is_a_tag_error() -> None:
    """A tag with an undeclared handle is reported as a tag problem, not a crash."""
    assert where(only("a: !foo!bar 1\n")) == ("yaml.tag", 1, 4)


# Collecting -------------------------------------------------------------------------


def test_all_diagnostics_of_one_load_are_collected_in_line_order() -> None:
    """Three duplicate keys and a tag give one PolicyError with four sorted diagnostics."""
    text = "a: 1\nb: !!python/object:x y\na: 2\nc:\n  d: 1\n  d: 2\nc: 3\n"
    found = diagnostics(text, filename="plan.yaml")
    assert [where(d) for d in found] == [
        ("yaml.tag", 2, 4),
        ("yaml.duplicate-key", 3, 1),
        ("yaml.duplicate-key", 6, 3),
        ("yaml.duplicate-key", 7, 1),
    ]
    assert all(d.location.file == "plan.yaml" for d in found)


# Anchors, aliases and budgets ---------------------------------------------------------


def test_aliases_share_a_table_as_independent_copies() -> None:
    """An aliased tier table loads as equal, separate lists at each use."""
    text = (
        "tiers: &std\n"
        "  - {upto: 50%, rate: 2%}\n"
        "  - {rate: 5%}\n"
        "east: {tiers: *std}\n"
        "west: {tiers: *std}\n"
    )
    data = load_yaml(text).data
    assert isinstance(data, dict)
    east, west = data["east"], data["west"]
    assert isinstance(east, dict)
    assert isinstance(west, dict)
    assert east["tiers"] == west["tiers"] == data["tiers"]
    assert east["tiers"] is not west["tiers"]
    assert data["tiers"] == [
        {"upto": Decimal("0.5"), "rate": Decimal("0.02")},
        {"rate": Decimal("0.05")},
    ]


def billion_laughs() -> str:
    """The classic 9 levels of 9 aliases: 432 bytes that expand to 10**9 values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast_at_the_alias() -> None:
    """A billion-laughs document is yaml.too-large at the alias that crosses the budget, fast."""
    text = billion_laughs()
    started = time.perf_counter()
    with pytest.raises(PolicyError) as info:
        load_yaml(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5  # measured at about 4 ms; the target is under 100 ms
    (diagnostic,) = info.value.diagnostics
    assert where(diagnostic) == ("yaml.too-large", 6, 8)  # the first *e in f's list
    assert diagnostic.location.path == "f[0]"


def test_node_budget_counts_alias_expansions() -> None:
    """max_nodes counts every expanded value: a document exactly at the budget loads."""
    text = "a: &x [1, 2]\nb: *x\n"  # root, 2 keys, 2 lists of 2 items: 9 values
    assert load_yaml(text, max_nodes=9).data == {"a": [1, 2], "b": [1, 2]}
    assert where(only(text, max_nodes=8)) == ("yaml.too-large", 2, 4)


def test_budget_applies_without_aliases() -> None:
    """A plain document with more values than max_nodes is yaml.too-large too."""
    assert only("[1, 2, 3, 4]", max_nodes=3).code == "yaml.too-large"


def test_recursive_alias_is_refused() -> None:
    """An alias inside its own anchored node is yaml.recursive-alias at the alias."""
    diagnostic = only("a: &loop\n  - 1\n  - *loop\n")
    assert where(diagnostic) == ("yaml.recursive-alias", 3, 5)
    assert diagnostic.location.path == "a[1]"


def test_undefined_alias_is_refused() -> None:
    """An alias with no anchor before it is yaml.undefined-alias at the alias."""
    assert where(only("a: *nowhere\n")) == ("yaml.undefined-alias", 1, 4)


def test_reused_anchor_names_refer_to_the_latest() -> None:
    """An anchor name defined twice is allowed; each alias means the latest definition."""
    assert load_yaml("a: &x 1\nb: *x\nc: &x 2\nd: *x\n").data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_deep_nesting_is_refused_before_recursion_limits() -> None:
    """Nesting deeper than MAX_DEPTH, directly or through aliases, is yaml.too-large."""
    assert where(only("[" * 250 + "]" * 250)) == ("yaml.too-large", 1, 201)
    chain = "a: &a " + "[" * 150 + "]" * 150 + "\nb: " + "[" * 100 + "*a" + "]" * 100 + "\n"
    assert only(chain).code == "yaml.too-large"


# Documents and syntax -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "--- \n...\n"])
def test_empty_documents_load_as_none(text: str) -> None:
    """An empty document loads as None, leaving the decision to the caller."""
    assert load_yaml(text).data is None


def test_multiple_documents_are_refused() -> None:
    """A second document is yaml.multiple-documents at its start."""
    assert where(only("a: 1\n---\nb: 2\n")) == ("yaml.multiple-documents", 2, 1)
    assert where(only("a: 1\n...\nb: 2\n")) == ("yaml.multiple-documents", 3, 1)
    assert load_yaml("---\na: 1\n...\n").data == {"a": 1}


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("a:\n\tb: 1\n", 2, 1, "tab"),
        ("a: 'unclosed\nb: 2\n", 3, 1, "quote"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "indentation"),
        ("a: [1, 2\nb: 3\n", 2, 2, "flow sequence"),
        ("a: b: c\n", 1, 5, "':'"),
        ("a: @x\n", 1, 4, "quote"),
        ("- a\nb: c\n", 2, 1, "indentation"),
        ("%YAML 2.0\n---\na: 1\n", 1, 1, "version"),
    ],
)
def test_syntax_errors_are_located_and_cleaned_up(
    text: str, line: int, column: int, words: str
) -> None:
    """ruamel's scanner and parser errors become one yaml.syntax diagnostic at the problem."""
    diagnostic = only(text, filename="bad.yaml")
    assert where(diagnostic) == ("yaml.syntax", line, column)
    assert words in diagnostic.message
    assert "\n" not in diagnostic.message
    assert "ruamel" not in diagnostic.message
    assert diagnostic.render().startswith(f"bad.yaml:{line}:{column}: ")


def test_control_characters_are_syntax_errors_at_their_position() -> None:
    """A forbidden character is yaml.syntax at its own line and column."""
    diagnostic = only("a: 1\r\nb: x\x07y\n")
    assert where(diagnostic) == ("yaml.syntax", 2, 5)
    assert "U+0007" in diagnostic.message


def test_byte_order_mark_and_crlf_are_fine() -> None:
    """A leading BOM and CRLF line ends load normally and keep columns right."""
    loaded = load_yaml("\ufeffa: 1\r\nb:\r\n  c: [x, 5%]\r\n")
    assert loaded.data == {"a": 1, "b": {"c": ["x", Decimal("0.05")]}}
    assert loaded.source_map.locate(("a",)).column == 4
    location = loaded.source_map.locate(("b", "c", 1))
    assert (location.line, location.column) == (3, 10)


def test_chinese_keys_and_values() -> None:
    """Chinese keys and values load as text, numbers as numbers, located by character."""
    loaded = load_yaml("销售额: 1000\n团队:\n  东区: 5%\n名称: 华东大区\n", filename="计划.yaml")
    assert loaded.data == {
        "销售额": 1000,
        "团队": {"东区": Decimal("0.05")},
        "名称": "华东大区",
    }
    location = loaded.source_map.locate(("团队", "东区"))
    assert (location.file, location.line, location.column, location.path) == (
        "计划.yaml",
        3,
        7,
        "团队.东区",
    )


# Source map ------------------------------------------------------------------------

POLICY = """\
name: field
incentives:
  - kind: commission
    tiers:
      - {upto: 50%, rate: 2%}
      - upto: 100%
        rate: 5%
shared: &std
  cap: 3
uses: *std
"""


def test_locate_finds_values_of_nested_paths() -> None:
    """locate gives the 1-based line and column of the value at a pydantic-style path."""
    source_map = load_yaml(POLICY, filename="p.yaml").source_map
    location = source_map.locate(("incentives", 0, "tiers", 1, "rate"))
    assert (location.file, location.line, location.column) == ("p.yaml", 7, 15)
    assert location.path == "incentives[0].tiers[1].rate"
    assert location.render() == "p.yaml:7:15: incentives[0].tiers[1].rate"
    flow = source_map.locate(("incentives", 0, "tiers", 0, "rate"))
    assert (flow.line, flow.column) == (5, 27)
    listed = source_map.locate(("incentives", 0))
    assert (listed.line, listed.column) == (3, 5)


def test_locate_key_finds_keys() -> None:
    """locate_key gives the position of the key itself, for unknown-key diagnostics."""
    source_map = load_yaml(POLICY).source_map
    key = source_map.locate_key(("incentives", 0, "tiers", 1, "rate"))
    assert (key.line, key.column) == (7, 9)
    index = source_map.locate_key(("incentives", 0))
    assert (index.line, index.column) == (3, 5)  # a list index has no key: the value


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    """A path that is not in the document locates its nearest ancestor, keeping the full path."""
    source_map = load_yaml(POLICY).source_map
    missing = source_map.locate(("incentives", 0, "tiers", 7, "rate"))
    assert (missing.line, missing.column, missing.path) == (5, 7, "incentives[0].tiers[7].rate")
    wrong_kind = source_map.locate(("name", "first"))
    assert (wrong_kind.line, wrong_kind.column) == (1, 7)
    assert source_map.locate_key(("incentives", 0, "bonus")).line == 3
    root = source_map.locate(())
    assert (root.line, root.column, root.path) == (1, 1, None)


def test_locate_through_aliases() -> None:
    """The alias's own path locates the *name; paths inside it locate the anchored values."""
    source_map = load_yaml(POLICY).source_map
    alias = source_map.locate(("uses",))
    assert (alias.line, alias.column) == (10, 7)
    inside = source_map.locate(("uses", "cap"))
    assert (inside.line, inside.column) == (9, 8)


def test_empty_source_map_knows_only_the_file() -> None:
    """SourceMap() (e.g. for a policy built in Python) locates nothing but names the path."""
    location = SourceMap(file="x.yaml").locate(("a", 0))
    assert (location.file, location.line, location.column, location.path) == (
        "x.yaml",
        None,
        None,
        "a[0]",
    )
    assert load_yaml("").source_map.locate(("a",)).line is None


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ((), ""),
        (("incentives", 0, "tiers", 1, "rate"), "incentives[0].tiers[1].rate"),
        ((0, "a"), "[0].a"),
        (("teams", "east.1", "target"), 'teams["east.1"].target'),
        (("a b", 2), '["a b"][2]'),
        (("", "x"), '[""].x'),
        (("销售额", "东区"), "销售额.东区"),
    ],
)
def test_render_path(path: tuple[str | int, ...], rendered: str) -> None:
    """render_path writes keys dotted and indices bracketed, quoting awkward keys."""
    assert render_path(path) == rendered


# Files ------------------------------------------------------------------------------


def test_load_yaml_file_reads_utf8_with_bom(tmp_path: Path) -> None:
    """load_yaml_file reads UTF-8 (BOM allowed) and names the file in the source map."""
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xef\xbb\xbfrate: 5%\r\n\xe5\x90\x8d: x\r\n")
    loaded = load_yaml_file(path)
    assert isinstance(loaded, LoadedYaml)
    assert loaded.data == {"rate": Decimal("0.05"), "名": "x"}
    assert loaded.source_map.locate(("rate",)).render() == f"{path}:1:7: rate"


def test_load_yaml_file_reports_problems_with_the_file_name(tmp_path: Path) -> None:
    """Diagnostics from a file carry its name."""
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_yaml_file(path)
    assert info.value.diagnostics[0].render().startswith(f"{path}:2:1: a: duplicate key")


def test_unreadable_files_are_yaml_io(tmp_path: Path) -> None:
    """A missing file or a directory is a PolicyError with code yaml.io, naming the file."""
    for path in (tmp_path / "missing.yaml", tmp_path):
        with pytest.raises(PolicyError) as info:
            load_yaml_file(path)
        (diagnostic,) = info.value.diagnostics
        assert (diagnostic.code, diagnostic.location.file) == ("yaml.io", str(path))


def test_non_utf8_files_are_yaml_encoding_at_the_bad_byte(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are yaml.encoding at the line and column of the first one."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\ncity: Zürich\n".encode("latin-1"))
    with pytest.raises(PolicyError) as info:
        load_yaml_file(path)
    (diagnostic,) = info.value.diagnostics
    assert where(diagnostic) == ("yaml.encoding", 2, 8)
    assert "0xFC" in diagnostic.message


# Properties -------------------------------------------------------------------------

_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True) | st.sampled_from(
    ["销售额", "东区", "null", "true", "yes", "1", "0.5", "2026-04", "on"]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_DATA = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=25,
)


def emit_scalar(value: YamlValue) -> str:
    """Write a scalar so that perfkit reads it back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = str(value)
        return text if re.search("[.eE]", text) else text + "E0"
    if isinstance(value, int):
        return str(value)
    assert isinstance(value, str)
    return (
        '"'
        + "".join(
            "\\" + ch if ch in '"\\' else ch if " " <= ch <= "~" else f"\\U{ord(ch):08x}"
            for ch in value
        )
        + '"'
    )


def emit(value: YamlValue, indent: int = 0) -> list[str]:
    """A small block-style YAML emitter: one line per scalar, nested blocks indented."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines += [f"{pad}{key}:", *emit(item, indent + 2)]
            else:
                lines.append(f"{pad}{key}: {emit(item)[0].strip()}")
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if isinstance(item, dict | list) and item:
                lines += [f"{pad}-", *emit(item, indent + 2)]
            else:
                lines.append(f"{pad}- {emit(item)[0].strip()}")
        return lines
    if isinstance(value, dict | list):
        return [pad + ("{}" if isinstance(value, dict) else "[]")]
    return [pad + emit_scalar(value)]


def paths(
    value: YamlValue, prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], YamlValue]]:
    """Every path in ``value`` (the root included) with the value found there."""
    found: list[tuple[tuple[str | int, ...], YamlValue]] = [(prefix, value)]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for step, item in items:
        found += paths(item, (*prefix, step))
    return found


@given(_DATA)
def test_plain_data_round_trips_with_locations(data: YamlValue) -> None:
    """Emitted plain data loads back identically, and every path is located where it was written."""
    text = "\n".join(emit(data)) + "\n"
    loaded = load_yaml(text)
    assert same(loaded.data, data), text
    lines = text.split("\n")
    for path, value in paths(data):
        location = loaded.source_map.locate(path)
        assert location.line is not None
        assert location.column is not None
        assert 1 <= location.line < len(lines)
        if not isinstance(value, dict | list) or not value:
            written = lines[location.line - 1][location.column - 1 :]
            assert written.startswith(emit(value)[0]), (path, text)
        if path and isinstance(path[-1], str):
            key = loaded.source_map.locate_key(path)
            assert key.line is not None
            assert key.column is not None
            assert lines[key.line - 1][key.column - 1 :].startswith(f"{path[-1]}:")


_YAMLISH = st.lists(
    st.sampled_from(
        [
            ":",
            "-",
            " ",
            "  ",
            "\n",
            "\r\n",
            "\t",
            "&a",
            "*a",
            "&b",
            "*b",
            "!",
            "!!str",
            "!x!y",
            "!<x>",
            "[",
            "]",
            "{",
            "}",
            "'",
            '"',
            "%YAML 1.1\n",
            "%YAML 1.3\n",
            "%TAG !x! t:\n",
            "#",
            "?",
            "|",
            ">",
            "|-",
            ">+",
            "a",
            "1",
            "012",
            "0.5",
            "5%",
            ".inf",
            "~",
            "<<",
            "---",
            "...",
            "\ufeff",
            "\x00",
            "\x85",
            "\u2028",
            "\\",
            ",",
            "销",
            "@",
            "`",
            "%",
        ]
    ),
    max_size=30,
).map("".join)


def load_error(text: str) -> PolicyError | None:
    """The PolicyError loading ``text`` raises, or None when it loads."""
    try:
        load_yaml(text, max_nodes=1000)
    except PolicyError as error:
        return error
    return None


@given(st.text() | _YAMLISH)
def test_random_text_raises_only_policy_errors(text: str) -> None:
    """Whatever the text, load_yaml returns or raises a located PolicyError, nothing else."""
    error = load_error(text)  # any other exception fails the test
    if error is not None:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.code.startswith("yaml.")
            assert diagnostic.location.line is not None


# Parsers ------------------------------------------------------------------------------

Outcome = tuple[object, ...]


def outcome(text: str) -> Outcome:
    """Everything a load shows: the data (types included) and every location, or the errors."""
    try:
        loaded = load_yaml(text, max_nodes=1000)
    except PolicyError as error:
        return tuple(
            (d.code, d.message, d.location.line, d.location.column, d.location.path)
            for d in error.diagnostics
        )
    found: list[object] = [repr(loaded.data)]
    for path, _ in paths(loaded.data):
        value, key = loaded.source_map.locate(path), loaded.source_map.locate_key(path)
        text_at = loaded.source_map.locate_text(path)
        found.append((path, value.line, value.column, key.line, key.column, text_at.column))
    return tuple(found)


def outcome_with(text: str, *, c_parser: bool) -> Outcome:
    """:func:`outcome` with the C parser tried first, or with the pure parser only."""
    before = _use_c_parser(enabled=c_parser)
    try:
        return outcome(text)
    finally:
        _use_c_parser(enabled=before)


def assert_parsers_agree(text: str) -> None:
    assert outcome_with(text, c_parser=True) == outcome_with(text, c_parser=False), text


# Documents the C parser reads itself (each is checked against the pure parser).
C_PARSER_DOCUMENTS = [
    POLICY,
    POLICY.replace("\n", "\r\n"),
    POLICY.rstrip("\n"),
    "销售额: 1000\n团队:\n  东区: 5%\n名称: 华东大区\n",
    "a:\nb: 1\n",  # empty values: ruamel puts them at the next token, libyaml after the ':'
    "a:  # comment\n\n  # more\nb:\n  c:\nd:",
    "a:\n- x\n-\n- y:\n",
    "a: {x: , y: 1, z}\nb: [x: , 'y': 2]\n",
    "---\n",
    "--- # only a comment\n...\n",
    "---",
    "a: 'tab\there'\nb: \"tab\tthere\"  # and a\ttab in a comment\n# \t\n",
    "a: &x [1, 2]\nb: *x\nc: &y-1 {k: v}\nd: [*y-1, *x]\n",
    "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: |+2\n   kept\n\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: \"esc\\u00e9\\x41\\n\"\nb: 'it''s'\nc: multi\n  line\n  plain\n",
    "a: 😀\nb:\n😀: x\n",
    "x: 1\ry: 2\r",
]


def test_c_parser_reads_valid_documents_itself(
    parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Valid documents are read by the C parser alone, as the pure parser reads them."""
    if parser != "c":
        pytest.skip("about the C parser")
    expected = [outcome_with(text, c_parser=False) for text in C_PARSER_DOCUMENTS]

    def no_pure_parser(text: str) -> None:
        raise AssertionError(f"fell back to the pure parser for {text!r}")

    monkeypatch.setattr(perfkit._yaml, "pure_events", no_pure_parser)
    assert c_parser_enabled()
    assert [outcome(text) for text in C_PARSER_DOCUMENTS] == expected


# Where libyaml (YAML 1.1) and ruamel's pure parser (YAML 1.2) differ: each text is
# read again by the pure parser, so results and diagnostics are the same.
PARSERS_DIFFER = [
    "a: x\ty\n",  # a tab outside quotes and comments: ruamel refuses it
    "a:\tx\n",
    "a: 1\t# c\n",
    "a: |\n  x\ty\n",
    "a: 'x'\t\n",
    "&bx:-x",  # ruamel reads the anchor name as 'bx:-x', libyaml as 'bx'
    "a: *x:y\n",
    ">+#",  # libyaml allows a comment right after the indicators
    ">\r\n...",  # a top-level block scalar: ruamel reads '...' as its text
    "- >-\n     \n\n      y\n",  # ruamel: blank lines more indented than the first
    '"d": ["d":]\n',  # in a flow sequence ruamel needs a space after ':'
    "a: [b: ]\nc: {d: }\n",  # empty flow values: placed differently, mapped
    "a: {? }\n",
    "a: x\u2028b: y\n",  # line breaks of YAML 1.1 only
    "a: x\x85b: y\n",
    "a: 1\n\ufeffb: 2\n",  # a byte-order mark inside the text
    "%YAML 1.2\n---\na: 1\n",  # libyaml knows %YAML 1.1 only
    "%YAML 1.3\n---\na: 1\n",
    "a: [x:y]\n",
    "? a\n? b\n",
    "a:\n? b\n",
    ": x\n",
    "a: !!str 1\n",  # tags: ruamel keeps the tag as written, for the message
    "a: 1\na: 2\n",  # any diagnostic comes from the pure parser
    "a: \ud800\n",  # a lone surrogate
    "a: 1\n\x00",
]


@pytest.mark.parametrize("text", PARSERS_DIFFER)
def test_parsers_agree_where_libyaml_reads_otherwise(text: str) -> None:
    """Texts libyaml reads differently load exactly as the pure parser loads them."""
    assert_parsers_agree(text)


_LINES = st.sampled_from(
    [
        "a:",
        "b: 1",
        "c: x y",
        "d: 'q'",
        'e: "\\u00e9"',
        "- x",
        "-",
        "- ",
        "- k: v",
        "f: [1, x: , 'q', {y: }]",
        "g: {h: , i, 'j': k}",
        "l: |",
        "m: >-",
        "n: |2",
        "o: 'x\ty'",
        "# c\t",
        "p: &a v",
        "q: *a",
        "r:  # c",
        "? s",
        ": t",
        "u:v",
        "w: 销售额",
        "x: -",
        "y: x # c",
        "z: multi",
        "text",
        "  ",
        "",
        "\t",
        "---",
        "...",
        "k\tv",
        "aa: [a:b]",
        "bb: *a:",
        '"cc":',
    ]
)
_DOCUMENTS = st.builds(
    lambda lines, indents, newline, end: (
        newline.join(" " * indent + line for line, indent in zip(lines, indents, strict=False))
        + end
    ),
    st.lists(_LINES, max_size=12),
    st.lists(st.sampled_from([0, 0, 1, 2, 2, 4, 6]), min_size=12, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["", "\n"]),
)


@settings(max_examples=300)
@given(_DOCUMENTS | _YAMLISH)
def test_parsers_agree_on_any_text(parser: str, text: str) -> None:
    """Whatever the text, the C parser path gives what the pure parser gives, to the column."""
    if parser != "c":
        pytest.skip("compares the C parser with the pure one")
    assert_parsers_agree(text)


def test_use_c_parser_switches_and_reports() -> None:
    """_use_c_parser turns the C parser off and on, returning the setting it replaced."""
    before = _use_c_parser(enabled=False)
    try:
        assert not c_parser_enabled()
        assert _use_c_parser(enabled=True) is False
        assert c_parser_enabled() is c_parser_installed()
    finally:
        _use_c_parser(enabled=before)


# Docs -------------------------------------------------------------------------------


def test_docs_page_examples_run() -> None:
    """Every python block in docs/dsl/yaml.md runs as written."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOCS_PAGE), "exec"), {})  # noqa: S102 - our own docs
