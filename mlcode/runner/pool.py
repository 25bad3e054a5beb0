"""The local build runner (edge): a process pool whose workers fork from a warm server.

Workers are forked from a fork server that has already imported pandas, pyarrow,
scikit-learn, Hydra's instantiate and the installed modules the plan's `_target_`s name,
so a build pays for none of those imports. `start()` launches that server early (its
imports then overlap with the parent's own work); `submit()` starts it if needed. The
server starts with the pinned build environment (`environment.py`), which its workers
inherit, and the server and each worker die with their parent (`lifeline.py`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from typing import Any

from mlcode.worker import lifeline
from mlcode.worker.environment import pinned
from mlcode.worker.task import BuildResult, BuildTask

PRELOAD = ("mlcode.worker.preload",)


class LocalRunner:
    """Runs BuildTasks in `jobs` worker processes."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: Any = None

    def start(self, modules: Iterable[str] = ()) -> None:
        """Start the fork server now, preloading `modules` too (missing ones are skipped)."""
        if self._pool is not None:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import forkserver

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([*PRELOAD, *sorted(set(modules))])
        # The fork server copies os.environ when it starts, and its workers copy it: the
        # build environment is set for that moment only (this process keeps the caller's).
        with pinned(lifeline.environ_for_child()), _main_hidden(), _interrupt_ignored():
            forkserver.ensure_running()
        # A worker's parent is the fork server; fork clears the death signal: bind again.
        self._pool = ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=ctx, initializer=lifeline.bind
        )

    def submit(self, task: BuildTask) -> Future[BuildResult]:
        self.start()
        from mlcode.worker.runtime import run_task

        # The pool starts its workers on a submit; they must not re-run the caller's
        # main script (multiprocessing does that by default for spawned children).
        with _main_hidden():
            return self._pool.submit(run_task, task)

    def close(self) -> None:
        if self._pool is not None:
            if isinstance(sys.exc_info()[1], KeyboardInterrupt):
                # Ctrl-C: the workers ignore it (see start); stop their builds now
                # rather than wait for them.
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    with contextlib.suppress(OSError):
                        process.kill()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            _stop_fork_server()


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Hide `__main__`'s file and spec so child processes do not import it again."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main and k in main.__dict__}
    try:
        for key in saved:
            if key == "__spec__":
                main.__spec__ = None  # type: ignore[union-attr]
            else:
                delattr(main, key)
        yield
    finally:
        for key, value in saved.items():
            setattr(main, key, value)


@contextlib.contextmanager
def _interrupt_ignored() -> Iterator[None]:
    """Start children with SIGINT ignored: Ctrl-C signals the whole foreground process
    group, and the fork server (mid-import) and its idle workers would each print a
    traceback. They inherit the ignored signal across exec; the parent alone handles
    the interrupt and stops them (close)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop_fork_server() -> None:
    """Stop the fork server now, without its slow interpreter teardown: it holds our
    stdout and stderr open, so whoever reads them (a CI step, a test) would otherwise
    wait ~0.5 s after we are done. It has no state worth a clean exit."""
    import signal
    from multiprocessing import forkserver

    server = forkserver._forkserver
    pid = getattr(server, "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError, ChildProcessError):
            stop()
