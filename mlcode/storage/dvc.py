"""DVC-backed artifact store (edge): add built directories, restore recorded ones.

One `dvc.repo.Repo` per apply, opened lazily, all calls from the parent process and
batched (DVC's repo lock gives up after 3 s, so workers must never call it).

Every object read from the local cache is checked against its name first
(`cachefiles.checked_file`): DVC serves a read-only cache file without hashing it. A
corrupt one is moved to `.mlcode/quarantine/`, fetched again or rebuilt, and `notes()`
tells the user, one line per object.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from mlcode.errors import StorageError
from mlcode.fsutil import replace_dir
from mlcode.ignores import ignore_all
from mlcode.killpoint import kill_point
from mlcode.storage.cachefiles import (
    Quarantined,
    cache_dir,
    checked_file,
    intact_file,
    matches,
)

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
        self._cache: Path | None = None
        self._quarantined: list[Quarantined] = []  # not yet in notes()
        self._healed: dict[str, str] = {}  # quarantined md5 -> how an intact copy came back

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
            self._make_room(obj, "code bundle")
            transfer(staging, odb, {obj.hash_info}, shallow=False, hardlink=False)
        except Exception as exc:
            raise StorageError(
                f"cannot add {folder} to the DVC cache: {exc}", "run `mlcode doctor`"
            ) from None
        self._mark_healed("rebuilt")
        return str(obj.hash_info.value)

    def materialize(self, md5: str, dest: Path) -> bool:
        """Write the directory object `md5` into the new folder `dest` from checked cache
        objects (fetching from the remote what it lacks or holds corrupt); False when it
        cannot be had."""
        entries = self._fetched_entries("code bundle", md5)
        if entries is None:
            return False
        for rel, source in entries:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        dest.mkdir(parents=True, exist_ok=True)
        return True

    def add(self, paths: list[str], source: str = "rebuilt") -> dict[str, dict[str, Any]]:
        """Hash the directories into DVC's cache; return each one's DVC `outs` entry.

        Uses DVC's object layer (what `dvc add` does underneath) rather than `Repo.add`,
        which re-reads every `.dvc` file of the repository per call (~20 ms each). The
        `.dvc` file itself is written by the caller with the state record; the
        `.gitignore` beside the directory is made to ignore it here (`mlcode.ignores`).
        DVC keeps an object already in the cache, so a corrupt one of the same name is
        quarantined first; `source` says in `notes()` how its intact copy came back.
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
                self._make_room(obj, path)
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
        if any(p.startswith("artifacts/") for p in paths):  # not a preview's build
            ignore_all(self.root)  # where `dvc add` would list `/NAME` beside each
        self._mark_healed(source)
        return outs

    def restore(self, record_files: list[str]) -> list[str]:
        """Check out the artifacts of these `.dvc` files from the cache (fetching what it
        lacks, or holds corrupt, from the remote); return those that could not be
        restored. No byte reaches the work tree before it is checked against its name.

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
                done = self._dvc_checkout(target, md5)
            if not done:
                failed.append(target)
                continue
        if len(failed) < len(record_files):
            ignore_all(self.root)  # as after `dvc add`
        return failed

    def _assemble(self, path: str, md5: str) -> bool:
        """Build directory `path` from checked cache objects in a scratch folder, then
        rename it into place; False when an object is intact in neither the cache nor
        the remote."""
        entries = self._fetched_entries(path, md5)
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

    def _fetched_entries(self, path: str, md5: str) -> list[tuple[str, Path]] | None:
        """`_entries`, fetching the object from the remote first when the cache lacks it
        (or held it corrupt); None when it cannot be had intact."""
        entries = self._entries(path, md5)
        if entries is None and self.remote_name() is not None:
            try:
                self.fetch([md5])
            except StorageError:
                return None
            entries = self._entries(path, md5)
        return entries

    def _entries(self, path: str, md5: str) -> list[tuple[str, Path]] | None:
        """(relative path, checked cache file) of every file of the `.dir` object of
        directory `path`, or None when the cache lacks (or held corrupt) the listing or
        any of the files. Every file is checked, so that one fetch gets all bad ones."""
        listing = _parse_listing(self._read(self.checked(md5, f"{path} (listing)")))
        if listing is None:
            return None
        out: list[tuple[str, Path]] | None = []
        for entry in listing:
            rel = Path(str(entry.get("relpath", "")))
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                return None  # a listing that would write outside its folder
            source = self.checked(entry.get("md5"), f"{path}/{rel.as_posix()}")
            if source is None:
                out = None
            elif out is not None:
                out.append((rel.as_posix(), source))
        return out

    def _dvc_checkout(self, target: str, md5: str | None) -> bool:
        # DVC serves a protected cache file unhashed: check (or quarantine) it first.
        self.checked(md5, target.removesuffix(".dvc"))
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
        self._mark_healed(f"fetched again from the remote {self.remote_name()}")
        return True

    # checked reads ---------------------------------------------------------------------
    def checked(self, md5: str | None, label: str = "") -> Path | None:
        """The cache object of `md5` when present and intact, else None (a corrupt one
        is moved to `.mlcode/quarantine/` and noted for `notes()`). Opens no DVC."""
        if self._cache is None:
            self._cache = cache_dir(self.root)
        return checked_file(self.root, md5, self._quarantined.append, label, self._cache)

    def check_cached(self, path: str, md5: str, files: dict[str, str]) -> bool:
        """Check the cache objects of the artifact at `path` (`md5`, and its `files` by
        relative path), whose work-tree copy the caller found intact; when any was
        corrupt (quarantined) or is missing, store that copy again. True when it did."""
        named = [(f"{path} (listing)" if md5.endswith(".dir") else path, md5)]
        named += [(f"{path}/{rel}", h) for rel, h in sorted(files.items())]
        whole = [self.checked(h, label) is not None for label, h in named]
        if all(whole):
            return False
        self.add([path], "stored again from the intact work-tree copy")
        return True

    def _make_room(self, obj: Any, path: str) -> None:
        """DVC's transfer keeps an object already in the cache: before adding the built
        `obj` (of directory `path`), quarantine any corrupt object of the same name."""
        from dvc_data.hashfile.tree import Tree

        listing = isinstance(obj, Tree)
        self.checked(obj.hash_info.value, f"{path} (listing)" if listing else path)
        if listing:
            for key, _meta, info in obj:
                self.checked(info.value, f"{path}/{'/'.join(key)}")

    def notes(self) -> list[str]:
        """One line per cache object quarantined since the last call: what was corrupt,
        where it was moved, and how an intact copy came back (or that none did)."""
        lines = []
        for item in self._quarantined:
            then = self._healed.get(item.md5)
            if then is None:
                name = self._remote_name
                then = (
                    "no intact copy was found"
                    if name is False
                    else "no intact copy, and no DVC remote is configured"
                    if name is None
                    else f"the remote {name} has no intact copy either"
                )
            lines.append(f"{item.describe(self.root)}; {then}")
        self._quarantined.clear()
        return lines

    def _mark_healed(self, how: str) -> None:
        """Quarantined objects that are back and intact came back this way."""
        for item in self._quarantined:
            if item.md5 not in self._healed and intact_file(self.root, item.md5, self._cache):
                self._healed[item.md5] = how

    def _read(self, path: Path | None) -> bytes | None:
        try:
            return path.read_bytes() if path is not None else None
        except OSError:
            return None

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

    def remote_url(self) -> str | None:
        """The URL of the remote in use (None: there is none)."""
        name = self.remote_name()
        if name is None:
            return None
        return self._open().config.get("remote", {}).get(name, {}).get("url")

    def describe_remote(self) -> str:
        name = self.remote_name()
        if name is None:
            return "(none)"
        url = self._open().config.get("remote", {}).get(name, {}).get("url", "?")
        return f"{name} ({url})"

    def _odb(self) -> Any:
        name = self.remote_name()
        if name is None:
            from mlcode.storage.remotescope import SHARED_REMOTE_FIX

            # `mlcode init` alone would give a clone a remote that only it can reach.
            raise StorageError(
                "no DVC remote is configured",
                f"{SHARED_REMOTE_FIX}; or `mlcode init` for a remote on this machine only",
            )
        return self._open().cloud.get_remote_odb(name, "push")

    def _parts(self, hashes: list[str], odb: Any = None) -> tuple[list[str], list[str]]:
        """(file hashes, `.dir` hashes) making up these objects; a `.dir` listing is read
        from the local cache when intact there, else from `odb` (checked too). Moves
        nothing: a question about objects is no repair."""
        files: set[str] = set()
        dirs: list[str] = []
        for h in hashes:
            if not h.endswith(".dir"):
                files.add(h)
                continue
            dirs.append(h)
            data = self._read(intact_file(self.root, h, self._cache))
            if data is None and odb is not None:
                data = _remote_bytes(odb, h)
            files |= {str(entry.get("md5")) for entry in _parse_listing(data, h) or []}
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
        before = len(self._quarantined)
        for h in (*files, *dirs):  # never upload corrupt bytes under a good name
            self.checked(h)
        if len(self._quarantined) > before:
            bad = self._quarantined[before:]
            raise StorageError(
                f"{len(bad)} objects to push are corrupt in the local cache, and were not "
                f"pushed: {bad[0].describe(self.root)}",
                "run `mlcode pull` (it stores intact work-tree copies in the cache again) "
                "or `mlcode apply --replace ADDRESS` (it rebuilds), then `mlcode push`",
            )
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
                self._claim(odb, [*files, *dirs])
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(
                f"cannot push to the DVC remote {self.describe_remote()}: {exc}",
                "check the remote, then run `mlcode push`",
            ) from None
        return done

    def _claim(self, odb: Any, hashes: list[str]) -> None:
        """Record on the remote that this project uses `hashes` (a new file under
        `mlcode/claims/<project>/`, never rewritten, so concurrent pushes cannot lose
        one): another project's `mlcode gc --remote` keeps them even where the same
        content is also garbage of its own. Outside DVC's `files/md5` namespace."""
        owner = project_id(self.root)
        if owner is None or not hashes:
            return
        data = json.dumps(sorted(set(hashes))).encode()
        folder = odb.fs.join(_claims_root(odb), owner)
        path = odb.fs.join(folder, hashlib.md5(data, usedforsecurity=False).hexdigest() + ".json")
        if odb.fs.exists(path):
            return
        with contextlib.suppress(Exception):  # a local remote needs its folders
            odb.fs.makedirs(folder, exist_ok=True)
        with odb.fs.open(path, "wb") as handle:
            handle.write(data)

    def claimed_by_others(self) -> set[str]:
        """Every object another project claimed on the remote (see `_claim`)."""
        odb = self._odb()
        root = _claims_root(odb)
        owner = project_id(self.root)
        out: set[str] = set()
        try:
            paths = odb.fs.find(root) if odb.fs.exists(root) else []
        except Exception as exc:
            raise StorageError(f"cannot list the claims on the remote: {exc}") from None
        for path in paths:
            parts = str(path).replace("\\", "/").rstrip("/").split("/")
            if len(parts) < 2 or parts[-2] == owner or not parts[-1].endswith(".json"):
                continue
            try:
                with odb.fs.open(path, "rb") as handle:
                    listed = json.loads(handle.read())
            except (OSError, ValueError) as exc:
                raise StorageError(f"unreadable claim {path} on the remote: {exc}") from None
            out |= {str(h) for h in listed} if isinstance(listed, list) else set()
        return out

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

    def collect_garbage(
        self,
        keep: set[str],
        remote: bool,
        dry_run: bool,
        owned: set[str] | None = None,
        confirm: Any = None,
    ) -> dict[str, Any]:
        """Delete objects (cache, and with `remote` the remote) whose md5 is not in
        `keep`; returns per place the counts, bytes and the `victims` (md5s).

        On the remote only objects in `owned` (what this repository's history recorded)
        may go: anything else, and any file a foreign `.dir` listing names (content is
        shared by hash between projects), is foreign and kept. `confirm(plan)` is asked
        with the victims of every place before anything is deleted (False: nothing is).
        """
        out: dict[str, Any] = {}
        places = [("cache", self._open().cache.local)]
        if remote:
            places.append(("remote", self._odb()))
        doomed: dict[str, list[str]] = {}
        for place, odb in places:
            try:
                everything = list(odb.all())
                guard = owned if place == "remote" else None
                protected, blind = _foreign_files(odb, everything, guard)
                victims, kept, foreign, freed = [], 0, 0, 0
                for oid in everything:
                    if oid in keep:
                        kept += 1
                    elif guard is not None and (
                        oid not in guard or oid in protected or (blind and not oid.endswith(".dir"))
                    ):
                        foreign += 1
                    else:
                        victims.append(oid)
                        freed += _size(odb, oid)
            except Exception as exc:
                raise StorageError(f"gc of the {place} failed: {exc}", "run it again") from None
            out[place] = {
                "removed": len(victims),
                "freed_bytes": freed,
                "kept": kept,
                "foreign": foreign,
                "victims": sorted(victims),
            }
            if blind:
                out[place]["note"] = (
                    "a foreign .dir listing could not be read: no file object was deleted"
                )
            doomed[place] = victims
        if dry_run or not any(doomed.values()):
            return out
        if confirm is not None and not confirm(out):
            for place in doomed:
                out[place].update(removed=0, freed_bytes=0, cancelled=True)
            return out
        for place, odb in places:
            try:
                for oid in doomed[place]:
                    odb.fs.remove(odb.oid_to_path(oid))
            except Exception as exc:
                raise StorageError(f"gc of the {place} failed: {exc}", "run it again") from None
        return out

    def fetch(self, hashes: list[str]) -> None:
        """Download these objects (a `.dir` hash brings its files) from the remote into
        the local cache; objects the remote content does not match are refused (the
        remotes mlcode configures have `verify = true`). DVC skips objects already in
        the cache, so corrupt ones are quarantined first and downloaded again."""
        if not hashes:
            return
        odb = self._odb()
        repo = self._open()
        from dvc_data.hashfile.hash_info import HashInfo

        for h in hashes:
            self.checked(h)
        try:
            with quiet():
                # first the objects themselves (a `.dir` listing), then a listing's files
                repo.cloud.pull([HashInfo("md5", h) for h in hashes], remote=self.remote_name())
                files, _dirs = self._parts(hashes, odb)
                for h in files:
                    self.checked(h)
                if files:
                    repo.cloud.pull([HashInfo("md5", h) for h in files], remote=self.remote_name())
        except Exception as exc:
            raise StorageError(
                f"cannot fetch from the DVC remote {self.describe_remote()}: {exc}",
                "check it with `dvc remote list`",
            ) from None
        finally:
            self._mark_healed(f"fetched again from the remote {self.remote_name()}")

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None


def _remote_bytes(odb: Any, md5: str) -> bytes | None:
    try:
        with odb.fs.open(odb.oid_to_path(md5), "rb") as handle:
            return handle.read()
    except OSError:  # missing: the listing is unknown
        return None


def _claims_root(odb: Any) -> str:
    """`<remote>/mlcode/claims`: the remote's root is two levels above `files/md5`."""
    base = odb.fs.parent(odb.fs.parent(odb.path))
    return odb.fs.join(base, "mlcode", "claims")


def project_id(root: Path) -> str | None:
    """This project's identity on a shared remote: its (first) root commit, shared by
    every clone; None before the first commit."""
    from mlcode.errors import GitError
    from mlcode.vcs import git

    try:
        roots = git(root, "rev-list", "--max-parents=0", "HEAD").split()
    except GitError:
        return None
    return min(roots) if roots else None


def _size(odb: Any, oid: str) -> int:
    try:
        return int(odb.fs.size(odb.oid_to_path(oid)) or 0)
    except OSError:
        return 0


def _foreign_files(odb: Any, oids: list[str], owned: set[str] | None) -> tuple[set[str], bool]:
    """Files named by the `.dir` listings in `odb` that are not `owned` (None: all are
    owned), and whether any such listing could not be read (then no file is safe)."""
    if owned is None:
        return set(), False
    files: set[str] = set()
    blind = False
    for oid in oids:
        if oid.endswith(".dir") and oid not in owned:
            listing = _parse_listing(_remote_bytes(odb, oid))  # foreign: any listing counts
            if listing is None:
                blind = True
                continue
            files |= {str(entry.get("md5")) for entry in listing}
    return files, blind


def _parse_listing(data: bytes | None, md5: str | None = None) -> list[dict[str, Any]] | None:
    """The entries of a `.dir` object's bytes; None when absent, not a listing, or (with
    `md5`) not the bytes named `md5`."""
    if data is None or (md5 is not None and not matches(data, md5)):
        return None
    try:
        listing = json.loads(data)
    except ValueError:
        return None
    if not isinstance(listing, list) or not all(isinstance(e, dict) for e in listing):
        return None
    return listing


def _recorded_md5(record_file: Path) -> str | None:
    """The md5 in a `.dvc` file's (first) `outs` entry, or None."""
    import yaml

    try:
        data = yaml.safe_load(record_file.read_text(encoding="utf-8"))
        return str(data["outs"][0]["md5"])
    except (OSError, ValueError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return None


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
