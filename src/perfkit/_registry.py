"""Registries: the functions expressions may call, rule kinds, and plugins.

A :class:`Registry` is a plain object, not a class-level global, so two tenants
in one process never see each other's functions: each host makes its own with
:meth:`Registry.default` (the built-ins) or :meth:`Registry.copy` (an extension
of another). :func:`default_registry` is the shared instance used when a caller
names none.

Registering a function reads its signature, so a policy that calls it with the
wrong arguments fails when it loads, not halfway through a payout run::

    registry = Registry.default()

    @registry.function()
    def quota_factor(region, level=1):
        ...

Plugins are packages that declare an entry point in the ``perfkit.plugins``
group; :meth:`Registry.load_entry_points` calls each one's ``register(registry)``.
"""

from __future__ import annotations

import difflib
import inspect
import keyword
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import MappingProxyType
from typing import Any, TypeVar, overload

from perfkit._expr_functions import BUILTINS, LAZY
from perfkit.errors import Diagnostic, InvalidValueError, Location

__all__ = ["FunctionSpec", "Registry", "default_registry"]

F = TypeVar("F", bound=Callable[..., Any])

Arity = int | tuple[int, int | None]
"""An explicit arity: an exact count, or ``(minimum, maximum)`` with ``None`` for no maximum."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A function expressions may call, with what the compiler needs to check calls.

    Attributes:
        name: the name expressions use.
        fn: the implementation.
        min_args: the fewest positional arguments a call may pass.
        max_args: the most, or None for any number.
        signature: the implementation's signature, used to check keyword
            arguments; None when the arity was given explicitly.
        builtin: True for perfkit's own functions (pure, and folded when their
            arguments are constants).
        lazy: True for built-ins whose arguments are evaluated only as needed.
    """

    name: str
    fn: Callable[..., object]
    min_args: int
    max_args: int | None
    signature: inspect.Signature | None
    builtin: bool = False
    lazy: bool = False

    @property
    def summary(self) -> str:
        """The first line of the implementation's docstring."""
        doc = inspect.getdoc(self.fn) or ""
        return doc.splitlines()[0] if doc else ""

    def check_call(self, positional: int, keywords: tuple[str, ...]) -> str | None:
        """Return why a call with these arguments is wrong, or None if it is fine."""
        if self.signature is not None:
            try:
                self.signature.bind(*range(positional), **dict.fromkeys(keywords))
            except TypeError as exc:
                return f"{self.name}(): {exc}"
            return None
        if keywords:
            return f"{self.name}() takes no keyword arguments"
        if positional < self.min_args or (self.max_args is not None and positional > self.max_args):
            return f"{self.name}() takes {self._expected()} arguments, got {positional}"
        return None

    def _expected(self) -> str:
        if self.max_args == self.min_args:
            return str(self.min_args)
        if self.max_args is None:
            return f"at least {self.min_args}"
        return f"{self.min_args} to {self.max_args}"


def _arity_of(signature: inspect.Signature) -> tuple[int, int | None]:
    least, most = 0, 0
    unbounded = False
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            unbounded = True
        elif parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            most += 1
            if parameter.default is parameter.empty:
                least += 1
    return least, None if unbounded else most


def _checked_arity(arity: Arity) -> tuple[int, int | None]:
    least: int
    most: int | None
    if isinstance(arity, int) and not isinstance(arity, bool):
        least, most = arity, arity
    elif (
        isinstance(arity, tuple)
        and len(arity) == 2
        and isinstance(arity[0], int)
        and (arity[1] is None or isinstance(arity[1], int))
    ):
        least, most = arity
    else:
        raise InvalidValueError(f"arity: expected a count or (minimum, maximum), got {arity!r}")
    if least < 0 or (most is not None and most < least):
        raise InvalidValueError(f"arity: {arity!r} is not a valid range of argument counts")
    return least, most


def _checked_name(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise InvalidValueError(f"{what} name: expected text, got {type(name).__name__} {name!r}")
    normal = unicodedata.normalize("NFKC", name)
    if not normal.isidentifier() or keyword.iskeyword(normal) or normal != name:
        raise InvalidValueError(
            f"{what} name {name!r} is not a plain identifier (letters, digits and '_', "
            "not starting with a digit, not a Python keyword)"
        )
    if name.startswith("_"):
        raise InvalidValueError(
            f"{what} name {name!r} starts with '_'; such names are reserved and "
            "expressions cannot use them"
        )
    return name


class Registry:
    """Functions that expressions may call, rule kinds, and plugins that add both.

    Two registries never share entries: :meth:`copy` makes an independent
    extension of this one.
    """

    __slots__ = ("_functions", "_rule_kinds")

    def __init__(self) -> None:
        """Create an empty registry (see :meth:`default` for one with the built-ins)."""
        self._functions: dict[str, FunctionSpec] = {}
        self._rule_kinds: dict[str, object] = {}

    @classmethod
    def default(cls) -> Registry:
        """Return a new registry holding the built-in functions."""
        registry = cls()
        for name, fn in BUILTINS:
            least, most = _arity_of(inspect.signature(fn))
            registry._functions[name] = FunctionSpec(
                name=name,
                fn=fn,
                min_args=least,
                max_args=most,
                signature=inspect.signature(fn),
                builtin=True,
                lazy=name in LAZY,
            )
        from perfkit._incentive_model import RULE_KINDS

        for key, model in RULE_KINDS.items():
            if key != "kind":  # the built-in kinds, each named by its YAML key
                registry._rule_kinds[key] = model
        return registry

    def copy(self) -> Registry:
        """Return an independent registry with the same entries, to extend."""
        other = type(self)()
        other._functions = dict(self._functions)
        other._rule_kinds = dict(self._rule_kinds)
        return other

    # -- functions ----------------------------------------------------------

    def register_function(
        self,
        name: str,
        fn: Callable[..., object],
        *,
        arity: Arity | None = None,
        replace: bool = False,
    ) -> FunctionSpec:
        """Make ``fn`` callable from expressions as ``name``.

        Args:
            name: an identifier not starting with ``_``.
            fn: the implementation. It receives Decimal, Fraction, text, boolean,
                date, None or table values and should return one of them (ints
                become Decimals; floats are refused).
            arity: the argument count, for callables without a readable
                signature; by default it is read from the signature.
            replace: allow replacing an existing function of that name.

        Returns:
            The stored :class:`FunctionSpec`.

        Raises:
            InvalidValueError: for a bad name, a non-callable, a name already
                registered (without ``replace=True``) or an unreadable signature.
        """
        _checked_name(name, "function")
        if not callable(fn):
            raise InvalidValueError(f"function {name!r}: {fn!r} is not callable")
        if name in self._functions and not replace:
            raise InvalidValueError(
                f"function {name!r} is already registered; pass replace=True to replace it"
            )
        signature: inspect.Signature | None = None
        if arity is None:
            try:
                signature = inspect.signature(fn)
            except (TypeError, ValueError):
                raise InvalidValueError(
                    f"function {name!r}: its signature cannot be read; pass arity=N "
                    "or arity=(minimum, maximum)"
                ) from None
            least, most = _arity_of(signature)
        else:
            least, most = _checked_arity(arity)
        spec = FunctionSpec(name=name, fn=fn, min_args=least, max_args=most, signature=signature)
        self._functions[name] = spec
        return spec

    @overload
    def function(self, name: F, *, arity: Arity | None = None, replace: bool = False) -> F: ...

    @overload
    def function(
        self, name: str | None = None, *, arity: Arity | None = None, replace: bool = False
    ) -> Callable[[F], F]: ...

    def function(
        self,
        name: str | F | None = None,
        *,
        arity: Arity | None = None,
        replace: bool = False,
    ) -> F | Callable[[F], F]:
        """Decorator registering a function under its own name or ``name``.

        ``@registry.function()``, ``@registry.function("bonus_rate")`` and a bare
        ``@registry.function`` all work; the function is returned unchanged.
        See :meth:`register_function` for the arguments and errors.
        """
        if callable(name):
            fn = name
            self.register_function(fn.__name__, fn, arity=arity, replace=replace)
            return fn

        def decorate(fn: F) -> F:
            self.register_function(
                name if name is not None else fn.__name__, fn, arity=arity, replace=replace
            )
            return fn

        return decorate

    def get_function(self, name: str) -> FunctionSpec | None:
        """Return the function registered as ``name``, or None."""
        return self._functions.get(name)

    def function_names(self) -> tuple[str, ...]:
        """All function names, sorted."""
        return tuple(sorted(self._functions))

    def __contains__(self, name: object) -> bool:
        """True when a function of that name is registered."""
        return name in self._functions

    def __repr__(self) -> str:
        return f"<Registry: {len(self._functions)} functions, {len(self._rule_kinds)} rule kinds>"

    # -- rule kinds -----------------------------------------------------------

    def register_rule_kind(self, name: str, spec: object, *, replace: bool = False) -> None:
        """Store a rule kind (any object the engine understands) under ``name``.

        Raises:
            InvalidValueError: for a bad name, or one already registered without
                ``replace=True``.
        """
        if (
            not isinstance(name, str)
            or not name
            or name.startswith("_")
            or name != name.strip()
            or any(ch.isspace() for ch in name)
        ):
            raise InvalidValueError(
                f"rule kind name {name!r} must be non-empty text without spaces, "
                "not starting with '_'"
            )
        from perfkit._incentive_model import RULE_KINDS

        if name in RULE_KINDS:
            raise InvalidValueError(
                f"rule kind {name!r} is built in (a policy names it by its key, "
                f"'{name}:'): choose another name for a plugin kind"
            )
        if name in self._rule_kinds and not replace:
            raise InvalidValueError(
                f"rule kind {name!r} is already registered; pass replace=True to replace it"
            )
        self._rule_kinds[name] = spec

    def rule_kind(self, name: str) -> object:
        """Return the rule kind registered as ``name``.

        Raises:
            InvalidValueError: when there is none, suggesting a close name.
        """
        try:
            return self._rule_kinds[name]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(name), list(self._rule_kinds), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(self._rule_kinds)) or "none"
            raise InvalidValueError(
                f"unknown rule kind {name!r}{hint} (registered: {known})"
            ) from None

    def rule_kinds(self) -> Mapping[str, object]:
        """A read-only view of every rule kind, by name.

        The built-in kinds map to their models, named by their YAML keys
        (``tiered``, ``per_record``...); plugins add theirs beside them.
        """
        return MappingProxyType(self._rule_kinds)

    # -- plugins --------------------------------------------------------------

    def load_entry_points(self, group: str = "perfkit.plugins") -> list[Diagnostic]:
        """Let every installed plugin of ``group`` register into this registry.

        Each entry point names a callable ``register(registry)``, or a module or
        object that has one. A plugin registers into a scratch copy that is merged
        in only when it returns, so a plugin that fails leaves nothing half-done;
        its failure is reported, not raised.

        Returns:
            One ``plugin.failed`` diagnostic per plugin that could not be loaded or
            raised while registering (empty when all succeeded).
        """
        problems: list[Diagnostic] = []
        for entry in metadata.entry_points(group=group):
            trial = self.copy()
            try:
                loaded = entry.load()
                register = getattr(loaded, "register", loaded)
                if not callable(register):
                    raise TypeError(f"{entry.value} has no callable register(registry)")
                register(trial)
            except Exception as exc:  # noqa: BLE001 - a plugin may raise anything; report it
                problems.append(
                    Diagnostic(
                        code="plugin.failed",
                        message=(
                            f"plugin {entry.name!r} ({entry.value}) failed: "
                            f"{type(exc).__name__}: {exc}"
                        ),
                        location=Location(path=f"{group}:{entry.name}"),
                    )
                )
                continue
            self._functions = trial._functions
            self._rule_kinds = trial._rule_kinds
        return problems


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry used when a caller names none.

    Functions registered here are visible to every expression compiled without
    an explicit registry; hosts serving several tenants should give each its
    own :meth:`Registry.default` instead.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry.default()
    return _DEFAULT
