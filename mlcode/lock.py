"""The apply lock `.mlcode/lock` (edge): one apply at a time per repository.

The lock file holds {pid, host, nonce}; it is created with O_EXCL semantics (write a temp
file, then `os.link` it into place, which fails if the lock exists). A holder on this
host whose pid is gone is taken over.
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
        self.owner = {"pid": os.getpid(), "host": socket.gethostname(), "nonce": self.nonce}

    def __enter__(self) -> ApplyLock:
        deadline = time.monotonic() + self.timeout
        while not self._try_acquire():
            holder = self._holder()
            if holder and self._is_dead(holder):
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

    def _is_dead(self, holder: dict) -> bool:
        if holder.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(holder.get("pid", 0)), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError, TypeError):
            return False
        return False

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
            stale.unlink(missing_ok=True)
