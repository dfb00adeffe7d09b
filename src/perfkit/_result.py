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
from perfkit.errors import Diagnostic, EvaluationError, Severity

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


def exact_text(value: Decimal | Fraction | int) -> str:
    """Exact text of a number: decimal digits when they end, else ``numerator/denominator``."""
    if isinstance(value, Fraction) and value.denominator != 1:
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if Fraction(exact) != value:
            return f"{value.numerator}/{value.denominator}"
        return format(exact, "f")
    if isinstance(value, Fraction):
        return str(value.numerator)
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def read_exact(text: str) -> Decimal | Fraction:
    """The number :func:`exact_text` wrote (finite; ValueError otherwise)."""
    if "/" in text:
        numerator, denominator = text.split("/")
        return Fraction(int(numerator), int(denominator))
    return _amount(text)


def _amount(text: object) -> Decimal:
    """A finite Decimal from result JSON text; ValueError otherwise."""
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return value


@dataclass(frozen=True)
class Line:
    """One payout line: a participant's amount from one rule in one period.

    ``kind`` says what made it: ``rule`` (a rule's line), ``clawback`` (one per
    reversed record, with the ``record`` and the ``original_period`` that paid
    it), ``adjustment`` (a closed ``original_period``'s difference, paid in an
    open period), ``draw`` or ``settlement`` (caps, deduction limits and the
    negative balance). ``note`` says why, for people.
    """

    participant: str
    component: str
    amount: Decimal
    period: str
    rule: str
    location: str | None = None
    kind: str = "rule"
    record: str | None = None
    original_period: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The line as JSON-ready data (optional keys only when set)."""
        data: dict[str, Any] = {
            "participant": self.participant,
            "component": self.component,
            "amount": str(self.amount),
            "period": self.period,
            "rule": self.rule,
        }
        if self.kind != "rule":
            data["kind"] = self.kind
        for key in ("record", "original_period", "note"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Line:
        """The line :meth:`to_dict` wrote."""
        return cls(
            participant=str(data["participant"]),
            component=str(data["component"]),
            amount=_amount(data["amount"]),
            period=str(data["period"]),
            rule=str(data["rule"]),
            kind=str(data.get("kind", "rule")),
            record=data.get("record"),
            original_period=data.get("original_period"),
            note=data.get("note"),
        )


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
    balances: Mapping[str, Decimal] = field(default_factory=dict)
    """Balances carried to the next period: ``draw`` (recoverable draw owed),
    ``carried`` (negative balance owed)."""
    records: Mapping[str, Mapping[str, Decimal | Fraction]] = field(default_factory=dict)
    """Rule -> record key -> exact amount paid on it (rules a clawback reverses)."""

    def to_dict(self) -> dict[str, Any]:
        """The participant's details as JSON-ready data."""
        data = self._to_dict()
        if self.balances:
            data["balances"] = {k: str(v) for k, v in sorted(self.balances.items())}
        if self.records:
            data["records"] = {
                rule: {key: exact_text(v) for key, v in paid.items()}
                for rule, paid in sorted(self.records.items())
            }
        exact = self._exact()
        if exact:
            data["exact"] = exact
        return data

    def _exact(self) -> dict[str, str]:
        """Values whose JSON text is rounded, exactly (so from_dict loses nothing)."""
        out: dict[str, str] = {}
        sections = {
            "metrics": self.metrics,
            "targets": self.targets,
            "attainment": self.attainment,
            "scores": self.components,
            "variables": self.variables,
        }
        for section, values in sections.items():
            for name, value in values.items():
                if isinstance(value, Fraction) and exact_text(value) != render_value(value):
                    out[f"{section}.{name}"] = exact_text(value)
        if isinstance(self.score, Fraction) and exact_text(self.score) != render_value(self.score):
            out["score"] = exact_text(self.score)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParticipantResult:
        """The participant :meth:`to_dict` wrote; numbers come back exact."""
        exact = {k: read_exact(v) for k, v in data.get("exact", {}).items()}

        def numbers(section: str) -> dict[str, Any]:
            return {
                name: exact.get(f"{section}.{name}", _number(value))
                for name, value in data.get(section, {}).items()
            }

        score = exact.get("score", _number(data.get("score")))
        return cls(
            id=str(data["id"]),
            attributes=dict(data.get("attributes", {})),
            metrics=numbers("metrics"),
            targets=numbers("targets"),
            attainment=numbers("attainment"),
            components=numbers("scores"),
            score=score,
            lines=tuple(Line.from_dict(line) for line in data.get("lines", [])),
            payout=_amount(data["payout"]),
            flags=tuple(data.get("flags", [])),
            variables=numbers("variables"),
            notes=dict(data.get("notes", {})),
            balances={k: _amount(v) for k, v in data.get("balances", {}).items()},
            records={
                rule: {key: read_exact(v) for key, v in paid.items()}
                for rule, paid in data.get("records", {}).items()
            },
        )

    def _to_dict(self) -> dict[str, Any]:
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


def _number(value: Any) -> Any:
    """A value from result JSON: numbers as Decimal, anything else as it is."""
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        return number if number.is_finite() else value
    return value


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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """The result :meth:`to_dict` wrote: amounts, balances and ratios come back exact.

        Raises:
            EvaluationError: the data is not a perfkit result, or a newer format.
        """
        try:
            if data.get("format") != FORMAT_VERSION:
                raise EvaluationError(
                    f"not a perfkit result of format {FORMAT_VERSION} "
                    f"(format: {data.get('format')!r})"
                )
            return cls(
                policy=str(data["policy"]),
                period=str(data["period"]),
                currency=str(data["currency"]),
                participants=tuple(
                    ParticipantResult.from_dict(p) for p in data.get("participants", [])
                ),
                alerts=tuple(Alert(**a) for a in data.get("alerts", [])),
                fingerprint=dict(data.get("fingerprint", {})),
                diagnostics=tuple(
                    Diagnostic(d["code"], d["message"], severity=Severity(d["severity"]))
                    for d in data.get("diagnostics", [])
                ),
            )
        except EvaluationError:
            raise
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            raise EvaluationError(
                f"not a valid perfkit result: {type(exc).__name__}: {exc}"
            ) from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Result:
        """The result :meth:`to_json` wrote (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise EvaluationError(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise EvaluationError("not a perfkit result: expected a JSON object")
        return cls.from_dict(data)

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
