"""The one place that finds the repository and builds the real adapters (edge)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlcode.errors import MlcodeError
from mlcode.vcs import find_root

CACHE_DIR = ".mlcode"


@dataclass(frozen=True, slots=True)
class Repo:
    """A project: `root` is the Git work tree, `cache_dir` its `.mlcode/`."""

    root: Path
    cache_dir: Path


def open_repo(start: str | os.PathLike[str] | None = None) -> Repo:
    """Find the Git work tree containing `start` (default: the current directory)."""
    here = Path(start or os.getcwd()).resolve()
    root = find_root(here)
    if root is None:
        raise MlcodeError(
            f"{here} is not inside a Git repository", "run `git init` and then `mlcode init`"
        )
    cache = root / CACHE_DIR
    if not (cache / ".gitignore").exists():
        cache.mkdir(exist_ok=True)
        (cache / ".gitignore").write_text("# mlcode's local caches; never committed\n*\n")
    return Repo(root=root, cache_dir=cache)


def runner(jobs: int):
    """The build runner: a local process pool of `jobs` workers."""
    from mlcode.runner.pool import LocalRunner

    return LocalRunner(jobs)


def store(root: Path, remote: str | None = None):
    """The artifact store (DVC); `remote` is the settings' `remote:` (name or URL)."""
    from mlcode.storage.dvc import DvcStore

    if not (root / ".dvc").is_dir():
        raise MlcodeError("this repository has no DVC setup (.dvc/)", "run `mlcode init`")
    return DvcStore(root, remote)
