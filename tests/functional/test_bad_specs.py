"""Bad specs fail with a one-line message naming the file and key, no traceback.

"Fast" is not asserted here (a busy machine would fail it): a hang is caught by a
generous timeout, and the time to reject is printed by `benchmarks/fail_fast.py`.
"""

from __future__ import annotations

import pytest

# seconds: far beyond any rejection; only a hang (e.g. an unbounded alias bomb) takes it
HANG = 120
MODEL_HEAD = "dataset: iris\nmetrics: [accuracy]\n"


def _bomb() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return (
        "\n".join(lines)
        + "\n"
        + MODEL_HEAD
        + "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"
    )


# id -> (files to add, file the message must name, words the message must contain)
CASES = {
    "unknown_key": (
        {"conf/models/bad.yaml": MODEL_HEAD + "estimator: {C: 1.0}\nbogus_key: 1\n"},
        "conf/models/bad.yaml",
        ["bogus_key"],
    ),
    "missing_dataset": (
        {
            "conf/models/bad.yaml": (
                "dataset: nosuch\nmetrics: [accuracy]\n"
                "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"
            )
        },
        "conf/models/bad.yaml",
        ["dataset", "nosuch"],
    ),
    "invalid_yaml": (
        {"conf/models/bad.yaml": "dataset: iris\nmetrics: [accuracy\nestimator: {}\n"},
        "conf/models/bad.yaml",
        ["YAML", "line 3"],
    ),
    "alias_bomb": (
        {"conf/models/bad.yaml": _bomb()},
        "conf/models/bad.yaml",
        ["alias"],
    ),
    "undeclared_stage": (
        {
            "conf/models/bad.yaml": MODEL_HEAD
            + "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"
            + "stage: prod\n"
        },
        "conf/models/bad.yaml",
        ["stage", "unknown stage 'prod'", "staging, production"],
    ),
    "bad_gate": (
        {
            "conf/models/bad.yaml": MODEL_HEAD
            + "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"
            + "gates: {accuracy: 'at least 0.9'}\n"
        },
        "conf/models/bad.yaml",
        ["gates.accuracy", "at least 0.9"],
    ),
    "target_not_allowed": (
        {"conf/models/bad.yaml": MODEL_HEAD + "estimator: {_target_: os.system}\n"},
        "conf/models/bad.yaml",
        ["estimator._target_", "os.system"],
    ),
    "target_not_found": (
        {
            "conf/models/bad.yaml": MODEL_HEAD
            + "estimator: {_target_: sklearn.ensemble.NoSuchThing}\n"
        },
        "conf/models/bad.yaml",
        ["estimator._target_", "NoSuchThing"],
    ),
    "source_outside_repo": (
        {
            "outside.csv": "a,target\n1,0\n",
            "conf/datasets/bad.yaml": (
                "source: ../outside.csv\ntarget: target\nsplit: {test_size: 0.25, seed: 0}\n"
            ),
        },
        "conf/datasets/bad.yaml",
        ["source", "../outside.csv"],
    ),
    # settings that were accepted and then ignored (a local build instead of Dask)
    "executor_dask": (
        {"conf/mlcode.yaml": "executor: {kind: dask, address: 'tcp://127.0.0.1:8786'}\n"},
        "conf/mlcode.yaml",
        ["executor.kind", "not available yet", "executor.address"],
    ),
    "remote_empty": (
        {"conf/mlcode.yaml": "remote: ''\n"},
        "conf/mlcode.yaml",
        ["remote", "DVC remote name or URL"],
    ),
    "metric_typo": (
        {
            "conf/models/bad.yaml": "dataset: iris\nmetrics: [roc_aux]\n"
            + "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"
        },
        "conf/models/bad.yaml",
        ["metrics[0]", "unknown metric 'roc_aux'", "did you mean 'roc_auc'"],
    ),
}


def _good(project) -> None:
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/good.yaml": project.model_spec("lr"),
        }
    )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_spec_fails_with_clear_message(project, case):
    # One bad spec among good ones: plan exits 1 without hanging, naming file and key,
    # with no traceback; MLCODE_DEBUG=1 shows the traceback.
    files, named_file, words = CASES[case]
    _good(project)
    # `../outside.csv` must exist outside the repository for the source case
    (project.root.parent / "outside.csv").write_text("a,target\n1,0\n")
    project.gen(files)
    project.commit("specs")

    done = project.run("plan", timeout=HANG)
    text = done.stdout + done.stderr
    assert done.returncode == 1, project.output(done)
    assert named_file in text, project.output(done)
    for word in words:
        assert word in text, project.output(done)
    assert "Traceback" not in text
    assert "good.yaml" not in text, "a good spec was reported as a problem"

    debug = project.run("plan", env={"MLCODE_DEBUG": "1"}, timeout=HANG)
    assert debug.returncode == 1, project.output(debug)
    assert "Traceback" in debug.stdout + debug.stderr


def test_validate_reports_every_problem_at_once(project):
    # Problems in several files are all reported by one `mlcode validate` run.
    _good(project)
    project.gen(
        {
            "conf/models/m1.yaml": MODEL_HEAD + "estimator: {_target_: os.system}\n",
            "conf/models/m2.yaml": MODEL_HEAD + "estimator: {C: 1.0}\nbogus_key: 1\n",
            "conf/models/m3.yaml": "dataset: iris\nmetrics: [accuracy\n",
            "conf/datasets/d1.yaml": (
                "source: ../outside.csv\ntarget: target\nsplit: {test_size: 0.25, seed: 0}\n"
            ),
        }
    )
    project.commit("specs")

    done = project.run("validate", timeout=HANG)
    text = done.stdout + done.stderr
    assert done.returncode == 1, project.output(done)
    for named in (
        "conf/models/m1.yaml",
        "conf/models/m2.yaml",
        "conf/models/m3.yaml",
        "conf/datasets/d1.yaml",
        "os.system",
        "bogus_key",
        "../outside.csv",
    ):
        assert named in text, f"{named!r} missing from\n{project.output(done)}"
    assert "good.yaml" not in text
    assert "Traceback" not in text

    _good(project)  # the good project on its own validates
    for rel in ("m1", "m2", "m3"):
        (project.root / "conf" / "models" / f"{rel}.yaml").unlink()
    (project.root / "conf" / "datasets" / "d1.yaml").unlink()
    done = project.run("validate", timeout=HANG)
    assert done.returncode == 0, project.output(done)


def test_allowed_targets_come_from_the_registry_branch(project):
    # A branch that widens its own allowlist cannot use it: `_target_`s are checked
    # against conf/mlcode.yaml on main's last commit until the change is merged.
    project.gen(
        {
            "conf/mlcode.yaml": "allowed_targets: [sklearn]\n",
            "conf/datasets/iris.yaml": project.IRIS,
        }
    )
    project.commit("main")
    project.git("checkout", "-q", "-b", "sneaky")
    project.gen(
        {
            "conf/mlcode.yaml": "allowed_targets: [sklearn, shutil]\n",
            "conf/models/bad.yaml": MODEL_HEAD + "estimator: {_target_: shutil.copyfile}\n",
        }
    )
    project.commit("widen the allowlist")
    done = project.run("validate")
    assert done.returncode == 1, project.output(done)
    assert "'shutil.copyfile' is not allowed (allowed_targets on main: sklearn)" in done.stderr
    assert project.run("plan").returncode == 1


@pytest.mark.parametrize(
    ("override", "key", "words"),
    [
        pytest.param("model.good:estimator.C=0.1,1.0", "estimator.C", "sweeps", id="sweep"),
        pytest.param("model.good:estimator.C=choice(0.1,1)", "estimator.C", "sweeps", id="choice"),
        pytest.param(
            "model.good:estimator.max_iters=1000",
            "estimator.max_iters",
            "+estimator.max_iters=1000",
            id="absent-key",
        ),
        pytest.param("model.good:~estimator.tol", "estimator.tol", "no key", id="delete-absent"),
    ],
)
def test_override_that_would_be_ignored_fails_plan(project, override, key, words):
    # A sweep or a typo'd key in a what-if fails plan naming the spec file and key,
    # instead of planning "No changes" or failing only at build.
    _good(project)
    project.commit("specs")
    done = project.run("plan", override)
    text = done.stdout + done.stderr
    assert done.returncode == 1, project.output(done)
    assert f"conf/models/good.yaml: {key}:" in text, project.output(done)
    assert words in text, project.output(done)
    assert "Traceback" not in text


def test_stratify_on_a_regression_target_fails_in_one_line(project):
    # `stratify: true` on a float target: one line naming the file, key and the number
    # of distinct values, not scikit-learn's list of every value as a "class".
    project.gen(
        {
            "conf/datasets/diabetes.yaml": (
                "loader: {_target_: sklearn.datasets.load_diabetes, as_frame: true}\n"
                "target: target\nsplit: {test_size: 0.25, seed: 0, stratify: true}\n"
            )
        }
    )
    project.commit("specs")
    done = project.run("apply", "--auto-approve")
    text = done.stdout + done.stderr
    assert done.returncode == 1, project.output(done)
    assert (
        "conf/datasets/diabetes.yaml: split.stratify: stratify needs a class label: "
        "target 'target' has 214 distinct float values"
    ) in text, project.output(done)
    assert "least populated class" not in text
