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
