"""`init`: scaffold a project in a Git repository (DESIGN 1), and what comes with it:
the warning about a remote only this machine can reach, and the Git merge driver
for state records that the scaffold registers."""

from __future__ import annotations

import os
from pathlib import Path

from mlcode.config.resolve import read_settings
from mlcode.scaffold import scaffold
from mlcode.state.merge import merge_record as merge
from mlcode.storage.remotescope import remote_scope
from mlcode.workspace import open_repo


def init(start: str | os.PathLike[str] | None = None) -> list[str]:
    """Scaffold a project in the current Git repository; returns what it created."""
    repo = open_repo(start)
    return scaffold(repo.root)


def remote_warning(start: str | os.PathLike[str] | None = None) -> str | None:
    """Why a teammate's clone could not pull from this project's remote, with the fix
    (storage.remotescope); None when the remote is shared."""
    repo = open_repo(start)
    return remote_scope(repo.root, read_settings(repo.root).remote).warning


def merge_record(base: str, ours: str, theirs: str) -> bool:
    """Git's merge driver for state records (`mlcode merge-record %O %A %B`): leaves a
    whole record in `ours`; False when neither side is one (a conflict)."""
    return merge(Path(base), Path(ours), Path(theirs))
