"""Remotes end to end: apply pushes, a fresh clone pulls, lost or corrupt artifacts heal.

The remote is a real DVC local-directory remote named by `remote:` in the settings;
training runs are counted through the trainer's call log.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path


def _setup(project, remote: Path) -> None:
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
    project.commit("specs")


def _objects(folder: Path) -> set[str]:
    """md5 names of the objects stored under a DVC cache or remote directory."""
    base = folder / "files" / "md5"
    return {p.parent.name + p.name for p in base.rglob("*") if p.is_file()}


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_apply_pushes_and_a_fresh_clone_pulls(project, tmp_path):
    # Apply uploads every new artifact; a fresh clone plans a no-op that says to pull,
    # and after `mlcode pull` every artifact is present, matches its record, and the
    # plan stays a no-op.
    remote = tmp_path / "remote"
    _setup(project, remote)
    done = project.apply()
    assert "new objects to mlcode" in done.stdout
    record = project.record("model.m")
    wanted = {record["artifact"]["md5"].removesuffix(".dir"), *record["artifact"]["files"].values()}
    assert wanted <= {o.removesuffix(".dir") for o in _objects(remote)}

    clone = project.clone(tmp_path / "clone")
    plan = clone.plan()
    assert set(clone.actions(plan).values()) == {"noop"}
    assert plan["notes"][0] == "2 artifacts not present locally: run mlcode pull"
    # The remote is a directory here: fine for this clone, and the note says so.
    assert "is a directory on this machine" in plan["notes"][1]
    pulled = clone.run("pull")
    assert pulled.returncode == 0, clone.output(pulled)
    assert "Pulled 2 artifacts" in pulled.stdout
    for rel, md5 in record["artifact"]["files"].items():
        assert _md5(clone.root / "artifacts/models/m" / rel) == md5
    again = clone.run("plan", "--detailed-exitcode")
    assert again.returncode == 0 and "Note" not in again.stdout, clone.output(again)
    assert clone.trainer_calls() == 0


def test_artifact_lost_everywhere_is_rebuilt_with_its_recorded_hash(project, tmp_path):
    # The remote lost the model's objects and there is no local copy or cache: plan
    # --refresh remote says repair; apply rebuilds it byte-identically and pushes it.
    remote = tmp_path / "remote"
    _setup(project, remote)
    project.apply()
    record = project.record("model.m")
    for md5 in [record["artifact"]["md5"], *record["artifact"]["files"].values()]:
        (remote / "files/md5" / md5[:2] / md5[2:]).unlink()
        (project.root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).unlink(missing_ok=True)
    shutil.rmtree(project.root / "artifacts/models/m")

    assert project.actions(project.plan())["model.m"] == "noop"  # no network without the flag
    plan = project.plan("--refresh", "remote")
    assert project.actions(plan) == {"dataset.iris": "noop", "model.m": "repair"}
    assert any("remote lacks" in r for r in project.reasons(plan, "model.m"))
    project.apply("--refresh", "remote")
    assert project.trainer_calls() == 2
    assert project.record("model.m")["artifact"] == record["artifact"]
    after = project.run("plan", "--refresh", "remote", "--detailed-exitcode")
    assert after.returncode == 0, project.output(after)


def test_remote_loss_with_a_good_local_copy_pushes_it_again(project, tmp_path):
    # Only the remote lost it: repair pushes the local copy again, training nothing.
    remote = tmp_path / "remote"
    _setup(project, remote)
    project.apply()
    shutil.rmtree(remote)
    plan = project.plan("--refresh", "remote")
    assert project.actions(plan) == {"dataset.iris": "repair", "model.m": "repair"}
    project.apply("--refresh", "remote")
    assert project.trainer_calls() == 1
    assert project.run("plan", "--refresh", "remote", "--detailed-exitcode").returncode == 0


def test_corrupt_local_copy_is_restored_without_training(project, tmp_path):
    # A corrupted local artifact plans repair and comes back from the cache, or from the
    # remote when the cache lost it too; the trainer never runs.
    remote = tmp_path / "remote"
    _setup(project, remote)
    project.apply()
    model = project.root / "artifacts/models/m/model.joblib"
    good = _md5(model)
    for lose_cache in (False, True):
        model.write_bytes(b"tampered")
        if lose_cache:
            shutil.rmtree(project.root / ".dvc/cache")
        plan = project.plan()
        assert project.actions(plan)["model.m"] == "repair"
        assert project.reasons(plan, "model.m") == ["local copy corrupt"]
        project.apply()
        assert _md5(model) == good
        assert project.trainer_calls() == 1


def test_pull_refuses_an_object_replaced_on_the_remote(project, tmp_path):
    # The remote mlcode configures verifies what it downloads: an object whose content
    # was replaced is refused, and pull exits 1 naming the artifact.
    remote = tmp_path / "remote"
    _setup(project, remote)
    project.apply()
    md5 = project.record("model.m")["artifact"]["files"]["model.joblib"]
    target = remote / "files/md5" / md5[:2] / md5[2:]
    target.chmod(0o644)
    target.write_bytes(b"not the model")
    clone = project.clone(tmp_path / "clone")
    done = clone.run("pull")
    assert done.returncode == 1, clone.output(done)
    assert "model.m: failed" in done.stderr
    assert not (clone.root / "artifacts/models/m/model.joblib").exists()
    config = (clone.root / ".dvc/config.local").read_text()
    assert "verify = True" in config


def test_no_remote_is_a_note_not_an_error(project):
    # Without any remote configured, apply keeps artifacts local and says so.
    project.gen({"conf/datasets/iris.yaml": project.IRIS})
    done = project.apply()
    assert "no DVC remote configured" in done.stdout
    assert json.loads(project.run("plan", "--json").stdout)["notes"] == []


def test_gc_keeps_registered_versions_and_frees_the_rest(project, tmp_path):
    # gc --remote frees what only a deleted branch referred to, keeps every registered
    # version (each still loads from the remote alone), and says how many bytes it freed.
    import mlcode

    remote = tmp_path / "remote"
    _setup(project, remote)
    project.gen({"conf/models/m.yaml": project.read("conf/models/m.yaml") + "stage: production\n"})
    project.commit("stage")
    project.apply()  # v1.0.0
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 2")
    project.commit("depth 2")
    project.apply()  # v1.1.0
    project.git("checkout", "-q", "-b", "experiment")
    project.replace("conf/estimator/tree.yaml", "max_depth: 2", "max_depth: 5")
    project.commit("depth 5")
    project.apply()  # built and pushed, never registered
    garbage = project.record("model.m")["artifact"]["files"]["model.joblib"]
    project.git("checkout", "-q", "main")
    project.git("branch", "-q", "-D", "experiment")
    project.apply()  # back to depth 2: restored, nothing built
    assert project.trainer_calls() == 3

    dry = project.run("gc", "--remote", "--dry-run", "--json")
    assert dry.returncode == 0, project.output(dry)
    assert json.loads(dry.stdout)["remote"]["removed"] > 0
    assert garbage in _objects(remote)
    done = project.run("gc", "--remote", "--yes")
    assert done.returncode == 0, project.output(done)
    assert "remote: freed" in done.stdout and "remote: freed 0 bytes" not in done.stdout
    assert garbage not in _objects(remote) | _objects(project.root / ".dvc/cache")

    shutil.rmtree(project.root / ".dvc/cache")
    shutil.rmtree(project.root / "artifacts/models/m")
    for version in ("v1.0.0", "v1.1.0"):
        assert mlcode.load(f"model.m@{version}", start=project.root).max_depth in (2, 3)
    assert project.run("pull").returncode == 0
    assert project.run("plan", "--detailed-exitcode").returncode == 0


def test_noop_plan_imports_no_dvc_and_asks_no_remote(project, tmp_path):
    # With a remote configured, a no-op plan still imports neither DVC nor a storage
    # client nor scikit-learn, and does not notice that the remote vanished.
    import subprocess
    import sys

    remote = tmp_path / "remote"
    _setup(project, remote)
    project.apply()
    shutil.rmtree(remote)
    probe = (
        "import sys\n"
        "from mlcode.cli.main import run\n"
        "code = run(['plan', '--detailed-exitcode'])\n"
        "heavy = ('dvc', 'dvc_data', 'dvc_s3', 's3fs', 'botocore', 'sklearn', 'git', 'hydra')\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=project.root, capture_output=True, text=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr


def test_restore_refuses_a_listing_that_leaves_its_folder(project, tmp_path):
    # A `.dir` object in the DVC cache whose entry is `../../escape.txt`: restoring the
    # record that names it fails, and nothing is written outside the artifact folder.
    from mlcode.storage.dvc import DvcStore

    cache = project.root / ".dvc" / "cache" / "files" / "md5"
    payload = b"payload"
    listing = json.dumps([{"md5": hashlib.md5(payload).hexdigest(), "relpath": "../../x.txt"}])
    for name, data in (
        (hashlib.md5(payload).hexdigest(), payload),
        (hashlib.md5(listing.encode()).hexdigest() + ".dir", listing.encode()),
    ):
        (cache / name[:2]).mkdir(parents=True, exist_ok=True)
        (cache / name[:2] / name[2:]).write_bytes(data)
    project.gen({"artifacts/models/evil.dvc": f"outs:\n- md5: {name}\n  path: evil\n"})

    store = DvcStore(project.root)
    try:
        failed = store.restore(["artifacts/models/evil.dvc"])
    finally:
        store.close()
    assert failed == ["artifacts/models/evil.dvc"]
    assert list(tmp_path.rglob("x.txt")) == []
    assert not (project.root / "artifacts/models/evil").exists()
