"""CLI tests drive `mlcode` as a user types it, in-process through its entry point.

One file per command, mirroring `mlcode/cli/`: `test_<name>_cmd.py` for `<name>_cmd.py`
(push and pull: `transfer`), `test_main.py` for `main.py` (help, `--version`, usage
errors); `test_script.py` runs the installed script as a process, on a pseudo-terminal.

`Cli.invoke(*args)` calls `mlcode.cli.main.main(args)` (the console script's function)
in the project's directory, with stdin, stdout and stderr swapped for buffers by Typer's
`CliRunner` isolation, and returns the exit code and both streams. Nothing is mocked:
projects are real Git + DVC repositories and builds run in real worker processes.

    cli           a fresh Git + DVC project, nothing written (function scope)
    git_only_cli  a fresh Git repository without DVC
    plain_dir     a directory that is no Git repository
    applied       Cli.SPECS committed, applied and registered, with a directory DVC remote
                  (module scope, a copy of one project built once per run: for tests
                  that only read, or undo what they change)

What truly varies between runs (temp paths, hashes, timestamps, durations) is replaced
by `Cli.scrub`; everything else is compared exactly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner


@dataclass(frozen=True)
class Result:
    """One finished `mlcode` invocation: its exit code and what it wrote to each stream."""

    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:  # the assertion message when a check on it fails
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class Cli:
    """A real project (`tests/conftest.py`'s `Project`) and `mlcode` run inside it.

    `home` is the isolated HOME the project was made under (DVC's directory remote that
    `mlcode init` creates lives there)."""

    # The example the tests share: one dataset and one model that holds production.
    SPECS = {
        "conf/mlcode.yaml": "stages: [staging, production]\n",
        "conf/datasets/iris.yaml": (
            "loader: {_target_: sklearn.datasets.load_iris, as_frame: true}\n"
            "target: target\n"
            "split: {test_size: 0.25, seed: 0}\n"
        ),
        "conf/estimator/tree.yaml": (
            "_target_: sklearn.tree.DecisionTreeClassifier\nmax_depth: 3\n"
        ),
        "conf/models/iris_tree.yaml": (
            "defaults:\n  - /estimator@estimator: tree\n  - _self_\n"
            "dataset: iris\nmetrics: [accuracy]\nstage: production\n"
        ),
    }

    # `mlcode plan` of SPECS committed and never applied (apply shows it before building).
    PLAN = (
        "mlcode will perform the following actions:\n"
        "\n"
        "  + dataset.iris  create\n"
        "      new resource\n"
        "  + model.iris_tree  create\n"
        "      new resource\n"
        "      production: (none) -> v1.0.0\n"
        "\n"
        "Plan: 2 to create, 1 to promote; 0 unchanged.\n"
    )

    def __init__(self, project, home: Path) -> None:
        self.project = project
        self.root: Path = project.root
        self.home = home

    def write(self, files: Mapping[str, str]) -> None:
        self.project.gen(files)

    def commit(self, message: str = "update") -> str:
        return self.project.commit(message)

    def git(self, *args: str) -> str:
        return self.project.git(*args)

    def clone(self, dest: Path) -> Cli:
        """A `git clone` of this project at `dest` (records; no artifacts, cache or local
        DVC config), with the same HOME."""
        return Cli(self.project.clone(dest), self.home)

    def invoke(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        """`mlcode ARGS` in the project root, with NO_COLOR=1 and `env` set and an empty
        stdin that is not a terminal."""
        import dvc.logger  # noqa: F401 - its import must happen outside the capture

        from mlcode.cli.main import main

        runner = CliRunner()
        with (
            _cwd(self.root),
            runner.isolation(env={"NO_COLOR": "1", **(env or {})}) as (out, err, _),
            _dvc_logs_to_sys_streams(),
        ):
            try:
                main(list(args))
            except SystemExit as exc:  # main always exits, with run()'s code
                code = exc.code if isinstance(exc.code, int) else 1
            sys.stdout.flush()
            sys.stderr.flush()
            return Result(code, out.getvalue().decode(), err.getvalue().decode())

    def apply(self, *args: str) -> Result:
        """`mlcode apply --auto-approve ARGS`, asserted to exit 0."""
        done = self.invoke("apply", "--auto-approve", *args)
        assert done.exit_code == 0, done
        return done

    @staticmethod
    def usage_error(usage: str, error: str) -> Result:
        """What a usage mistake leaves: exit 1, nothing on stdout, and on stderr the usage
        line (`usage`, e.g. `mlcode show [OPTIONS] [address]`), where to find help and the
        one error line."""
        command = usage.split(" [OPTIONS]", 1)[0]
        return Result(
            1, "", f"Usage: {usage}\nTry '{command} --help' for help.\n\nError: {error}\n"
        )

    @contextlib.contextmanager
    def replaced(self, rel: str, text: str) -> Iterator[None]:
        """File `rel` holds `text` for a while (a new file renamed over it, so nothing is
        written through a link into the DVC cache); then its old bytes come back."""
        path = self.root / rel
        before = path.read_bytes()
        spare = path.with_name(path.name + ".mlcode-test")
        spare.write_text(text)
        os.replace(spare, path)
        try:
            yield
        finally:
            spare.write_bytes(before)
            os.replace(spare, path)

    def scrub(self, text: str, **paths: Path) -> str:
        """`text` with this project's root as ROOT, its HOME as HOME (and each of `paths`
        as its keyword), then `scrub`bed of hashes, timestamps and durations."""
        for name, path in {**paths, "ROOT": self.root, "HOME": self.home}.items():
            text = text.replace(str(path), name)
        return scrub(text)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _dvc_logs_to_sys_streams() -> Iterator[None]:
    """Point DVC's log handlers at the current sys.stdout and sys.stderr for a while.

    `import dvc` binds its handlers to the streams of that moment (dvc/__init__.py calls
    `dvc.logger.setup()`). A process keeps those streams for good; here they would be
    pytest's, and whatever DVC logs would escape the invocation's output."""
    import dvc.logger

    handlers = {
        handler
        for name in ("dvc", "dvc_objects", "dvc_data")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, dvc.logger.LoggerHandler)
    }
    saved = {handler: handler.stream for handler in handlers}
    for handler in handlers:  # setup() sends WARNING and above to stderr, the rest to stdout
        handler.setStream(sys.stderr if handler.level >= logging.WARNING else sys.stdout)
    try:
        yield
    finally:
        for handler, stream in saved.items():
            handler.setStream(stream)


@pytest.fixture
def cli(project, isolated_env: Path) -> Cli:
    """A fresh Git + DVC project (no remote, nothing written or committed) and its CLI."""
    return Cli(project, isolated_env)


@pytest.fixture
def git_only_cli(git_only_project, isolated_env: Path) -> Cli:
    """A fresh Git repository without DVC (before `mlcode init`) and its CLI."""
    return Cli(git_only_project, isolated_env)


@pytest.fixture
def plain_dir(tmp_path: Path, isolated_env: Path, project_class) -> Cli:
    """A directory that is no Git repository, and the CLI run in it."""
    root = tmp_path / "plain"
    root.mkdir()
    return Cli(project_class(root), isolated_env)


@pytest.fixture(scope="session")
def _applied_template() -> dict[str, Path]:
    """Where the first `applied` fixture of the run built its project ("top"), for the
    others to copy: one apply per run instead of one per module."""
    return {}


@pytest.fixture(scope="module")
def applied(
    _applied_template: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    module_env: dict[str, str],
    project_class,
) -> Cli:
    """`git init`, `mlcode init` (its directory DVC remote under `home`), Cli.SPECS in
    place of the scaffold's specs, committed and applied: `model.iris_tree` v1.0.0 holds
    production. Each module gets its own copy (repository, DVC cache and remote) of one
    project built once per run; tests in a module must leave it as they found it."""
    if "top" not in _applied_template:
        _applied_template["top"] = _build_applied(tmp_path_factory, module_env, project_class)
    template = _applied_template["top"]
    top = tmp_path_factory.mktemp("applied")
    shutil.copytree(template, top, symlinks=True, dirs_exist_ok=True)
    config = top / "repo/.dvc/config.local"  # the remote's absolute path: now the copy's
    config.write_text(config.read_text().replace(str(template), str(top)))
    return Cli(project_class(top / "repo"), top / "home")


def _build_applied(tmp_path_factory, module_env: dict[str, str], project_class) -> Path:
    """Build the `applied` project in TOP/repo, its remote under TOP/home; return TOP."""
    top = tmp_path_factory.mktemp("applied-template")
    root = top / "repo"
    root.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in module_env.items():
            patch.setenv(key, value)
        patch.setenv("XDG_CACHE_HOME", str(top / "home/.cache"))  # where init puts the remote
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        cli = Cli(project_class(root), top / "home")
        assert cli.invoke("init").exit_code == 0
        for rel in ("conf/models/iris_logreg.yaml", "conf/estimator/logistic.yaml"):
            (root / rel).unlink()
        cli.write(Cli.SPECS)
        cli.commit("specs")
        cli.apply()
    return top


# -- what varies between runs -----------------------------------------------------------

# A hex digest (commit, md5, fingerprint, bundle; whole or shortened), which may be all
# digits; the digits after a decimal point (metrics such as 0.9736842105) are not one.
HEX = re.compile(r"(?<![.\w])[0-9a-f]{7,64}\b")
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")
DURATION = re.compile(r"\b\d+(\.\d+)?s\b")


def scrub(text: str) -> str:
    """`text` with hex digests as HASH, ISO 8601 times as TIME and durations such as
    `1.59s` as Ns."""
    text = TIMESTAMP.sub("TIME", text)
    text = HEX.sub("HASH", text)
    return DURATION.sub("Ns", text)
