"""`mlcode init` scaffolds a working project in a bare Git repository."""

from __future__ import annotations


def test_init_then_apply(git_only_project):
    # git init + mlcode init + apply trains the example model and commits its record.
    project = git_only_project
    root = project.root
    done = project.run("init")
    assert done.returncode == 0, project.output(done)
    assert "Initialized DVC repository" not in done.stdout
    for path in ("conf/mlcode.yaml", "conf/datasets/iris.yaml", "conf/models/iris_logreg.yaml"):
        assert path in done.stdout and (root / path).is_file()
    assert "remote = local" in (root / ".dvc" / "config.local").read_text()

    assert project.run("validate").stdout == "Valid: 2 specs.\n"
    project.apply()
    metrics = project.record("model.iris_logreg")["metrics"]
    assert set(metrics) == {"accuracy", "f1_macro"} and metrics["accuracy"] > 0.8
    assert project.run("plan", "--detailed-exitcode").returncode == 0
    again = project.run("init")
    assert again.returncode == 0 and "created conf/" not in again.stdout
