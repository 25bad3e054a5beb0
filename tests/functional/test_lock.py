"""One apply at a time per repository: `.mlcode/lock` (pid, host, nonce), DESIGN 5."""

from __future__ import annotations

import json
import socket
import subprocess
import time

# A trainer that, once called, holds its apply (and so the lock) until the test
# creates `release`: the applies started beside it meet a held lock for sure, however
# slow the machine. A generous timeout keeps a broken test from hanging.
HELD_TRAIN = """\
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "trainer_calls.log"
RELEASE = ROOT / "release"


def fit(estimator, train, target):
    with CALLS.open("a") as calls:
        calls.write("fit\\n")
    give_up = time.monotonic() + 120
    while not RELEASE.exists() and time.monotonic() < give_up:
        time.sleep(0.05)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""
HANG = 300  # seconds: only a hang takes this long


def _simple(project) -> None:
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/iris_lr.yaml": project.model_spec("lr"),
        }
    )
    project.commit("specs")


def _hold_lock(project, pid: int) -> str:
    lock = project.root / ".mlcode" / "lock"
    lock.parent.mkdir(exist_ok=True)
    text = json.dumps({"pid": pid, "host": socket.gethostname(), "nonce": "x"})
    lock.write_text(text)
    return text


def test_live_holder_refuses(project):
    # A live process on this host holds the lock: apply exits 1 at once naming its pid.
    _simple(project)
    holder = subprocess.Popen(["sleep", "600"])
    try:
        text = _hold_lock(project, holder.pid)
        done = project.run("apply", "--auto-approve")
        assert done.returncode == 1, project.output(done)
        assert str(holder.pid) in done.stdout + done.stderr, project.output(done)
        assert "lock" in done.stderr, project.output(done)
        assert "Traceback" not in done.stdout + done.stderr
        assert (project.root / ".mlcode" / "lock").read_text() == text
        assert not (project.root / "artifacts").exists()
    finally:
        holder.kill()
        holder.wait()


def test_dead_holder_is_taken_over(project):
    # The holder's pid is gone (a process we started and reaped): apply takes the lock over.
    _simple(project)
    dead = subprocess.Popen(["true"])
    dead.wait()
    _hold_lock(project, dead.pid)

    done = project.apply()
    assert "Apply complete: 2 done, 0 failed, 0 skipped." in done.stdout, project.output(done)
    assert not (project.root / ".mlcode" / "lock").exists()
    assert project.record_path("model.iris_lr").exists()


def test_lock_from_another_host_is_never_taken_over(project):
    # A lock naming another host: its pid means nothing here, so even a pid that is
    # not running on this machine does not make it stale. Apply refuses and names it.
    _simple(project)
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = project.root / ".mlcode" / "lock"
    lock.parent.mkdir(exist_ok=True)
    text = json.dumps({"pid": dead.pid, "host": "build-box-7", "nonce": "x"})
    lock.write_text(text)
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 1, project.output(done)
    assert f"pid {dead.pid} on build-box-7" in done.stderr, project.output(done)
    assert lock.read_text() == text
    assert not (project.root / "artifacts").exists()


def test_reused_pid_is_taken_over(project):
    # The holder died and its pid now belongs to another, later process: that process
    # is not the holder (its start time differs), so the lock is taken over.
    _simple(project)
    other = subprocess.Popen(["sleep", "600"])
    try:
        lock = project.root / ".mlcode" / "lock"
        lock.parent.mkdir(exist_ok=True)
        holder = {"pid": other.pid, "host": socket.gethostname(), "nonce": "x", "started": 1}
        lock.write_text(json.dumps(holder))
        done = project.apply()
        assert f"took over the lock of a dead apply (pid {other.pid})" in done.stdout
        assert not lock.exists()
    finally:
        other.kill()
        other.wait()


def _slow_project(project) -> None:
    project.gen(
        {
            ".gitignore": "trainer_calls.log\nrelease\n",
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/slow.yaml": project.model_spec("lr", train="pipelines.train.fit"),
            "pipelines/__init__.py": "",
            "pipelines/train.py": HELD_TRAIN,
        }
    )
    project.commit("specs")


def _applies(project, count: int, *args: str) -> list[subprocess.CompletedProcess[str]]:
    """Start `count` applies at once; release the held trainer once all but one have
    exited (without --lock-timeout: the others were refused while it held the lock)
    or, with --lock-timeout, once it was called (it holds the lock, the others wait
    for it); then collect every apply."""
    (project.root / "release").unlink(missing_ok=True)
    calls = _calls(project)
    procs = [project.popen("apply", "--auto-approve", *args) for _ in range(count)]
    waiting = "--lock-timeout" in args
    give_up = time.monotonic() + HANG
    while time.monotonic() < give_up:
        exited = sum(proc.poll() is not None for proc in procs)
        if exited == count or (_calls(project) > calls if waiting else exited >= count - 1):
            break
        time.sleep(0.05)
    (project.root / "release").write_text("")
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=HANG)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _calls(project) -> int:
    path = project.root / "trainer_calls.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_concurrent_applies(project):
    # Two real applies at once on a held trainer: exactly one builds, the other refuses
    # naming the lock; with --lock-timeout both succeed and the second finds nothing to do.
    _slow_project(project)

    first, second = _applies(project, 2)
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 1], project.output(first) + project.output(second)
    winner, loser = (first, second) if first.returncode == 0 else (second, first)
    assert "Apply complete: 2 done" in winner.stdout, project.output(winner)
    assert "lock" in loser.stderr, project.output(loser)
    assert "Apply complete" not in loser.stdout
    assert _calls(project) == 1
    assert project.actions(project.plan())["model.slow"] == "noop"

    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.5")
    project.commit("tune")
    first, second = _applies(project, 2, "--lock-timeout", "120")
    assert first.returncode == 0, project.output(first)
    assert second.returncode == 0, project.output(second)
    assert _calls(project) == 2, "both applies built the model"
    built = [d for d in (first, second) if "Apply complete: 1 done" in d.stdout]
    assert len(built) == 1, project.output(first) + project.output(second)
    idle = first if built[0] is second else second
    assert "Apply complete" not in idle.stdout, project.output(idle)
    assert project.actions(project.plan())["model.slow"] == "noop"
    assert project.git("status", "--porcelain", "--untracked-files=all") == ""


def test_four_concurrent_applies(project):
    # Four applies at once: exactly one builds and the other three refuse, each naming
    # the holder's pid and host; with --lock-timeout all four succeed, one after another,
    # and only the first finds work. The model is trained once per spec change.
    _slow_project(project)
    done = _applies(project, 4)
    winners = [d for d in done if d.returncode == 0]
    losers = [d for d in done if d.returncode != 0]
    assert len(winners) == 1, [d.stderr for d in done]
    for loser in losers:
        err = loser.stderr
        assert loser.returncode == 1 and "pid" in err and socket.gethostname() in err, err
    assert _calls(project) == 1

    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.5")
    project.commit("tune")
    done = _applies(project, 4, "--lock-timeout", "120")
    assert all(d.returncode == 0 for d in done), [d.stderr for d in done]
    assert sum("Apply complete: 1 done" in d.stdout for d in done) == 1
    assert _calls(project) == 2
    assert project.actions(project.plan())["model.slow"] == "noop"
    assert project.git("status", "--porcelain", "--untracked-files=all") == ""
