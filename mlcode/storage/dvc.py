"""DVC-backed artifact store (edge): add built directories, restore recorded ones.

One `dvc.repo.Repo` per apply, opened lazily, all calls from the parent process and
batched (DVC's repo lock gives up after 3 s, so workers must never call it).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path
from typing import Any

from mlcode.errors import StorageError
from mlcode.spec.safeyaml import load_text


class DvcStore:
    """Adds artifact directories to the DVC cache and checks them out again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._repo: Any = None

    def _open(self) -> Any:
        if self._repo is None:
            os.environ.setdefault("DVC_NO_ANALYTICS", "1")
            with _quiet():
                from dvc.repo import Repo

                try:
                    self._repo = Repo(str(self.root))
                except Exception as exc:
                    raise StorageError(
                        f"cannot open the DVC repository: {exc}", "run `mlcode init` or `dvc init`"
                    ) from None
        return self._repo

    def add(self, paths: list[str]) -> dict[str, dict[str, Any]]:
        """`dvc add` the directories in one call; return each one's DVC `outs` entry."""
        if not paths:
            return {}
        repo = self._open()
        try:
            with _quiet():
                repo.add(paths)
        except Exception as exc:
            raise StorageError(f"dvc add failed: {exc}", "run `mlcode doctor`") from None
        outs = {}
        for path in paths:
            data = load_text((self.root / f"{path}.dvc").read_text())
            outs[path] = dict(data["outs"][0])
        return outs

    def restore(self, record_files: list[str]) -> list[str]:
        """Check out the artifacts of these `.dvc` files from the cache; return those
        that could not be restored (object missing from the cache)."""
        if not record_files:
            return []
        repo = self._open()
        failed = []
        for target in record_files:
            try:
                with _quiet():
                    repo.checkout(targets=[target], force=True)
            except Exception:
                failed.append(target)
        return failed

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None


@contextlib.contextmanager
def _quiet():
    """DVC prints hints (`To track the changes with git…`) and progress: keep them out."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)
