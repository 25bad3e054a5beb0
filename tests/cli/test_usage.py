"""Usage errors, `--version` and Ctrl-C as a user meets them: the usage line and one
error line (exit 1), the version (exit 0), one line (exit 130); never a traceback and
never "internal error"."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import time
from importlib import metadata

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


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        pytest.param(
            ["plan", "--bogus"], "mlcode plan", "Error: No such option: --bogus", id="option"
        ),
        pytest.param(
            ["registry", "--no-such-option"],
            "mlcode registry",
            "Error: No such option: --no-such-option",
            id="registry-option",
        ),
        pytest.param(["bogus"], "mlcode", "Error: No such command 'bogus'.", id="command"),
        pytest.param(
            ["apply", "--lock-timeout", "abc"],
            "mlcode apply",
            "Error: Invalid value for '--lock-timeout': 'abc' is not a valid float.",
            id="float-value",
        ),
        pytest.param(
            ["apply", "--jobs", "two"],
            "mlcode apply",
            "Error: Invalid value for '--jobs' / '-j': 'two' is not a valid int",
            id="int-value",
        ),
        pytest.param(
            ["plan", "--out"],
            "mlcode plan",
            "Error: Option '--out' requires an argument.",
            id="missing-value",
        ),
        pytest.param(
            ["show", "model.a", "model.b"],
            "mlcode show",
            "Error: Got unexpected extra argument(s) (model.b)",
            id="extra-argument",
        ),
        pytest.param(
            ["ci", "github", "--bogus"],
            "mlcode ci github",
            "Error: No such option: --bogus",
            id="subcommand-option",
        ),
        pytest.param(
            ["apply", "one.json", "two.json"],
            "mlcode apply",
            "Error: Invalid value: one saved plan at most, got one.json, two.json",
            id="bad-value-from-command",
        ),
    ],
)
def test_usage_error_prints_usage_and_one_error_line(cli_project, args, usage, error):
    # A usage mistake shows how the command is used and what was wrong: exit 1.
    done = cli_project.mlcode(*args)
    assert done.returncode == 1, cli_project.project.output(done)
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"Usage: {usage} [OPTIONS]"), done.stderr
    assert lines[-1].startswith(error), done.stderr
    assert sum(line.startswith("Error:") for line in lines) == 1
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bare_command_group_prints_its_help(cli_project):
    # `mlcode` and `mlcode ci` without a command print their help: exit 1, no error text.
    for args in ([], ["ci"]):
        done = cli_project.mlcode(*args)
        assert done.returncode == 1
        assert done.stderr.startswith(f"Usage: {' '.join(['mlcode', *args])} [OPTIONS] COMMAND")
        assert "Error" not in done.stderr and "Traceback" not in done.stderr


def test_version_comes_from_the_package_metadata(cli_project):
    # `mlcode --version` prints the installed distribution's version.
    from mlcode.distribution import installed

    done = cli_project.mlcode("--version")
    assert done.returncode == 0, done.stderr
    found = installed()
    assert found is not None
    assert found.version == metadata.version(found.name)
    assert done.stdout == f"mlcode {found.version}\n"
    assert done.stderr == ""


def _run_in_terminal(
    cli_project, mlcode_cmd, args: list[str], key: bytes, wait_for: bytes
) -> tuple[int, str]:
    """Run `mlcode ARGS` on a pseudo-terminal, type `key` once `wait_for` is shown, and
    return the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: mlcode on the terminal, as a user starts it
        try:
            os.chdir(cli_project.root)
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


def test_ctrl_c_at_the_apply_prompt_exits_130(cli_project, mlcode_cmd):
    # Ctrl-C while apply waits for confirmation (SIGINT to the whole foreground process
    # group, the early-started build fork server included): one line, exit 130, nothing
    # built or committed, no traceback from any process.
    cli_project.write(SPECS)
    head = cli_project.project.commit("specs")
    code, shown = _run_in_terminal(cli_project, mlcode_cmd, ["apply"], b"\x03", PROMPT)
    assert code == 130, shown
    after = shown.split("Only 'yes' is accepted", 1)[1]
    assert after.strip(" :^C\n") == "Interrupted.", shown
    assert "Traceback" not in shown and "internal error" not in shown
    assert cli_project.project.git("rev-parse", "HEAD").strip() == head
    assert not (cli_project.root / "artifacts").exists()
    # The lock was released: the next apply can take it.
    assert "lock" not in cli_project.mlcode("plan").stderr


def test_end_of_input_at_the_apply_prompt_cancels(cli_project, mlcode_cmd):
    # Ctrl-D at the prompt is no answer: one line, exit 1, nothing done.
    cli_project.write(SPECS)
    cli_project.project.commit("specs")
    code, shown = _run_in_terminal(cli_project, mlcode_cmd, ["apply"], b"\x04", PROMPT)
    assert code == 1, shown
    after = shown.split("Only 'yes' is accepted", 1)[1]
    assert after.strip(" :\n") == "Aborted: no answer (end of input).", shown
    assert not (cli_project.root / "artifacts").exists()


def test_an_answer_other_than_yes_cancels(cli_project, mlcode_cmd):
    # Typing "no" at the prompt cancels: exit 1, nothing built.
    cli_project.write(SPECS)
    cli_project.project.commit("specs")
    code, shown = _run_in_terminal(cli_project, mlcode_cmd, ["apply"], b"no\r", PROMPT)
    assert code == 1, shown
    assert "Error: apply cancelled" in shown and "Traceback" not in shown
    assert not (cli_project.root / "artifacts").exists()


SLOW_TRAINER = """\
import time


def fit(estimator, train, target):
    time.sleep(120)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def test_ctrl_c_during_a_build_exits_130_at_once(cli_project, mlcode_cmd):
    # Ctrl-C while a build worker trains: the worker is stopped rather than awaited, one
    # line, exit 130, no traceback from the worker or the fork server; the model's
    # record is not written and the lock is released.
    cli_project.write(
        {
            **SPECS,
            "conf/models/iris_lr.yaml": SPECS["conf/models/iris_lr.yaml"]
            + "train: {_target_: pipelines.slow.fit}\n",
            "pipelines/__init__.py": "",
            "pipelines/slow.py": SLOW_TRAINER,
        }
    )
    cli_project.project.commit("slow model")
    started = time.monotonic()
    code, shown = _run_in_terminal(
        cli_project, mlcode_cmd, ["apply", "--auto-approve"], b"\x03", b"model.iris_lr: create"
    )
    assert time.monotonic() - started < 60, shown
    assert code == 130, shown
    assert shown.rstrip("\n").endswith("^C\nInterrupted."), shown
    assert "Traceback" not in shown and "internal error" not in shown
    assert not (cli_project.root / "artifacts/models/iris_lr.dvc").exists()
    assert "lock" not in cli_project.mlcode("plan").stderr
