"""`doctor`: check the setup apply depends on and say how to fix each problem
(DESIGN 6); the checks themselves are `mlcode.doctor`'s."""

from __future__ import annotations

import os

from mlcode.doctor import Check, run_checks
from mlcode.workspace import open_repo


def doctor(start: str | os.PathLike[str] | None = None, remote: bool = False) -> list[Check]:
    """Every check of `mlcode.doctor`, in order; `remote` also contacts the remote."""
    repo = open_repo(start)
    return run_checks(repo.root, repo.cache_dir, remote)
