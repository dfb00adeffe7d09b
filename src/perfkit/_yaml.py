"""YAML for policies: one meaning per document, every mistake located.

ruamel.yaml scans and parses the text (with its C parser, ``ruamel.yaml.clib``,
wherever that reads exactly as its pure-Python parser does: see
:mod:`perfkit._yaml_events`); perfkit composes the node graph from the parser's
events and converts every scalar itself, so a policy reads the same whatever
YAML version a directive names and whatever a YAML library would guess:

* YAML 1.2 core forms only, and narrower: ``yes``/``on`` stay strings, ``012``
  stays a string (neither 12 nor octal 10), numbers become exact ``Decimal``
  values read from their text (``19.99``, ``5%`` -> ``Decimal("0.05")``);
* explicit tags, merge keys (``<<``), duplicate keys and non-scalar keys are
  refused; anchors and aliases are allowed within a node budget;
* every problem is a :class:`~perfkit.errors.Diagnostic` at ``file:line:col``,
  all of them raised together as one :class:`~perfkit.errors.PolicyError`.

The result keeps a :class:`SourceMap`, so later layers (the pydantic models)
can turn an error ``loc`` tuple back into a line and column.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from ruamel.yaml.reader import ReaderError

from perfkit._numbers import parse_decimal
from perfkit._yaml_events import (
    CMarks,
    Fallback,
    c_events,
    c_parser_may_read,
    pure_events,
    use_c_parser,
)
from perfkit.errors import Diagnostic, InvalidValueError, Location, PolicyError

__all__ = [
    "LoadedYaml",
    "PathElement",
    "SourceMap",
    "YamlValue",
    "load_yaml",
    "load_yaml_file",
    "render_path",
]

YamlValue: TypeAlias = (
    dict[str, "YamlValue"] | list["YamlValue"] | str | int | Decimal | bool | None
)
"""What :func:`load_yaml` produces: plain, insertion-ordered Python values."""

PathElement: TypeAlias = str | int
"""One step of a field path: a mapping key or a list index (as in pydantic's ``loc``)."""

MAX_DEPTH = 200
"""Deepest nesting accepted, counted through aliases; deeper documents are ``yaml.too-large``."""

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_SPECIAL_STARTS = frozenset(["", *"~nNtTfF+-.0123456789"])  # how nulls, bools and numbers start
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_MANTISSA = r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)"
_DECIMAL = re.compile(_MANTISSA + r"(?:[eE][-+]?[0-9]+)?")
_PERCENT = re.compile(_MANTISSA + "%")
_NON_FINITE = re.compile(r"[-+]?\.(?:inf|nan)", re.IGNORECASE)
_LINE_BREAK = re.compile("\r\n|\r|\n")  # the breaks ruamel counts in YAML 1.2
_BARE_KEY = re.compile(r"[^\s.\[\]\"'\\]+")


def render_path(path: Sequence[PathElement]) -> str:
    """Render a field path the way diagnostics show it.

    ``("incentives", 0, "tiers", 1, "rate")`` gives ``incentives[0].tiers[1].rate``;
    keys with dots, brackets, quotes or spaces are quoted: ``teams["east.1"]``.

    Args:
        path: mapping keys and list indices, outermost first.

    Returns:
        The rendered path; ``""`` for the root.
    """
    parts: list[str] = []
    for element in path:
        if isinstance(element, int) and not isinstance(element, bool):
            parts.append(f"[{element}]")
        elif _BARE_KEY.fullmatch(text := str(element)):
            parts.append(f".{text}" if parts else text)
        else:
            parts.append(f"[{json.dumps(text, ensure_ascii=False)}]")
    return "".join(parts)


class _Node:
    """A composed node: its position, and its size and height with aliases expanded."""

    __slots__ = ("column", "height", "line", "size")

    def __init__(self, mark: Any) -> None:
        self.line, self.column = mark.line + 1, mark.column + 1
        self.size = self.height = 1


class _Scalar(_Node):
    __slots__ = ("plain", "style", "text", "value")
    value: YamlValue

    def __init__(self, mark: Any, text: str, *, plain: bool, style: str = "") -> None:
        self.line, self.column = mark.line + 1, mark.column + 1  # _Node's, without the call
        self.size = self.height = 1
        self.text, self.plain, self.value = text, plain, None
        self.style = style


class _Seq(_Node):
    __slots__ = ("items",)

    def __init__(self, mark: Any) -> None:
        super().__init__(mark)
        self.items: list[_Node] = []


class _Map(_Node):
    __slots__ = ("entries",)

    def __init__(self, mark: Any) -> None:
        super().__init__(mark)
        self.entries: dict[str, tuple[_Node, _Node]] = {}  # first key node, value node


class _Alias(_Node):
    __slots__ = ("target",)

    def __init__(self, mark: Any, target: _Node) -> None:
        super().__init__(mark)
        self.target, self.size, self.height = target, target.size, target.height


class SourceMap:
    """Where each value of a loaded document was written.

    Paths are tuples of mapping keys and list indices, exactly as pydantic
    reports an error ``loc``. A path through an alias leads into the anchored
    node, where the values are written; the path of the alias itself locates
    the ``*name``. Lines and columns are 1-based; columns count characters.
    """

    __slots__ = ("_root", "file")

    def __init__(self, root: _Node | None = None, file: str | None = None) -> None:
        self._root = root
        self.file = file

    def __repr__(self) -> str:
        return f"SourceMap(file={self.file!r})"

    def locate(self, path: Sequence[PathElement]) -> Location:
        """Return the position of the value at ``path``.

        A path that does not exist (or leads into no node) falls back to its
        nearest ancestor that does; ``Location.path`` is always the full path.
        """
        node, _ = self._find(path)
        return self._location(node, path)

    def locate_text(self, path: Sequence[PathElement]) -> Location:
        """Return where the text of the scalar at ``path`` begins.

        Past the opening quote of a quoted scalar; on the line after the
        indicator of a block scalar (``|``, ``>``), whose column is then unknown.
        """
        node, _ = self._find(path)
        location = self._location(node, path)
        if isinstance(node, _Scalar) and location.line is not None:
            if node.style in ("'", '"') and location.column is not None:
                return Location(location.file, location.line, location.column + 1, location.path)
            if node.style in ("|", ">"):
                return Location(location.file, location.line + 1, None, location.path)
        return location

    def locate_key(self, path: Sequence[PathElement]) -> Location:
        """Return the position of the mapping key that ends ``path``.

        For unknown-key diagnostics. Falls back as :meth:`locate` does, and to
        the value's position when the last step is a list index.
        """
        node, key = self._find(path)
        return self._location(key or node, path)

    def _find(self, path: Sequence[PathElement]) -> tuple[_Node | None, _Node | None]:
        node, key = self._root, None
        for element in path:
            target = node.target if isinstance(node, _Alias) else node
            if isinstance(target, _Map) and isinstance(element, str) and element in target.entries:
                key, node = target.entries[element]
            elif (
                isinstance(target, _Seq)
                and type(element) is int
                and element in range(len(target.items))
            ):
                key, node = None, target.items[element]
            else:
                return node, None
        return node, key

    def _location(self, node: _Node | None, path: Sequence[PathElement]) -> Location:
        line, column = (node.line, node.column) if node else (None, None)
        return Location(self.file, line, column, render_path(path) or None)


@dataclass(frozen=True, slots=True)
class LoadedYaml:
    """A loaded document: plain ``data`` and the ``source_map`` that locates it."""

    data: YamlValue
    source_map: SourceMap


_BLOCK, _FLOW, _PAIR = 0, 1, 2  # kinds of mapping, for the C parser's checks


class _TooDeepError(Exception):
    """Raised inside the composer to stop before Python's recursion limit."""


class _Composer:
    """Build nodes from parser events, checking each node once, in document order.

    Aliases are not expanded here: each node records its expanded size and
    height, so the budget check costs one step per alias, however deep.

    With ``marks`` (the C parser's events) any diagnostic, and any reading the
    pure parser might not share, raises :class:`Fallback` instead: the caller
    then parses the text again with the pure parser, whose diagnostics count.
    """

    def __init__(
        self,
        next_event: Callable[[], Any],
        file: str | None,
        max_nodes: int,
        marks: CMarks | None = None,
    ) -> None:
        self._next = next_event
        self._file = file
        self._max_nodes = max_nodes
        self._marks = marks
        self._anchors: dict[str, _Node] = {}
        self._open: set[int] = set()  # collections still being composed
        self._count = 0
        self.diagnostics: list[Diagnostic] = []

    def document(self) -> _Node | None:
        get = self._next
        get()  # stream start
        if get().__class__ is StreamEndEvent:
            return None
        event = get()  # after the document start
        if self._marks is not None:
            if _is_empty(event):
                event.start_mark = self._marks.root(event)
            elif event.__class__ is ScalarEvent and event.style in ("|", ">"):
                raise Fallback  # ruamel lets a top-level block scalar's lines start at column 1
        try:
            root = self._node(event, (), 1, key=False)
        except _TooDeepError as exc:
            message = f"nesting is deeper than {MAX_DEPTH} levels (through aliases too): flatten it"
            self._error("yaml.too-large", message, exc.args[0], ())
            return None
        get()  # document end
        if (event := get()).__class__ is not StreamEndEvent:
            self._error(
                "yaml.multiple-documents",
                "a second YAML document starts here; a policy file holds exactly one "
                "document: remove the '---' line or split the file",
                event.start_mark,
                (),
            )
        if self._marks is not None:
            self._marks.finish()
        return root

    def _error(self, code: str, message: str, where: Any, path: tuple[PathElement, ...]) -> None:
        if self._marks is not None:
            raise Fallback
        node = where if isinstance(where, _Node) else _Node(where)
        location = Location(self._file, node.line, node.column, render_path(path) or None)
        self.diagnostics.append(Diagnostic(code, message, location=location))

    def _node(self, event: Any, path: tuple[PathElement, ...], depth: int, *, key: bool) -> _Node:
        cls = event.__class__
        if cls is AliasEvent:
            return self._alias(event, path, depth, key=key)
        anchor, mark = event.anchor, event.start_mark
        if event.ctag is not None or anchor is not None:
            self._properties(event, path)
        node: _Node
        if cls is ScalarEvent:
            style = event.style
            node = _Scalar(mark, event.value, plain=not style, style=style or "")
            if not key:
                self._convert(node, path)
            if style and self._marks is not None:
                self._marks.scalar(event)
        elif depth > MAX_DEPTH:
            raise _TooDeepError(mark)
        else:
            node = _Map(mark) if cls is MappingStartEvent else _Seq(mark)
        self._count += 1  # counted in document order, before its children
        if self._count == self._max_nodes + 1:
            self._over_budget(node, path)
        if anchor is not None:
            self._anchors[anchor] = node
        if cls is ScalarEvent:
            return node
        self._open.add(id(node))
        get, size, height = self._next, 1, 1
        if isinstance(node, _Map):
            flow = _BLOCK
            if event.flow_style:  # braces, or a single pair in a flow sequence: [a: 1]
                marks = self._marks
                flow = _PAIR if marks is not None and marks.text[mark.index] != "{" else _FLOW
            while (event := get()).__class__ is not MappingEndEvent:
                key_node, value = self._entry(node, event, path, depth + 1, flow)
                size += key_node.size + value.size
                height = max(height, key_node.height + 1, value.height + 1)
        else:
            assert isinstance(node, _Seq)
            items = node.items
            while (event := get()).__class__ is not SequenceEndEvent:
                items.append(item := self._node(event, (*path, len(items)), depth + 1, key=False))
                size += item.size
                if item.height >= height:
                    height = item.height + 1
        node.size, node.height = size, height
        self._open.discard(id(node))
        return node

    def _properties(self, event: Any, path: tuple[PathElement, ...]) -> None:
        """Check a node's tag (refused) and anchor."""
        if event.ctag is not None:
            if self._marks is not None:
                raise Fallback  # the C parser does not keep the tag as written
            self._error("yaml.tag", _tag_message(event.ctag), event.start_mark, path)
        if event.anchor is not None and self._marks is not None:
            self._marks.anchor(event, "&")

    def _entry(
        self, node: _Map, event: Any, path: tuple[PathElement, ...], depth: int, flow: int
    ) -> tuple[_Node, _Node]:
        key = self._node(event, path, depth, key=True)
        if isinstance(key, _Scalar) and not (key.plain and key.text == "<<"):
            name: str | None = key.text
        else:
            name = self._key_name(key, path)
        value_event = self._next()
        if self._marks is not None:
            if flow == _PAIR:
                self._marks.pair_colon(event)
            if _is_empty(value_event):
                self._move_empty_value(value_event, event, key, flow=flow != _BLOCK)
        value = self._node(value_event, path if name is None else (*path, name), depth, key=False)
        if name is None:
            return key, value
        if name in node.entries:
            self._error(
                "yaml.duplicate-key",
                f"duplicate key {name!r}: first at line {node.entries[name][0].line}, again at "
                f"line {key.line}; a key may appear only once in a mapping (other YAML "
                "readers silently keep one of them): remove or rename one",
                key,
                (*path, name),
            )
        else:
            node.entries[name] = (key, value)
        return key, value

    def _move_empty_value(self, event: Any, key_event: Any, key: _Node, *, flow: bool) -> None:
        """Put the C parser's empty value where the pure parser puts it."""
        assert self._marks is not None
        if not flow:
            event.start_mark = self._marks.block_value(event)
        elif isinstance(key, _Scalar) and key.text:
            event.start_mark = self._marks.flow_value(event, key_event)
        else:
            raise Fallback  # an empty or aliased key in a flow mapping: rare, let ruamel read it

    def _alias(self, event: Any, path: tuple[PathElement, ...], depth: int, *, key: bool) -> _Node:
        mark, name = event.start_mark, event.anchor
        if self._marks is not None:
            self._marks.anchor(event, "*")
        target = self._anchors.get(name)
        if target is None:
            message = f"alias *{name} refers to no anchor &{name} above it; define it first"
            self._error("yaml.undefined-alias", message, mark, path)
            return _Scalar(mark, "", plain=True)
        if id(target) in self._open:
            message = (
                f"alias *{name} is inside the node anchored as &{name}, so it would contain "
                "itself forever; alias a separate node"
            )
            self._error("yaml.recursive-alias", message, mark, path)
            return _Scalar(mark, "", plain=True)
        if isinstance(target, _Scalar) and not key:
            self._convert(target, path)  # it may have been composed as a key
        if depth - 1 + target.height > MAX_DEPTH:
            raise _TooDeepError(mark)
        node = _Alias(mark, target)
        before, self._count = self._count, self._count + target.size
        if before <= self._max_nodes < self._count:
            self._over_budget(node, path)
        return node

    def _over_budget(self, node: _Node, path: tuple[PathElement, ...]) -> None:
        self._error(
            "yaml.too-large",
            f"the document expands to more than {self._max_nodes} values"
            + (" once this alias is expanded" if isinstance(node, _Alias) else "")
            + "; an alias copies its anchored node every time it is used: share less, "
            "or raise max_nodes if the policy really is this large",
            node,
            path,
        )

    def _key_name(self, key: _Node, path: tuple[PathElement, ...]) -> str | None:
        target = key.target if isinstance(key, _Alias) else key
        if not isinstance(target, _Scalar):
            kind = "mapping" if isinstance(target, _Map) else "list"
            message = f"a mapping key must be a single value such as a name, not a {kind}"
            self._error("yaml.key-type", message, key, path)
            return None
        if target is key and target.plain and target.text == "<<":
            self._error(
                "yaml.merge-key",
                "merge keys ('<<') are not supported: they are not part of YAML 1.2 and "
                "make a mapping's meaning depend on hidden overrides; write the keys out, "
                "or anchor a whole value (&name) and reuse it with an alias (*name)",
                key,
                path,
            )
            return None
        return target.text

    def _convert(self, node: _Scalar, path: tuple[PathElement, ...]) -> None:
        try:
            node.value = _scalar_value(node.text) if node.plain else node.text
        except ValueError:  # InvalidValueError, or int() beyond its digit limit
            shown = node.text if len(node.text) <= 30 else node.text[:27] + "..."
            message = (
                f"{shown!r} is not a finite number, or is out of range: amounts and rates "
                "must be finite; quote it if you meant the text"
            )
            self._error("yaml.non-finite", message, node, path)


def _is_empty(event: Any) -> bool:
    """Whether ``event`` is an empty value the parser made up (no text, anchor or tag)."""
    return (
        event.__class__ is ScalarEvent
        and not event.value
        and not event.style
        and event.anchor is None
        and event.ctag is None
    )


def _scalar_value(text: str) -> YamlValue:
    """Convert a plain scalar by perfkit's rules (a narrow YAML 1.2 core schema)."""
    if text[:1] not in _SPECIAL_STARTS:  # most text: not a null, a boolean or a number
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        return int(text)  # a ValueError beyond Python's 4300-digit limit: out of range
    if _DECIMAL.fullmatch(text) or _PERCENT.fullmatch(text):
        return parse_decimal(text)
    if _NON_FINITE.fullmatch(text):
        raise InvalidValueError(text)
    return text


def _tag_message(tag: Any) -> str:
    handle, suffix = tag.handle or "", tag.suffix or ""
    written = f"{handle}{suffix}" if handle or suffix == "!" else f"!<{suffix}>"
    return (
        f"explicit tag {written!r} is not allowed: policies hold plain values only "
        "(perfkit never builds objects from tags); remove the tag, and quote the value "
        "if it must be text"
    )


def _build(node: _Node | None) -> YamlValue:
    if isinstance(node, _Alias):
        node = node.target
    if isinstance(node, _Map):
        return {name: _build(value) for name, (_, value) in node.entries.items()}
    if isinstance(node, _Seq):
        return [_build(item) for item in node.items]
    return node.value if isinstance(node, _Scalar) else None


_SYNTAX_HINTS = {
    "'\\t' that cannot start any token": "a tab cannot indent YAML: use spaces",
    "cannot start any token": "this character cannot start a plain value: quote the value",
    "mapping values are not allowed here": (
        "unexpected ':' here: quote a value that contains ': ', or check the indentation"
    ),
    "expected <block end>": "bad indentation: this line does not line up with the lines above",
    "could not find expected ':'": "expected 'key: value' here: a ':' is missing, or the "
    "indentation is wrong",
    "found undefined tag handle": "explicit tags are not allowed (and this one is undefined)",
    "found unexpected end of stream": "the text ends before a quote or bracket is closed",
}


def _syntax_diagnostic(exc: YAMLError, text: str, file: str | None) -> Diagnostic:
    """Turn a ruamel scanner, parser or reader error into one located diagnostic."""
    if isinstance(exc, ReaderError):  # a character YAML forbids, found before parsing
        lines = _LINE_BREAK.split(text[: exc.position])
        location = Location(file, len(lines), len(lines[-1].replace("\ufeff", "")) + 1)
        code_point = exc.character if isinstance(exc.character, int) else 0
        message = (
            f"the character U+{code_point:04X} cannot appear in YAML text (a control "
            "character or non-character); remove it, or write it escaped in double quotes"
        )
        return Diagnostic("yaml.syntax", message, location=location)
    if not isinstance(exc, MarkedYAMLError):  # pragma: no cover - not raised for text input
        return Diagnostic("yaml.syntax", f"YAML error: {exc}", location=Location(file))
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    message = next(
        (f"{hint} ({problem})" for needle, hint in _SYNTAX_HINTS.items() if needle in problem),
        f"YAML syntax error: {problem}",
    )
    if exc.context and exc.problem and exc.context_mark is not None:
        start = exc.context_mark
        message += (
            f"; {exc.context} that starts at line {start.line + 1}, column {start.column + 1}"
        )
    mark = exc.problem_mark or exc.context_mark
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    return Diagnostic(
        "yaml.tag" if "tag handle" in problem else "yaml.syntax", message, location=location
    )


def load_yaml(text: str, *, filename: str | None = None, max_nodes: int = 100_000) -> LoadedYaml:
    """Load one YAML document by perfkit's rules.

    Args:
        text: the document; a leading byte-order mark and CRLF line ends are fine.
        filename: the name diagnostics and the source map report.
        max_nodes: how many values the document may expand to, counting every
            alias expansion (a guard against "billion laughs" documents).

    Returns:
        The plain data (``None`` for an empty document) and its source map.

    Raises:
        PolicyError: with every diagnostic found, sorted by position: codes
            ``yaml.syntax``, ``yaml.tag``, ``yaml.duplicate-key``, ``yaml.key-type``,
            ``yaml.merge-key``, ``yaml.non-finite``, ``yaml.too-large``,
            ``yaml.recursive-alias``, ``yaml.undefined-alias``,
            ``yaml.multiple-documents``.
    """
    text = text.removeprefix("\ufeff")
    if c_parser_may_read(text):
        try:
            composer = _Composer(c_events(text), filename, max_nodes, CMarks(text))
            root = composer.document()
        except (Fallback, YAMLError):  # read it again with the pure parser, as below
            pass
        else:
            return LoadedYaml(_build(root), SourceMap(root, filename))
    try:
        composer = _Composer(pure_events(text), filename, max_nodes)
        root = composer.document()
    except YAMLError as exc:
        raise PolicyError([_syntax_diagnostic(exc, text, filename)]) from None
    if composer.diagnostics:
        unique = {(d.code, d.location.line, d.location.column): d for d in composer.diagnostics}
        ordered = sorted(
            unique.values(), key=lambda d: (d.location.line or 0, d.location.column or 0)
        )
        raise PolicyError(ordered)
    return LoadedYaml(_build(root), SourceMap(root, filename))


def _use_c_parser(enabled: bool) -> bool:
    """Parse with ruamel's C parser when installed (``True``, the default) or never (``False``).

    For tests and benchmarks: results are the same either way, only slower without.

    Returns:
        The setting before the call, to restore it with.
    """
    return use_c_parser(enabled)


def load_yaml_file(path: str | os.PathLike[str], *, max_nodes: int = 100_000) -> LoadedYaml:
    """Read a UTF-8 file (a byte-order mark is fine) and load it with :func:`load_yaml`.

    Args:
        path: the file; diagnostics name it as given.
        max_nodes: as for :func:`load_yaml`.

    Raises:
        PolicyError: ``yaml.io`` when the file cannot be read, ``yaml.encoding``
            when it is not UTF-8 (at the first bad byte), and any load diagnostic.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        message = f"cannot read the policy file: {exc.strerror or type(exc).__name__}"
        raise PolicyError([Diagnostic("yaml.io", message, location=Location(name))]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        location = Location(name, raw.count(b"\n", 0, exc.start) + 1, column)
        message = (
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02X} cannot be decoded); "
            "save it as UTF-8"
        )
        raise PolicyError([Diagnostic("yaml.encoding", message, location=location)]) from None
    return load_yaml(text, filename=name, max_nodes=max_nodes)
