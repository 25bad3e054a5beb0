"""A corrupt object in the local DVC cache is never served (issue 11, fault 3).

DVC serves a read-only cache file without hashing it. Every read of an artifact from
the cache (restore, repair, pull, load, verify, preview's champion scoring, push) checks
the bytes against the recorded hash first; a corrupt object is moved to
`.mlcode/quarantine/<md5>`, fetched again from the remote or rebuilt, and the user is
told in one line. The corruption shapes: bytes appended, truncated, another object's
bytes, a rewritten `.dir` listing, a directory or a symlink in the object's place.

One project (dataset.iris, model.m trained by the counting trainer) is applied once
with a DVC remote beside it (`../../remote`, relative, so copies stay apart); each test
works on a copy.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import mlcode
from mlcode.errors import CorruptCacheWarning, MlcodeError

if TYPE_CHECKING:
    from conftest import Project

pytestmark = pytest.mark.slow

MODEL = "artifacts/models/m/model.joblib"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _object(root: Path, md5: str) -> Path:
    return root / ".dvc/cache/files/md5" / md5[:2] / md5[2:]


def _writable(path: Path) -> Path:
    path.chmod(0o644)  # DVC protects cache files read-only
    return path


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, module_env: dict[str, str], project_class
) -> Path:
    """`repo/` (applied, registered model.m v1.0.0) and its DVC remote `remote/`."""
    top = tmp_path_factory.mktemp("corrupt-template")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in module_env.items():
            patch.setenv(key, value)
        root = top / "repo"
        root.mkdir()
        project = project_class(root)
        project.git("init", "-q", "-b", "main")
        from dvc.repo import Repo

        Repo.init(str(root)).close()
        project.gen_counted_model(
            {
                ".dvc/config": "[core]\n    remote = storage\n"
                "['remote \"storage\"']\n    url = ../../remote\n"
            }
        )
        project.commit("specs")
        project.apply()
    return top


@pytest.fixture
def proj(template: Path, tmp_path: Path, project_class) -> Project:
    shutil.copytree(template, tmp_path / "copy", symlinks=True)
    return project_class(tmp_path / "copy" / "repo")


def _model_md5(project: Project) -> str:
    return project.record("model.m")["artifact"]["files"]["model.joblib"]


def _append(project: Project) -> tuple[Path, bytes]:
    """The issue's case: a few bytes appended to model.joblib's cache object, and the
    work-tree copy deleted. Returns the object and its corrupt bytes."""
    obj = _writable(_object(project.root, _model_md5(project)))
    with obj.open("ab") as handle:
        handle.write(b"xyz")
    (project.root / MODEL).unlink()
    return obj, obj.read_bytes()


def _quarantined(project: Project, md5: str) -> Path:
    return project.root / ".mlcode/quarantine" / md5


def _no_changes(project: Project) -> None:
    done = project.run("plan", "--detailed-exitcode")
    assert done.returncode == 0, project.output(done)


def test_pull_quarantines_the_corrupt_object_and_fetches_it_again(proj):
    # The case: bytes appended to the cache object, work-tree copy deleted:
    # pull restores the good bytes from the remote, exit 0, and says where the corrupt
    # object went; the next plan is a no-op and nothing was trained.
    md5 = _model_md5(proj)
    obj, corrupt = _append(proj)
    done = proj.run("pull")
    assert done.returncode == 0, proj.output(done)
    assert "model.m: pulled" in done.stdout
    note = next(line for line in done.stdout.splitlines() if "corrupt DVC cache object" in line)
    assert note.startswith("Note:")
    assert f"corrupt DVC cache object {md5}" in note
    assert f"moved to .mlcode/quarantine/{md5}" in note
    assert "fetched again from the remote storage" in note
    assert _md5(proj.root / MODEL) == md5
    assert _md5(obj) == md5
    assert _quarantined(proj, md5).read_bytes() == corrupt  # moved aside, not deleted
    _no_changes(proj)
    assert proj.trainer_calls() == 1


def test_apply_repairs_with_the_good_bytes_from_the_remote(proj):
    # apply plans repair; it restores the remote's good copy (no training), says what
    # it quarantined, and the next plan is a no-op (not the same repair again).
    md5 = _model_md5(proj)
    _append(proj)
    assert proj.actions(proj.plan())["model.m"] == "repair"
    done = proj.apply()
    assert "model.m: repaired" in done.stdout
    assert f"moved to .mlcode/quarantine/{md5}; fetched again from the remote" in done.stdout
    assert _md5(proj.root / MODEL) == md5
    assert proj.trainer_calls() == 1
    _no_changes(proj)


def test_apply_without_a_remote_rebuilds_and_says_so(project):
    # No remote at all: the corrupt object is quarantined, the repair falls back to a
    # build, the new cache object is intact, and the note says it was rebuilt. Doctor
    # named a fix that works here before, and finds the cache intact after.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    md5 = _model_md5(project)
    _append(project)
    doctor = json.loads(project.run("doctor", "--json").stdout)
    cache = next(c for c in doctor if c["name"] == "cache")
    assert cache["status"] == "error" and md5 in cache["message"]
    assert "mlcode apply --replace model.m" in cache["fix"]
    done = project.apply()
    assert "model.m: built" in done.stdout
    assert f"moved to .mlcode/quarantine/{md5}; rebuilt" in done.stdout
    assert project.trainer_calls() == 2
    assert _md5(project.root / MODEL) == md5 == _md5(_object(project.root, md5))
    _no_changes(project)
    doctor = json.loads(project.run("doctor", "--json").stdout)
    assert next(c for c in doctor if c["name"] == "cache")["status"] == "ok"


def _other_model_bytes(tmp_path: Path) -> bytes:
    """A valid joblib file of another model (max_depth=1): corrupt bytes that load."""
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    path = tmp_path / "other.joblib"
    joblib.dump(DecisionTreeClassifier(max_depth=1).fit([[0], [1]], [0, 1]), path)
    return path.read_bytes()


def test_load_fetches_the_good_model_again(proj, tmp_path):
    # The cache object holds another model's bytes and the work tree has no copy:
    # load warns that it quarantined the object and returns the recorded model, never
    # the one the corrupt bytes hold.
    md5 = _model_md5(proj)
    _writable(_object(proj.root, md5)).write_bytes(_other_model_bytes(tmp_path))
    shutil.rmtree(proj.root / "artifacts/models/m")
    with pytest.warns(CorruptCacheWarning, match=f"moved to .mlcode/quarantine/{md5}"):
        model = mlcode.load("model.m", start=proj.root)
    assert model.max_depth == 3
    assert _md5(_object(proj.root, md5)) == md5


def test_load_refuses_when_no_remote_has_a_good_copy(proj, tmp_path):
    # The remote's copy is corrupt too: load raises a clear error with a hint, never a
    # model; the cache's bad copy is kept in the quarantine, the remote's never lands.
    md5 = _model_md5(proj)
    other = _other_model_bytes(tmp_path)
    _writable(_object(proj.root, md5)).write_bytes(other)
    _writable(proj.root.parent / "remote/files/md5" / md5[:2] / md5[2:]).write_bytes(b"junk")
    shutil.rmtree(proj.root / "artifacts/models/m")
    with pytest.raises(MlcodeError, match=r"no intact copy of the model of model\.m") as caught:
        mlcode.load("model.m", start=proj.root)
    assert f"moved to .mlcode/quarantine/{md5}" in caught.value.message
    assert "the remote storage has no intact copy either" in caught.value.message
    assert "mlcode apply --replace model.m" in caught.value.hint
    assert _quarantined(proj, md5).read_bytes() == other
    obj = _object(proj.root, md5)
    assert not obj.exists() or _md5(obj) == md5


def test_doctor_reports_a_corrupt_object_and_its_fix_works(proj):
    # The work-tree copy is intact but its cache object is corrupt (plan sees nothing):
    # doctor names the object and says to pull; pull stores the intact copy again.
    md5 = _model_md5(proj)
    obj = _writable(_object(proj.root, md5))
    obj.write_bytes(obj.read_bytes()[:100])
    assert proj.actions(proj.plan())["model.m"] == "noop"
    doctor = json.loads(proj.run("doctor", "--json").stdout)
    cache = next(c for c in doctor if c["name"] == "cache")
    assert cache["status"] == "error"
    assert f"model.m model.joblib {md5}" in cache["message"]
    assert "mlcode pull model.m" in cache["fix"]
    done = proj.run("pull", "model.m")
    assert done.returncode == 0, proj.output(done)
    assert "stored again from the intact work-tree copy" in done.stdout
    assert _md5(obj) == md5
    doctor = json.loads(proj.run("doctor", "--json").stdout)
    assert next(c for c in doctor if c["name"] == "cache")["status"] == "ok"


def _truncate(project: Project) -> str:
    obj = _writable(_object(project.root, _model_md5(project)))
    obj.write_bytes(obj.read_bytes()[:64])
    return _model_md5(project)


def _swap(project: Project) -> str:
    files = project.record("model.m")["artifact"]["files"]
    other = _object(project.root, files["metrics.json"]).read_bytes()
    _writable(_object(project.root, files["model.joblib"])).write_bytes(other)
    return files["model.joblib"]


def _listing(project: Project) -> str:
    # A valid listing, wrong: model.joblib points at metrics.json's object.
    artifact = project.record("model.m")["artifact"]
    entries = [
        {"md5": artifact["files"]["metrics.json"], "relpath": name}
        for name in ("metrics.json", "model.joblib")
    ]
    _writable(_object(project.root, artifact["md5"])).write_text(json.dumps(entries))
    return artifact["md5"]


def _directory(project: Project) -> str:
    obj = _object(project.root, _model_md5(project))
    obj.unlink()
    obj.mkdir()
    (obj / "x").write_text("x")
    return _model_md5(project)


def _symlink(project: Project) -> str:
    obj = _object(project.root, _model_md5(project))
    target = project.root.parent / "elsewhere"
    target.write_bytes(obj.read_bytes() + b"!")
    obj.unlink()
    obj.symlink_to(target)
    return _model_md5(project)


@pytest.mark.parametrize(
    "corrupt", [_truncate, _swap, _listing, _directory, _symlink], ids=lambda f: f.__name__[1:]
)
def test_every_corruption_shape_is_quarantined_and_fetched_again(proj, corrupt):
    # Each shape of corrupt object, with the model's work-tree copy gone: pull moves
    # it aside (naming it), restores the recorded bytes from the remote, plan no-op.
    md5 = corrupt(proj)
    shutil.rmtree(proj.root / "artifacts/models/m")
    done = proj.run("pull")
    assert done.returncode == 0, proj.output(done)
    assert f"corrupt DVC cache object {md5}" in done.stdout
    assert f"moved to .mlcode/quarantine/{md5}" in done.stdout
    assert (proj.root / ".mlcode/quarantine" / md5).exists()
    for rel, want in proj.record("model.m")["artifact"]["files"].items():
        assert _md5(proj.root / "artifacts/models/m" / rel) == want
    _no_changes(proj)
    assert proj.trainer_calls() == 1


def test_push_never_uploads_a_corrupt_object(proj):
    # The remote lost the model's object and the cache copy is corrupt: push refuses
    # (the remote never gets the bad bytes); pull stores the intact work-tree copy in
    # the cache again, and then push uploads the good bytes.
    md5 = _model_md5(proj)
    remote_obj = proj.root.parent / "remote/files/md5" / md5[:2] / md5[2:]
    remote_obj.unlink()
    obj = _writable(_object(proj.root, md5))
    obj.write_bytes(obj.read_bytes() + b"!")
    done = proj.run("push")
    assert done.returncode == 1, proj.output(done)
    assert f"corrupt DVC cache object {md5}" in done.stderr
    assert not remote_obj.exists()
    assert proj.run("pull").returncode == 0
    done = proj.run("push")
    assert done.returncode == 0, proj.output(done)
    assert _md5(remote_obj) == md5


def test_verify_materialises_upstream_from_checked_objects(proj):
    # verify copies the upstream dataset from the cache: a corrupt object of it is
    # quarantined and fetched again, the model reproduces, and a note says so.
    train = proj.record("dataset.iris")["artifact"]["files"]["train.parquet"]
    obj = _writable(_object(proj.root, train))
    obj.write_bytes(obj.read_bytes() + b"!")
    done = proj.run("verify", "model.m")
    assert done.returncode == 0, proj.output(done)
    assert "reproduces" in done.stdout
    assert f"train.parquet of dataset.iris: corrupt DVC cache object {train}" in done.stdout
    assert _md5(obj) == train


def test_verify_reads_the_code_bundle_from_checked_objects(proj):
    # The code bundle's listing object is corrupt: verify quarantines it, fetches the
    # bundle again from the remote, and the model still reproduces from it.
    bundle = proj.record("model.m")["bundle"]
    obj = _writable(_object(proj.root, bundle))
    obj.write_bytes(obj.read_bytes() + b" ")
    done = proj.run("verify", "model.m")
    assert done.returncode == 0, proj.output(done)
    assert "reproduces" in done.stdout
    assert f"code bundle (listing): corrupt DVC cache object {bundle}" in done.stdout
    assert "fetched again from the remote storage" in done.stdout
    assert _md5(obj) == bundle.removesuffix(".dir")


def test_preview_scores_the_champion_from_checked_bytes(proj):
    # The champion's model object is corrupt when the preview re-scores it on the
    # candidate's new test split: it is quarantined and fetched again, the champion is
    # scored (not "unavailable"), and the note is on stderr.
    proj.replace(
        "conf/models/m.yaml",
        "metrics: [accuracy]\n",
        "metrics: [accuracy]\ngates: {accuracy: '>= champion'}\nstage: production\n",
    )
    proj.commit("gated, production")
    proj.apply()
    md5 = _model_md5(proj)
    obj = _writable(_object(proj.root, md5))
    obj.write_bytes(obj.read_bytes() + b"!")
    proj.replace("conf/datasets/iris.yaml", "test_size: 0.25", "test_size: 0.4")
    proj.commit("another split")
    done = proj.run("apply", "--preview", "--format", "json")
    assert done.returncode == 0, proj.output(done)
    note = f"Note: model.joblib of the champion model.m: corrupt DVC cache object {md5}"
    assert note in done.stderr
    assert "fetched again from the remote storage" in done.stderr
    change = next(c for c in json.loads(done.stdout)["changes"] if c["address"] == "model.m")
    gate = change["promotion"]["gates"][0]
    assert gate["ok"] is not None, gate
    assert _md5(obj) == md5
