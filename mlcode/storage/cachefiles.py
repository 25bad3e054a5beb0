"""Find a file's object in the local DVC cache by its md5, without importing DVC.

DVC 3 keeps each file at `<cache>/files/md5/<first 2 hex>/<other 30>`; the cache is
`.dvc/cache` unless `cache.dir` is set in `.dvc/config` or `.dvc/config.local`.
"""

from __future__ import annotations

import configparser
from pathlib import Path


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


def cached_file(root: Path, md5: str | None) -> Path | None:
    """The cache object of a file with this md5, or None when it is not cached."""
    if not md5 or len(md5.removesuffix(".dir")) != 32:
        return None
    path = cache_dir(root) / "files" / "md5" / md5[:2] / md5[2:]
    return path if path.is_file() else None


def in_cache(root: Path, md5: str) -> bool:
    """True when the object and, for a `.dir`, every file it lists are in the local
    cache (by presence: contents are checked when they are read)."""
    import json

    path = cached_file(root, md5)
    if path is None:
        return False
    if not md5.endswith(".dir"):
        return True
    try:
        listing = json.loads(path.read_text(encoding="utf-8"))
        return all(cached_file(root, str(entry["md5"])) is not None for entry in listing)
    except (OSError, ValueError, KeyError, TypeError):
        return False
