"""`validate`: resolve and check every spec, build nothing (DESIGN 6)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from mlcode.config.graph import resource_graph
from mlcode.config.resolve import Project, load_project
from mlcode.config.types import Resource
from mlcode.refresh import Refresher
from mlcode.workspace import Repo, open_repo


def validate(
    start: str | os.PathLike[str] | None = None,
    on_warning: Callable[[str], None] = lambda warning: None,
) -> Project:
    """Resolve and check every spec; raise SpecError listing all problems. Problems
    that do not stop a build (dynamic imports the code scan cannot follow) go to
    `on_warning`, one line each."""
    repo = open_repo(start)
    project = load_project(repo.root, cache_dir=repo.cache_dir)
    resource_graph(project.resources)
    for warning in code_warnings(repo, project.resources.values()):
        on_warning(warning)
    return project


def code_warnings(
    repo: Repo, resources: Iterable[Resource], refresher: Refresher | None = None
) -> list[str]:
    """Warnings of the code scan for `resources` (through `refresher`'s caches, which
    are saved)."""
    refresher = refresher or Refresher(repo.root, repo.cache_dir)
    try:
        return refresher.code_warnings(resources)
    finally:
        refresher.save()
