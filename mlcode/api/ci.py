"""`ci_github`: write the GitHub Actions workflow (DESIGN 7) and say what its runners
will not be able to reach."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mlcode.ci import WORKFLOW_PATH, github_workflow, install_command
from mlcode.config.resolve import read_settings
from mlcode.distribution import installed
from mlcode.errors import MlcodeError
from mlcode.fsutil import atomic_write
from mlcode.workspace import open_repo, store


@dataclass(frozen=True)
class CiOutcome:
    """What `ci_github` wrote: the workflow's repo-relative path, its install step, and
    warnings about what a CI runner will not be able to reach."""

    path: str
    install: str
    warnings: tuple[str, ...] = ()


def ci_github(
    start: str | os.PathLike[str] | None = None, install: str | None = None, force: bool = False
) -> CiOutcome:
    """Write `.github/workflows/mlcode.yml`. Its install step is `install`, else exactly
    the mlcode installed here plus the project's dependency file
    (`ci.install_command`; MlcodeError where that cannot be known)."""
    repo = open_repo(start)
    path = repo.root / WORKFLOW_PATH
    if path.exists() and not force:
        raise MlcodeError(f"{WORKFLOW_PATH} exists", "pass --force to overwrite it")
    settings = read_settings(repo.root)
    if not install:
        install = install_command(installed(), _dependency_files(repo.root))
    warnings = _remote_warnings(repo.root, settings.remote)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, github_workflow(settings.registry_branch, install))
    return CiOutcome(WORKFLOW_PATH, install, warnings)


def _dependency_files(root: Path) -> list[str]:
    """The project's own dependency files at its root that pip can install from: a
    `requirements.txt`, a `pyproject.toml` that declares a project."""
    found = []
    if (root / "requirements.txt").is_file():
        found.append("requirements.txt")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            if "project" in tomllib.loads(pyproject.read_text(encoding="utf-8")):
                found.append("pyproject.toml")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
    return found


def _remote_warnings(root: Path, remote: str | None) -> tuple[str, ...]:
    """A runner cannot reach a remote that is a directory on this machine (or none)."""
    try:
        artifacts = store(root, remote)
    except MlcodeError as exc:  # no DVC setup: the workflow is still written
        return (f"{exc.message}: CI jobs will have no artifacts to use",)
    try:
        url = artifacts.remote_url()
    finally:
        artifacts.close()
    fix = "set a shared one (S3, SSH, ...): `remote:` in conf/mlcode.yaml or `dvc remote add -d NAME URL`"
    if url is None:
        return (f"no DVC remote is configured: CI jobs cannot fetch or store artifacts; {fix}",)
    if urlsplit(url).scheme in ("", "file") or os.path.isabs(url):
        return (
            f"the DVC remote {url} is a directory on this machine: CI jobs cannot reach it; " + fix,
        )
    return ()
