"""`mlcode plan` as a user types it: exact terminal and JSON output."""

from __future__ import annotations

import json

SPECS = {
    "conf/datasets/iris.yaml": (
        "loader: {_target_: sklearn.datasets.load_iris, as_frame: true}\n"
        "split: {test_size: 0.25, seed: 0}\n"
    ),
    "conf/estimator/lr.yaml": "_target_: sklearn.linear_model.LogisticRegression\nC: 1.0\n",
    "conf/models/iris_lr.yaml": (
        "defaults:\n  - /estimator@estimator: lr\n  - _self_\ndataset: iris\nmetrics: [accuracy]\n"
    ),
}


def test_plan_of_a_new_project(cli_project):
    # A project never applied plans every resource as create, in DAG order.
    cli_project.write(SPECS)
    done = cli_project.mlcode("plan")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "mlcode will perform the following actions:\n"
        "\n"
        "  + dataset.iris  create\n"
        "      new resource\n"
        "  + model.iris_lr  create\n"
        "      new resource\n"
        "\n"
        "Plan: 2 to create; 0 unchanged.\n"
    )
    assert cli_project.mlcode("plan", "--detailed-exitcode").returncode == 2


def test_plan_json_shape(cli_project):
    # The JSON view is versioned and has one entry per resource with before/after.
    cli_project.write(SPECS)
    done = cli_project.mlcode("plan", "--json", "model.iris_lr:estimator.C=0.5")
    data = json.loads(done.stdout)
    assert data["format_version"] == 1
    assert [(c["address"], c["action"]) for c in data["changes"]] == [
        ("dataset.iris", "create"),
        ("model.iris_lr", "create"),
    ]
    model = data["changes"][1]
    assert model["kind"] == "model" and model["name"] == "iris_lr" and model["before"] is None
    assert model["after"]["spec"]["estimator"]["C"] == 0.5
    assert model["after"]["fingerprint"] is None  # its dataset is built first
    assert data["summary"] == {
        "create": 2,
        "rebuild": 0,
        "reuse": 0,
        "repair": 0,
        "promote": 0,
        "register": 0,
        "retire": 0,
        "noop": 0,
    }
    assert data["notes"] == []


def test_plan_after_apply_names_the_change(cli_project):
    # After an apply, editing the shared group file explains the rebuild precisely.
    cli_project.write(SPECS)
    cli_project.project.commit("specs")
    applied = cli_project.mlcode("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli_project.mlcode("plan").stdout == "No changes. 2 resources up to date.\n"
    cli_project.write(
        {"conf/estimator/lr.yaml": SPECS["conf/estimator/lr.yaml"].replace("1.0", "0.5")}
    )
    assert cli_project.mlcode("plan").stdout == (
        "mlcode will perform the following actions:\n"
        "\n"
        "  ~ model.iris_lr  rebuild\n"
        "      estimator.C: 1.0 -> 0.5\n"
        "\n"
        "Plan: 1 to rebuild; 1 unchanged.\n"
    )


def test_unknown_target_is_an_error(cli_project):
    # A --target naming nothing is a clear error with exit code 1.
    cli_project.write(SPECS)
    done = cli_project.mlcode("plan", "--target", "model.nope")
    assert done.returncode == 1
    assert done.stderr == (
        "Error: no resource model.nope\nHint: run `mlcode plan` to list addresses\n"
    )
