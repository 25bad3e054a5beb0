"""The ports apply and preview build through: a runner of build workers and the
artifact store, sized and placed by the project's settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mlcode.config.resolve import Project, read_settings
from mlcode.config.targets import iter_targets
from mlcode.workspace import Repo, runner, store

if TYPE_CHECKING:
    from mlcode.runner.pool import LocalRunner
    from mlcode.storage.dvc import DvcStore


def open_ports(repo: Repo, jobs: int | None) -> tuple[LocalRunner, DvcStore]:
    """The runner (`jobs` workers, else the settings', else one per core) and the store
    of the settings' remote. The caller closes both."""
    settings = read_settings(repo.root)
    run = runner(jobs or settings.jobs or os.cpu_count() or 1)
    return run, store(repo.root, settings.remote)


def warm_up(run: LocalRunner, root: Path) -> Callable[[Project], None]:
    """A plan's `on_project` hook that starts the build workers' imports (~2 s of
    scikit-learn and pandas) while the plan is made and shown; a plan with nothing to
    build stops them again."""
    return lambda project: run.start(_installed_modules(root, project))


def _installed_modules(root: Path, project: Project) -> set[str]:
    """Installed modules that builds may import (preloaded once by the fork server)."""
    modules = set()
    for resource in project.resources.values():
        for _key, target in iter_targets(resource.spec):
            module = target.rpartition(".")[0]
            if module and not (root / module.split(".")[0]).exists():
                modules.add(module)
    return modules
