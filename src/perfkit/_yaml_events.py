"""Parser events for perfkit._yaml: ruamel's C parser when installed, else its pure-Python one.

Both parsers produce the same event classes, but they are not interchangeable
as they stand: libyaml (behind ``ruamel.yaml.clib``) reads YAML 1.1, accepts
tabs where ruamel's YAML 1.2 scanner refuses them, places some empty values
elsewhere, and reports errors in its own words. perfkit's results must not
depend on which parser is installed, so the C parser is used only where it is
known to agree with the pure one, and every document it cannot vouch for is
parsed again by the pure parser:

* text containing a line break only YAML 1.1 knows (U+0085, U+2028, U+2029)
  or a byte-order mark after the first character goes to the pure parser;
* any C parser error, and any document with a diagnostic (a tag, a duplicate
  key, ...) is parsed again, so errors are always the pure parser's;
* a tab is accepted only inside a quoted scalar or a comment, where both
  parsers read it alike; any other tab sends the document to the pure parser;
* the empty values libyaml places differently are moved to where the pure
  parser puts them (:class:`CMarks`), or, for rare forms, parsed again.

The fast path therefore is the C parser on a valid document; errors and odd
corners cost one more, pure, parse.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver

__all__ = [
    "CMarks",
    "Fallback",
    "c_events",
    "c_parser_enabled",
    "c_parser_installed",
    "c_parser_may_read",
    "pure_events",
    "use_c_parser",
]

_LINE_BREAK = re.compile("\r\n|\r|\n")  # the breaks ruamel counts in YAML 1.2
_C_UNSAFE = re.compile("[\x85\u2028\u2029\ufeff]")  # YAML 1.1 breaks; a BOM inside the text
# A block scalar header as ruamel reads it: indicators, then spaces and a comment, or nothing.
_BLOCK_HEADER = re.compile(r"[|>]([+-][1-9]?|[1-9][+-]?)?(?: +(?:#[^\r\n]*)?)?(?:\r\n|\r|\n|\Z)")


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """The C parser's reading cannot be vouched for: parse the text with the pure parser."""


class _Resolver(VersionedResolver):
    """Scan and parse by YAML 1.2 rules whatever ``%YAML`` directive a document has."""

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)


class _Loader(YAML):
    """ruamel's safe, pure-Python front end, deaf to ``%YAML`` version directives."""

    def __init__(self) -> None:
        super().__init__(typ="safe", pure=True)
        self.Resolver = _Resolver

    @property
    def version(self) -> None:
        return None

    @version.setter
    def version(self, value: object) -> None:
        """Ignore the directive (ruamel asserts on ``%YAML 1.3``); perfkit reads 1.2."""


def pure_events(text: str) -> Callable[[], Any]:
    """Return a function giving the pure parser's events for ``text``, one per call."""
    stream: Iterator[Any] = _Loader().parse(text)
    return stream.__next__


def c_events(text: str) -> Callable[[], Any]:
    """Return a function giving the C parser's events for ``text``, one per call.

    Raises:
        Fallback: the C parser is not available, or cannot take the text.
    """
    if _C_PARSER is None:
        raise Fallback
    try:
        parser = _C_PARSER(text)
    except UnicodeEncodeError:  # a lone surrogate: let the pure reader report it
        raise Fallback from None
    get_event: Callable[[], Any] = parser.get_event
    return get_event


def c_parser_may_read(text: str) -> bool:
    """Whether the C parser is in use and ``text`` has none of the characters it reads otherwise."""
    return _C_PARSER is not None and _enabled and _C_UNSAFE.search(text) is None


def c_parser_installed() -> bool:
    """Whether ``ruamel.yaml.clib`` is installed and reads as :class:`CMarks` expects."""
    return _C_PARSER is not None


def c_parser_enabled() -> bool:
    """Whether :func:`perfkit._yaml.load_yaml` tries the C parser first."""
    return _C_PARSER is not None and _enabled


def use_c_parser(enabled: bool) -> bool:
    """Turn the C parser on or off (it is on when ``ruamel.yaml.clib`` is installed).

    Args:
        enabled: ``False`` to parse with the pure-Python parser only.

    Returns:
        The setting before the call, to restore it with.
    """
    global _enabled
    before, _enabled = _enabled, enabled
    return before


class _Mark:
    """A position as ruamel's marks give it: 0-based line and column, character index."""

    __slots__ = ("column", "index", "line")

    def __init__(self, line: int, column: int, index: int) -> None:
        self.line, self.column, self.index = line, column, index


class CMarks:
    """The checks and corrections the C parser's events need to read as the pure parser's.

    Positions are counted as the pure parser counts them. libyaml and ruamel
    place an empty value (``a:`` with nothing after it) differently: libyaml
    right after the ``:``, ruamel at the end of the next token in a block
    mapping; in a flow mapping ruamel puts it right after the ``:``, libyaml at
    the start of the next token. At the end of a text without a final line
    break libyaml also counts one line more. The methods return the mark the
    pure parser gives, and raise :class:`Fallback` where the parsers may differ
    in ways too rare to be worth mapping.
    """

    __slots__ = ("_blocks", "_quoted", "_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        tabs = "\t" in text
        self._quoted: list[tuple[int, int]] | None = [] if tabs else None  # spans, when needed
        self._blocks: list[tuple[int, int]] = []

    def at(self, index: int) -> _Mark:
        """The mark of the character at ``index`` (``len(text)`` for the end)."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self.text))]
        line = bisect_right(self._starts, index) - 1
        return _Mark(line, index - self._starts[line], index)

    def anchor(self, event: Any, indicator: str) -> None:
        """Check an anchor (``&``) or alias (``*``): libyaml ends its name at ``:``, ruamel not."""
        text, start = self.text, event.start_mark.index
        after = start + 1 + len(event.anchor)
        if text[start] != indicator or text[after : after + 1] not in _NAME_ENDS:
            raise Fallback

    def scalar(self, event: Any) -> None:
        """Check a quoted or block scalar, and note where it is written if tabs need it."""
        start, style = event.start_mark.index, event.style
        if style in ("|", ">"):
            self._block_scalar(start)
            if self._quoted is not None:
                self._blocks.append((start, event.end_mark.index))
        elif self._quoted is not None and self.text[start] == style:  # not after an anchor
            self._quoted.append((start, event.end_mark.index))

    def _block_scalar(self, start: int) -> None:
        """Check a block scalar's header and its first lines, before any text.

        ruamel refuses a header such as ``|#`` that libyaml allows, and, without an
        indentation indicator, blank first lines indented more than the first of them.
        """
        text = self.text
        header = _BLOCK_HEADER.match(text, start)
        if header is None:
            raise Fallback
        if any(digit in (header.group(1) or "") for digit in "123456789"):
            return
        index, end, column, first, deepest = header.end(), len(text), 0, -1, 0
        while index < end and (char := text[index]) in " \r\n":
            if char == " ":
                column += 1
                deepest = max(deepest, column)
            else:
                first = column if first < 0 else first
                index += text.startswith("\r\n", index)
                column = 0
            index += 1
        if first > 0 and deepest > first:
            raise Fallback

    def pair_colon(self, key: Any) -> None:
        """Check ``["a":x]``: in a flow sequence ruamel needs a space after the ``:``."""
        text, end = self.text, len(self.text)
        index = _skip_space(text, key.end_mark.index, end)
        if text[index : index + 1] == ":" and text[index + 1 : index + 2] not in _BLANKS:
            raise Fallback

    def root(self, event: Any) -> _Mark:
        """An empty document's value: at the next token, as libyaml has it but at the end."""
        return self.at(event.start_mark.index)

    def block_value(self, event: Any) -> _Mark:
        """An empty value in a block mapping: ruamel puts it at the end of the next token."""
        text, end = self.text, len(self.text)
        index = event.start_mark.index  # right after the ':' (or at the next token, no ':')
        while index < end:
            char = text[index]
            if char == "#":
                index = _line_end(text, index, end)
            elif char in " \r\n":
                index += 1
            else:
                break
        if index < end and text[index] in "?:":  # an explicit key or value token: not zero-width
            raise Fallback
        return self.at(index)

    def flow_value(self, event: Any, key: Any) -> _Mark:
        """An empty value in a flow mapping: ruamel puts it right after the ':', if there is one."""
        text, end = self.text, len(self.text)
        index = _skip_space(text, key.end_mark.index, end)
        target = event.start_mark.index  # libyaml: the start of the token after the value
        if index < end and text[index] == ":" and _skip_space(text, index + 1, end) == target:
            return self.at(index + 1)
        if index == target:  # no ':' ({a, b}): the parsers agree
            return self.at(target)
        raise Fallback

    def finish(self) -> None:
        """Check the tabs: ruamel refuses some that libyaml reads as spaces.

        A tab inside a quoted scalar, or in a comment outside any block scalar,
        is read alike by both; any other sends the text to the pure parser.
        """
        if self._quoted is None:
            return
        text, quoted = self.text, self._quoted
        starts = [start for start, _ in quoted]
        tab = text.find("\t")
        while tab >= 0:
            if not _inside(tab, quoted, starts) and not self._in_comment(tab, starts):
                raise Fallback
            tab = text.find("\t", tab + 1)

    def _in_comment(self, tab: int, starts: list[int]) -> bool:
        assert self._quoted is not None
        if any(start <= tab < end for start, end in self._blocks):
            return False
        text = self.text
        line_start = max(text.rfind("\n", 0, tab), text.rfind("\r", 0, tab)) + 1
        hash_ = text.find("#", line_start, tab)
        while hash_ >= 0:  # a comment starts at a '#' after a space, outside quotes
            after_space = hash_ == line_start or text[hash_ - 1] == " "
            if after_space and not _inside(hash_, self._quoted, starts):
                return True
            hash_ = text.find("#", hash_ + 1, tab)
        return False


_BLANKS = frozenset(["", " ", "\t", "\r", "\n"])
_NAME_ENDS = _BLANKS | {",", "]", "}"}


def _skip_space(text: str, index: int, end: int) -> int:
    while index < end and text[index] in " \r\n":
        index += 1
    return index


def _line_end(text: str, index: int, end: int) -> int:
    while index < end and text[index] not in "\r\n":
        index += 1
    return index


def _inside(index: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Whether ``index`` is strictly between the quotes of one of ``spans``."""
    at = bisect_right(starts, index) - 1
    return at >= 0 and spans[at][0] < index < spans[at][1] - 1


def _load_c_parser() -> Any:
    """The C parser class, if ``ruamel.yaml.clib`` is installed and counts as perfkit expects."""
    try:
        parser = importlib.import_module("_ruamel_yaml").CParser
    except (ImportError, AttributeError):  # pragma: no cover - clib is a dependency
        return None
    # A canary: marks must count characters (not bytes, CRLF as two), styles and empty
    # values must be as CMarks expects; a libyaml that differs is not used, not trusted.
    try:
        get_event = parser("é: ''\r\nb:\n").get_event
        scalars = [get_event() for _ in range(8)][3:7]
        found = [(e.value, e.style, e.start_mark.index, e.start_mark.column) for e in scalars]
    except (YAMLError, AttributeError, TypeError):  # pragma: no cover - as the canary says
        return None
    if found != [("é", "", 0, 0), ("", "'", 3, 3), ("b", "", 7, 0), ("", "", 9, 2)]:
        return None  # pragma: no cover - the installed clib counts as expected
    return parser


_C_PARSER: Any = _load_c_parser()
_enabled = True
