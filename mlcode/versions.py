"""Installed distribution versions (edge): `importlib.metadata`'s answers, kept in
`.mlcode/versions.json` under the stat of everything that decides them.

Every plan needs the versions of the distributions that enter fingerprints, and asking
`importlib.metadata` costs ~30 ms (its import pulls in `email`, `zipfile`, `csv`...;
each lookup lists the path). Its answer depends only on the path entries it searches,
in order, and on the metadata file it reads the version from, so the cache holds:

    paths  [[entry, stat], ...]  each `sys.path` entry with the stat of that directory:
                                 installing, upgrading or removing a distribution adds
                                 or removes a `*.dist-info` there, which moves it
    dists  {name: [version, metadata file, its stat]}   (version None: not installed)

and is used only while both stats hold. The script's directory starts `sys.path`, so
`mlcode` and `python -m mlcode` search different paths: the last `KEEP` are kept. A
stat taken too soon after its change (`fsutil.is_racy`) is not trusted, and a finder on
`sys.meta_path` other than the standard `PathFinder` that can find distributions turns
the cache off, since its answers are not in files listed here.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import PathFinder
from pathlib import Path

from mlcode.fsutil import is_racy, read_json, stat_key, write_json

VERSION = 2
KEEP = 4
_METADATA_FILES = ("METADATA", "PKG-INFO")


class InstalledVersions:
    """`version(name)`: the installed version of distribution `name` (None when not
    installed), as `importlib.metadata.version` says; `save()` persists new answers."""

    def __init__(self, cache_file: Path) -> None:
        self.cache_file = cache_file
        self._paths = _path_stats()
        data = read_json(cache_file, {})
        ours = isinstance(data, dict) and data.get("version") == VERSION
        entries = data.get("entries") if ours else None
        self._kept: list[dict] = [
            e
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, dict) and "paths" in e and isinstance(e.get("dists"), dict)
        ]
        mine = next((e for e in self._kept if e["paths"] == self._paths), None)
        self._dists: dict[str, list] = mine["dists"] if mine and self._paths is not None else {}
        self._answers: dict[str, str | None] = {}
        self._dirty = False

    def version(self, name: str) -> str | None:
        if name not in self._answers:
            entry = self._dists.get(name)
            if _holds(entry):
                self._answers[name] = entry[0]  # type: ignore[index]
            else:
                version, source = _lookup(name)
                self._answers[name] = version
                self._remember(name, version, source)
        return self._answers[name]

    def _remember(self, name: str, version: str | None, source: str | None) -> None:
        if self._paths is None or (version is not None and source is None):
            return  # answers found outside files this cache watches
        stat = stat_key(source) if source is not None else None
        if source is not None and (stat is None or is_racy(stat)):
            return
        self._dists[name] = [version, source, stat]
        self._dirty = True

    def save(self) -> None:
        """Write the cache when it learnt something and the path stats can be trusted."""
        if not self._dirty or self._paths is None:
            return
        if any(is_racy(stat) for _entry, stat in self._paths):
            return
        others = [e for e in self._kept if e["paths"] != self._paths]
        entries = [{"paths": self._paths, "dists": self._dists}, *others][:KEEP]
        write_json(self.cache_file, {"version": VERSION, "entries": entries})
        self._dirty = False


def _holds(entry: object) -> bool:
    """True when a cached answer is well formed and its metadata file did not change."""
    if not (isinstance(entry, list) and len(entry) == 3):
        return False
    version, source, stat = entry
    if version is None:
        return source is None  # not installed: the path stats say nothing was added
    return isinstance(version, str) and isinstance(source, str) and stat_key(source) == stat


def _lookup(name: str) -> tuple[str | None, str | None]:
    """(version, the metadata file it was read from) through importlib.metadata."""
    from importlib import metadata

    try:
        found = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None, None
    folder = getattr(found, "_path", None)  # PathDistribution: the *.dist-info folder
    source = None
    if folder is not None:
        for file in _METADATA_FILES:
            candidate = os.path.join(folder, file)
            if os.path.isfile(candidate):
                source = candidate
                break
    return found.version, source


def _path_stats() -> list[list] | None:
    """[[entry, stat of its directory], ...] for `sys.path`; None when another finder
    could answer for distributions."""
    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return None
    return [[entry, stat_key(os.path.abspath(entry or "."))] for entry in sys.path]
