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
from pathlib import Path
from typing import Any

from mlcode.worker import environment
from mlcode.worker.task import BuildResult, BuildTask


def run_task(task: BuildTask) -> BuildResult:
    """Build, catching every exception from user code into a one-line error."""
    start = time.perf_counter()
    failed: str | None
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
                _import_before_seeding(task.spec)
                _seed_global_generators(task.seed)
                metrics = _build(task)
        except BaseException as exc:  # user code may raise anything, SystemExit too
            traceback.print_exc(file=log)
            message = " ".join(str(exc).split()) or "(no message)"
            failed = f"{type(exc).__name__}: {message}"
        else:
            failed = None
            print(f"done in {time.perf_counter() - start:.2f}s", flush=True)
    # A connection error quotes the URL it used: no secret in the message or the log.
    failed = _scrub_log(task, failed)
    if failed is not None:
        return BuildResult(task.address, False, time.perf_counter() - start, error=failed)
    return BuildResult(task.address, True, time.perf_counter() - start, metrics=metrics)


def _scrub_log(task: BuildTask, message: str | None) -> str | None:
    """Hide the spec's secrets (spec.secrets) in the closed build log; `message` scrubbed."""
    from mlcode.config.secrets import scrub, secret_values

    values = secret_values(task.spec)
    path = Path(task.log_path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        clean = scrub(text, values)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
    except OSError:
        pass  # no log to scrub; the message still is
    return None if message is None else scrub(message, values)


class BuildEnvironmentError(RuntimeError):
    """A build was started outside mlcode.worker.environment (a runner's fault)."""


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


# Imported before any build (the fork server preloads them; an isolated build imports
# them first): some draw from Python's global generator at import time (sklearn.metrics,
# sklearn.tree, sklearn.model_selection were seen to), so they must be imported before
# the generators are seeded, or a build would depend on what this process ran before.
WARM_MODULES = (
    "joblib",
    "pandas",
    "pyarrow.parquet",
    "sklearn.metrics",
    "sklearn.model_selection",
    "threadpoolctl",
    "hydra.utils",
    "mlcode.worker.dataset",
    "mlcode.worker.model",
)


def warm_imports() -> None:
    """Import `WARM_MODULES` (cheap when they already are)."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)


def _import_before_seeding(spec: Any) -> None:
    """Import the mlcode-side modules and the module of every `_target_` in `spec`
    now, so that their import-time draws happen before seeding. A module that fails to
    import is left for the build to report."""
    import importlib

    from mlcode.config.targets import iter_targets

    warm_imports()
    for target in sorted({name for _key, name in iter_targets(spec)}):
        parts = target.split(".")
        for end in range(len(parts), 0, -1):
            try:
                importlib.import_module(".".join(parts[:end]))
                break
            except Exception:  # the build itself reports a target that cannot be had
                continue


def _seed_global_generators(seed: int) -> None:
    """Seed Python's and NumPy's global generators from the address's seed before each
    build: a trainer that draws from them unseeded would otherwise depend on which
    builds ran before it in the same worker (so on `--jobs`) and differ under verify."""
    import random

    random.seed(seed)
    import numpy  # ships with scikit-learn, preloaded by the fork server

    numpy.random.seed(seed)


def _build(task: BuildTask) -> dict[str, float]:
    if task.kind == "dataset":
        from mlcode.worker.dataset import build_dataset

        build_dataset(task)
        return {}
    if task.kind == "score":
        from mlcode.worker.model import score_model

        return score_model(task)
    from mlcode.worker.model import build_model

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
