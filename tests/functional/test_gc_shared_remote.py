"""`mlcode gc --remote` on a remote shared by several projects deletes only what this
repository recorded and no longer needs: another project's objects, even ones with the
same content, and objects no mlcode project recorded stay; it lists and asks first."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest


def _objects(remote: Path) -> set[str]:
    base = remote / "files" / "md5"
    return {p.parent.name + p.name for p in base.rglob("*") if p.is_file()}


@pytest.fixture
def shared(project_factory, tmp_path):
    """Projects A and B on one remote; A built max_depth 5 on a deleted branch, and B
    uses max_depth 5 on its main (the same model bytes, content-addressed)."""
    remote = tmp_path / "remote"
    a, b = project_factory("a"), project_factory("b")
    for project in (a, b):
        project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
        project.commit(f"specs of {project.root.name}")
    a.apply()
    a.git("checkout", "-q", "-b", "experiment")
    a.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 5")
    a.commit("deeper")
    a.apply()
    experiment = a.record("model.m")["artifact"]
    a.git("checkout", "-q", "main")
    a.git("branch", "-q", "-D", "experiment")
    b.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 5")
    b.replace(
        "conf/models/m.yaml", "metrics: [accuracy]\n", "metrics: [accuracy]\ndescription: B\n"
    )
    b.commit("b is deeper")  # its bundle differs (the spec text), its model does not
    b.apply()
    assert b.record("model.m")["artifact"] == experiment  # same bytes, same objects
    # an object no mlcode project recorded (a plain `dvc push` of someone's file)
    stray = b"someone else's data\n"
    md5 = hashlib.md5(stray).hexdigest()
    (remote / "files/md5" / md5[:2]).mkdir(parents=True, exist_ok=True)
    (remote / "files/md5" / md5[:2] / md5[2:]).write_bytes(stray)
    return a, b, remote, md5


def test_gc_keeps_another_projects_objects_and_strays(shared, tmp_path):
    # A's gc --remote --yes: B's model (the same content as A's deleted experiment) and
    # the stray object stay; a fresh clone of B pulls everything; A still verifies.
    a, b, remote, stray = shared
    before = _objects(remote)
    done = a.run("gc", "--remote", "--yes")
    assert done.returncode == 0, a.output(done)
    assert "foreign objects kept" in done.stdout
    after = _objects(remote)
    assert stray in after
    clone = b.clone(tmp_path / "b-clone")
    shutil.copy(b.root / ".dvc/config.local", clone.root / ".dvc/config.local")
    pulled = clone.run("pull")
    assert pulled.returncode == 0, clone.output(pulled)
    assert clone.run("plan", "--detailed-exitcode").returncode == 0
    assert after <= before


def test_gc_frees_what_only_this_project_recorded(shared):
    # An object only A recorded (its experiment's code bundle) is freed; A's current
    # build and its bundle stay.
    a, _b, remote, _stray = shared
    dry = a.run("gc", "--remote", "--dry-run", "--json")
    assert dry.returncode == 0, a.output(dry)
    victims = json.loads(dry.stdout)["remote"]["victims"]
    assert victims, "the experiment's own bundle should be collectable"
    current = a.record("model.m")
    assert current["artifact"]["md5"] not in victims and current["bundle"] not in victims
    assert a.run("gc", "--remote", "--yes").returncode == 0
    assert not set(victims) & _objects(remote)


def test_gc_lists_and_asks_before_deleting_on_the_remote(shared):
    # Without a terminal and without --yes, gc lists what it would delete and refuses:
    # nothing is deleted.
    a, _b, remote, _stray = shared
    before = _objects(remote)
    done = a.run("gc", "--remote")
    assert done.returncode == 1, a.output(done)
    assert "will delete" in done.stdout and "pass --yes" in done.stderr
    assert _objects(remote) == before
