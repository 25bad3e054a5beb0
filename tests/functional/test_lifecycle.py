"""A new user's first plan -> apply -> plan, checked against Git and DVC themselves."""

from __future__ import annotations

import json
import subprocess

MODELS = ("iris_lr", "iris_tree")
ADDRESSES = ("dataset.iris", "model.iris_lr", "model.iris_tree")


def _own_project(project) -> None:
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/estimator/tree.yaml": project.TREE,
            "conf/models/iris_lr.yaml": project.model_spec("lr"),
            "conf/models/iris_tree.yaml": project.model_spec("tree"),
        }
    )
    project.commit("my specs")


def _cache_object(project, md5: str):
    return project.root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def test_first_plan_apply_plan(project):
    # New user's specs (1 dataset, 2 models): plan creates all, apply records and commits
    # only state records, and afterwards plan, DVC and Git all agree nothing is pending.
    _own_project(project)

    plan = project.plan()
    assert plan["format_version"] == 1
    assert project.actions(plan) == dict.fromkeys(ADDRESSES, "create")
    assert plan["changes"][0]["address"] == "dataset.iris"  # DAG order
    assert plan["summary"]["create"] == 3

    head_before = project.git("rev-parse", "HEAD").strip()
    done = project.apply()
    assert "Apply complete: 3 done, 0 failed, 0 skipped." in done.stdout, project.output(done)

    again = project.run("plan", "--detailed-exitcode")
    assert again.returncode == 0, project.output(again)
    plan = project.plan()
    assert project.actions(plan) == dict.fromkeys(ADDRESSES, "noop")
    assert plan["base_commit"] == project.git("rev-parse", "HEAD").strip()

    status = subprocess.run(
        ["dvc", "status"], cwd=project.root, capture_output=True, text=True, check=False
    )
    assert status.returncode == 0, status.stderr
    assert "Data and pipelines are up to date" in status.stdout

    assert project.git("status", "--porcelain", "--untracked-files=all") == ""

    assert project.git("rev-parse", "HEAD^").strip() == head_before
    touched = project.git("show", "--name-only", "--format=", "HEAD").split()
    assert touched, "apply made an empty commit"
    for path in touched:
        assert path.startswith("artifacts/"), path
        assert path.endswith(".dvc") or path.endswith("/.gitignore"), path
    assert {
        "artifacts/datasets/iris.dvc",
        "artifacts/models/iris_lr.dvc",
        "artifacts/models/iris_tree.dvc",
    } <= set(touched)
    # The commit identity comes from Git's environment when one is configured.
    assert project.git("log", "-1", "--format=%an <%ae>").strip() == (
        "Test Author <author@example.com>"
    )

    for address in ADDRESSES:
        record = project.record(address)
        md5 = record["artifact"]["md5"]
        assert md5.endswith(".dir"), md5
        assert _cache_object(project, md5).is_file(), f"{address}: {md5} not in DVC cache"
        assert (project.root / ".mlcode" / "logs" / f"{address}.log").is_file()
    for name in MODELS:
        folder = project.root / "artifacts" / "models" / name
        assert (folder / "model.joblib").is_file()
        assert json.loads((folder / "metrics.json").read_text())
        assert set(project.record(f"model.{name}")["artifact"]["files"]) >= {
            "model.joblib",
            "metrics.json",
        }


def test_show_json(project):
    # After an apply, `mlcode show model.X --json` reports the record with its metrics.
    _own_project(project)
    project.apply()

    done = project.run("show", "model.iris_lr", "--json")
    assert done.returncode == 0, project.output(done)
    shown = json.loads(done.stdout)
    assert {"address", "fingerprint", "artifact", "metrics"} <= set(shown)
    assert shown["address"] == "model.iris_lr"
    record = project.record("model.iris_lr")
    assert shown["fingerprint"] == record["fingerprint"]
    assert shown["artifact"] == record["artifact"]["md5"]
    accuracy = shown["metrics"]["accuracy"]
    assert isinstance(accuracy, float)
    assert 0.0 < accuracy <= 1.0


def test_apply_without_git_identity(project, no_git_identity):
    # With no Git identity anywhere, apply still commits, as `mlcode <mlcode@localhost>`.
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=project.root, capture_output=True, text=True
    )
    assert probe.stdout.strip() == "", "the test environment leaks a Git identity"
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/iris_lr.yaml": project.model_spec("lr"),
        }
    )
    project.commit("my specs")

    project.apply()

    assert project.git("log", "-1", "--format=%an <%ae>").strip() == "mlcode <mlcode@localhost>"
    assert project.git("log", "-1", "--format=%cn <%ce>").strip() == "mlcode <mlcode@localhost>"
    assert "artifacts/models/iris_lr.dvc" in project.git("show", "--name-only", "HEAD")
    assert project.git("status", "--porcelain", "--untracked-files=all") == ""
    assert project.run("plan", "--detailed-exitcode").returncode == 0
