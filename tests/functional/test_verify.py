"""`mlcode verify`: a record rebuilt alone reproduces, and tampering is named."""

from __future__ import annotations

import json

import yaml


def _setup(project) -> None:
    project.gen_counted_model()
    project.commit("specs")
    project.apply()


def test_honest_model_verifies_after_head_moved_on(project):
    # The trainer changes at HEAD after the build: verify rebuilds from the recorded
    # commit's code, in a fresh interpreter, and the artifact reproduces byte for byte.
    _setup(project)
    project.replace("pipelines/train.py", "calls.write", "calls.write('changed\\\\n'); calls.write")
    project.commit("trainer changed")
    done = project.run("verify", "model.m", "dataset.iris", "--json")
    assert done.returncode == 0, project.output(done)
    reports = json.loads(done.stdout)
    assert [(r["address"], r["ok"], r["differences"]) for r in reports] == [
        ("model.m", True, []),
        ("dataset.iris", True, []),
    ]
    assert reports[0]["built_from"] == project.record("model.m")["built_from"]
    assert project.git("worktree", "list").count("\n") == 1  # the worktree is gone


def test_tampered_artifact_fails_naming_the_file(project):
    # A local model file changed by hand: verify exits 1 and names the file.
    _setup(project)
    (project.root / "artifacts/models/m/model.joblib").write_bytes(b"tampered")
    done = project.run("verify", "model.m")
    assert done.returncode == 1, project.output(done)
    assert "does not reproduce" in done.stdout
    assert "local copy of model.joblib differs from the record" in done.stdout


def test_hand_edited_metrics_fail_naming_the_metric(project):
    # A record whose metrics (and library version) were edited by hand: the rebuild's
    # metrics disagree, the metric is named, and the version difference comes first.
    _setup(project)
    path = project.record_path("model.m")
    data = yaml.safe_load(path.read_text())
    real = data["meta"]["mlcode"]["metrics"]["accuracy"]
    data["meta"]["mlcode"]["metrics"]["accuracy"] = 0.999
    data["meta"]["mlcode"]["env"]["numpy"] = "0.0.1"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = project.run("verify", "model.m", "--json")
    assert done.returncode == 1, project.output(done)
    (report,) = json.loads(done.stdout)
    assert f"metric accuracy: recorded 0.999, rebuilt {real}" in report["differences"]
    assert report["env"][0].startswith("numpy 0.0.1 recorded, ")
    assert report["differences"][0] == "library versions differ (see env)"


NOISY = """\
import random


def fit(estimator, train, target):
    estimator.set_params(random_state=random.randrange(1_000_000))
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def test_nondeterministic_trainer_is_compared_by_metrics_within_tolerance(project):
    # A trainer marked `verify: {deterministic: false, tolerance: ...}` builds different
    # bytes every time; verify compares its metrics within the tolerance instead.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/forest.yaml": (
                "_target_: sklearn.ensemble.RandomForestClassifier\nn_estimators: 5\n"
            ),
            "conf/models/noisy.yaml": project.model_spec(
                "forest",
                train="pipelines.noisy.fit",
                extra="verify: {deterministic: false, tolerance: 0.2}\n",
            ),
            "pipelines/__init__.py": "",
            "pipelines/noisy.py": NOISY,
        }
    )
    project.commit("noisy")
    project.apply()
    done = project.run("verify", "model.noisy", "--json")
    assert done.returncode == 0, project.output(done)
    (report,) = json.loads(done.stdout)
    assert report["ok"] and any("metrics compared within 0.2" in n for n in report["notes"])
