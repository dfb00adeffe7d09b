"""Results: what an evaluation produced, per participant, with a stable JSON form.

A :class:`Result` is an immutable value. Its JSON (``to_json``) is the
documented, stable output format: Decimal amounts as strings, keys in a fixed
order, participants sorted by id, so the same inputs give byte-identical bytes.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from perfkit._numbers import quantize
from perfkit.errors import Diagnostic, EvaluationError

if TYPE_CHECKING:
    from perfkit._trace import Trace

__all__ = ["FORMAT_VERSION", "Alert", "Line", "ParticipantResult", "Result", "render_value"]

FORMAT_VERSION = 1
"""Version of the JSON output format; bumped only with a changelog entry."""

RATIO_QUANTUM = Decimal("1e-10")


def render_value(value: Any) -> Any:
    """A JSON-safe, deterministic rendering of a result value.

    Decimals keep their exact text; exact ratios (Fractions) are shown to ten
    decimal places (half-even); dates as ISO text.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never scientific notation: 1E-7 is 0.0000001
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if Fraction(exact) == value:
            return format(exact, "f")
        return format(quantize(value, RATIO_QUANTUM, "half_even").normalize(), "f")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, Mapping):
        return {str(k): render_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class Line:
    """One payout line: a participant's amount from one rule in one period."""

    participant: str
    component: str
    amount: Decimal
    period: str
    rule: str
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The line as JSON-ready data."""
        return {
            "participant": self.participant,
            "component": self.component,
            "amount": str(self.amount),
            "period": self.period,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Alert:
    """An alert raised for a participant, with the numbers that triggered it."""

    participant: str
    level: str
    message: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON-ready data."""
        return {
            "participant": self.participant,
            "level": self.level,
            "message": self.message,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class ParticipantResult:
    """Everything evaluated for one participant."""

    id: str
    attributes: Mapping[str, Any]
    metrics: Mapping[str, Any]
    targets: Mapping[str, Any]
    attainment: Mapping[str, Any]
    components: Mapping[str, Any]
    score: Any
    lines: tuple[Line, ...]
    payout: Decimal
    flags: tuple[str, ...]
    variables: Mapping[str, Any] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The participant's details as JSON-ready data."""
        return {
            "id": self.id,
            "attributes": render_value(dict(sorted(self.attributes.items()))),
            "metrics": render_value(dict(sorted(self.metrics.items()))),
            "targets": render_value(dict(sorted(self.targets.items()))),
            "attainment": render_value(dict(sorted(self.attainment.items()))),
            "scores": render_value(dict(self.components)),
            "score": render_value(self.score),
            "variables": render_value(dict(self.variables)),
            "lines": [line.to_dict() for line in self.lines],
            "payout": str(self.payout),
            "flags": list(self.flags),
            "notes": dict(self.notes),
        }


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`perfkit.evaluate` for one period.

    Attributes:
        period: the period label evaluated.
        currency: the policy's currency.
        participants: per participant results, sorted by id.
        alerts: alerts raised, in participant then rule order.
        fingerprint: what produced the result (policy hash, data hash, version, options).
        diagnostics: notes about the data, e.g. records credited to people not evaluated.
    """

    policy: str
    period: str
    currency: str
    participants: tuple[ParticipantResult, ...]
    alerts: tuple[Alert, ...]
    fingerprint: Mapping[str, str]
    diagnostics: tuple[Diagnostic, ...] = ()
    _explainer: Any = field(default=None, repr=False, compare=False)

    @property
    def payouts(self) -> dict[str, Decimal]:
        """Participant id -> net payout (the sum of their lines)."""
        return {p.id: p.payout for p in self.participants}

    @property
    def lines(self) -> tuple[Line, ...]:
        """Every payout line, participant by participant, in rule order."""
        return tuple(line for p in self.participants for line in p.lines)

    @property
    def actions(self) -> tuple[tuple[str, str], ...]:
        """(participant, flag) for every action raised, e.g. coaching plans."""
        return tuple((p.id, flag) for p in self.participants for flag in p.flags)

    def participant(self, participant_id: str) -> ParticipantResult:
        """The result of one participant; EvaluationError naming close ids if unknown."""
        for p in self.participants:
            if p.id == participant_id:
                return p
        import difflib

        close = difflib.get_close_matches(participant_id, [p.id for p in self.participants], n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise EvaluationError(f"no participant {participant_id!r} in this result{hint}")

    def explain(self, participant: str, component: str | None = None) -> Trace:
        """Trace a participant's payout lines down to rules, inputs and records."""
        self.participant(participant)
        if self._explainer is None:
            raise EvaluationError("this result was not produced by evaluate(); nothing to trace")
        trace: Trace = self._explainer(participant, component)
        return trace

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure as Python data."""
        return {
            "format": FORMAT_VERSION,
            "policy": self.policy,
            "period": self.period,
            "currency": self.currency,
            "payouts": {p.id: str(p.payout) for p in self.participants},
            "lines": [line.to_dict() for line in self.lines],
            "actions": [{"participant": p, "flag": f} for p, f in self.actions],
            "alerts": [a.to_dict() for a in self.alerts],
            "participants": [p.to_dict() for p in self.participants],
            "diagnostics": [
                {"code": d.code, "severity": d.severity.value, "message": d.message}
                for d in self.diagnostics
            ],
            "fingerprint": dict(self.fingerprint),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The stable JSON text: the same inputs give the same bytes."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat row per payout line (for CSV or a DataFrame)."""
        return [line.to_dict() for line in self.lines]

    def to_pandas(self) -> Any:
        """The payout lines as a pandas DataFrame (needs pandas)."""
        try:
            pd: Any = importlib.import_module("pandas")
        except ImportError:
            raise EvaluationError("to_pandas needs pandas: pip install 'perfkit[pandas]'") from None
        return pd.DataFrame(self.to_rows())
