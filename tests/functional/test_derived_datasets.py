"""Derived datasets (`from:` + `transform:`) on real Git + DVC projects."""

from __future__ import annotations

import json

# A transform that keeps every column and adds one: the label column passes through.
FEATURES = """\
def build(train, test):
    train, test = train.copy(), test.copy()
    for frame in (train, test):
        frame["petal_area"] = frame["petal length (cm)"] * frame["petal width (cm)"]
    return train, test
"""

IRIS_LABEL = """\
loader: {_target_: sklearn.datasets.load_iris, as_frame: true}
target: species
split: {test_size: 0.25, seed: 0}
"""


def test_derived_dataset_inherits_the_parent_target(project):
    # The parent's label column is 'species'; the derived dataset sets no target, and a
    # model trained on it uses 'species' as the label (not a missing 'target' column).
    project.gen(
        {
            "conf/datasets/iris.yaml": IRIS_LABEL,
            "conf/datasets/wide.yaml": "from: [iris]\ntransform: {_target_: pipelines.feat.build}\n",
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/m.yaml": project.model_spec("lr", dataset="wide"),
            "pipelines/__init__.py": "",
            "pipelines/feat.py": FEATURES,
        }
    )
    project.commit("specs")
    done = project.apply()
    schema = json.loads((project.root / "artifacts/datasets/wide/schema.json").read_text())
    assert schema["target"] == "species", project.output(done)
    assert project.record("model.m")["metrics"]["accuracy"] > 0.8


def test_derived_dataset_of_parents_with_different_targets_needs_one(project):
    # Two parents label different columns and the derived dataset sets none: the build
    # fails with one line naming the spec file and both targets.
    project.gen(
        {
            "conf/datasets/a.yaml": IRIS_LABEL,
            "conf/datasets/b.yaml": project.IRIS,
            "conf/datasets/ab.yaml": "from: [a, b]\ntransform: {_target_: pipelines.feat.pick}\n",
            "pipelines/__init__.py": "",
            "pipelines/feat.py": "def pick(train, test):\n    return train['a'], test['a']\n",
        }
    )
    project.commit("specs")
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 1, project.output(done)
    assert "conf/datasets/ab.yaml: target:" in done.stdout + done.stderr
    assert "a: 'species', b: 'target'" in done.stdout + done.stderr
