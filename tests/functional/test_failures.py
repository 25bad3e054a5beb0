"""A failing node: one-line error with its log, others finish, its record stays as it was."""

from __future__ import annotations

TRAIN_OK = """\
def fit(estimator, train, target):
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

TRAIN_BOOM = """\
def fit(estimator, train, target):
    raise ValueError("boom")
"""

FEATURES_BOOM = """\
def explode(train, test):
    raise RuntimeError("transform exploded")
"""


def _assert_failure_reported(project, done, address: str, error: str) -> None:
    text = done.stdout + done.stderr
    assert done.returncode == 1, project.output(done)
    assert address in text, project.output(done)
    assert error in text, project.output(done)
    log = f".mlcode/logs/{address}.log"
    assert log in text, project.output(done)
    assert "Traceback" not in text, "a raw traceback reached the terminal"
    assert "Traceback" in project.read(log)
    assert error.split(": ", 1)[1] in project.read(log)


def test_failure_keeps_existing_record(project):
    # Built once fine; then its trainer raises and a hyperparameter changes: apply exits 1,
    # reports the error and log, another changed model is rebuilt and committed, and the
    # failed model's record stays byte-identical; plan still shows it pending.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/bad.yaml": project.model_spec("lr", train="pipelines.train.fit"),
            "conf/models/good.yaml": project.model_spec("lr", extra="estimator: {C: 2.0}\n"),
            "pipelines/__init__.py": "",
            "pipelines/train.py": TRAIN_OK,
        }
    )
    project.commit("specs")
    project.apply()
    bad_before = project.record_path("model.bad").read_bytes()
    good_before = project.record("model.good")

    project.gen(
        {
            "pipelines/train.py": TRAIN_BOOM,
            "conf/models/bad.yaml": project.model_spec(
                "lr", train="pipelines.train.fit", extra="estimator: {C: 0.3}\n"
            ),
            "conf/models/good.yaml": project.model_spec("lr", extra="estimator: {C: 3.0}\n"),
        }
    )
    project.commit("break bad, tune good")
    assert project.actions(project.plan()) == {
        "dataset.iris": "noop",
        "model.bad": "rebuild",
        "model.good": "rebuild",
    }

    done = project.run("apply", "--auto-approve")
    _assert_failure_reported(project, done, "model.bad", "ValueError: boom")

    assert project.record_path("model.bad").read_bytes() == bad_before
    good_after = project.record("model.good")
    assert good_after["fingerprint"] != good_before["fingerprint"]
    assert good_after["spec"]["estimator"]["C"] == 3.0
    assert "artifacts/models/good.dvc" in project.git("show", "--name-only", "HEAD")
    assert project.git("status", "--porcelain", "--untracked-files=all", "--", "artifacts") == ""

    assert project.actions(project.plan()) == {
        "dataset.iris": "noop",
        "model.bad": "rebuild",
        "model.good": "noop",
    }


def test_failures_skip_downstream_and_record_the_rest(project):
    # First apply: a trainer raises and a derived dataset's transform raises; the model on
    # that dataset is skipped, the independent model is recorded and committed, the failed
    # and skipped ones get no record, and plan still shows them as `create`.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/iris_bad.yaml": (
                "from: iris\ntransform: {_target_: pipelines.features.explode}\n"
            ),
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/bad.yaml": project.model_spec("lr", train="pipelines.train.fit"),
            "conf/models/good.yaml": project.model_spec("lr", extra="estimator: {C: 2.0}\n"),
            "conf/models/on_bad.yaml": project.model_spec("lr", dataset="iris_bad"),
            "pipelines/__init__.py": "",
            "pipelines/train.py": TRAIN_BOOM,
            "pipelines/features.py": FEATURES_BOOM,
        }
    )
    project.commit("specs")

    done = project.run("apply", "--auto-approve")
    _assert_failure_reported(project, done, "model.bad", "ValueError: boom")
    _assert_failure_reported(project, done, "dataset.iris_bad", "RuntimeError: transform exploded")
    text = done.stdout + done.stderr
    assert "model.on_bad: skipped" in text, project.output(done)
    assert "Apply complete: 2 done, 2 failed, 1 skipped." in text, project.output(done)

    for address in ("model.bad", "dataset.iris_bad", "model.on_bad"):
        assert not project.record_path(address).exists(), address
    for address in ("dataset.iris", "model.good"):
        assert project.record_path(address).exists(), address
    committed = project.git("show", "--name-only", "HEAD")
    assert "artifacts/models/good.dvc" in committed
    assert "artifacts/datasets/iris.dvc" in committed
    assert project.git("status", "--porcelain", "--untracked-files=all", "--", "artifacts") == ""

    assert project.actions(project.plan()) == {
        "dataset.iris": "noop",
        "dataset.iris_bad": "create",
        "model.bad": "create",
        "model.good": "noop",
        "model.on_bad": "create",
    }
