"""`mlcode plan` as a user types it: exact terminal and JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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


def test_no_op_plan_needs_neither_typer_rich_nor_yaml(cli_project):
    # A plain no-op plan is parsed without Typer and printed without Rich, and finds
    # every spec and record in its caches: none of them, nor PyYAML, is imported.
    cli_project.write(SPECS)
    cli_project.project.commit("specs")
    applied = cli_project.mlcode("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert cli_project.mlcode("plan").stdout == "No changes. 2 resources up to date.\n"
    probe = (
        "import sys\nfrom mlcode.cli.main import run\n"
        "code = run(sys.argv[1:])\n"
        "unused = {'typer', 'click', 'rich', 'yaml', 'hydra', 'omegaconf', 'dvc', 'git'}\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & unused))\n"
    )
    for args in (["plan"], ["plan", "--detailed-exitcode"], ["plan", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=cli_project.root,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.stdout.splitlines()[-1] == "0 []", done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        pytest.param(["plan"], {}, id="plain"),
        pytest.param(["plan", "--json"], {"json_": True}, id="json"),
        pytest.param(
            ["plan", "--detailed-exitcode", "--json"],
            {"detailed_exitcode": True, "json_": True},
            id="both",
        ),
        pytest.param(["plan", "--target", "model.x"], None, id="value"),
        pytest.param(["plan", "model.x:estimator.C=1"], None, id="override"),
        pytest.param(["plan", "--help"], None, id="help"),
        pytest.param(["plan", "--bogus"], None, id="mistake"),
        pytest.param(["plan", "--json=1"], None, id="flag-with-value"),
        pytest.param(["apply"], None, id="other-command"),
        pytest.param(["--version", "plan"], None, id="app-option"),
        pytest.param([], None, id="nothing"),
    ],
)
def test_only_plain_plans_skip_typer(args, flags):
    # Flags without values are parsed without Typer; anything else is Typer's.
    from mlcode.cli.main import _plain_plan

    assert _plain_plan(args) == flags


def test_plain_flags_are_the_typer_options():
    # Each flag parsed without Typer is a value-less option of the Typer command, with
    # the same parameter name: the two parsers cannot drift apart.
    import typer

    from mlcode.cli.main import build_app
    from mlcode.cli.plan_cmd import FLAGS

    group = typer.main.get_command(build_app())
    options = {opt: param for param in group.commands["plan"].params for opt in param.opts}
    for flag, name in FLAGS.items():
        assert options[flag].is_flag and options[flag].name == name, flag
