"""Environment variables a spec reads through `${oc.env:...}` enter the fingerprint as a
digest of their value: a changed value plans a rebuild naming the variable (never the
value), and resolvers give the build the types plain OmegaConf gives."""

from __future__ import annotations

import json

SECRETISH = "entropy-VALUE-xyz"


def _project(project, estimator: str, dataset: str | None = None) -> None:
    project.gen(
        {
            "conf/datasets/iris.yaml": dataset or project.IRIS,
            "conf/estimator/tree.yaml": estimator,
            "conf/models/m.yaml": project.model_spec("tree"),
        }
    )
    project.commit("specs")


def test_changed_env_value_plans_a_rebuild_naming_the_variable(project):
    # CRIT=gini applied; CRIT=<other> plans a rebuild "env CRIT changed" (the value shown
    # nowhere), builds another artifact under another fingerprint; back to gini reuses.
    _project(
        project,
        "_target_: sklearn.tree.DecisionTreeClassifier\ncriterion: ${oc.env:CRIT,gini}\n",
    )
    gini = {"CRIT": "gini"}
    assert project.run("apply", "--auto-approve", env=gini).returncode == 0
    first = project.record("model.m")
    assert set(first["env_vars"]) == {"CRIT"} and "gini" not in json.dumps(first["env_vars"])
    assert project.run("plan", "--detailed-exitcode", env=gini).returncode == 0
    # unset: the default gives the same value, so the same fingerprint
    assert project.run("plan", "--detailed-exitcode").returncode == 0

    other = {"CRIT": SECRETISH.split("-")[0]}
    done = project.run("plan", "--json", env=other)
    plan = json.loads(done.stdout)
    assert project.actions(plan)["model.m"] == "rebuild"
    assert "env CRIT changed" in project.reasons(plan, "model.m")
    assert project.actions(plan)["dataset.iris"] == "noop"
    text = project.run("plan", env={"CRIT": SECRETISH})
    assert SECRETISH not in text.stdout + text.stderr

    assert project.run("apply", "--auto-approve", env=other).returncode == 0
    second = project.record("model.m")
    assert second["fingerprint"] != first["fingerprint"]
    assert second["artifact"]["md5"] != first["artifact"]["md5"]  # entropy splits differ
    plan = json.loads(project.run("plan", "--json", env=gini).stdout)
    assert project.actions(plan)["model.m"] == "reuse"


def test_decoded_env_value_reaches_the_estimator_typed(project):
    # `${oc.decode:${oc.env:DEPTH,2}}` gives the estimator the int 2 (a string '2' is
    # refused by scikit-learn), and a float through `oc.decode` stays a float.
    _project(
        project,
        "_target_: sklearn.tree.DecisionTreeClassifier\n"
        "max_depth: ${oc.decode:${oc.env:DEPTH,2}}\n"
        "ccp_alpha: ${oc.decode:${oc.env:ALPHA,'0.0'}}\n",
    )
    project.apply()
    import mlcode

    model = mlcode.load("model.m", start=project.root)
    assert model.max_depth == 2 and isinstance(model.max_depth, int)
    assert isinstance(model.ccp_alpha, float)
    plan = json.loads(project.run("plan", "--json", env={"DEPTH": "3"}).stdout)
    assert project.reasons(plan, "model.m")[-1] == "env DEPTH changed"
    done = project.run("apply", "--auto-approve", env={"DEPTH": "3"})
    assert done.returncode == 0, project.output(done)
    assert mlcode.load("model.m", start=project.root).max_depth == 3


def test_env_read_by_a_dataset_rebuilds_it_and_its_models(project):
    # A loader's sample count from the environment: another count rebuilds the dataset
    # (the reason names the variable) and plans its model downstream.
    dataset = (
        "loader:\n  _target_: sklearn.datasets.make_classification\n"
        "  n_samples: ${oc.decode:${oc.env:NSAMPLES,120}}\n  random_state: 0\n"
        "target: target\nsplit: {test_size: 0.25, seed: 0}\n"
    )
    _project(project, project.TREE, dataset)
    project.apply()
    plan = json.loads(project.run("plan", "--json", env={"NSAMPLES": "150"}).stdout)
    assert project.actions(plan) == {"dataset.iris": "rebuild", "model.m": "rebuild"}
    assert "env NSAMPLES changed" in project.reasons(plan, "dataset.iris")
    assert "upstream dataset.iris rebuilt" in project.reasons(plan, "model.m")


def test_verify_needs_the_env_as_it_was(project):
    # verify rebuilds with the environment as it was for the build, else says which
    # variable differs (never its value) and builds nothing.
    _project(
        project,
        "_target_: sklearn.tree.DecisionTreeClassifier\ncriterion: ${oc.env:CRIT,gini}\n",
    )
    assert project.run("apply", "--auto-approve", env={"CRIT": "entropy"}).returncode == 0
    done = project.run("verify", "model.m", "--json", env={"CRIT": "entropy"})
    assert done.returncode == 0, project.output(done)
    done = project.run("verify", "model.m", "--json")
    assert done.returncode == 1, project.output(done)
    (report,) = json.loads(done.stdout)
    assert report["differences"] == [
        "env CRIT is not set as it was for the build (set it as it was)"
    ]
    assert "entropy" not in done.stdout
