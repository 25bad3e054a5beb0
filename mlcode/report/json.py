"""The versioned JSON view of a plan (DESIGN section 4)."""

from __future__ import annotations

from typing import Any

from mlcode.plan.types import FORMAT_VERSION, Change, Plan, Snapshot


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-able data; `changes` keep DAG order, noops included."""
    return {
        "format_version": FORMAT_VERSION,
        "base_commit": plan.base_commit,
        "changes": [change_to_dict(c) for c in plan.changes],
        "notes": list(plan.notes),
        "summary": plan.summary,
    }


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "address": str(change.address),
        "kind": change.address.kind.value,
        "name": change.address.name,
        "action": change.action.value,
        "reasons": list(change.reasons),
        "before": _snapshot(change.before),
        "after": _snapshot(change.after),
        "promotion": change.promotion,
    }


def _snapshot(snap: Snapshot | None) -> dict[str, Any] | None:
    if snap is None:
        return None
    return {
        "fingerprint": snap.fingerprint,
        "spec": snap.spec,
        "artifact": snap.artifact,
        "version": snap.version,
        "metrics": snap.metrics,
    }
