"""One apply at a time per repository: `.mlcode/lock` (pid, host, nonce), DESIGN 5."""

from __future__ import annotations

import json
import socket
import subprocess

SLOW_TRAIN = """\
import time
from pathlib import Path

CALLS = Path(__file__).resolve().parent.parent / "trainer_calls.log"


def fit(estimator, train, target):
    with CALLS.open("a") as calls:
        calls.write("fit\\n")
    time.sleep(2)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


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
    holder = subprocess.Popen(["sleep", "30"])
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
    other = subprocess.Popen(["sleep", "30"])
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
            ".gitignore": "trainer_calls.log\n",
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/slow.yaml": project.model_spec("lr", train="pipelines.train.fit"),
            "pipelines/__init__.py": "",
            "pipelines/train.py": SLOW_TRAIN,
        }
    )
    project.commit("specs")


def _run_two(project, *args: str) -> list[subprocess.CompletedProcess[str]]:
    procs = [project.popen("apply", "--auto-approve", *args) for _ in range(2)]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def _calls(project) -> int:
    return len((project.root / "trainer_calls.log").read_text().splitlines())


def test_concurrent_applies(project):
    # Two real applies at once on a slow trainer: exactly one builds, the other refuses
    # naming the lock; with --lock-timeout both succeed and the second finds nothing to do.
    _slow_project(project)

    first, second = _run_two(project)
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
    first, second = _run_two(project, "--lock-timeout", "60")
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
    procs = [project.popen("apply", "--auto-approve") for _ in range(4)]
    done = [(p, *p.communicate(timeout=180)) for p in procs]
    winners = [d for d in done if d[0].returncode == 0]
    losers = [d for d in done if d[0].returncode != 0]
    assert len(winners) == 1, [d[2] for d in done]
    for proc, _out, err in losers:
        assert proc.returncode == 1 and "pid" in err and socket.gethostname() in err, err
    assert _calls(project) == 1

    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.5")
    project.commit("tune")
    procs = [project.popen("apply", "--auto-approve", "--lock-timeout", "120") for _ in range(4)]
    done = [(p, *p.communicate(timeout=300)) for p in procs]
    assert all(p.returncode == 0 for p, _o, _e in done), [e for _p, _o, e in done]
    assert sum("Apply complete: 1 done" in out for _p, out, _e in done) == 1
    assert _calls(project) == 2
    assert project.actions(project.plan())["model.slow"] == "noop"
    assert project.git("status", "--porcelain", "--untracked-files=all") == ""
