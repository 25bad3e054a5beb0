"""Objects of the local DVC cache, found by md5 and checked before use (edge; no DVC import).

DVC 3 keeps each object at `<cache>/files/md5/<first 2 hex>/<other 30>`; the cache is
`.dvc/cache` unless `cache.dir` is set in `.dvc/config` or `.dvc/config.local`. An
object is named by the md5 of its bytes: a file's content, or for a `.dir` listing the
JSON DVC wrote (`Tree.digest` hashes `Tree.as_bytes()`, the bytes the cache holds, and
DVC's `HashFileDB.check` compares the same), with `.dir` appended.

DVC trusts a read-only cache file without hashing it, so a corrupt object is served as
good unless it is checked here. Every read of an artifact goes through `checked_file`:
a corrupt object is moved aside to `.mlcode/quarantine/<md5>` (never deleted) and
reported, so that a fetch can download it again (DVC skips objects already present).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlcode.fsutil import file_md5

QUARANTINE = Path(".mlcode") / "quarantine"


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A cache object whose bytes did not match its name, taken out of the cache.

    `md5` is the object's name (the recorded hash, `.dir` for a listing); `found` says
    what was there instead (`content hashes to …`, `a directory`, `a symlink`,
    `unreadable: …`); `moved_to` is where it is now, None when it could not be moved
    (then `found` ends with why); `label` names it for people (`artifacts/models/m/
    model.joblib`), empty when the reader did not know.
    """

    md5: str
    found: str
    moved_to: Path | None
    label: str = ""

    def describe(self, root: Path) -> str:
        """One clause: what was corrupt and where it went."""
        what = f"{self.label}: " if self.label else ""
        if self.moved_to is None:
            return f"{what}corrupt DVC cache object {self.md5} ({self.found})"
        where = self.moved_to
        if where.is_relative_to(root):
            where = where.relative_to(root)
        return f"{what}corrupt DVC cache object {self.md5} ({self.found}) moved to {where}"


Report = Callable[[Quarantined], None]


def cache_dir(root: Path) -> Path:
    """The repository's DVC cache directory."""
    folder = root / ".dvc" / "cache"
    for name in ("config", "config.local"):
        parser = configparser.ConfigParser()
        try:
            parser.read(root / ".dvc" / name)
        except configparser.Error:
            continue
        value = parser.get("cache", "dir", fallback=None)
        if value:
            folder = (root / ".dvc" / value).resolve()
    return folder


def object_path(cache: Path, md5: str | None) -> Path | None:
    """Where the object `md5` lives in `cache` (whether or not it is there); None for a
    value that is no md5."""
    if not md5 or len(md5.removesuffix(".dir")) != 32:
        return None
    return cache / "files" / "md5" / md5[:2] / md5[2:]


def problem(path: Path, md5: str) -> str | None:
    """What is wrong with the object at `path` named `md5`: None when its bytes hash to
    its name. Moves nothing (doctor and read-only questions use this)."""
    if path.is_symlink():
        return "a symlink"
    if path.is_dir():
        return "a directory"
    try:
        actual = file_md5(path)
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if actual == _content_md5(md5):
        return None
    return f"content hashes to {actual}, {path.stat().st_size} bytes"


def matches(data: bytes, md5: str) -> bool:
    """Whether `data` are the bytes of the object named `md5` (read whole, e.g. a `.dir`
    listing from the remote)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest() == _content_md5(md5)


def _content_md5(md5: str) -> str:
    return md5.removesuffix(".dir")


def intact_file(root: Path, md5: str | None, cache: Path | None = None) -> Path | None:
    """The cache object of `md5` when present and intact, else None; moves nothing."""
    path = object_path(cache or cache_dir(root), md5)
    if path is None or not os.path.lexists(path):
        return None
    return path if problem(path, str(md5)) is None else None


def in_cache(root: Path, md5: str) -> bool:
    """True when the object and, for a `.dir`, every file it lists are in the local
    cache (by presence, and a listing read only when intact: every file's content is
    checked when it is read, by `checked_file`)."""
    cache = cache_dir(root)
    path = object_path(cache, md5)
    if path is None or not path.is_file():
        return False
    if not md5.endswith(".dir"):
        return True
    try:
        data = path.read_bytes()
        listing = json.loads(data) if matches(data, md5) else None
        files = [object_path(cache, str(entry["md5"])) for entry in listing or ()]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return listing is not None and all(f is not None and f.is_file() for f in files)


def checked_file(
    root: Path,
    md5: str | None,
    report: Report,
    label: str = "",
    cache: Path | None = None,
) -> Path | None:
    """The cache object of `md5`, its bytes checked against the name; None when it is
    not cached. A corrupt object is moved to `.mlcode/quarantine/` and passed to
    `report` (then None: the caller fetches it again or rebuilds)."""
    path = object_path(cache or cache_dir(root), md5)
    if path is None or not os.path.lexists(path):
        return None
    found = problem(path, str(md5))
    if found is None:
        return path
    report(_quarantine(root, path, str(md5), found, label))
    return None


def _quarantine(root: Path, path: Path, md5: str, found: str, label: str) -> Quarantined:
    """Move a corrupt object to `.mlcode/quarantine/<md5>` (`<md5>.N` when that name is
    taken: an earlier quarantine is never overwritten)."""
    folder = root / QUARANTINE
    dest = folder / md5
    n = 0
    while os.path.lexists(dest):
        n += 1
        dest = folder / f"{md5}.{n}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, dest)
        except OSError:  # another filesystem (`cache.dir` elsewhere)
            shutil.move(str(path), str(dest))
    except OSError as exc:
        return Quarantined(md5, f"{found}; could not be moved: {exc.strerror or exc}", None, label)
    return Quarantined(md5, found, dest, label)
