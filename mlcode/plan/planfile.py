"""Saved plans (`plan --out FILE`, `apply FILE`): what a plan was made from, and what
moved since. Pure: callers read the files, the tags and HEAD.

A saved plan binds itself to HEAD, the hash of every spec and settings file it
resolved, every resource's fingerprint, every state record and the registry's tags. A
plan is applied only when a fresh plan binds to exactly the same; otherwise every
difference is named (file and key, tag, record, commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mlcode.address import Address
from mlcode.config.fingerprint import spec_changes
from mlcode.plan.types import Observed, Plan

KIND = "mlcode-saved-plan"
VERSION = 1


def binding(
    plan: Plan,
    observed: Observed,
    files: Mapping[str, str | None],
    tags: Iterable[str],
    targets: Iterable[str],
    replace: Iterable[str],
) -> dict[str, Any]:
    """What `plan` was made from, as JSON-able data."""
    return {
        "head": plan.base_commit,
        "files": dict(sorted(files.items())),
        "fingerprints": {
            str(c.address): c.after.fingerprint if c.after else None for c in plan.changes
        },
        "specs": {str(c.address): c.after.spec if c.after else None for c in plan.changes},
        "records": {str(a): r.fingerprint for a, r in sorted(observed.records.items())},
        "tags": sorted(tags),
        "targets": list(targets),
        "replace": list(replace),
    }


def stale_reasons(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Everything that moved between a saved binding and a fresh one ([] = not stale)."""
    out: list[str] = []
    if saved["head"] != fresh["head"]:
        out.append(f"HEAD moved: {_short(saved['head'])} -> {_short(fresh['head'])}")
    old_files, new_files = saved["files"], fresh["files"]
    for rel in sorted(set(old_files) | set(new_files)):
        if old_files.get(rel) != new_files.get(rel):
            state = "deleted" if new_files.get(rel) is None else "changed"
            state = "added" if old_files.get(rel) is None else state
            out.append(f"{rel} {state}")
    old_specs, new_specs = saved["specs"], fresh["specs"]
    for address in sorted(set(old_specs) | set(new_specs)):
        before, after = old_specs.get(address), new_specs.get(address)
        if before is not None and after is not None and before != after:
            spec_path = Address.parse(address).spec_path
            out += [f"{spec_path}: {change}" for change in spec_changes(before, after)]
    for address in sorted(set(saved["fingerprints"]) | set(fresh["fingerprints"])):
        if saved["fingerprints"].get(address) != fresh["fingerprints"].get(address):
            out.append(f"{address}: fingerprint changed")
    for address in sorted(set(saved["records"]) | set(fresh["records"])):
        if saved["records"].get(address) != fresh["records"].get(address):
            out.append(f"{address}: state record changed")
    old_tags, new_tags = set(saved["tags"]), set(fresh["tags"])
    out += [f"registry tag {t} appeared" for t in sorted(new_tags - old_tags)]
    out += [f"registry tag {t} disappeared" for t in sorted(old_tags - new_tags)]
    return out


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "(no commit)"
