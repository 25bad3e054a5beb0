"""The installed `mlcode` script as its own process: it starts, and on a real terminal
(a pseudo-terminal) Ctrl-C prints one line and exits 130, end of input or an answer
other than `yes` at the apply prompt cancels; never a traceback. What needs no terminal
or process is tested in-process, one file per command. Also the plain `mlcode plan`
fast path, which a process shows: parsed without Typer, printed without Rich."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

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


def test_the_installed_script_starts(git_only_project):
    # The console script `mlcode` runs as its own process and prints the version.
    from mlcode.distribution import installed

    done = git_only_project.run("--version")
    found = installed()
    assert (done.returncode, done.stderr) == (0, ""), git_only_project.output(done)
    assert found is not None
    assert done.stdout == f"mlcode {found.version}\n"


def _run_in_terminal(
    project, mlcode_cmd, args: list[str], key: bytes, wait_for: bytes
) -> tuple[int, str]:
    """Run `mlcode ARGS` on a pseudo-terminal, type `key` once `wait_for` is shown, and
    return the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: mlcode on the terminal, as a user starts it
        try:
            os.chdir(project.root)
            os.environ["NO_COLOR"] = "1"
            os.execvp(mlcode_cmd[0], [*mlcode_cmd, *args])
        finally:
            os._exit(127)
    shown = b""
    typed = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not typed and wait_for in shown:
            os.write(fd, key)
            typed = True
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = shown.decode(errors="replace").replace("\r", "")
    assert typed, text
    # DVC's colorama writes a colour reset at exit on a terminal: not mlcode's output.
    return os.waitstatus_to_exitcode(status), re.sub(r"\x1b\[[0-9;]*m", "", text)


PROMPT = b"Only 'yes' is accepted"


def test_ctrl_c_at_the_apply_prompt_exits_130(project, mlcode_cmd):
    # Ctrl-C while apply waits for confirmation (SIGINT to the whole foreground process
    # group, the early-started build fork server included): one line, exit 130, nothing
    # built or committed, no traceback from any process.
    project.gen(SPECS)
    head = project.commit("specs")
    code, shown = _run_in_terminal(project, mlcode_cmd, ["apply"], b"\x03", PROMPT)
    assert code == 130, shown
    after = shown.split("Only 'yes' is accepted", 1)[1]
    assert after.strip(" :^C\n") == "Interrupted.", shown
    assert "Traceback" not in shown and "internal error" not in shown
    assert project.git("rev-parse", "HEAD").strip() == head
    assert not (project.root / "artifacts").exists()
    # The lock was released: the next apply can take it.
    assert "lock" not in project.run("plan").stderr


def test_end_of_input_at_the_apply_prompt_cancels(project, mlcode_cmd):
    # Ctrl-D at the prompt is no answer: one line, exit 1, nothing done.
    project.gen(SPECS)
    project.commit("specs")
    code, shown = _run_in_terminal(project, mlcode_cmd, ["apply"], b"\x04", PROMPT)
    assert code == 1, shown
    after = shown.split("Only 'yes' is accepted", 1)[1]
    assert after.strip(" :\n") == "Aborted: no answer (end of input).", shown
    assert not (project.root / "artifacts").exists()


def test_an_answer_other_than_yes_cancels(project, mlcode_cmd):
    # Typing "no" at the prompt cancels: exit 1, nothing built.
    project.gen(SPECS)
    project.commit("specs")
    code, shown = _run_in_terminal(project, mlcode_cmd, ["apply"], b"no\r", PROMPT)
    assert code == 1, shown
    assert "Error: apply cancelled" in shown and "Traceback" not in shown
    assert not (project.root / "artifacts").exists()


SLOW_TRAINER = """\
import time


def fit(estimator, train, target):
    time.sleep(120)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def test_ctrl_c_during_a_build_exits_130_at_once(project, mlcode_cmd):
    # Ctrl-C while a build worker trains: the worker is stopped rather than awaited, one
    # line, exit 130, no traceback from the worker or the fork server; the model's
    # record is not written and the lock is released.
    project.gen(
        {
            **SPECS,
            "conf/models/iris_lr.yaml": SPECS["conf/models/iris_lr.yaml"]
            + "train: {_target_: pipelines.slow.fit}\n",
            "pipelines/__init__.py": "",
            "pipelines/slow.py": SLOW_TRAINER,
        }
    )
    project.commit("slow model")
    started = time.monotonic()
    code, shown = _run_in_terminal(
        project, mlcode_cmd, ["apply", "--auto-approve"], b"\x03", b"model.iris_lr: create"
    )
    assert time.monotonic() - started < 60, shown
    assert code == 130, shown
    assert shown.rstrip("\n").endswith("^C\nInterrupted."), shown
    assert "Traceback" not in shown and "internal error" not in shown
    assert not (project.root / "artifacts/models/iris_lr.dvc").exists()
    assert "lock" not in project.run("plan").stderr


# -- the plain `mlcode plan` fast path: parsed without Typer, printed without Rich --


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
