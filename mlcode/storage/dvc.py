"""DVC-backed artifact store (edge): add built directories, restore recorded ones.

One `dvc.repo.Repo` per apply, opened lazily, all calls from the parent process and
batched (DVC's repo lock gives up after 3 s, so workers must never call it).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

from mlcode.errors import StorageError
from mlcode.fsutil import atomic_write
from mlcode.storage.cachefiles import cached_file


class DvcStore:
    """Adds artifact directories to the DVC cache and checks them out again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._repo: Any = None
        self._warming: Any = None

    def warm(self) -> None:
        """Import and open DVC in a background thread (~0.6 s) while builds run."""
        import threading

        self._warming = threading.Thread(target=self._warm, daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        with contextlib.suppress(Exception):  # _open reports the error when it matters
            self._open_repo()

    def _open(self) -> Any:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        return self._open_repo()

    def _open_repo(self) -> Any:
        # No stdout redirection here: this may run in the warm-up thread, and redirecting
        # would swallow the main thread's progress lines. Opening prints nothing.
        if self._repo is None:
            os.environ.setdefault("DVC_NO_ANALYTICS", "1")
            from dvc.repo import Repo

            try:
                self._repo = Repo(str(self.root))
            except Exception as exc:
                raise StorageError(
                    f"cannot open the DVC repository: {exc}", "run `mlcode init` or `dvc init`"
                ) from None
        return self._repo

    def add(self, paths: list[str]) -> dict[str, dict[str, Any]]:
        """Hash the directories into DVC's cache; return each one's DVC `outs` entry.

        Uses DVC's object layer (what `dvc add` does underneath) rather than `Repo.add`,
        which re-reads every `.dvc` file of the repository per call (~20 ms each). The
        `.dvc` file itself is written by the caller with the state record; the
        `.gitignore` entry beside the directory is written here, as `dvc add` would.
        """
        if not paths:
            return {}
        repo = self._open()
        from dvc_data.hashfile.build import build
        from dvc_data.hashfile.transfer import transfer

        odb = repo.cache.local
        outs = {}
        for path in paths:
            full = str(self.root / path)
            try:
                staging, meta, obj = build(odb, full, repo.fs, "md5", ignore=repo.dvcignore)
                transfer(staging, odb, {obj.hash_info}, shallow=False, hardlink=False)
                repo.state.save(full, repo.fs, obj.hash_info)
            except Exception as exc:
                raise StorageError(
                    f"cannot add {path} to the DVC cache: {exc}", "run `mlcode doctor`"
                ) from None
            outs[path] = {
                "md5": obj.hash_info.value,
                "size": meta.size,
                "nfiles": meta.nfiles,
                "hash": "md5",
                "path": path.rsplit("/", 1)[-1],
            }
            _ignore(self.root / path)
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
                with quiet():
                    repo.checkout(targets=[target], force=True)
            except Exception:
                failed.append(target)
                continue
            _ignore(self.root / target.removesuffix(".dvc"))  # as after `dvc add`
        return failed

    def fetch(self, hashes: list[str]) -> None:
        """Download these objects (a `.dir` hash brings its files) from the default DVC
        remote into the local cache."""
        if not hashes:
            return
        repo = self._open()
        from dvc_data.hashfile.hash_info import HashInfo

        try:
            with quiet():
                repo.cloud.pull([HashInfo("md5", h) for h in hashes])
                # A `.dir` object lists the directory's files; they come separately.
                files = set()
                for h in hashes:
                    listing = cached_file(self.root, h)
                    if h.endswith(".dir") and listing is not None:
                        files |= {e["md5"] for e in json.loads(listing.read_text())}
                if files:
                    repo.cloud.pull([HashInfo("md5", h) for h in sorted(files)])
        except Exception as exc:
            raise StorageError(
                f"cannot fetch from the DVC remote: {exc}", "check it with `dvc remote list`"
            ) from None

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None


def _ignore(folder: Path) -> None:
    """List `/NAME` in the `.gitignore` beside `folder`, as `dvc add` does."""
    ignore = folder.parent / ".gitignore"
    entry = f"/{folder.name}"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    if entry not in lines:
        atomic_write(ignore, "\n".join([*lines, entry]) + "\n")


@contextlib.contextmanager
def quiet():
    """DVC prints hints (`To track the changes with git…`) and progress: keep them out."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)
