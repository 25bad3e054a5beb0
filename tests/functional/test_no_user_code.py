"""`plan` and `validate` never import the project's own code (DESIGN 4)."""

from __future__ import annotations

INIT = """\
from pathlib import Path

(Path(__file__).resolve().parent.parent / "imported.marker").write_text("imported\\n")
"""

TRAIN = """\
def fit(estimator, train, target):
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

FEATURES = """\
def passthrough(train, test):
    return train, test
"""


def test_plan_and_validate_import_no_user_code(project):
    # pipelines/__init__.py leaves a marker when imported: plan and validate leave none,
    # while apply (which does run the code) does, proving the marker works.
    project.gen(
        {
            ".gitignore": "imported.marker\n",
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/iris_plain.yaml": (
                "from: iris\ntransform: {_target_: pipelines.features.passthrough}\n"
            ),
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/custom.yaml": project.model_spec(
                "lr", dataset="iris_plain", train="pipelines.train.fit"
            ),
            "pipelines/__init__.py": INIT,
            "pipelines/train.py": TRAIN,
            "pipelines/features.py": FEATURES,
        }
    )
    project.commit("specs and code")
    marker = project.root / "imported.marker"

    for args in (
        ("validate",),
        ("plan",),
        ("plan", "--json"),
        ("plan", "--replace", "model.custom"),
    ):
        done = project.run(*args)
        assert done.returncode == 0, project.output(done)
        assert not marker.exists(), f"`mlcode {' '.join(args)}` imported pipelines"

    project.apply()
    assert marker.exists(), "apply built with the custom code but the marker is missing"

    marker.unlink()
    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.25")
    for args in (("validate",), ("plan", "--json")):
        done = project.run(*args)
        assert done.returncode == 0, project.output(done)
        assert not marker.exists(), f"`mlcode {' '.join(args)}` imported pipelines"
