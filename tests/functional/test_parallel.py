"""Independent nodes build in parallel: `--jobs 2` is clearly faster than `--jobs 1`."""

from __future__ import annotations

import time

SLEEPY_TRAIN = """\
import time


def fit(estimator, train, target):
    time.sleep(2.0)
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

MODELS = ("m1", "m2", "m3", "m4")


def _four_models(project) -> None:
    files = {
        "conf/datasets/iris.yaml": project.IRIS,
        "conf/estimator/lr.yaml": project.LR,
        "pipelines/__init__.py": "",
        "pipelines/train.py": SLEEPY_TRAIN,
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


def _timed_apply(project, jobs: int) -> float:
    started = time.monotonic()
    # --no-commit: the commit and the registry's tags are fixed costs, not parallel work
    done = project.apply("--jobs", str(jobs), "--no-commit")
    elapsed = time.monotonic() - started
    assert "Apply complete: 4 done, 0 failed, 0 skipped." in done.stdout, project.output(done)
    return elapsed


def test_jobs_two_is_faster_than_one(project, project_factory):
    # Four independent models whose trainer sleeps 2 s, in two identical projects with
    # the dataset applied: `--jobs 2` takes under 0.7x the wall time of `--jobs 1`.
    other = project_factory("repo2")
    _four_models(project)
    _four_models(other)

    one = _timed_apply(project, 1)
    two = _timed_apply(other, 2)
    assert two < 0.7 * one, f"--jobs 1 took {one:.2f}s, --jobs 2 took {two:.2f}s"
