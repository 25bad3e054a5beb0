"""Differences between two revisions' resources: resolved specs and metrics. Pure.

Each side maps an address to `(spec, metrics)`; the result lists every resource that
differs (added, removed, or changed keys and metrics, with signed deltas), sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlcode.config.fingerprint import flatten

Side = Mapping[str, tuple[dict[str, Any], dict[str, float]]]


def diff_sides(old: Side, new: Side) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for address in sorted(set(old) | set(new)):
        if address not in new:
            out.append({"address": address, "status": "removed", "spec": [], "metrics": {}})
            continue
        old_spec, old_metrics = old.get(address, ({}, {}))
        new_spec, new_metrics = new[address]
        spec = _spec_changes(old_spec, new_spec)
        metrics = _metric_changes(old_metrics, new_metrics)
        status = "added" if address not in old else "changed"
        if status == "added" or spec or metrics:
            out.append({"address": address, "status": status, "spec": spec, "metrics": metrics})
    return out


def _spec_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    a = flatten(old) if old else {}
    b = flatten(new) if new else {}
    return [
        {"key": key, "from": a.get(key), "to": b.get(key)}
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key)
    ]


def _metric_changes(old: Mapping[str, float], new: Mapping[str, float]) -> dict[str, Any]:
    out = {}
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a != b:
            delta = round(b - a, 10) if a is not None and b is not None else None
            out[name] = {"from": a, "to": b, "delta": delta}
    return out


def render_diff_markdown(result: dict[str, Any]) -> str:
    """The diff as Markdown: one section per resource, spec keys and metric deltas."""
    lines = [f"### mlcode diff `{result['from']['rev']}` → `{result['to']['rev']}`", ""]
    if not result["resources"]:
        lines.append("No differences.")
    for item in result["resources"]:
        lines.append(f"#### `{item['address']}` ({item['status']})")
        lines += [f"- {line}" for line in _item_lines(item, "`{}`", " → ")]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_diff_text(result: dict[str, Any]) -> list[str]:
    """The diff as terminal lines (Rich markup for the addresses)."""
    if not result["resources"]:
        return ["No differences."]
    lines = []
    for item in result["resources"]:
        lines.append(f"[bold]{item['address']}[/bold] ({item['status']})")
        lines += [f"  {line}" for line in _item_lines(item, "{}", " -> ")]
    return lines


def _item_lines(item: dict[str, Any], key_format: str, arrow: str) -> list[str]:
    out = [f"{key_format.format(c['key'])}: {c['from']}{arrow}{c['to']}" for c in item["spec"]]
    for name, m in item["metrics"].items():
        delta = "" if m["delta"] is None else f" ({m['delta']:+.4g})"
        out.append(f"metric {name}: {m['from']}{arrow}{m['to']}{delta}")
    return out
