"""mlcode in a team's Git: half-done merges and rebases, branches, merges, pushes.

Real Git + DVC repositories driven through the `mlcode` CLI; origins are bare repos.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml


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


def _with_origin(project, tmp_path, models: tuple[str, ...]):
    """A bare origin, a shared DVC remote in conf/mlcode.yaml, specs of `models`."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    project.git("remote", "add", "origin", str(origin))
    project.gen({"conf/mlcode.yaml": f"remote: {tmp_path / 'dvc-remote'}\n"})
    _specs(project, models)
    return origin


def _origin_git(origin, *args: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(origin), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def _add_model(project, name: str) -> None:
    project.gen({f"conf/models/{name}.yaml": project.model_spec("tree")})
    project.commit(f"add {name}")


def test_rejected_push_removes_this_applys_tags(project, project_class, tmp_path):
    # A stale clone applies with --git-push after origin moved on: the atomic push is
    # rejected, the tags it created go (the commit stays), it says to pull; after the
    # pull, apply --git-push registers on top of origin's history and pushes.
    origin = _with_origin(project, tmp_path, ("a",))
    project.apply("--git-push")
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "b")], check=True)
    stale = project_class(tmp_path / "b")
    _add_model(project, "b")
    project.apply("--git-push")
    _add_model(stale, "c")
    done = stale.run("apply", "--auto-approve", "--git-push")
    assert done.returncode == 1, stale.output(done)
    assert "c@v1.0.0" in done.stderr and "git pull --rebase --tags origin main" in done.stderr
    assert "c@v1.0.0" not in stale.git("tag", "-l")
    assert stale.git("log", "-1", "--format=%s").startswith("mlcode apply")
    assert "c@v1.0.0" not in _origin_git(origin, "tag", "-l")
    stale.git("pull", "-q", "--rebase", "--tags", "origin", "main")
    stale.apply("--git-push")
    on_origin = _origin_git(origin, "rev-parse", "c@v1.0.0^{commit}").strip()
    assert on_origin == _origin_git(origin, "rev-parse", "main").strip()


def test_rejected_push_of_a_tag_someone_pushed_meanwhile(project, tmp_path):
    # Someone pushed a@v1.0.0 to origin meanwhile: this apply's a@v1.0.0 is refused,
    # removed locally, and `git fetch --tags` works again (it refused to clobber before).
    origin = _with_origin(project, tmp_path, ("a",))
    project.git("push", "-q", "origin", "main")
    _origin_git(origin, "tag", "-a", "-m", "theirs", "a@v1.0.0", "main")
    done = project.run("apply", "--auto-approve", "--git-push")
    assert done.returncode == 1, project.output(done)
    assert "removed the tags this apply created" in done.stderr, project.output(done)
    assert "a@v1.0.0" not in project.git("tag", "-l")
    fetched = _git(project, "fetch", "--tags", "origin")
    assert fetched.returncode == 0, fetched.stderr
    assert project.git("cat-file", "-p", "a@v1.0.0").rstrip().endswith("theirs")


def test_doctor_reports_tags_that_differ_from_origins(project, tmp_path):
    # A local a@v1.0.0 on another object than origin's (left by an older mlcode's
    # rejected push) blocks every fetch and push: doctor says so and how to fix it.
    origin = _with_origin(project, tmp_path, ("a",))
    project.git("push", "-q", "origin", "main")
    _origin_git(origin, "tag", "-a", "-m", "theirs", "a@v1.0.0", "main")
    project.git("tag", "-a", "-m", "mine", "a@v1.0.0", "HEAD")
    done = project.run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    tags = checks["registry tags"]
    assert tags["status"] == "error" and "a@v1.0.0" in tags["message"], tags
    assert "git tag -d a@v1.0.0" in tags["fix"] and "git fetch --tags" in tags["fix"]
    project.git("tag", "-d", "a@v1.0.0")
    project.git("fetch", "-q", "--tags", "origin")
    checks = {c["name"]: c for c in json.loads(project.run("doctor", "--json").stdout)}
    assert checks["registry tags"]["status"] == "ok", checks["registry tags"]


def test_init_writes_the_ignore_rule_and_the_merge_driver(git_only_project):
    # `mlcode init` writes the static ignore rule of each artifact folder, the records'
    # merge attribute and the driver in the local Git config.
    project = git_only_project
    done = project.run("init")
    assert done.returncode == 0, project.output(done)
    for kind in ("datasets", "models"):
        assert "/*/" in project.read(f"artifacts/{kind}/.gitignore").splitlines()
    assert "artifacts/*/*.dvc merge=mlcode-record" in project.read(".gitattributes")
    driver = project.git("config", "merge.mlcode-record.driver").strip()
    assert driver == "mlcode merge-record %O %A %B"


@pytest.mark.parametrize(
    ("side", "action", "kept"),
    # x's spec: the record is right, but the work tree still holds y's build (applied
    # last, ignored files survive checkouts), so plan repairs it from the cache.
    [("--theirs", "reuse", "y"), ("--ours", "repair", "x")],
    ids=["spec-of-y", "spec-of-x"],
)
def test_branches_changing_the_same_model_merge_with_the_driver(project, side, action, kept):
    # Branches x and y both change model m's estimator and apply; merging y after x
    # conflicts only in the spec; the record merges whole (x's), and the next plan
    # matches the spec kept: y's build or x's comes back from the cache, nothing trains.
    project.gen({".gitattributes": "artifacts/*/*.dvc merge=mlcode-record\n"})
    _specs(project)
    project.apply()
    for name, depth in (("x", "2"), ("y", "4")):
        project.git("checkout", "-q", "-b", name, "main")
        project.replace("conf/estimator/tree.yaml", "max_depth: 3", f"max_depth: {depth}")
        project.commit(f"depth {depth}")
        project.apply()
    records = {}
    for name in ("x", "y"):
        records[name] = project.git("show", f"{name}:artifacts/models/m.dvc")
    project.git("checkout", "-q", "main")
    project.git("merge", "-q", "x")
    merged = _git(project, "merge", "--no-edit", "y")
    conflicts = project.git("diff", "--name-only", "--diff-filter=U").split()
    assert conflicts == ["conf/estimator/tree.yaml"], merged.stdout + merged.stderr
    project.git("checkout", side, "--", "conf/estimator/tree.yaml")
    project.git("add", "conf/estimator/tree.yaml")
    project.git("-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "--no-edit")
    plan = project.plan()
    assert project.actions(plan) == {"dataset.iris": "noop", "model.m": action}, plan
    done = project.apply()
    assert "built in" not in done.stdout, done.stdout
    fingerprint = yaml.safe_load(records[kept])["meta"]["mlcode"]["fingerprint"]
    assert project.record("model.m")["fingerprint"] == fingerprint
