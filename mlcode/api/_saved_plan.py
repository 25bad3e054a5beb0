"""Saved plans as files (edge): `plan --out FILE` writes one bound to what it was made
from; `apply FILE` reads it and refuses it once anything moved (`plan.planfile` is
the pure part: the binding and what differs)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcode.config.resolve import SETTINGS_FILE
from mlcode.errors import PlanError
from mlcode.fsutil import file_md5, read_json, write_json
from mlcode.plan.planfile import KIND, VERSION, binding, stale_reasons
from mlcode.registry.gittags import read_events
from mlcode.report.json import plan_to_dict
from mlcode.workspace import Repo, open_repo

if TYPE_CHECKING:
    from mlcode.api.plan import PlanOutcome


def save_plan(
    outcome: PlanOutcome,
    path: str | os.PathLike[str],
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
) -> None:
    """Write `outcome`'s plan with its binding (`plan --out FILE`); secrets redacted."""
    repo = open_repo(outcome.project.root)
    data = {
        "kind": KIND,
        "version": VERSION,
        "plan": plan_to_dict(outcome.plan),
        "binding": _binding(repo, outcome, targets, replace),
    }
    write_json(path, data)


def load_plan(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a saved plan; PlanError when it is not one."""
    data = read_json(path)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise PlanError(
            f"{path} is not a saved mlcode plan", "make one with `mlcode plan --out FILE`"
        )
    if data.get("version") != VERSION:
        raise PlanError(f"{path} is a saved plan of another format ({data.get('version')})")
    return data


def refuse_stale(
    repo: Repo, saved: dict[str, Any], path: str | os.PathLike[str], fresh: PlanOutcome
) -> None:
    """PlanError naming everything that moved since the saved plan at `path` was made,
    against the `fresh` plan of the same scope."""
    scope = saved["binding"]
    moved = stale_reasons(scope, _binding(repo, fresh, scope["targets"], scope["replace"]))
    if moved:
        raise PlanError(
            f"the saved plan {path} is stale:\n  " + "\n  ".join(moved),
            "make a new one with `mlcode plan --out FILE`",
        )


def saved_plan_path(repo: Repo, path: str | os.PathLike[str] | None) -> frozenset[str]:
    """The saved plan `path` relative to the repo, if it is inside: a file there is no
    uncommitted input that would hold registration back."""
    if path is None:
        return frozenset()
    try:
        return frozenset({Path(path).resolve().relative_to(repo.root).as_posix()})
    except ValueError:
        return frozenset()


def _binding(
    repo: Repo, outcome: PlanOutcome, targets: Iterable[str], replace: Iterable[str]
) -> dict[str, Any]:
    files = {SETTINGS_FILE} | {f for r in outcome.project.resources.values() for f in r.files}
    files |= {c.address.spec_path for c in outcome.plan.changes}
    hashes = {}
    for rel in files:
        path = repo.root / rel
        hashes[rel] = file_md5(path) if path.is_file() else None
    tags = [e.tag for e in read_events(repo.root)]
    return binding(outcome.plan, outcome.observed, hashes, tags, targets, replace)
