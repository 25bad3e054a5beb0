"""Events the executor emits; renderers turn them into progress lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlcode.address import Address
from mlcode.plan.types import Action


@dataclass(frozen=True, slots=True)
class Started:
    """Work on a node began (`action` is what the plan said)."""

    address: Address
    action: Action


@dataclass(frozen=True, slots=True)
class Succeeded:
    """A node is done: `how` is `built`, `restored` or `repaired`."""

    address: Address
    how: str
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failed:
    """A node failed: `error` is one line (type: message); `log` holds the traceback."""

    address: Address
    error: str
    log: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A node was not built: an upstream failed, or its inputs came out identical."""

    address: Address
    reason: str


Event = Started | Succeeded | Failed | Skipped
