"""`mlcode validate`: every spec problem at once, warnings on stderr, builds nothing."""

from __future__ import annotations

IRIS = "loader: {_target_: sklearn.datasets.load_iris}\n"


def test_validate_ok(cli):
    # Valid specs: a one-line confirmation and exit 0.
    cli.write({"conf/datasets/iris.yaml": IRIS})
    done = cli.invoke("validate")
    assert (done.exit_code, done.stdout, done.stderr) == (0, "Valid: 1 spec.\n", "")


def test_code_the_scan_cannot_follow_is_a_warning(cli):
    # A computed dynamic import is named on stderr with file and line; still exit 0.
    cli.write(
        {
            "conf/datasets/iris.yaml": IRIS,
            "conf/models/m.yaml": (
                "dataset: iris\n"
                "estimator: {_target_: sklearn.tree.DecisionTreeClassifier}\n"
                "train: {_target_: pipelines.train.fit}\n"
            ),
            "pipelines/__init__.py": "",
            "pipelines/train.py": (
                "import importlib\n"
                "\n"
                "\n"
                "def fit(estimator, train, target, plugin='pipelines.extra'):\n"
                "    importlib.import_module(plugin)\n"
                "    return estimator.fit(train.drop(columns=[target]), train[target])\n"
            ),
        }
    )
    done = cli.invoke("validate")
    assert (done.exit_code, done.stdout) == (0, "Valid: 2 specs.\n"), done
    assert done.stderr == (
        "Warning: pipelines/train.py:5: importlib.import_module with a computed name: the "
        "code scan cannot follow it; list the files it loads under code: in "
        "conf/models/m.yaml\n"
    )


def test_validate_reports_every_problem(cli):
    # Problems in several files are listed together, each with file and key: exit 1.
    cli.write(
        {
            "conf/datasets/iris.yaml": IRIS + "split: {seed: x}\n",
            "conf/models/a.yaml": "dataset: iris\nestimator: {_target_: os.system}\n",
            "conf/models/b.yaml": (
                "dataset: missing\nestimator: {_target_: sklearn.svm.SVC}\ncolour: red\n"
            ),
        }
    )
    done = cli.invoke("validate")
    assert (done.exit_code, done.stdout) == (1, "")
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


def test_debug_shows_the_traceback(cli):
    # MLCODE_DEBUG=1 adds the traceback to the same message.
    cli.write({"conf/models/a.yaml": "dataset: [\n"})
    done = cli.invoke("validate", env={"MLCODE_DEBUG": "1"})
    assert done.exit_code == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n"), done
    assert "\nError: 1 spec problem:\n  conf/models/a.yaml: " in done.stderr


def test_validate_rejects_an_unknown_option(plain_dir):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = plain_dir.invoke("validate", "--strict")
    assert done == plain_dir.usage_error("mlcode validate [OPTIONS]", "No such option: --strict")
