"""The apply lock `.mlcode/lock` (edge): one apply at a time per repository.

The lock file holds {pid, host, nonce, started}; it is created with O_EXCL semantics
(write a temp file, then `os.link` it into place, which fails if the lock exists). A
holder on this host whose pid is gone, or whose pid now belongs to a process started
later (the pid was reused after a crash), is taken over; `taken_over` then says whose
lock it was and since when it was held, so that apply can clear what the dead apply's
`git` left locked.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from pathlib import Path

from mlcode.errors import LockError
from mlcode.fsutil import atomic_write


class ApplyLock:
    """Context manager; `timeout` seconds to wait for a live holder (0 = refuse at once)."""

    def __init__(self, path: Path, timeout: float = 0.0) -> None:
        self.path = path
        self.timeout = timeout
        self.nonce = uuid.uuid4().hex
        self.owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "nonce": self.nonce,
            "started": started(os.getpid()),
        }
        self.taken_over: dict | None = None  # the dead holder, with "since" (its mtime)

    def __enter__(self) -> ApplyLock:
        deadline = time.monotonic() + self.timeout
        while not self._try_acquire():
            holder = self._holder()
            if holder and is_dead(holder):
                self._break(holder)
                continue
            if time.monotonic() >= deadline:
                who = f"pid {holder.get('pid')} on {holder.get('host')}" if holder else "unknown"
                raise LockError(
                    f"another mlcode apply holds the lock ({who})",
                    f"wait for it, pass --lock-timeout SECONDS, or remove {self.path} "
                    "if that process is gone",
                )
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        holder = self._holder()
        if holder and holder.get("nonce") == self.nonce:
            self.path.unlink(missing_ok=True)

    def _try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".lock.{self.nonce}")
        atomic_write(tmp, json.dumps(self.owner))
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def _holder(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _break(self, holder: dict) -> None:
        # Rename first so that two processes breaking the same stale lock cannot both win.
        stale = self.path.with_name(f".lock.stale.{self.nonce}")
        try:
            os.rename(self.path, stale)
        except OSError:
            return
        current = json.loads(stale.read_text() or "{}") if stale.exists() else {}
        if current.get("nonce") != holder.get("nonce"):
            os.replace(stale, self.path)  # someone re-took it meanwhile; put it back
        else:
            self.taken_over = {**holder, "since": stale.stat().st_mtime}
            stale.unlink(missing_ok=True)


def is_dead(holder: dict) -> bool:
    """True when the lock's holder is a process on this host that no longer runs."""
    if holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, TypeError):
        return False
    recorded = holder.get("started")
    return recorded is not None and started(int(holder["pid"])) != recorded


def started(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot, from /proc), or None where
    that cannot be read: with the pid, it names one process even after pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces and parentheses.
    return int(stat.rpartition(")")[2].split()[19])
