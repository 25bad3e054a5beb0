"""The champion scorer (edge): re-scores a registered champion on a candidate's test
split in a build worker, for relative gates (`f1_macro: ">= champion - 0.01"`)."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from mlcode.config.resolve import read_settings
from mlcode.errors import StorageError
from mlcode.registry.decide import ScoreFailed
from mlcode.worker.task import BuildTask
from mlcode.workspace import Repo, runner, store

if TYPE_CHECKING:
    from mlcode.runner.pool import LocalRunner
    from mlcode.state.types import Record
    from mlcode.storage.dvc import DvcStore


class Scorer:
    """Scores a champion on a candidate's test split in a worker process (user code).

    The champion's model comes from the DVC cache, checked against its record (a
    corrupt object is quarantined), else from the remote; `notes` says what was
    quarantined once `close()` ran. The worker and the store are opened on first use."""

    def __init__(self, repo: Repo, preview: Path | None = None) -> None:
        self.repo = repo
        self.preview = preview  # where `apply --preview` published its builds
        self._runner: LocalRunner | None = None
        self._store: DvcStore | None = None
        self.notes: list[str] = []

    def __call__(
        self, champion: Record, candidate: Record
    ) -> dict[str, float] | ScoreFailed | None:
        """The champion's metrics on the candidate's test split; None when its model
        cannot be had; ScoreFailed (with the log) when scoring it fails."""
        dataset = str(candidate.spec.get("dataset"))
        folder = self.repo.root / "artifacts" / "datasets" / dataset
        if self.preview is not None and (self.preview / "artifacts/datasets" / dataset).is_dir():
            folder = self.preview / "artifacts/datasets" / dataset
        model = self._model(champion) if folder.is_dir() else None
        if model is None:
            return None
        logs = self.repo.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        if self._runner is None:
            self._runner = runner(1)
        task = BuildTask(
            address=f"score {champion.address}",
            kind="score",
            spec={"dataset": dataset, "model": str(model), "metrics": list(candidate.metrics)},
            root=str(self.repo.root),
            out_dir=str(self.repo.cache_dir / "tmp" / f"score-{uuid.uuid4().hex[:8]}"),
            log_path=str(logs / f"score-{champion.address}.log"),
            upstream={dataset: str(folder)},
        )
        done = self._runner.submit(task).result()
        return (
            done.metrics
            if done.ok
            else ScoreFailed(done.error, os.path.relpath(task.log_path, self.repo.root))
        )

    def _model(self, champion: Record) -> Path | None:
        """The champion's checked `model.joblib` in the cache (fetched when missing)."""
        if self._store is None:
            self._store = store(self.repo.root, read_settings(self.repo.root).remote)
        md5 = dict(champion.artifact.files).get("model.joblib")
        label = f"model.joblib of the champion {champion.address}"
        path = self._store.checked(md5, label)
        if path is None and md5 and self._store.remote_name() is not None:
            with contextlib.suppress(StorageError):  # unavailable: gates say so
                self._store.fetch([champion.artifact.md5])
            path = self._store.checked(md5, label)
        return path

    def close(self) -> None:
        """Stop the worker and close the store; their notes join `notes`."""
        if self._runner is not None:
            self._runner.close()
        if self._store is not None:
            self.notes += self._store.notes()
            self._store.close()
            self._store = None
