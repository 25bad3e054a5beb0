"""`diff`: resolved-spec and metric differences between two revisions, or between a
revision and the working tree's plan (DESIGN 6)."""

from __future__ import annotations

import os
from typing import Any

from mlcode.api.plan import plan_repo
from mlcode.config.resolve import read_settings
from mlcode.config.secrets import redact
from mlcode.errors import MlcodeError
from mlcode.report.diff import diff_sides
from mlcode.state.reuse import records_at
from mlcode.vcs import git
from mlcode.workspace import Repo, open_repo


def diff(
    start: str | os.PathLike[str] | None = None, rev_a: str | None = None, rev_b: str | None = None
) -> dict[str, Any]:
    """Resolved-spec and metric differences between two revisions (DESIGN 6 `diff`).

    A revision's side comes from its state records. Defaults: REV_A is the merge-base
    of HEAD with the registry branch, REV_B the working tree, whose side is the current
    plan: resolved specs, and metrics where the record matches them.
    """
    repo = open_repo(start)
    if rev_a is None:
        branch = read_settings(repo.root).registry_branch
        try:
            rev_a = git(repo.root, "merge-base", "HEAD", branch).strip()
        except MlcodeError:
            rev_a = "HEAD"
    old = _side_at(repo, rev_a)
    if rev_b is None:
        outcome = plan_repo(repo, (), (), ())
        new = {
            str(c.address): (c.after.spec, dict(c.after.metrics))
            for c in outcome.plan.changes
            if c.after is not None
        }
        to: dict[str, Any] = {"rev": "working tree", "commit": None}
    else:
        new = _side_at(repo, rev_b)
        to = {"rev": rev_b, "commit": _commit_of(repo, rev_b)}
    return {
        "format_version": 1,
        "from": {"rev": rev_a, "commit": _commit_of(repo, rev_a)},
        "to": to,
        "resources": diff_sides(old, new),
    }


def _commit_of(repo: Repo, rev: str) -> str:
    try:
        return git(repo.root, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    except MlcodeError:
        raise MlcodeError(f"unknown revision {rev!r}", "name a commit, branch or tag") from None


def _side_at(repo: Repo, rev: str) -> dict[str, Any]:
    """address -> (recorded spec, metrics) of the state records at `rev`."""
    commit = _commit_of(repo, rev)
    listed = git(repo.root, "ls-tree", "-r", "--name-only", commit, "--", "artifacts")
    names = [f"{commit}:{p}" for p in listed.splitlines() if p.endswith(".dvc")]
    return {
        str(r.address): (redact(r.spec), dict(r.metrics))
        for r in records_at(repo.root, names)
        if r is not None
    }
