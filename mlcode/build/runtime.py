"""Worker entry point: runs one BuildTask with its output captured in the node's log.

Imported by worker processes (and preloaded by the fork server), never by the planner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import traceback

from mlcode.build import environment
from mlcode.build.task import BuildResult, BuildTask


def run_task(task: BuildTask) -> BuildResult:
    """Build, catching every exception from user code into a one-line error."""
    start = time.perf_counter()
    with open(task.log_path, "w", encoding="utf-8") as log, _captured(log):
        print(f"building {task.address}", flush=True)
        try:
            # The project's modules are imported from its work tree: leave no
            # __pycache__ there (it would be an untracked change in the user's repo).
            sys.dont_write_bytecode = True
            if task.root not in sys.path:
                sys.path.insert(0, task.root)
            unpinned = environment.unpinned()
            if unpinned:
                raise BuildEnvironmentError(
                    "this process was not started with the build environment: "
                    + ", ".join(unpinned)
                )
            with _pinned_at_runtime():
                metrics = _build(task)
        except BaseException as exc:  # user code may raise anything, SystemExit too
            traceback.print_exc(file=log)
            message = " ".join(str(exc).split()) or "(no message)"
            return BuildResult(
                task.address,
                False,
                time.perf_counter() - start,
                error=f"{type(exc).__name__}: {message}",
            )
        print(f"done in {time.perf_counter() - start:.2f}s", flush=True)
    return BuildResult(task.address, True, time.perf_counter() - start, metrics=metrics)


class BuildEnvironmentError(RuntimeError):
    """A build was started outside mlcode.build.environment (a runner's fault)."""


@contextlib.contextmanager
def _pinned_at_runtime():
    """Thread pools limited again at runtime, for libraries loaded or configured after
    the process started; and the environment as it was before the build, so one build
    that edits os.environ cannot change the next one in this worker."""
    from threadpoolctl import threadpool_limits

    saved = dict(os.environ)
    try:
        with threadpool_limits(limits=int(environment.THREADS)):
            yield
    finally:
        if os.environ != saved:
            os.environ.clear()
            os.environ.update(saved)


def _build(task: BuildTask) -> dict[str, float]:
    if task.kind == "dataset":
        from mlcode.build.dataset import build_dataset

        build_dataset(task)
        return {}
    if task.kind == "score":
        from mlcode.build.model import score_model

        return score_model(task)
    from mlcode.build.model import build_model

    return build_model(task)


@contextlib.contextmanager
def _captured(log):
    handler = logging.StreamHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield
    finally:
        root.removeHandler(handler)
