"""Independent nodes build in parallel: with `--jobs 2` two builds overlap (both started
before either ended), with `--jobs 1` none do. Shown by the order of the start and end
lines the trainer appends to a log, never by wall-clock time (speed figures:
`benchmarks/parallel_apply.py`)."""

from __future__ import annotations

# Each training run appends `start ID` and `end ID` to builds.log (one small O_APPEND
# write each, so the file's order is the order in which they happened). With a file
# `barrier` holding N, a run waits after its start until N runs have started, so that
# overlapping builds overlap for sure on a busy machine; a generous timeout keeps a
# serial run from hanging (it then shows up as no overlap).
OVERLAP_TRAIN = """\
import os
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "builds.log"
BARRIER = ROOT / "barrier"


def _log(line):
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\\n").encode())
    finally:
        os.close(fd)


def fit(estimator, train, target):
    me = uuid.uuid4().hex
    _log(f"start {me}")
    if BARRIER.exists():
        wanted = int(BARRIER.read_text())
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            if LOG.read_text().count("start ") >= wanted:
                break
            time.sleep(0.05)
    fitted = estimator.fit(train.drop(columns=[target]), train[target])
    _log(f"end {me}")
    return fitted
"""

MODELS = ("m1", "m2", "m3", "m4")


def _four_models(project) -> None:
    files = {
        ".gitignore": "builds.log\nbarrier\n",
        "conf/datasets/iris.yaml": project.IRIS,
        "conf/estimator/lr.yaml": project.LR,
        "pipelines/__init__.py": "",
        "pipelines/train.py": OVERLAP_TRAIN,
    }
    for i, name in enumerate(MODELS, start=1):
        files[f"conf/models/{name}.yaml"] = project.model_spec(
            "lr", train="pipelines.train.fit", extra=f"estimator: {{C: {i}.0}}\n"
        )
    project.gen(files)
    project.commit("specs")
    project.apply("--target", "dataset.iris")
    plan = project.plan()
    assert project.actions(plan) == {
        "dataset.iris": "noop",
        **{f"model.{name}": "create" for name in MODELS},
    }


def _builds(project) -> tuple[int, int, list[str]]:
    """(builds run, most running at once, the log) from builds.log, which it clears."""
    log = project.root / "builds.log"
    lines = log.read_text().splitlines()
    log.unlink()
    running = most = 0
    for line in lines:
        running += 1 if line.startswith("start ") else -1
        most = max(most, running)
    return sum(line.startswith("start ") for line in lines), most, lines


def test_jobs_two_builds_overlap_and_jobs_one_does_not(project):
    # Four independent models, the dataset applied: `--jobs 2` starts a second build
    # before the first ended and never runs three at once; `--jobs 1` runs one at a time.
    _four_models(project)
    (project.root / "barrier").write_text("2")
    # --no-commit: the commit and the registry's tags are not what is tested here
    done = project.apply("--jobs", "2", "--no-commit")
    assert "Apply complete: 4 done, 0 failed, 0 skipped." in done.stdout, project.output(done)
    builds, most, log = _builds(project)
    assert (builds, most) == (4, 2), log

    (project.root / "barrier").unlink()
    project.replace("conf/estimator/lr.yaml", "max_iter: 200", "max_iter: 300")
    done = project.apply("--jobs", "1", "--no-commit")
    assert "Apply complete: 4 done, 0 failed, 0 skipped." in done.stdout, project.output(done)
    builds, most, log = _builds(project)
    assert (builds, most) == (4, 1), log
