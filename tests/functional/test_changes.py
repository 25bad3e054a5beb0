"""Edits to shared groups and to project code, rollback by reuse, --target and --replace."""

from __future__ import annotations

from mlcode import api

TRAIN = """\
from pathlib import Path

from pipelines.helpers import features_of

CALLS = Path(__file__).resolve().parent.parent / "trainer_calls.log"


def fit(estimator, train, target):
    with CALLS.open("a") as calls:
        calls.write("fit\\n")
    return estimator.fit(features_of(train, target), train[target])
"""

HELPERS = """\
def features_of(frame, target):
    return frame.drop(columns=[target])
"""


def _calls(project) -> int:
    path = project.root / "trainer_calls.log"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_shared_group_edit_rebuilds_its_users_only(project):
    # Two models share conf/estimator/lr.yaml, a third uses tree.yaml: editing lr.yaml's C
    # rebuilds exactly the two, and only their specs are re-composed by Hydra.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/estimator/tree.yaml": project.TREE,
            "conf/models/a.yaml": project.model_spec("lr"),
            "conf/models/b.yaml": project.model_spec("lr"),
            "conf/models/c.yaml": project.model_spec("tree"),
        }
    )
    project.commit("specs")
    project.apply()

    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.5")

    outcome = api.plan(start=project.root)
    assert sorted(outcome.composed) == ["conf/models/a.yaml", "conf/models/b.yaml"]
    assert {str(c.address): c.action.value for c in outcome.plan.changes} == {
        "dataset.iris": "noop",
        "model.a": "rebuild",
        "model.b": "rebuild",
        "model.c": "noop",
    }

    plan = project.plan()
    assert project.actions(plan) == {
        "dataset.iris": "noop",
        "model.a": "rebuild",
        "model.b": "rebuild",
        "model.c": "noop",
    }
    for address in ("model.a", "model.b"):
        assert any("estimator.C: 1.0 -> 0.5" in r for r in project.reasons(plan, address)), (
            project.reasons(plan, address)
        )
    assert plan["summary"]["rebuild"] == 2
    assert plan["summary"]["noop"] == 2


def test_code_edit_rebuilds_and_revert_reuses(project):
    # A custom trainer imports pipelines.helpers: editing helpers.py rebuilds the model;
    # reverting the edit plans `reuse`, runs no trainer and restores the first artifact.
    project.gen(
        {
            ".gitignore": "trainer_calls.log\n",
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/custom.yaml": project.model_spec("lr", train="pipelines.train.fit"),
            "pipelines/__init__.py": "",
            "pipelines/train.py": TRAIN,
            "pipelines/helpers.py": HELPERS,
        }
    )
    project.commit("specs and code")
    project.apply()
    assert _calls(project) == 1
    first = project.record("model.custom")

    project.gen({"pipelines/helpers.py": HELPERS + "\n\n# tuned\nSCALE = 1\n"})
    plan = project.plan()
    assert project.actions(plan) == {"dataset.iris": "noop", "model.custom": "rebuild"}
    assert any("pipelines/helpers.py" in r for r in project.reasons(plan, "model.custom")), (
        project.reasons(plan, "model.custom")
    )
    project.apply()
    assert _calls(project) == 2
    assert project.record("model.custom")["fingerprint"] != first["fingerprint"]

    project.gen({"pipelines/helpers.py": HELPERS})
    plan = project.plan()
    assert project.actions(plan) == {"dataset.iris": "noop", "model.custom": "reuse"}
    project.apply()
    assert _calls(project) == 2, "reuse ran the trainer"
    restored = project.record("model.custom")
    assert restored["fingerprint"] == first["fingerprint"]
    assert restored["artifact"]["md5"] == first["artifact"]["md5"]
    assert project.actions(project.plan())["model.custom"] == "noop"
    assert project.git("status", "--porcelain", "--", "artifacts") == ""


def test_target_and_replace(project):
    # `--target model.a` plans only model.a and its dataset; `--replace model.a` rebuilds it.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/iris2.yaml": project.IRIS.replace("seed: 0", "seed: 1"),
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/a.yaml": project.model_spec("lr"),
            "conf/models/b.yaml": project.model_spec("lr", extra="estimator: {C: 2.0}\n"),
            "conf/models/c.yaml": project.model_spec("lr", dataset="iris2"),
        }
    )
    project.commit("specs")

    plan = project.plan("--target", "model.a")
    assert project.actions(plan) == {"dataset.iris": "create", "model.a": "create"}

    project.apply("--target", "model.a")
    assert project.record_path("model.a").exists()
    assert not project.record_path("model.b").exists()
    assert not project.record_path("dataset.iris2").exists()
    assert project.actions(project.plan()) == {
        "dataset.iris": "noop",
        "dataset.iris2": "create",
        "model.a": "noop",
        "model.b": "create",
        "model.c": "create",
    }

    plan = project.plan("--replace", "model.a", "--target", "model.a")
    assert project.actions(plan) == {"dataset.iris": "noop", "model.a": "rebuild"}
    plan = project.plan("--replace", "model.a")
    assert project.actions(plan)["model.a"] == "rebuild"
    assert project.actions(plan)["dataset.iris"] == "noop"
