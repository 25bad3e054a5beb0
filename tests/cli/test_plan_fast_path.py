"""The plain `mlcode plan` fast path: parsed without Typer, printed without Rich."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SPECS = {
    "conf/datasets/iris.yaml": (
        "loader: {_target_: sklearn.datasets.load_iris, as_frame: true}\n"
        "split: {test_size: 0.25, seed: 0}\n"
    ),
    "conf/estimator/lr.yaml": "_target_: sklearn.linear_model.LogisticRegression\nC: 1.0\n",
    "conf/models/iris_lr.yaml": (
        "defaults:\n  - /estimator@estimator: lr\n  - _self_\ndataset: iris\nmetrics: [accuracy]\n"
    ),
}


class CliProject:
    """The shared `project`, with plain (NO_COLOR) output, `mlcode` run as a process."""

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


def test_no_op_plan_needs_neither_typer_rich_nor_yaml(cli_project):
    # A plain no-op plan is parsed without Typer and printed without Rich, and finds
    # every spec and record in its caches: none of them, nor PyYAML, is imported.
    cli_project.write(SPECS)
    cli_project.project.commit("specs")
    applied = cli_project.mlcode("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli_project.mlcode("plan").stdout == "No changes. 2 resources up to date.\n"
    probe = (
        "import sys\nfrom mlcode.cli.main import run\n"
        "code = run(sys.argv[1:])\n"
        "unused = {'typer', 'click', 'rich', 'yaml', 'hydra', 'omegaconf', 'dvc', 'git'}\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & unused))\n"
    )
    for args in (["plan"], ["plan", "--detailed-exitcode"], ["plan", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=cli_project.root,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.stdout.splitlines()[-1] == "0 []", done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        pytest.param(["plan"], {}, id="plain"),
        pytest.param(["plan", "--json"], {"json_": True}, id="json"),
        pytest.param(
            ["plan", "--detailed-exitcode", "--json"],
            {"detailed_exitcode": True, "json_": True},
            id="both",
        ),
        pytest.param(["plan", "--target", "model.x"], None, id="value"),
        pytest.param(["plan", "model.x:estimator.C=1"], None, id="override"),
        pytest.param(["plan", "--help"], None, id="help"),
        pytest.param(["plan", "--bogus"], None, id="mistake"),
        pytest.param(["plan", "--json=1"], None, id="flag-with-value"),
        pytest.param(["apply"], None, id="other-command"),
        pytest.param(["--version", "plan"], None, id="app-option"),
        pytest.param([], None, id="nothing"),
    ],
)
def test_only_plain_plans_skip_typer(args, flags):
    # Flags without values are parsed without Typer; anything else is Typer's.
    from mlcode.cli.main import _plain_plan

    assert _plain_plan(args) == flags


def test_plain_flags_are_the_typer_options():
    # Each flag parsed without Typer is a value-less option of the Typer command, with
    # the same parameter name: the two parsers cannot drift apart.
    import typer

    from mlcode.cli.main import build_app
    from mlcode.cli.plan_cmd import FLAGS

    group = typer.main.get_command(build_app())
    options = {opt: param for param in group.commands["plan"].params for opt in param.opts}
    for flag, name in FLAGS.items():
        assert options[flag].is_flag and options[flag].name == name, flag
