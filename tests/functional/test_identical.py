"""A downstream rebuild is skipped when its upstream came out byte-identical."""

from __future__ import annotations

FEATURES = """\
def double(train, test, columns=()):
    train, test = train.copy(), test.copy()
    for column in columns:
        train[column] = train[column] * 2
        test[column] = test[column] * 2
    return train, test
"""


def test_identical_upstream_output_skips_downstream(project):
    # A comment added to the transform's module rebuilds the derived dataset; its output
    # is identical, so the model planned as "upstream rebuilt" is skipped, not trained.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/doubled.yaml": (
                "from: iris\n"
                "transform: {_target_: pipelines.features.double, columns: [petal length (cm)]}\n"
            ),
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/m.yaml": project.model_spec(
                "lr", dataset="doubled", train="pipelines.train.fit"
            ),
            "pipelines/__init__.py": "",
            "pipelines/features.py": FEATURES,
            "pipelines/train.py": project.COUNTING_TRAINER,
            ".gitignore": "trainer_calls.log\n",
        }
    )
    project.commit("specs")
    project.apply()
    model_record = project.read("artifacts/models/m.dvc")
    dataset_md5 = project.record("dataset.doubled")["artifact"]["md5"]

    project.gen({"pipelines/features.py": "# scale features\n" + FEATURES})
    plan = project.plan()
    assert project.actions(plan) == {
        "dataset.iris": "noop",
        "dataset.doubled": "rebuild",
        "model.m": "rebuild",
    }
    assert project.reasons(plan, "model.m") == ["upstream dataset.doubled rebuilt"]

    done = project.apply()
    assert "model.m: skipped (inputs came out identical)" in done.stdout
    assert project.read("trainer_calls.log").splitlines() == ["fit"]  # the first apply only
    assert project.record("dataset.doubled")["artifact"]["md5"] == dataset_md5
    assert project.read("artifacts/models/m.dvc") == model_record
    assert project.run("plan", "--detailed-exitcode").returncode == 0
