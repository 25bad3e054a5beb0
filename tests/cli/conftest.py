"""CLI test helpers: run `mlcode` as a user types it, in a real temp Git + DVC repo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MLCODE = [sys.executable, "-c", "from mlcode.cli.main import main; main()"]


class CliProject:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        ).stdout

    def mlcode(self, *args: str, env: dict[str, str] | None = None):
        return subprocess.run(
            [*MLCODE, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **(env or {})},
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def cli_project(tmp_path: Path, monkeypatch) -> CliProject:
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    root.mkdir()
    project = CliProject(root)
    project.git("init", "-q", "-b", "main")
    from dvc.repo import Repo

    Repo.init(str(root)).close()
    return project
