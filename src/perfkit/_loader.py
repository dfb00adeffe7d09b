"""Loading a policy: YAML -> includes -> model validation -> names and expressions.

Like beancount's loader, every stage collects its problems as located
:class:`~perfkit.errors.Diagnostic` values instead of stopping at the first, and
the load fails once, at the end, with all of them.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from perfkit._model_types import ErrorAt
from perfkit._policy import Policy
from perfkit._policy_check import check_policy
from perfkit._policy_model import DSL_VERSIONS, PolicyBody
from perfkit._registry import Registry, default_registry
from perfkit._time import Calendar
from perfkit._yaml import LoadedYaml, SourceMap, load_yaml, load_yaml_file, render_path
from perfkit.errors import Diagnostic, Location, PerfkitError, PolicyError, Severity

__all__ = ["load_policy"]

_LIST_SECTIONS = ("incentives", "actions", "alerts")
_MAP_SECTIONS = ("tables", "attributes", "metrics", "targets", "rate_tables", "variables")
_INCLUDABLE = set(PolicyBody.model_fields) | {"perfkit", "include"}


class _Sources:
    """Maps field paths of the merged policy back to the file each came from."""

    def __init__(self, main: SourceMap):
        self.main = main
        self.moved: dict[tuple[str | int, ...], tuple[SourceMap, tuple[str | int, ...]]] = {}

    def _resolve(self, path: tuple[str | int, ...]) -> tuple[SourceMap, tuple[str | int, ...]]:
        for cut in range(len(path), 0, -1):
            hit = self.moved.get(path[:cut])
            if hit is not None:
                return hit[0], hit[1] + path[cut:]
        return self.main, path

    def locate(self, path: tuple[str | int, ...]) -> Location:
        source, inner = self._resolve(path)
        return _with_path(source.locate(inner), path)

    def locate_key(self, path: tuple[str | int, ...]) -> Location:
        source, inner = self._resolve(path)
        return _with_path(source.locate_key(inner), path)

    def locate_text(self, path: tuple[str | int, ...]) -> Location:
        source, inner = self._resolve(path)
        return _with_path(source.locate_text(inner), path)


def _with_path(location: Location, path: tuple[str | int, ...]) -> Location:
    return Location(location.file, location.line, location.column, render_path(path) or None)


def load_policy(source: str | Path, *, registry: Registry | None = None) -> Policy:
    """Load, validate and compile a policy from a YAML file or YAML text.

    Args:
        source: a path (``Path``, or a ``str`` naming an existing file or ending in
            ``.yaml``/``.yml``), or the YAML text itself.
        registry: where expression functions and plugin rule kinds come from;
            the default registry when not given.

    Returns:
        The frozen :class:`Policy`; warnings are in ``policy.diagnostics``.

    Raises:
        PolicyError: listing every problem found, each at ``file:line:col``.
    """
    loaded, base = _read(source)
    diagnostics: list[Diagnostic] = []
    data = loaded.data
    if not isinstance(data, dict):
        got = "an empty document" if data is None else f"a {type(data).__name__}"
        raise PolicyError(
            [
                Diagnostic(
                    "policy.not-mapping",
                    f"a policy is a mapping of sections, got {got}",
                    location=loaded.source_map.locate(()),
                )
            ]
        )
    _check_version(data, loaded.source_map, diagnostics)
    if diagnostics:
        raise PolicyError(diagnostics)
    sources = _Sources(loaded.source_map)
    data = _merge_includes(data, base, loaded, sources, diagnostics, chain=(_name(loaded),))
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(data, context={"calendar": _calendar(data)})
    except ValidationError as exc:
        diagnostics.extend(_from_validation(exc, sources))
    if policy is not None:
        diagnostics.extend(
            check_policy(
                policy, registry or default_registry(), sources.locate, sources.locate_text
            )
        )
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors or policy is None:
        raise PolicyError(_sorted(diagnostics))
    policy._diagnostics = tuple(_sorted(diagnostics))
    policy._locate = sources.locate
    policy._registry = registry or default_registry()
    policy._source = loaded.source_map.locate(()).file
    return policy


def _calendar(data: dict[str, Any]) -> Calendar:
    """The policy's calendar for reading fiscal labels; the default while it is invalid."""
    try:
        return Calendar.model_validate(data.get("calendar") or {})
    except (ValidationError, PerfkitError):
        return Calendar()


def _read(source: str | Path) -> tuple[LoadedYaml, Path]:
    if isinstance(source, Path):
        return load_yaml_file(source), source.parent
    looks_like_path = "\n" not in source and (
        source.endswith((".yaml", ".yml")) or Path(source).is_file()
    )
    if looks_like_path:
        return load_yaml_file(Path(source)), Path(source).parent
    return load_yaml(source), Path.cwd()


def _name(loaded: LoadedYaml) -> str:
    return loaded.source_map.locate(()).file or "<text>"


def _check_version(data: dict[str, Any], where: SourceMap, out: list[Diagnostic]) -> None:
    supported = ", ".join(str(v) for v in DSL_VERSIONS)
    if "perfkit" not in data:
        out.append(
            Diagnostic(
                "policy.version-missing",
                f"a policy starts with the DSL version, 'perfkit: 1' (supported: {supported})",
                location=where.locate(()),
            )
        )
    elif data["perfkit"] not in DSL_VERSIONS or isinstance(data["perfkit"], bool):
        out.append(
            Diagnostic(
                "policy.version-unsupported",
                f"DSL version {data['perfkit']!r} is not supported; perfkit reads: {supported}",
                location=where.locate(("perfkit",)),
            )
        )


def _merge_includes(
    data: dict[str, Any],
    base: Path,
    loaded: LoadedYaml,
    sources: _Sources,
    out: list[Diagnostic],
    *,
    chain: tuple[str, ...],
) -> dict[str, Any]:
    includes = data.get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        return data  # model validation reports the type
    merged = dict(data)
    for index, relative in enumerate(includes):
        if not isinstance(relative, str):
            continue
        where = loaded.source_map.locate(("include", index))
        path = (base / relative).resolve()
        if str(path) in chain:
            cycle = " -> ".join([*chain, str(path)])
            out.append(
                Diagnostic("policy.include-cycle", f"include cycle: {cycle}", location=where)
            )
            continue
        try:
            child = load_yaml_file(path)
        except PolicyError as exc:
            out.extend(_relocate(exc.diagnostics, where, relative))
            continue
        if not isinstance(child.data, dict):
            out.append(
                Diagnostic(
                    "policy.include-not-mapping",
                    f"included file {relative!r} is not a mapping of sections",
                    location=where,
                )
            )
            continue
        child_data = _merge_includes(
            child.data,
            path.parent,
            child,
            _Sources(child.source_map),
            out,
            chain=(*chain, str(path)),
        )
        _merge_one(merged, child_data, child.source_map, sources, out, relative)
    merged.pop("include", None)
    return merged


def _relocate(diagnostics: Iterable[Diagnostic], where: Location, name: str) -> list[Diagnostic]:
    result = []
    for d in diagnostics:
        if d.code == "yaml.io":
            result.append(
                Diagnostic(
                    "policy.include-missing",
                    f"cannot include {name!r}: {d.message}",
                    location=where,
                )
            )
        else:
            result.append(d)
    return result


def _merge_one(
    merged: dict[str, Any],
    child: dict[str, Any],
    child_map: SourceMap,
    sources: _Sources,
    out: list[Diagnostic],
    name: str,
) -> None:
    for key, value in child.items():
        if key in ("perfkit", "include"):
            continue
        if key not in _INCLUDABLE or key not in _MAP_SECTIONS + _LIST_SECTIONS:
            allowed = ", ".join(_MAP_SECTIONS + _LIST_SECTIONS)
            out.append(
                Diagnostic(
                    "policy.include-section",
                    f"an included file may hold only these sections: {allowed}; "
                    f"{key!r} belongs in the main policy",
                    location=child_map.locate_key((key,)),
                )
            )
            continue
        if key in _MAP_SECTIONS:
            if not isinstance(value, dict):
                merged[key] = value
                continue
            target = merged.setdefault(key, {})
            if not isinstance(target, dict):
                continue
            for entry, body in value.items():
                if entry in target:
                    first = sources.locate_key((key, entry))
                    out.append(
                        Diagnostic(
                            "policy.duplicate-name",
                            f"{key}.{entry} is defined twice: here (from {name!r}) and at {first}",
                            location=child_map.locate_key((key, entry)),
                        )
                    )
                    continue
                target[entry] = body
                sources.moved[(key, entry)] = (child_map, (key, entry))
        else:
            if not isinstance(value, list):
                merged[key] = value
                continue
            target_list = merged.setdefault(key, [])
            if not isinstance(target_list, list):
                continue
            for position, item in enumerate(value):
                sources.moved[(key, len(target_list))] = (child_map, (key, position))
                target_list.append(item)


# --- pydantic errors -> located diagnostics -------------------------------------

_CODES = {
    "missing": "policy.missing-key",
    "extra_forbidden": "policy.unknown-key",
    "value_error": "policy.invalid",
    "assertion_error": "policy.invalid",
    "literal_error": "policy.choice",
    "enum": "policy.choice",
    "string_pattern_mismatch": "policy.invalid",
    "rule_kind": "policy.rule-kind",
    "union_tag_invalid": "policy.rule-kind",
}


def _from_validation(exc: ValidationError, sources: _Sources) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        path, model = _source_path(error["loc"])
        inner = error.get("ctx", {}).get("error")
        if isinstance(inner, ErrorAt):  # the validator names the item at fault
            path = (*path, *inner.path)
        kind = error["type"]
        code = _CODES.get(kind, "policy.type")
        message = _message(error, kind, path, model)
        location = sources.locate_key(path) if kind == "extra_forbidden" else sources.locate(path)
        found.append(Diagnostic(code, message, location=location))
    return found


def _message(error: Any, kind: str, path: tuple[str | int, ...], model: set[type]) -> str:
    if kind == "missing":
        return f"missing required key {path[-1]!r}" if path else "missing a required key"
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = sorted({k for cls in model for k in _keys(cls)})
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not close else ""
        return f"unknown key {key!r}{hint}{listing}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("literal_error", "enum", "string_pattern_mismatch"):
        message = message.replace("Input should be", "expected")
        message = f"{message}, got {error.get('input')!r}"
    elif message.startswith("Input should be"):
        message = message.replace("Input should be", "expected") + f", got {_show(error)}"
    return message


def _show(error: Any) -> str:
    value = error.get("input")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _keys(cls: type) -> list[str]:
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return []
    return [info.alias or name for name, info in cls.model_fields.items()]


def _source_path(loc: tuple[int | str, ...]) -> tuple[tuple[str | int, ...], set[type]]:
    """Drop union tags from a pydantic loc and find the model(s) at its parent."""
    path: list[str | int] = []
    current: set[Any] = {Policy}
    parent: set[Any] = {Policy}
    for part in loc:
        current = _unwrap(current)
        if _is_tagged_union(current) and isinstance(part, str):
            current = _tag_member(current, part)
            continue
        parent = current
        path.append(part)
        current = _step(current, part)
    return tuple(path), {c for c in _unwrap(parent) if isinstance(c, type)}


def _unwrap(types_: set[Any]) -> set[Any]:
    result: set[Any] = set()
    for tp in types_:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            result |= _unwrap({get_args(tp)[0]})
        elif origin in (Union, types.UnionType):
            result |= _unwrap(set(get_args(tp)))
        else:
            result.add(tp)
    return result


def _is_tagged_union(types_: set[Any]) -> bool:
    from perfkit._policy_model import RULE_KINDS

    return types_ == set(RULE_KINDS.values())


def _tag_member(types_: set[Any], tag: str) -> set[Any]:
    from perfkit._policy_model import RULE_KINDS

    member = RULE_KINDS.get(tag)
    return {member} if member is not None else types_


def _step(types_: set[Any], part: str | int) -> set[Any]:
    result: set[Any] = set()
    for tp in types_:
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            for name, info in tp.model_fields.items():
                if part in (name, info.alias):
                    result.add(info.annotation)
        elif origin is dict:
            result.add(get_args(tp)[1])
        elif origin in (list, tuple) and isinstance(part, int):
            args = get_args(tp)
            if origin is tuple and args and args[-1] is not Ellipsis:
                result.add(args[part] if part < len(args) else Any)
            elif args:
                result.add(args[0])
    return result


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int, str]:
        loc = d.location
        return (loc.file or "", loc.line or 0, loc.column or 0, d.code)

    return sorted(diagnostics, key=key)
