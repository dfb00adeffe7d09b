"""Errors and located diagnostics.

Every error perfkit raises derives from one root, so a host can catch them all
with a single ``except perfkit.PerfkitError``::

    PerfkitError
     ├── InvalidValueError   (also a ValueError) a bad number, weight, period,
     │    │                  calendar or argument handed to a value type
     │    └── OrgTreeError   an org tree that is not a forest: cycles, two
     │                       parents at once, unknown nodes
     ├── PolicyError         a policy that cannot be loaded; carries diagnostics
     ├── DataError           input data that cannot be used; carries diagnostics
     └── EvaluationError     a failure while evaluating a valid policy on valid data

Problems found while reading a policy or a dataset are collected lazily as
:class:`Diagnostic` values (a reason code, a message, a severity and a
:class:`Location`) and raised together, so an author sees every mistake at once.
A diagnostic renders the way compilers do, so editors can jump to it::

    plans/field.yaml:12:7: incentives[0].tiers[1].rate: expected a number [policy.type]
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "DataError",
    "Diagnostic",
    "EvaluationError",
    "InvalidValueError",
    "Location",
    "OrgTreeError",
    "PerfkitError",
    "PolicyError",
    "Severity",
]


class Severity(enum.Enum):
    """How serious a diagnostic is: errors stop a load, warnings do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a diagnostic points: a file position and/or a field path.

    Any part may be unknown. ``path`` is a dotted field path such as
    ``incentives[0].tiers[1].rate`` (for data: ``deals[17].amount``).
    """

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def render(self) -> str:
        """Render as ``file:line:col: path``, leaving out the parts not known."""
        parts: list[str] = []
        if self.file is not None:
            position = self.file
            if self.line is not None:
                position += f":{self.line}"
                if self.column is not None:
                    position += f":{self.column}"
            parts.append(position)
        elif self.line is not None:
            position = f"<input>:{self.line}"
            if self.column is not None:
                position += f":{self.column}"
            parts.append(position)
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a policy or a dataset.

    Attributes:
        code: a stable, machine-readable reason code such as ``policy.unknown-key``.
        message: what is wrong and, where possible, how to fix it.
        severity: :class:`Severity`; only errors make a load fail.
        location: where the problem is.
    """

    code: str
    message: str
    severity: Severity = Severity.ERROR
    location: Location = field(default_factory=Location)

    def render(self) -> str:
        """Render as ``file:line:col: path: message [code]``."""
        where = self.location.render()
        prefix = f"{where}: " if where else ""
        label = "" if self.severity is Severity.ERROR else f"{self.severity.value}: "
        return f"{prefix}{label}{self.message} [{self.code}]"

    def __str__(self) -> str:
        return self.render()

    @property
    def is_error(self) -> bool:
        """True for diagnostics of severity ERROR."""
        return self.severity is Severity.ERROR


class PerfkitError(Exception):
    """The root of every error perfkit raises."""


class InvalidValueError(PerfkitError, ValueError):
    """A value handed to a perfkit value type is not acceptable.

    Raised for floats where a Decimal is required, malformed percentages,
    negative or NaN weights, unknown rounding modes, bad period labels and the
    like. The message names the offending value and what was expected.
    """


class OrgTreeError(InvalidValueError):
    """An org tree is malformed: a cycle, two parents at once, an unknown node."""


class _DiagnosticsError(PerfkitError):
    """An error that carries every diagnostic found, not only the first."""

    default_summary = "problems found"

    def __init__(self, diagnostics: Iterable[Diagnostic] | str, *, summary: str | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(code="error", message=diagnostics)]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.summary = summary or self.default_summary
        super().__init__(self._render())

    def _render(self) -> str:
        errors = sum(1 for d in self.diagnostics if d.is_error)
        head = f"{self.summary} ({errors} error{'s' if errors != 1 else ''})"
        if not self.diagnostics:
            return self.summary
        if len(self.diagnostics) == 1:
            return self.diagnostics[0].render()
        return "\n".join([head + ":", *(f"  {d.render()}" for d in self.diagnostics)])


class PolicyError(_DiagnosticsError):
    """A policy could not be loaded. ``.diagnostics`` lists every problem."""

    default_summary = "the policy has problems"


class DataError(_DiagnosticsError):
    """Input data could not be used. ``.diagnostics`` lists every bad row or table."""

    default_summary = "the data has problems"


class EvaluationError(PerfkitError):
    """Evaluating a valid policy on valid data failed (for example an expression error)."""
