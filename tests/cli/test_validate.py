"""`mlcode validate`: every problem at once, exact output, no traceback."""

from __future__ import annotations


def test_validate_ok(cli_project):
    # Valid specs: a one-line confirmation and exit 0.
    cli_project.write(
        {"conf/datasets/iris.yaml": "loader: {_target_: sklearn.datasets.load_iris}\n"}
    )
    done = cli_project.mlcode("validate")
    assert (done.returncode, done.stdout) == (0, "Valid: 1 spec.\n")


def test_validate_reports_every_problem(cli_project):
    # Problems in several files are listed together, each with file and key.
    cli_project.write(
        {
            "conf/datasets/iris.yaml": "loader: {_target_: sklearn.datasets.load_iris}\nsplit: {seed: x}\n",
            "conf/models/a.yaml": "dataset: iris\nestimator: {_target_: os.system}\n",
            "conf/models/b.yaml": "dataset: missing\nestimator: {_target_: sklearn.svm.SVC}\ncolour: red\n",
        }
    )
    done = cli_project.mlcode("validate")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        "Error: 4 spec problems:\n"
        "  conf/datasets/iris.yaml: split.seed: must be an integer\n"
        "  conf/models/a.yaml: estimator._target_: 'os.system' is not allowed "
        "(allowed_targets on main: sklearn, pipelines)\n"
        "  conf/models/b.yaml: colour: unknown key (allowed: code, dataset, description, "
        "estimator, gates, metrics, owner, stage, tags, train, verify)\n"
        "  conf/models/b.yaml: dataset: no dataset 'missing' (conf/datasets/missing.yaml)\n"
        "Hint: fix the spec files named above, then re-run\n"
    )


def test_debug_shows_traceback(cli_project):
    # MLCODE_DEBUG=1 adds the traceback to the same message.
    cli_project.write({"conf/models/a.yaml": "dataset: [\n"})
    done = cli_project.mlcode("validate", env={"MLCODE_DEBUG": "1"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "conf/models/a.yaml" in done.stderr
