"""The documentation is tested: its examples run, its pages are reachable, it builds.

Every fenced ``python`` block in README.md and docs/**/*.md runs, each file's
blocks in order in one namespace, so a later block may use names an earlier one
defined. A block directly preceded by ``<!-- no-test -->`` is skipped. Code is
compiled with the markdown file's name and line numbers, so a failing example
points at the line of the page that holds it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"

# Pages listed in mkdocs.yml whose authors have not delivered them yet. Only these
# may be missing; remove each entry once its page exists.
PENDING_PAGES: frozenset[str] = frozenset()

NO_TEST = "<!-- no-test -->"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_PYTHON_LANGUAGES = {"python", "py", "python3"}


@dataclass(frozen=True)
class CodeBlock:
    """One fenced python block: its code and the 1-based line of its first code line."""

    path: Path
    first_line: int
    code: str


def python_blocks(path: Path) -> Iterator[CodeBlock]:
    """Yield the fenced python blocks of a markdown file, leaving out ``no-test`` ones."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    previous = ""  # the last non-blank line before the current one
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        indent, fence = match["indent"], match["fence"]
        words = match["info"].strip().lstrip("{").split()
        language = words[0].lstrip(".").lower() if words else ""
        end = index + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and not lines[end].strip().strip(fence[0])
        ):
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line.lstrip()
            for line in lines[index + 1 : end]
        ]
        if language in _PYTHON_LANGUAGES and previous != NO_TEST:
            yield CodeBlock(path, index + 2, "\n".join(body) + "\n")
        previous = lines[min(end, len(lines) - 1)].strip()
        index = end + 1


def run_blocks(path: Path) -> int:
    """Run every python block of ``path`` in one namespace; return how many ran."""
    namespace: dict[str, Any] = {"__name__": f"docs:{path.name}"}
    count = 0
    for block in python_blocks(path):
        # Pad with newlines so tracebacks give the line number in the markdown file.
        source = "\n" * (block.first_line - 1) + block.code
        code = compile(source, str(path), "exec")
        exec(code, namespace)  # noqa: S102 -- our own documentation, not user input
        count += 1
    return count


def doc_files() -> list[Path]:
    """README.md and every markdown page under docs/, in a stable order."""
    pages = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    readme = ROOT / "README.md"
    return ([readme] if readme.is_file() else []) + pages


def _doc_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", doc_files(), ids=_doc_id)
def test_examples_run(path: Path) -> None:
    """Every python example on the page runs without error, in order."""
    run_blocks(path)


# --- the runner itself --------------------------------------------------------------


def test_failure_points_at_markdown_line(tmp_path: Path) -> None:
    """A failing example's traceback names the markdown file and the line in it."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n```python\nx = 1\n```\n\nText.\n\n```python\ny = x + 1\nassert y == 3\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError) as excinfo:
        run_blocks(page)
    frame = traceback.extract_tb(excinfo.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == (str(page), 11)


def test_no_test_marker_and_other_languages_are_skipped(tmp_path: Path) -> None:
    """Blocks after ``<!-- no-test -->`` and non-python blocks do not run."""
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- no-test -->\n\n```python\nraise SystemExit('ran')\n```\n\n"
        "```yaml\nperfkit: 1\n```\n\n"
        "!!! note\n    ```python\n    z = 2\n    ```\n\n"
        '````py title="x.py"\nassert z == 2\n````\n',
        encoding="utf-8",
    )
    assert run_blocks(page) == 2


# --- the site ---------------------------------------------------------------------


def _nav_pages(node: object) -> Iterator[str]:
    if isinstance(node, str):
        if node.endswith(".md"):
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _nav_pages(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nav_pages(item)


def nav_pages() -> set[str]:
    """The markdown pages listed in mkdocs.yml's nav, relative to docs/."""
    yaml = YAML(typ="rt")  # round-trip mode tolerates mkdocs' custom tags such as !relative
    config = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"))
    return set(_nav_pages(config["nav"]))


def test_every_page_is_in_nav() -> None:
    """Every markdown file under docs/ is reachable from the site navigation."""
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert sorted(pages - nav_pages()) == []


def test_nav_pages_exist() -> None:
    """Every page the nav lists exists, except those still pending (listed above)."""
    missing = {page for page in nav_pages() if not (DOCS / page).is_file()}
    assert sorted(missing - PENDING_PAGES) == []


def test_public_names_are_documented() -> None:
    """Every name in perfkit.__all__ has a section in docs/api.md."""
    import perfkit

    api = (DOCS / "api.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,4} `([^`]+)`", api, flags=re.MULTILINE))
    assert sorted(set(perfkit.__all__) - headings) == []


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict`` succeeds (broken links, anchors or nav fail it)."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install 'perfkit[docs]'")
    pytest.importorskip("material", reason="mkdocs-material is not installed")
    # Build a copy so pending pages can get placeholders without touching the checkout.
    project = tmp_path / "project"
    shutil.copytree(DOCS, project / "docs")
    shutil.copy2(MKDOCS_YML, project / "mkdocs.yml")
    shutil.copy2(ROOT / "CHANGELOG.md", project / "CHANGELOG.md")
    for page in PENDING_PAGES:
        placeholder = project / "docs" / page
        if not placeholder.exists():
            placeholder.parent.mkdir(parents=True, exist_ok=True)
            placeholder.write_text(f"# {placeholder.stem}\n\nComing soon.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert (tmp_path / "site" / "index.html").is_file()
