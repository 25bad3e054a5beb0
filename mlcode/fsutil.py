"""Small file-system edge helpers: atomic writes, content hashes and stat keys."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from mlcode.collector import paused

# tempfile, uuid and shutil are imported by the writers that use them: a no-op plan reads
# its caches and writes nothing.


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` to `path` via temp file, fsync and rename: readers see old or new."""
    import tempfile

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(src: Path, dest: Path, scratch: Path) -> None:
    """Move directory `src` to `dest` by rename: readers see the old directory, for an
    instant none, or the new one, never a mix. The old one goes via `scratch`."""
    import shutil
    import uuid

    dest.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if dest.exists():
        old = scratch / f"old-{dest.name}-{uuid.uuid4().hex[:8]}"
        old.parent.mkdir(parents=True, exist_ok=True)
        os.replace(dest, old)
    os.replace(src, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(path: str | os.PathLike[str], value: Any) -> None:
    """Atomically write `value` as sorted, compact JSON."""
    atomic_write(path, json.dumps(value, sort_keys=True, separators=(",", ":")))


def read_json(path: str | os.PathLike[str], default: Any = None) -> Any:
    """Read JSON from `path`, or return `default` when it is missing or unreadable.

    Parsed with the garbage collector paused (`collector`): the caches in `.mlcode/` hold
    an entry per resource or file, and JSON makes no reference cycles to collect."""
    try:
        with open(path, encoding="utf-8") as handle, paused():
            return json.load(handle)
    except (OSError, ValueError):
        return default


def file_md5(path: str | os.PathLike[str]) -> str:
    """MD5 of a file's bytes: the hash DVC uses, so the two can be compared."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stat_key(path: str | os.PathLike[str]) -> list[int] | None:
    """(mtime_ns, size, inode) of a file, or None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


# A stat within this of now may not show a second change made in the same clock tick
# (file times are as coarse as the kernel's tick): caches keyed by stat skip it (as Git
# does for its index).
RACY_NS = 2_000_000_000


def is_racy(stat: list[int] | None) -> bool:
    """True when `stat` (a `stat_key`) was taken too soon after its file changed to
    vouch that the file has not changed since."""
    return stat is not None and time.time_ns() - stat[0] < RACY_NS


def dir_manifest(root: str | os.PathLike[str]) -> dict[str, str]:
    """{relative posix path: md5} of every file under `root`, sorted by path."""
    base = Path(root)
    out: dict[str, str] = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        out[path.relative_to(base).as_posix()] = file_md5(path)
    return out
