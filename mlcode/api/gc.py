"""`gc`: drop the DVC cache (and remote) objects that no record, tag or stage refers
to (DESIGN 6)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from mlcode.api._records import recorded
from mlcode.config.resolve import read_settings
from mlcode.registry.gittags import read_registry, read_version_records
from mlcode.state.reuse import ReuseIndex, records_at
from mlcode.state.types import Record
from mlcode.vcs import git
from mlcode.workspace import Repo, open_repo, store


def gc(
    start: str | os.PathLike[str] | None = None,
    remote: bool = False,
    dry_run: bool = False,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Remove cache (and with `remote`, remote) objects that no state record refers to:
    not the work tree's, not one at the tip of any branch, not any registered version's
    (deprecated ones included). On the remote, only objects this repository recorded
    (its history of records, and every build apply recorded here) can go; everything
    else there is another project's and is kept, as is any file a foreign listing
    names. `confirm(result)` sees what would go before anything does. Returns what was
    kept and freed, per place, with the victims' md5s."""
    repo = open_repo(start)
    keep_records = _referenced(repo)
    hashes = _objects(keep_records)
    reuse = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    reuse.refresh()
    owned = _objects([*reuse.records(), *keep_records])
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        keep = artifacts.expand(hashes)
        if remote:  # what another project claimed stays, even if it is ours too
            owned = artifacts.expand(owned) - artifacts.claimed_by_others()
        out = artifacts.collect_garbage(keep, remote, dry_run, owned, confirm)
    finally:
        artifacts.close()
        reuse.save()
    out["referenced_artifacts"] = len({r.artifact.md5 for r in keep_records})
    out["dry_run"] = dry_run
    return out


def _referenced(repo: Repo) -> list[Record]:
    """The records whose objects stay: the work tree's, those at the tip of every
    branch (local and remote-tracking) and every registered version's."""
    keep_records = list(recorded(repo, ()).values())
    tips = git(repo.root, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes")
    names = []
    for tip in sorted(set(tips.split())):
        listed = git(repo.root, "ls-tree", "-r", "--name-only", tip, "--", "artifacts")
        names += [f"{tip}:{p}" for p in listed.splitlines() if p.endswith(".dvc")]
    keep_records += [r for r in records_at(repo.root, names) if r is not None]
    view = read_registry(repo.root)
    versions = [(m, v) for m in view.models.values() for v in m.versions]
    keep_records += list(read_version_records(repo.root, view, versions).values())
    return keep_records


def _objects(records: list[Record]) -> set[str]:
    """Every cache object of `records`: artifacts (a `.dir` listing) and their files."""
    hashes = {md5 for r in records for md5 in r.objects}
    return hashes | {md5 for r in records for _path, md5 in r.artifact.files}
