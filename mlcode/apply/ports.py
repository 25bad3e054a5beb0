"""The executor's ports: narrow protocols for side effects (real adapters in workspace)."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from mlcode.worker.task import BuildResult, BuildTask


class Runner(Protocol):
    """Runs build tasks (user code) outside the parent process."""

    def submit(self, task: BuildTask) -> Future[BuildResult]: ...

    def close(self) -> None: ...


class ArtifactStore(Protocol):
    """Stores built artifact directories and restores recorded ones."""

    def add(self, paths: list[str]) -> dict[str, dict[str, Any]]: ...

    def restore(self, record_files: list[str]) -> list[str]: ...

    def add_tree(self, folder: Path) -> str: ...
