"""`push` and `pull`: the recorded artifacts to and from the DVC remote (DESIGN 6)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mlcode.api._records import recorded
from mlcode.config.resolve import read_settings
from mlcode.plan.types import ArtifactState
from mlcode.refresh import Refresher
from mlcode.storage.remotescope import remote_scope
from mlcode.workspace import open_repo, store


@dataclass
class TransferOutcome:
    """What push or pull did: per address `pushed`/`pulled`/`present`/`failed: why`,
    objects moved, and the remote used."""

    results: dict[str, str] = field(default_factory=dict)
    objects: int = 0
    remote: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. corrupt cache objects moved aside

    @property
    def ok(self) -> bool:
        return not any(v.startswith("failed") for v in self.results.values())


def push(
    start: str | os.PathLike[str] | None = None,
    addresses: Iterable[str] = (),
    on_progress: Callable[[str], None] = lambda address: None,
) -> TransferOutcome:
    """Upload the recorded artifacts (all, or those of `addresses`) to the DVC remote."""
    repo = open_repo(start)
    records = recorded(repo, addresses)
    artifacts = store(repo.root, read_settings(repo.root).remote)
    out = TransferOutcome()
    try:
        out.remote = artifacts.describe_remote()
        for address, record in records.items():
            out.objects += artifacts.push(record.objects)
            out.results[str(address)] = "pushed"
            on_progress(str(address))
    finally:
        artifacts.close()
    return out


def pull(
    start: str | os.PathLike[str] | None = None,
    addresses: Iterable[str] = (),
    on_progress: Callable[[str], None] = lambda address: None,
) -> TransferOutcome:
    """Download and check out every recorded artifact not present (or not intact)
    locally, then check each one against its record. The cache objects of artifacts
    already present are checked too: a corrupt one is quarantined (`notes` says so),
    and a corrupt or missing one is stored again from the intact work-tree copy."""
    repo = open_repo(start)
    records = recorded(repo, addresses)
    refresher = Refresher(repo.root, repo.cache_dir)
    todo = {a: r for a, r in records.items() if refresher.artifact_state(r) is not ArtifactState.OK}
    out = TransferOutcome({str(a): "present" for a in records if a not in todo})
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        for address, record in records.items():
            if address not in todo:
                files = dict(record.artifact.files)
                artifacts.check_cached(address.artifact_path, record.artifact.md5, files)
        if todo:
            out.remote = artifacts.describe_remote() if artifacts.remote_name() else ""
            warning = remote_scope(repo.root, read_settings(repo.root).remote).warning
            if warning:
                out.notes.append(warning)
        for address, record in todo.items():
            failed = artifacts.restore([address.record_path])
            # Check what landed against the record, not only DVC's word for it.
            state = refresher.artifact_state(record)
            if failed or state is not ArtifactState.OK:
                why = (
                    "not intact in the local cache, and no DVC remote is configured"
                    if artifacts.remote_name() is None
                    else "not on the remote, or its content does not match the record"
                )
                out.results[str(address)] = f"failed: {why}"
            else:
                out.results[str(address)] = "pulled"
                out.objects += len(record.artifact.files) + 1
            on_progress(str(address))
        out.notes = [*out.notes, *artifacts.notes()]
    finally:
        artifacts.close()
        refresher.save()
    return out
