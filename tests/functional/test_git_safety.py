"""mlcode in a team's Git: half-done merges and rebases, branches, merges, pushes.

Real Git + DVC repositories driven through the `mlcode` CLI; origins are bare repos.
"""

from __future__ import annotations

import subprocess

import pytest


def _git(project, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=project.root, capture_output=True, text=True, check=check
    )


def _specs(project, models: tuple[str, ...] = ("m",)) -> None:
    files = {
        "conf/datasets/iris.yaml": project.IRIS,
        "conf/estimator/tree.yaml": project.TREE,
        "notes.txt": "base\n",
    }
    files.update({f"conf/models/{name}.yaml": project.model_spec("tree") for name in models})
    project.gen(files)
    project.commit("specs")


def _diverge(project) -> None:
    """notes.txt: "theirs" on branch other, "ours" (then "ours 2") on main."""
    project.git("checkout", "-q", "-b", "other")
    project.gen({"notes.txt": "theirs\n"})
    project.commit("theirs")
    project.git("checkout", "-q", "main")
    project.gen({"notes.txt": "ours\n"})
    project.commit("ours")
    project.gen({"notes.txt": "ours 2\n"})
    project.commit("ours 2")


def _stash_pop_conflict(project) -> None:
    project.gen({"notes.txt": "stashed\n"})
    project.git("stash", "-q")
    project.gen({"notes.txt": "committed\n"})
    project.commit("meanwhile")
    _git(project, "stash", "pop")


HALF_DONE = [
    pytest.param(lambda p: _git(p, "merge", "other"), "a merge", "git merge --abort", id="merge"),
    pytest.param(lambda p: _git(p, "rebase", "other"), "a rebase", "git rebase", id="rebase"),
    pytest.param(
        lambda p: _git(p, "rebase", "--apply", "other"), "a rebase", "--abort", id="rebase-apply"
    ),
    pytest.param(
        lambda p: _git(p, "cherry-pick", "other"), "a cherry-pick", "--abort", id="cherry-pick"
    ),
    pytest.param(
        lambda p: _git(p, "revert", "--no-edit", "HEAD~1"), "a revert", "--abort", id="revert"
    ),
    pytest.param(lambda p: _git(p, "bisect", "start"), "a bisect", "git bisect reset", id="bisect"),
    pytest.param(_stash_pop_conflict, "unmerged paths (notes.txt)", "git add", id="stash-pop"),
]


@pytest.mark.parametrize(("start", "what", "how"), HALF_DONE)
def test_apply_refuses_while_git_is_mid_operation(project, start, what, how):
    # A merge, rebase (either backend), cherry-pick, revert or bisect stopped half-way, or
    # a stash pop left conflicts: apply (also --no-commit) refuses, writes nothing and
    # says how to finish or abort; plan still works.
    _specs(project)
    _diverge(project)
    start(project)
    head = _git(project, "rev-parse", "HEAD").stdout
    unmerged = _git(project, "ls-files", "-u").stdout
    for args in (("apply", "--auto-approve"), ("apply", "--auto-approve", "--no-commit")):
        done = project.run(*args)
        assert done.returncode == 1, project.output(done)
        assert what in done.stderr and how in done.stderr, project.output(done)
        assert "cannot apply" in done.stderr
    assert _git(project, "rev-parse", "HEAD").stdout == head
    assert _git(project, "ls-files", "-u").stdout == unmerged
    assert not (project.root / "artifacts").exists()
    assert project.run("plan").returncode == 0


def _branch_with_model(project, branch: str, name: str) -> None:
    """From main: a branch adding model NAME, committed and applied there."""
    project.git("checkout", "-q", "-b", branch, "main")
    project.gen({f"conf/models/{name}.yaml": project.model_spec("tree")})
    project.commit(f"add {name}")
    project.apply()


def test_branches_adding_different_models_merge_cleanly(project):
    # Branches a and b each add and apply a model; merging both into main conflicts
    # nowhere (mlcode's ignore files never list resources); main then registers both.
    _specs(project, models=())
    project.apply()
    _branch_with_model(project, "a", "tree_a")
    _branch_with_model(project, "b", "tree_b")
    project.git("checkout", "-q", "main")
    for branch in ("a", "b"):
        merged = _git(project, "merge", "--no-edit", branch)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    assert _git(project, "ls-files", "-u").stdout == ""
    tracked = project.git("ls-files", "artifacts/models").split()
    assert sorted(tracked) == [
        "artifacts/models/.gitignore",
        "artifacts/models/tree_a.dvc",
        "artifacts/models/tree_b.dvc",
    ]
    assert project.actions(project.plan()) == {
        "dataset.iris": "noop",
        "model.tree_a": "register",
        "model.tree_b": "register",
    }
    project.apply()
    assert sorted(project.git("tag", "-l").split()) == ["tree_a@v1.0.0", "tree_b@v1.0.0"]


def test_another_branchs_artifact_is_never_staged(project):
    # After applying a model on branch a and checking out main (where the model does
    # not exist), `git add -A` stages none of a's artifact files left in the work tree.
    _specs(project, models=())
    project.apply()
    _branch_with_model(project, "a", "tree_a")
    project.git("checkout", "-q", "main")
    assert (project.root / "artifacts/models/tree_a").is_dir()
    project.git("add", "-A")
    staged = project.git("diff", "--cached", "--name-only").split()
    assert staged == [], staged


def test_per_name_ignore_lines_of_older_projects_are_replaced(project):
    # A project whose ignore file lists `/iris` (written by older mlcode or `dvc add`)
    # gets the static rule instead; a user's own line stays; DVC still sees the record.
    _specs(project)
    project.gen({"artifacts/datasets/.gitignore": "/iris\n*.tmp\n"})
    project.commit("older layout")
    project.apply()
    lines = project.read("artifacts/datasets/.gitignore").splitlines()
    assert "/iris" not in lines and "/*/" in lines and "*.tmp" in lines
    assert project.read("artifacts/models/.gitignore").splitlines()[1:] == ["/*/"]
    assert project.git("status", "--porcelain") == ""
    status = subprocess.run(
        ["dvc", "status", "--json"], cwd=project.root, capture_output=True, text=True, check=True
    )
    assert status.stdout.strip() == "{}", status.stdout
    assert "artifacts/datasets/iris.dvc" in project.git("ls-files", "artifacts")
