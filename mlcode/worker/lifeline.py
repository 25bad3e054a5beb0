"""Lifelines (edge: signals, process ids): every process mlcode starts dies with its parent.

A `kill -9` of `mlcode apply` must not leave its fork server and build workers running
(each holds ~200 MB, and a worker may train for hours). multiprocessing gives no such
guarantee: the fork server waits for EOF on a pipe that its own workers hold open, and
an idle worker waits on a queue whose write end it holds itself. So each child binds
itself to its parent:

    mlcode (parent) ──environ_for_child()──> fork server ──bind()──> prctl / watch
                                               │ its environ now names itself
                                               └─fork──> worker ──bind() (pool initializer)
    mlcode verify ──environ_for_child()──> isolated build ──bind()

`bind()` asks Linux for SIGKILL when the parent dies (`prctl(PR_SET_PDEATHSIG)`), then
exits at once if the parent is already gone (it died before the prctl: the process was
re-parented, so its parent pid is no longer the one the parent wrote down). Where prctl
is missing (macOS, Windows), a daemon thread polls the parent pid instead.

Linux sends the signal when the *thread* that forked the child exits, not the process.
`environ_for_child()` therefore asks for the polling watch when it is called off the main
thread (the main thread lives as long as the process); the fork server forks its workers
from its own main thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

ENV = "MLCODE_LIFELINE"  # "<parent pid>" or "<parent pid>:poll"
POLL = "poll"
POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


def environ_for_child() -> dict[str, str]:
    """The variable a child started now (from this thread) needs for `bind()`."""
    value = str(os.getpid())
    if threading.current_thread() is not threading.main_thread():
        value += f":{POLL}"
    return {ENV: value}


def bind() -> None:
    """Die with the parent named by ENV (the current parent when ENV is unset): SIGKILL
    on its death, or exit now if it is already dead. Never raises."""
    expected, _, mode = os.environ.get(ENV, "").partition(":")
    parent = int(expected) if expected.isdigit() else os.getppid()
    if mode == POLL or not _death_signal():
        _watch(parent)
    if os.getppid() != parent:
        os._exit(1)


def _death_signal() -> bool:
    """Ask Linux for SIGKILL when the parent thread exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    """A daemon thread that ends the process once its parent is no longer `parent`."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="mlcode-lifeline", daemon=True).start()
