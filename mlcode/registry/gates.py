"""Promotion gates: `">= 0.90"` (absolute) and `">= champion - 0.01"` (relative). Pure.

A relative gate compares with the champion (the version holding the stage) scored on
the candidate's test split; with no champion it passes, with a note. A gate whose
inputs are not known yet (the candidate is not built, or the champion must be
re-scored) has `ok = None`: apply decides it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_GATE = re.compile(
    r"^\s*(>=|<=|>|<|==)\s*(?:(champion)\s*(?:([-+])\s*(\d+(?:\.\d+)?))?|(-?\d+(?:\.\d+)?))\s*$"
)


@dataclass(frozen=True, slots=True)
class Gate:
    metric: str
    op: str
    relative: bool
    number: float  # the threshold, or the offset from the champion's value

    @property
    def expr(self) -> str:
        if not self.relative:
            return f"{self.metric} {self.op} {_num(self.number)}"
        if self.number == 0:
            return f"{self.metric} {self.op} champion"
        sign = "-" if self.number < 0 else "+"
        return f"{self.metric} {self.op} champion {sign} {_num(abs(self.number))}"


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate's outcome; `ok` None = not decidable yet; `note` explains the odd cases."""

    gate: Gate
    value: float | None
    threshold: float | None
    ok: bool | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "expr": self.gate.expr,
            "value": self.value,
            "threshold": self.threshold,
            "ok": self.ok,
        }
        if self.note:
            out["note"] = self.note
        return out

    def __str__(self) -> str:
        value = "?" if self.value is None else _num(self.value)
        threshold = "" if self.threshold is None else f" (threshold {_num(self.threshold)})"
        state = {True: "ok", False: "failed", None: "pending"}[self.ok]
        note = f"; {self.note}" if self.note else ""
        return f"{self.gate.expr}: {value}{threshold} {state}{note}"


def parse_gate(metric: str, expr: str) -> Gate:
    """Parse a gate condition (already validated by the spec parser)."""
    m = _GATE.match(expr)
    if not m:
        raise ValueError(f"invalid gate {expr!r}")
    op, champion, sign, offset, number = m.groups()
    if champion:
        delta = float(offset or 0.0) * (-1 if sign == "-" else 1)
        return Gate(metric, op, True, delta)
    return Gate(metric, op, False, float(number))


def evaluate(
    gates: Mapping[str, str] | list[tuple[str, str]],
    metrics: Mapping[str, float] | None,
    champion: Mapping[str, float] | None,
    has_champion: bool,
) -> list[GateResult]:
    """Evaluate gates: `metrics` of the candidate (None: not built yet); `champion` the
    champion's metrics on the candidate's test split (None: unknown or no champion; a
    `note` attribute on it is carried into each relative gate's result)."""
    items = gates.items() if isinstance(gates, Mapping) else gates
    source = str(getattr(champion, "note", "") or "")  # recorded metrics stood in
    out = []
    for metric, expr in items:
        gate = parse_gate(metric, expr)
        value = None if metrics is None else metrics.get(metric)
        if gate.relative and not has_champion:
            out.append(GateResult(gate, value, None, True, "no champion yet"))
            continue
        if gate.relative:
            base = None if champion is None else champion.get(metric)
            threshold = None if base is None else round(base + gate.number, 10)
        else:
            threshold = gate.number
        if metrics is not None and value is None:
            out.append(GateResult(gate, None, threshold, False, f"metric {metric} not recorded"))
        elif value is None or threshold is None:
            note = "known after the build" if value is None else "champion scored at apply"
            out.append(GateResult(gate, value, threshold, None, note))
        else:
            note = source if gate.relative else ""
            out.append(GateResult(gate, value, threshold, _OPS[gate.op](value, threshold), note))
    return out


def passed(results: list[GateResult]) -> bool | None:
    """False if any gate failed, None if any is undecided, else True."""
    if any(r.ok is False for r in results):
        return False
    if any(r.ok is None for r in results):
        return None
    return True


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else repr(value)
