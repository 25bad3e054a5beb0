"""Named kill points for the crash harness (`tests/functional/test_kill.py`).

`MLCODE_KILL_AT=NAME` (or `NAME:N`, the Nth time) makes the apply process SIGKILL its
whole process group (itself, its build workers and any running `git`) when it reaches
the kill point NAME: the way Git's test suite reaches states through `GIT_TEST_*`
variables that timing alone hits only by luck. The harness starts apply in a session of
its own, so nothing else is killed. Unset, a kill point costs one comparison.
"""

from __future__ import annotations

import os
import signal

_AT = os.environ.get("MLCODE_KILL_AT") or None
_seen: dict[str, int] = {}


def kill_point(name: str) -> None:
    """SIGKILL the process group here when MLCODE_KILL_AT names this point."""
    if _AT is None:
        return
    point, _, nth = _AT.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == int(nth or 1):
        os.killpg(os.getpgid(0), signal.SIGKILL)
