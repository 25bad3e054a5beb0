"""The executor's ports: narrow protocols for side effects (real adapters in workspace)."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from mlcode.build.task import BuildResult, BuildTask


class Runner(Protocol):
    """Runs build tasks (user code) outside the parent process."""

    def submit(self, task: BuildTask) -> Future[BuildResult]: ...

    def close(self) -> None: ...


class ArtifactStore(Protocol):
    """Stores built artifact directories and restores recorded ones."""

    def add(self, paths: list[str]) -> dict[str, dict[str, Any]]: ...

    def restore(self, record_files: list[str]) -> list[str]: ...


class LocalRunner:
    """A process pool (fork server preloaded with pandas and scikit-learn)."""

    def __init__(self, jobs: int, root: Path) -> None:
        self.jobs = jobs
        self.root = root
        self._pool: Any = None

    def submit(self, task: BuildTask) -> Future[BuildResult]:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["mlcode.build.runtime", "mlcode.build.preload"])
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx)
        from mlcode.build.runtime import run_task

        return self._pool.submit(run_task, task)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
