"""A persistent {path: (stat, md5)} cache in `.mlcode/` (edge): files are re-hashed only
when their stat changed, which keeps refresh and code hashing cheap on a no-op plan."""

from __future__ import annotations

import os
from pathlib import Path

from mlcode.fsutil import file_md5, read_json, stat_key, write_json


class HashCache:
    """Content hashes of repo files keyed by repo-relative path and validated by stat.

    `md5(path)` returns None for a missing file. Call `save()` to persist new entries;
    nothing is written when nothing changed.
    """

    def __init__(self, root: Path, cache_file: Path) -> None:
        self.root = root
        self._root = os.fspath(root)  # joined with each path asked for: keep it a str
        self.cache_file = cache_file
        self._entries: dict[str, list] | None = None
        self._dirty = False

    def _load(self) -> dict[str, list]:
        if self._entries is None:
            data = read_json(self.cache_file, {})
            self._entries = data if isinstance(data, dict) else {}
        return self._entries

    def md5(self, rel: str) -> str | None:
        """The md5 of repo file `rel`, from the cache when its stat is unchanged."""
        entries = self._load()
        full = os.path.join(self._root, rel)
        key = stat_key(full)
        if key is None:
            return None
        cached = entries.get(rel)
        if cached is not None and cached[:3] == key:
            return cached[3]
        try:
            digest = file_md5(full)
        except OSError:
            return None
        entries[rel] = [*key, digest]
        self._dirty = True
        return digest

    def forget(self, prefix: str) -> None:
        """Drop entries under `prefix` (after an artifact directory was replaced)."""
        entries = self._load()
        for rel in [r for r in entries if r.startswith(prefix)]:
            del entries[rel]
            self._dirty = True

    def save(self) -> None:
        """Persist the cache atomically if anything changed."""
        if self._dirty and self._entries is not None:
            write_json(self.cache_file, self._entries)
            self._dirty = False
