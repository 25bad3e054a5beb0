"""Shared fixtures: an isolated environment for every test and a real temp `project`.

`isolated_env` (autouse) points HOME, XDG dirs and DVC's site/global/system dirs at a
temp directory, turns DVC analytics off, ignores the system gitconfig and gives Git an
identity through environment variables. `no_git_identity` removes that identity again.
`project` is a fresh Git + DVC repository driven through the real `mlcode` CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

BIN_DIR = Path(sys.executable).parent
MLCODE = BIN_DIR / "mlcode"
MLCODE_CMD = (
    [str(MLCODE)]
    if MLCODE.exists()
    else [sys.executable, "-c", "from mlcode.cli.main import main; main()"]
)

TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
}
# The identity used for the test's own commits (specs, code), never for mlcode's.
_SETUP_IDENTITY = ["-c", "user.name=Test Setup", "-c", "user.email=setup@example.com"]


def isolated_environ(home: Path) -> dict[str, str]:
    """Environment variables that keep mlcode, Git and DVC away from the real HOME,
    caches, gitconfig and DVC config (`home` gets the directories they point at)."""
    for sub in (".cache", ".config", "dvc-site", "dvc-global", "dvc-system"):
        (home / sub).mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COLUMNS": "200",
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        **TEST_IDENTITY,
    }


UNSET = ("GIT_CONFIG_GLOBAL", "EMAIL", "MLCODE_DEBUG", "NO_COLOR")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep every test away from the real HOME, caches, gitconfig and DVC config."""
    home = tmp_path_factory.mktemp("home")
    for key, value in isolated_environ(home).items():
        monkeypatch.setenv(key, value)
    for key in UNSET:
        monkeypatch.delenv(key, raising=False)
    return home


@pytest.fixture(scope="module")
def module_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The isolated environment as a dict, for setups shared by a module's tests (which
    run before the per-test `isolated_env` and must pass it to subprocesses)."""
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    return {**base, **isolated_environ(tmp_path_factory.mktemp("home"))}


_SUMMARY: list[str] = []


@pytest.fixture(scope="session")
def summary_line():
    """`summary_line(text)`: print `text` in the run's closing summary (CI shows it)."""
    return _SUMMARY.append


def pytest_terminal_summary(terminalreporter) -> None:
    for line in _SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def mlcode_cmd() -> list[str]:
    """The command line that runs the installed `mlcode` CLI."""
    return list(MLCODE_CMD)


@pytest.fixture
def no_git_identity(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git has no identity at all: no env vars, an empty ~/.gitconfig, no system config."""
    for key in TEST_IDENTITY:
        monkeypatch.delenv(key, raising=False)
    (isolated_env / ".gitconfig").write_text("")


class Project:
    """A temp Git + DVC repository and helpers to write specs and run `mlcode` in it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # files ---------------------------------------------------------------------------
    def gen(self, files: Mapping[str, str]) -> None:
        """Write `{relative path: text}` (text is dedented)."""
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text()

    def replace(self, rel: str, old: str, new: str) -> None:
        """Replace the one occurrence of `old` in file `rel` by `new`."""
        text = self.read(rel)
        assert text.count(old) == 1, f"{old!r} not exactly once in {rel}"
        (self.root / rel).write_text(text.replace(old, new))

    def record(self, address: str) -> dict[str, Any]:
        """The mlcode state record (meta.mlcode) of `model.NAME` / `dataset.NAME`."""
        return yaml.safe_load(self.record_path(address).read_text())["meta"]["mlcode"]

    def record_path(self, address: str) -> Path:
        kind, name = address.split(".", 1)
        return self.root / "artifacts" / f"{kind}s" / f"{name}.dvc"

    # processes -----------------------------------------------------------------------
    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str = "update") -> str:
        """Commit everything in the work tree with the test's own identity."""
        self.git("add", "-A")
        self.git(*_SETUP_IDENTITY, "commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*MLCODE_CMD, *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Run `mlcode ARGS` in the project root (stdin is not a terminal)."""
        return subprocess.run(
            [*MLCODE_CMD, *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            check=False,
        )

    def plan(self, *args: str) -> dict[str, Any]:
        """`mlcode plan --json ARGS`, asserted to succeed, parsed."""
        done = self.run("plan", "--json", *args)
        assert done.returncode == 0, self.output(done)
        return json.loads(done.stdout)

    def apply(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`mlcode apply --auto-approve ARGS`, asserted to exit 0."""
        done = self.run("apply", "--auto-approve", *args)
        assert done.returncode == 0, self.output(done)
        return done

    @staticmethod
    def output(done: subprocess.CompletedProcess[str]) -> str:
        """stdout and stderr of a finished process, for assertions and failure messages."""
        return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"

    @staticmethod
    def actions(plan: Mapping[str, Any]) -> dict[str, str]:
        """{address: action} of a plan as JSON."""
        return {change["address"]: change["action"] for change in plan["changes"]}

    @staticmethod
    def reasons(plan: Mapping[str, Any], address: str) -> list[str]:
        return next(c["reasons"] for c in plan["changes"] if c["address"] == address)

    def gen_counted_model(self, extra: Mapping[str, str] | None = None) -> None:
        """dataset.iris and model.m (a decision tree trained by COUNTING_TRAINER)."""
        self.gen(
            {
                "conf/datasets/iris.yaml": self.IRIS,
                "conf/estimator/tree.yaml": self.TREE,
                "conf/models/m.yaml": self.model_spec("tree", train="pipelines.train.fit"),
                "pipelines/__init__.py": "",
                "pipelines/train.py": self.COUNTING_TRAINER,
                ".gitignore": "trainer_calls.log\n",
                **(extra or {}),
            }
        )

    def clone(self, dest: Path) -> Project:
        """A fresh `git clone` of this project at `dest`."""
        subprocess.run(["git", "clone", "-q", str(self.root), str(dest)], check=True)
        return Project(dest)

    def trainer_calls(self) -> int:
        """How often `COUNTING_TRAINER` ran in this project."""
        path = self.root / "trainer_calls.log"
        return len(path.read_text().splitlines()) if path.exists() else 0

    # reusable spec texts ----------------------------------------------------------------
    # pipelines/train.py whose `fit` appends a line to trainer_calls.log per training run
    COUNTING_TRAINER = """\
from pathlib import Path

CALLS = Path(__file__).resolve().parent.parent / "trainer_calls.log"


def fit(estimator, train, target):
    with CALLS.open("a") as calls:
        calls.write("fit\\n")
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

    IRIS = """\
    loader: {_target_: sklearn.datasets.load_iris, as_frame: true}
    target: target
    split: {test_size: 0.25, seed: 0}
    """

    LR = """\
    _target_: sklearn.linear_model.LogisticRegression
    max_iter: 200
    C: 1.0
    """

    TREE = """\
    _target_: sklearn.tree.DecisionTreeClassifier
    max_depth: 3
    """

    @staticmethod
    def model_spec(
        estimator: str = "lr", dataset: str = "iris", train: str | None = None, extra: str = ""
    ) -> str:
        """A model spec pulling `conf/estimator/<estimator>.yaml` through its defaults list."""
        text = f"defaults:\n  - /estimator@estimator: {estimator}\n  - _self_\ndataset: {dataset}\n"
        if train:
            text += f"train: {{_target_: {train}}}\n"
        return text + "metrics: [accuracy]\n" + extra


@pytest.fixture(scope="session")
def project_class() -> type[Project]:
    """The `Project` helper class, for module-scoped setups that build one themselves
    (`from conftest import ...` is ambiguous: tests/cli has a conftest too)."""
    return Project


@pytest.fixture
def project_factory(tmp_path: Path, isolated_env: Path):
    """`project_factory(name)`: another fresh Git + DVC repository under tmp_path."""

    def make(name: str = "repo") -> Project:
        root = tmp_path / name
        root.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        from dvc.repo import Repo  # in-process: a `dvc init` subprocess costs ~1 s a test

        Repo.init(str(root)).close()
        return Project(root)

    return make


@pytest.fixture
def project(project_factory) -> Project:
    """A new Git repository (branch main) with DVC initialised and nothing committed."""
    return project_factory("repo")


@pytest.fixture
def git_only_project(tmp_path: Path, isolated_env: Path) -> Project:
    """A new Git repository without DVC: what a user has before `mlcode init`."""
    root = tmp_path / "fresh"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return Project(root)
