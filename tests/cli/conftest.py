"""CLI tests drive `mlcode` as a user types it, in the shared real temp `project`."""

from __future__ import annotations

import pytest


class CliProject:
    """The shared `project`, with plain (NO_COLOR) output for golden comparisons."""

    def __init__(self, project) -> None:
        self.project = project
        self.root = project.root

    def write(self, files: dict[str, str]) -> None:
        self.project.gen(files)

    def mlcode(self, *args: str, env: dict[str, str] | None = None):
        return self.project.run(*args, env={"NO_COLOR": "1", **(env or {})})


@pytest.fixture
def cli_project(project) -> CliProject:
    return CliProject(project)
