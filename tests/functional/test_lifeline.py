"""A `kill -9` of mlcode's main process (not its group) leaves nothing running: the fork
server, the build workers and verify's isolated build die with it (issue 11, fault 7)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# pipelines/train.py: with SLEEP_DIR set, write the process's pid there, then sleep long
SLEEPY = """\
import os
import time
from pathlib import Path


def fit(estimator, train, target):
    folder = os.environ.get("SLEEP_DIR")
    if folder:
        (Path(folder) / f"{os.getpid()}.pid").write_text(str(os.getpid()))
        time.sleep(600)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

DEADLINE = 5.0  # seconds (issue 11): the death signal is immediate, polling takes 0.5 s


def _two_models(project) -> None:
    files = {
        "conf/datasets/iris.yaml": project.IRIS,
        "conf/estimator/lr.yaml": project.LR,
        "pipelines/__init__.py": "",
        "pipelines/train.py": SLEEPY,
    }
    for i in (1, 2):
        files[f"conf/models/m{i}.yaml"] = project.model_spec(
            "lr", train="pipelines.train.fit", extra=f"estimator: {{C: {i}.0}}\n"
        )
    project.gen(files)
    project.commit("specs")


def _children() -> dict[int, list[int]]:
    """{ppid: [pid, ...]} of every process, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (exited, not yet reaped) counts as dead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _sleeping(sleep_dir: Path, builds: int, proc: subprocess.Popen, timeout: float) -> set[int]:
    """The pids of the trainers asleep in `sleep_dir`, once there are `builds` of them."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pids = {int(path.stem) for path in sleep_dir.glob("*.pid")}
        if len(pids) >= builds:
            return pids
        if proc.poll() is not None:
            pytest.fail(f"mlcode exited ({proc.returncode}) before {builds} builds started")
        time.sleep(0.1)
    pytest.fail(f"{builds} builds did not start within {timeout}s")


def _kill_main_and_watch(project, command: list[str], builds: int, sleep_dir: Path) -> None:
    """Start `command` in a session of its own, wait until `builds` trainers sleep,
    SIGKILL its main process only, and assert that everything it started dies."""
    proc = subprocess.Popen(
        command,
        cwd=project.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SLEEP_DIR": str(sleep_dir)},
        start_new_session=True,
    )
    try:
        trainers = _sleeping(sleep_dir, builds, proc, timeout=120)
        started = _descendants(proc.pid)
        assert trainers <= started
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
        proc.wait()
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end and any(_alive(pid) for pid in started):
            time.sleep(0.1)
        alive = sorted(pid for pid in started if _alive(pid))
        assert not alive, f"still running {DEADLINE}s after the kill: " + ", ".join(
            f"{pid} {Path(f'/proc/{pid}/cmdline').read_text().replace(chr(0), ' ')[:120]}"
            for pid in alive
            if _alive(pid)
        )
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the session never outlives the test
        proc.wait()


@pytest.mark.slow
def test_killed_apply_leaves_no_process(project, tmp_path, mlcode_cmd):
    # `apply --jobs 2` with two models training (sleeping): after SIGKILL of the apply's
    # main process, its fork server, workers and helpers are all gone within seconds.
    _two_models(project)
    sleep_dir = tmp_path / "sleeping"
    sleep_dir.mkdir()
    command = [*mlcode_cmd, "apply", "--auto-approve", "--jobs", "2"]
    _kill_main_and_watch(project, command, 2, sleep_dir)


@pytest.mark.slow
def test_killed_verify_leaves_no_process(project, tmp_path, mlcode_cmd):
    # `mlcode verify` rebuilding a model in its isolated interpreter: after SIGKILL of
    # verify's main process, the isolated build is gone within seconds.
    _two_models(project)
    project.apply()
    sleep_dir = tmp_path / "sleeping"
    sleep_dir.mkdir()
    _kill_main_and_watch(project, [*mlcode_cmd, "verify", "model.m1"], 1, sleep_dir)


# A parent that starts the child from a thread which ends once the child is bound.
THREAD_PARENT = """\
import os, subprocess, sys, threading, time
from mlcode.worker.lifeline import environ_for_child

def start():
    env = {**os.environ, **environ_for_child()}
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env=env, stdout=subprocess.PIPE)
    child.stdout.readline()  # "bound"
    print(child.pid, flush=True)

thread = threading.Thread(target=start)
thread.start()
thread.join()
time.sleep(600)
"""
BOUND_CHILD = """\
import time
from mlcode.worker.lifeline import bind

bind()
print("bound", flush=True)
time.sleep(600)
"""


def test_child_started_off_the_main_thread_lives_until_its_parent_dies():
    # Linux's death signal follows the thread that forked: a child started from a
    # thread that has since ended must live on while its parent lives, and die with it.
    parent = subprocess.Popen(
        [sys.executable, "-c", THREAD_PARENT, BOUND_CHILD],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # the starting thread has ended by now
        assert _alive(child), "the child died with the thread that started it"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end and _alive(child):
            time.sleep(0.1)
        assert not _alive(child), f"the child still runs {DEADLINE}s after its parent died"
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
