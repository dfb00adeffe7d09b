"""The error-code catalogue (docs/dsl/errors.md) is complete, and its examples are true.

(a) Every ``### `code``` section whose example is a ``yaml`` block is loaded with
    :func:`perfkit.load_policy`, and must report a diagnostic with exactly that
    code; the lines of the section's ``text`` block (the rendered message) must be
    among the lines perfkit renders. A ``yaml`` block with ``title="name.yaml"``
    is written to that file, so include examples are real sets of files; the main
    policy is ``plan.yaml``. Examples that need more than files (``<!-- no-test -->``
    or no ``yaml`` block) have a dedicated test below.
(b) Every diagnostic code written as a string literal in src/perfkit has a section,
    and every section is a code the source emits.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

import perfkit as pk
from perfkit._expr_compile import Compiler

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "dsl" / "errors.md"
SOURCE = ROOT / "src" / "perfkit"

CODE_LITERAL = re.compile(r"""["'](?P<code>(?:policy|expr|yaml|plugin)\.[a-z][a-z-]*)["']""")
"""A diagnostic code written as a string literal in the source."""

HOME = "/home/me/plans"
"""The directory the catalogue pretends its example files are in."""

MAIN = "plan.yaml"
POLICY_HEAD = "perfkit: 1\nname: x\ncurrency: CNY\n"
NO_TEST = "<!-- no-test -->"
_HEADING = re.compile(r"^### `(?P<code>[a-z]+\.[a-z-]+)`\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>.*)$")
_TITLE = re.compile(r'title="(?P<title>[^"]+)"')


@dataclass(frozen=True)
class Block:
    """A fenced block of the catalogue."""

    language: str
    title: str | None
    text: str
    skipped: bool


@dataclass
class Section:
    """One ``### `code``` section: its code, heading line and fenced blocks."""

    code: str
    line: int
    blocks: list[Block] = field(default_factory=list)

    def files(self) -> dict[str, str]:
        """The example's files (name -> text), or {} when it has no testable yaml."""
        yaml = [b for b in self.blocks if b.language == "yaml"]
        if not yaml or any(b.skipped for b in yaml):
            return {}
        return {b.title or MAIN: b.text for b in yaml}

    def yaml(self) -> str:
        """The text of the section's first yaml block (tested or not)."""
        return next(b.text for b in self.blocks if b.language == "yaml")

    def messages(self) -> list[str]:
        """The rendered diagnostics the section shows (its text block's lines)."""
        return [
            line
            for block in self.blocks
            if block.language == "text"
            for line in block.text.splitlines()
            if line.strip()
        ]


def parse_catalogue(text: str) -> list[Section]:
    """Split the catalogue into its code sections and their fenced blocks."""
    sections: list[Section] = []
    current: Section | None = None
    lines = text.splitlines()
    previous = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        fence = _FENCE.match(line)
        if heading is not None:
            current = Section(heading["code"], index + 1)
            sections.append(current)
        elif line.startswith(("## ", "# ")):
            current = None
        elif fence is not None:
            end = index + 1
            while end < len(lines) and lines[end].rstrip() != fence["fence"]:
                end += 1
            info = fence["info"].strip()
            title = _TITLE.search(info)
            if current is not None:
                current.blocks.append(
                    Block(
                        language=info.split()[0] if info else "",
                        title=title["title"] if title else None,
                        text="\n".join(lines[index + 1 : end]) + "\n",
                        skipped=previous == NO_TEST,
                    )
                )
            index = end
        if line.strip():
            previous = line.strip()
        index += 1
    return sections


SECTIONS = parse_catalogue(CATALOGUE.read_text(encoding="utf-8"))
BY_CODE = {section.code: section for section in SECTIONS}
TESTABLE = [section for section in SECTIONS if section.files()]


def emitted_codes() -> dict[str, list[str]]:
    """Every diagnostic code literal in src/perfkit, with the files that hold it."""
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for match in CODE_LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match["code"], []).append(path.name)
    return found


def diagnostics_of(source: str | Path) -> list[pk.Diagnostic]:
    """Every diagnostic loading ``source`` gives: its errors, or else its warnings."""
    try:
        policy = pk.load_policy(source)
    except pk.PolicyError as exc:
        return list(exc.diagnostics)
    return list(policy.diagnostics)


def rendered(diagnostics: list[pk.Diagnostic], directory: Path) -> list[str]:
    """Render diagnostics as perfkit check prints them, the directory shown as HOME."""
    lines = []
    for diagnostic in diagnostics:
        line = diagnostic.render()
        for prefix in {str(directory.resolve()), str(directory)}:
            line = line.replace(prefix, HOME)
        lines.append(line)
    return lines


def load_files(files: dict[str, str | bytes], directory: Path) -> list[pk.Diagnostic]:
    """Write the files into ``directory`` and load plan.yaml from there, as given."""
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return diagnostics_of(Path(MAIN))


def assert_shown(section: Section, lines: list[str]) -> None:
    """The section's rendered message lines are all among ``lines``."""
    shown = section.messages()
    assert shown, f"{section.code}: the section shows no rendered message"
    missing = [line for line in shown if line not in lines]
    assert missing == [], "perfkit rendered instead:\n" + "\n".join(lines)


# --- (b) completeness ------------------------------------------------------------


def test_catalogue_parses() -> None:
    assert len(SECTIONS) >= 40
    assert len(BY_CODE) == len(SECTIONS), "a code has two sections"


def test_every_emitted_code_has_a_section() -> None:
    """Every code literal in src/perfkit is documented in the catalogue."""
    missing = {code: files for code, files in emitted_codes().items() if code not in BY_CODE}
    assert missing == {}


def test_every_section_is_an_emitted_code() -> None:
    """The catalogue documents no code that the source no longer emits."""
    stale = sorted(set(BY_CODE) - set(emitted_codes()))
    assert stale == []


def test_every_section_has_an_example_or_a_dedicated_test() -> None:
    untested = {section.code for section in SECTIONS if not section.files()}
    assert untested == set(DEDICATED)


def test_every_section_says_what_it_means_and_how_to_fix_it() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    bodies = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    for body in bodies:
        body = re.split(r"^## ", body, flags=re.MULTILINE)[0]
        code = body.split("`")[1]
        assert "**Fix.**" in body, code
        assert "```text" in body, code
        if ": warning: " in body:
            assert "A **warning**" in body, f"{code}: say that it is a warning"


# --- (a) the examples -------------------------------------------------------------


@pytest.mark.parametrize("section", TESTABLE, ids=lambda s: s.code)
def test_example_reports_its_code(
    section: Section, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The section's policy gives a diagnostic with its code, rendered as shown.

    A section that shows a warning must load (with the warning attached); any
    other must fail to load.
    """
    monkeypatch.chdir(tmp_path)
    diagnostics = load_files(dict(section.files()), tmp_path)
    assert section.code in [d.code for d in diagnostics], [d.render() for d in diagnostics]
    assert_shown(section, rendered(diagnostics, tmp_path))
    warning = all(": warning: " in line for line in section.messages())
    if warning:
        policy = pk.load_policy(Path(MAIN))
        assert section.code in [d.code for d in policy.diagnostics]
        assert all(d.severity is pk.Severity.WARNING for d in policy.diagnostics)
    else:
        with pytest.raises(pk.PolicyError):
            pk.load_policy(Path(MAIN))


# --- dedicated tests, for examples that need more than a set of files -------------


def test_yaml_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example, saved as Latin-1, is refused at the first byte that is not UTF-8."""
    section = BY_CODE["yaml.encoding"]
    monkeypatch.chdir(tmp_path)
    diagnostics = load_files({MAIN: section.yaml().encode("latin-1")}, tmp_path)
    assert [d.code for d in diagnostics] == ["yaml.encoding"]
    assert_shown(section, rendered(diagnostics, tmp_path))


def test_yaml_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that does not exist is yaml.io, named as given."""
    section = BY_CODE["yaml.io"]
    (command,) = [b.text.split() for b in section.blocks if b.language == "sh"]
    assert command[:2] == ["perfkit", "check"]
    monkeypatch.chdir(tmp_path)
    diagnostics = diagnostics_of(Path(command[2]))
    assert [d.code for d in diagnostics] == ["yaml.io"]
    assert_shown(section, rendered(diagnostics, tmp_path))


def test_yaml_io_for_a_directory(tmp_path: Path) -> None:
    diagnostics = diagnostics_of(tmp_path)
    assert [d.code for d in diagnostics] == ["yaml.io"]


def _expanded(section: Section, placeholder: str, expression: str) -> str:
    text = section.yaml()
    assert placeholder in text
    return text.replace(placeholder, expression)


def test_expr_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's sum of 1,501 terms has 3,001 parts: one too many."""
    section = BY_CODE["expr.too-long"]
    text = _expanded(section, "x + x + x + ... + x", " + ".join(["x"] * 1501))
    monkeypatch.chdir(tmp_path)
    diagnostics = load_files({MAIN: text}, tmp_path)
    assert [d.code for d in diagnostics] == ["expr.too-long"]
    assert_shown(section, rendered(diagnostics, tmp_path))
    fine = _expanded(section, "x + x + x + ... + x", " + ".join(["x"] * 1500))
    pk.load_policy(fine)


def test_expr_too_long_in_characters() -> None:
    policy = POLICY_HEAD + "variables:\n  v: '" + "1" * 10_001 + "'\n"
    (diagnostic,) = diagnostics_of(policy)
    assert diagnostic.code == "expr.too-long"
    assert "10001 characters" in diagnostic.message


def test_expr_too_deep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """101 nested calls are one level too many; 100 are fine."""
    section = BY_CODE["expr.too-deep"]
    placeholder = "abs(abs(abs(abs( ... 101 times ... x)))))"
    text = _expanded(section, placeholder, "abs(" * 101 + "x" + ")" * 101)
    monkeypatch.chdir(tmp_path)
    diagnostics = load_files({MAIN: text}, tmp_path)
    assert [d.code for d in diagnostics] == ["expr.too-deep"]
    assert_shown(section, rendered(diagnostics, tmp_path))
    pk.load_policy(_expanded(section, placeholder, "abs(" * 99 + "x" + ")" * 99))


def test_expr_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside the compiler is reported as expr.internal, not raised."""

    def broken(self: Compiler, node: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(Compiler, "compile", broken)
    text = POLICY_HEAD + "attributes: {a: decimal}\nvariables:\n  v: a * 2\n"
    (diagnostic,) = diagnostics_of(text)
    assert diagnostic.code == "expr.internal"
    assert diagnostic.message == "the expression could not be compiled (RuntimeError: boom)"
    assert diagnostic.location.path == "variables.v"
    shown = BY_CODE["expr.internal"].messages()
    assert len(shown) == 1
    assert shown[0].endswith("[expr.internal]")
    assert "the expression could not be compiled (RuntimeError: " in shown[0]


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[metadata.EntryPoint]]:
    """Entry points of the perfkit.plugins group, as the test sets them."""
    installed: list[metadata.EntryPoint] = []

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        return [ep for ep in installed if ep.group == group]

    # perfkit._registry looks entry points up through importlib.metadata.
    monkeypatch.setattr(metadata, "entry_points", entry_points)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, body in {
        "good_plugin": """
            def register(registry):
                registry.register_function("double", lambda x: x * 2)
        """,
        "raising_plugin": """
            def register(registry):
                registry.register_function("half", lambda x: x / 2)
                raise ValueError("no licence key")
        """,
    }.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")
    yield installed
    for name in ("good_plugin", "raising_plugin"):
        sys.modules.pop(name, None)


def _entry(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group="perfkit.plugins")


def test_plugin_failed(plugins: list[metadata.EntryPoint], tmp_path: Path) -> None:
    """A plugin that cannot be imported is reported exactly as the catalogue shows."""
    plugins.append(_entry("acme", "acme_perfkit:register"))
    registry = pk.Registry.default()
    diagnostics = registry.load_entry_points()
    assert [d.code for d in diagnostics] == ["plugin.failed"]
    assert_shown(BY_CODE["plugin.failed"], rendered(diagnostics, tmp_path))


def test_a_failing_plugin_registers_nothing_and_others_still_load(
    plugins: list[metadata.EntryPoint],
) -> None:
    plugins.extend(
        [_entry("raising", "raising_plugin:register"), _entry("good", "good_plugin:register")]
    )
    registry = pk.Registry.default()
    (diagnostic,) = registry.load_entry_points()
    assert diagnostic.code == "plugin.failed"
    assert "ValueError: no licence key" in diagnostic.message
    assert diagnostic.location.path == "perfkit.plugins:raising"
    assert "double" in registry
    assert "half" not in registry
    policy = POLICY_HEAD + "attributes: {a: decimal}\nvariables:\n  v: double(a)\n"
    pk.load_policy(policy, registry=registry)
    with pytest.raises(pk.PolicyError) as caught:
        pk.load_policy(policy)
    assert [d.code for d in caught.value.diagnostics] == ["expr.unknown-function"]


DEDICATED = {
    "yaml.encoding": test_yaml_encoding,
    "yaml.io": test_yaml_io,
    "expr.too-long": test_expr_too_long,
    "expr.too-deep": test_expr_too_deep,
    "expr.internal": test_expr_internal,
    "plugin.failed": test_plugin_failed,
}
"""Sections without a testable yaml example, and the test that covers each."""
