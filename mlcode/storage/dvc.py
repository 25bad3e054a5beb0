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
import shutil
import uuid
from pathlib import Path
from typing import Any

from mlcode.errors import StorageError
from mlcode.fsutil import atomic_write, replace_dir
from mlcode.killpoint import kill_point
from mlcode.storage.cachefiles import cached_file

MLCODE_REMOTE = "mlcode"


class DvcStore:
    """Adds artifact directories to the DVC cache, checks them out again, and moves
    them to and from the remote.

    The remote (DESIGN 2): `remote` from the settings (a DVC remote name, or a URL that
    becomes the remote `mlcode` in `.dvc/config.local` with `verify = true`), else DVC's
    default remote, else none (push is skipped with a note).
    """

    def __init__(self, root: Path, remote: str | None = None) -> None:
        self.root = root
        self.remote = remote
        self._repo: Any = None
        self._warming: Any = None
        self._remote_name: str | bool | None = False  # False: not resolved yet

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

    def add_tree(self, folder: Path) -> str:
        """Add a directory outside the artifacts (a code bundle) to the cache as a DVC
        directory object; return its hash (`<md5>.dir`). Nothing is git-ignored."""
        repo = self._open()
        from dvc_data.hashfile.build import build
        from dvc_data.hashfile.transfer import transfer

        odb = repo.cache.local
        try:
            staging, _meta, obj = build(odb, str(folder), repo.fs, "md5")
            transfer(staging, odb, {obj.hash_info}, shallow=False, hardlink=False)
        except Exception as exc:
            raise StorageError(
                f"cannot add {folder} to the DVC cache: {exc}", "run `mlcode doctor`"
            ) from None
        return str(obj.hash_info.value)

    def materialize(self, md5: str, dest: Path) -> bool:
        """Write the directory object `md5` into the new folder `dest` from the cache
        (fetching from the remote what it lacks); False when it cannot be had."""
        entries = self._entries(md5)
        if entries is None and self.remote_name() is not None:
            try:
                self.fetch([md5])
            except StorageError:
                return False
            entries = self._entries(md5)
        if entries is None:
            return False
        for rel, source in entries:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        dest.mkdir(parents=True, exist_ok=True)
        return True

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
        """Check out the artifacts of these `.dvc` files from the cache (fetching what it
        lacks from the remote); return those that could not be restored.

        A directory is assembled under `.mlcode/tmp` and renamed into place, so a reader
        (or an apply killed meanwhile) sees the old directory, none, or the whole new
        one; `dvc checkout` writes into the directory file by file.
        """
        if not record_files:
            return []
        failed = []
        for target in record_files:
            md5 = _recorded_md5(self.root / target)
            if md5 is not None and md5.endswith(".dir"):
                done = self._assemble(target.removesuffix(".dvc"), md5)
            else:
                done = self._dvc_checkout(target)
            if not done:
                failed.append(target)
                continue
            _ignore(self.root / target.removesuffix(".dvc"))  # as after `dvc add`
        return failed

    def _assemble(self, path: str, md5: str) -> bool:
        """Build directory `path` from cache objects in a scratch folder, then rename it
        into place; False when an object is in neither the cache nor the remote."""
        entries = self._entries(md5)
        if entries is None and self.remote_name() is not None:
            try:
                self.fetch([md5])
            except StorageError:
                return False
            entries = self._entries(md5)
        if entries is None:
            return False
        scratch = self.root / ".mlcode" / "tmp"
        out = scratch / f"restore-{Path(path).name}-{uuid.uuid4().hex[:8]}"
        try:
            for rel, source in entries:
                dest = out / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
                kill_point("restore.copying")
            out.mkdir(parents=True, exist_ok=True)  # an empty directory has no entries
            replace_dir(out, self.root / path, scratch)
        except OSError:
            shutil.rmtree(out, ignore_errors=True)
            return False
        return True

    def _entries(self, md5: str) -> list[tuple[str, Path]] | None:
        """(relative path, cache file) of every file of a `.dir` object, or None when
        the cache lacks the listing or any of the files."""
        listing = _listing(cached_file(self.root, md5), None, md5)
        if listing is None:
            return None
        out = []
        for entry in listing:
            source = cached_file(self.root, entry.get("md5"))
            rel = Path(str(entry.get("relpath", "")))
            if source is None or rel.is_absolute() or ".." in rel.parts or not rel.parts:
                return None  # missing, or a listing that would write outside its folder
            out.append((rel.as_posix(), source))
        return out

    def _dvc_checkout(self, target: str) -> bool:
        repo = self._open()
        try:
            with quiet():
                repo.checkout(targets=[target], force=True)
        except Exception:
            return self._fetch_and_checkout(target)
        return True

    def _fetch_and_checkout(self, target: str) -> bool:
        """The cache lacks `target`'s objects: fetch them from the remote, check out."""
        if self.remote_name() is None:
            return False
        repo = self._open()
        try:
            with quiet():
                repo.fetch(targets=[target], remote=self.remote_name())
                repo.checkout(targets=[target], force=True)
        except Exception:
            return False
        return True

    # remote ----------------------------------------------------------------------------
    def remote_name(self) -> str | None:
        """The DVC remote to use (None: there is none)."""
        if self._remote_name is not False:
            return self._remote_name  # type: ignore[return-value]
        repo = self._open()
        remotes = repo.config.get("remote", {})
        name: str | None
        if self.remote and self.remote in remotes:
            name = self.remote
        elif self.remote:
            url = self.remote
            if "://" not in url and not os.path.isabs(url):
                url = str((self.root / url).resolve())
            if remotes.get(MLCODE_REMOTE, {}).get("url") != url:
                with repo.config.edit("local") as conf:
                    conf["remote"][MLCODE_REMOTE] = {"url": url, "verify": True}
            name = MLCODE_REMOTE
        else:
            name = repo.config.get("core", {}).get("remote") or None
        self._remote_name = name
        return name

    def describe_remote(self) -> str:
        name = self.remote_name()
        if name is None:
            return "(none)"
        url = self._open().config.get("remote", {}).get(name, {}).get("url", "?")
        return f"{name} ({url})"

    def _odb(self) -> Any:
        name = self.remote_name()
        if name is None:
            raise StorageError(
                "no DVC remote is configured",
                "set `remote:` in conf/mlcode.yaml, `dvc remote add -d NAME URL`, "
                "or run `mlcode init`",
            )
        return self._open().cloud.get_remote_odb(name, "push")

    def _parts(self, hashes: list[str], odb: Any = None) -> tuple[list[str], list[str]]:
        """(file hashes, `.dir` hashes) making up these objects; a `.dir` listing is read
        from the local cache, else from `odb`."""
        files: set[str] = set()
        dirs: list[str] = []
        for h in hashes:
            if not h.endswith(".dir"):
                files.add(h)
                continue
            dirs.append(h)
            listing = _listing(cached_file(self.root, h), odb, h)
            files |= {entry["md5"] for entry in listing or []}
        return sorted(files), dirs

    def push(self, hashes: list[str]) -> int:
        """Upload these objects (a `.dir` with its files, files first) to the remote;
        returns how many objects were transferred."""
        if not hashes:
            return 0
        odb = self._odb()
        repo = self._open()
        from dvc_data.hashfile.hash_info import HashInfo

        files, dirs = self._parts(hashes)
        done = 0
        cache = repo.cache.local
        try:
            with quiet():
                for batch in (files, dirs):  # a listing never lands before its files
                    # Not `cloud.push`: it trusts DVC's index of what the remote holds,
                    # which is exactly what is wrong when the remote lost objects.
                    result = repo.cloud.transfer(
                        cache, odb, [HashInfo("md5", h) for h in batch], cache_odb=cache
                    )
                    if result.failed:
                        failed = sorted(h.value for h in result.failed)
                        raise StorageError(
                            f"could not push {len(failed)} objects to {self.describe_remote()}"
                            f" (first: {failed[0]})",
                            "check the remote, then run `mlcode push`",
                        )
                    done += len(result.transferred)
                    kill_point("push.files")
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(
                f"cannot push to the DVC remote {self.describe_remote()}: {exc}",
                "check the remote, then run `mlcode push`",
            ) from None
        return done

    def missing_on_remote(self, hashes: list[str]) -> set[str]:
        """Those of `hashes` the remote lacks (a `.dir` lacks when any of its files does)."""
        if not hashes:
            return set()
        odb = self._odb()
        try:
            missing = set()
            for h in hashes:
                if not odb.exists(h):
                    missing.add(h)
                    continue
                files, _dirs = self._parts([h], odb)
                if files and len(list(odb.oids_exist(files))) != len(files):
                    missing.add(h)
            return missing
        except Exception as exc:
            raise StorageError(
                f"cannot ask the DVC remote {self.describe_remote()}: {exc}",
                "check the remote (`dvc remote list`), or plan without --refresh remote",
            ) from None

    def expand(self, hashes: set[str]) -> set[str]:
        """`hashes` plus the files every `.dir` among them lists (local cache, else the
        remote when one is configured)."""
        odb = self._odb() if self.remote_name() is not None else None
        files, _dirs = self._parts(sorted(hashes), odb)
        return set(hashes) | set(files)

    def collect_garbage(self, keep: set[str], remote: bool, dry_run: bool) -> dict[str, Any]:
        """Delete objects (cache, and with `remote` the remote) whose md5 is not in
        `keep`; returns counts and bytes, per place."""
        out: dict[str, Any] = {}
        places = [("cache", self._open().cache.local)]
        if remote:
            places.append(("remote", self._odb()))
        for place, odb in places:
            removed = freed = kept = 0
            try:
                for oid in list(odb.all()):
                    if oid in keep:
                        kept += 1
                        continue
                    path = odb.oid_to_path(oid)
                    try:
                        size = odb.fs.size(path) or 0
                    except OSError:
                        size = 0
                    if not dry_run:
                        odb.fs.remove(path)
                    removed += 1
                    freed += size
            except Exception as exc:
                raise StorageError(f"gc of the {place} failed: {exc}", "run it again") from None
            out[place] = {"removed": removed, "freed_bytes": freed, "kept": kept}
        return out

    def fetch(self, hashes: list[str]) -> None:
        """Download these objects (a `.dir` hash brings its files) from the remote into
        the local cache; objects the remote content does not match are refused (the
        remotes mlcode configures have `verify = true`)."""
        if not hashes:
            return
        odb = self._odb()
        repo = self._open()
        from dvc_data.hashfile.hash_info import HashInfo

        try:
            with quiet():
                # first the objects themselves (a `.dir` listing), then a listing's files
                repo.cloud.pull([HashInfo("md5", h) for h in hashes], remote=self.remote_name())
                files, _dirs = self._parts(hashes, odb)
                if files:
                    repo.cloud.pull([HashInfo("md5", h) for h in files], remote=self.remote_name())
        except Exception as exc:
            raise StorageError(
                f"cannot fetch from the DVC remote {self.describe_remote()}: {exc}",
                "check it with `dvc remote list`",
            ) from None

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None


def _listing(local: Path | None, odb: Any, md5: str) -> list[dict[str, Any]] | None:
    """The entries of a `.dir` object, from the local cache or the remote."""
    try:
        if local is not None:
            return json.loads(local.read_text())
        if odb is not None:
            with odb.fs.open(odb.oid_to_path(md5), "r") as handle:
                return json.load(handle)
    except (OSError, ValueError):
        return None
    return None


def _recorded_md5(record_file: Path) -> str | None:
    """The md5 in a `.dvc` file's (first) `outs` entry, or None."""
    import yaml

    try:
        data = yaml.safe_load(record_file.read_text(encoding="utf-8"))
        return str(data["outs"][0]["md5"])
    except (OSError, ValueError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return None


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
