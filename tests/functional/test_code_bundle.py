"""Code bundles: every build stores the in-repo files its fingerprint covers in the DVC
cache (pushed with the artifact), so `mlcode verify` rebuilds it without its commit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

CHANGED_TRAINER = "calls.write('v2\\\\n'); calls.write"


def _verify(project, *addresses: str, env=None) -> list[dict]:
    done = project.run("verify", *addresses, "--json", env=env)
    assert done.returncode == 0, project.output(done)
    return json.loads(done.stdout)


def test_build_on_an_uncommitted_tree_verifies_from_its_bundle(project):
    # The README's quick start shape: nothing committed, apply, verify: the records name
    # no commit, yet both resources reproduce from their code bundles.
    project.gen_counted_model()
    project.apply("--no-commit")
    record = project.record("model.m")
    assert record["built_from"] is None and record["bundle"].endswith(".dir")
    reports = _verify(project)
    assert [(r["address"], r["ok"]) for r in reports] == [
        ("dataset.iris", True),
        ("model.m", True),
    ]
    assert reports[1]["bundle"] == record["bundle"]


def test_build_whose_commit_is_gone_after_a_squash_merge_verifies(project):
    # A branch changes the trainer and applies there; the PR is squash-merged, the
    # branch deleted and its commits pruned: verify still rebuilds from the bundle.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    project.git("checkout", "-q", "-b", "feature")
    project.replace("pipelines/train.py", "calls.write", CHANGED_TRAINER)
    project.commit("trainer v2")
    project.apply()
    built_from = project.record("model.m")["built_from"]
    project.git("checkout", "-q", "main")
    project.git("merge", "--squash", "feature")
    project.commit("squashed PR")
    project.git("branch", "-D", "feature")
    project.git("reflog", "expire", "--expire=now", "--all")
    project.git("gc", "-q", "--prune=now")
    gone = subprocess.run(["git", "cat-file", "-e", built_from], cwd=project.root, check=False)
    assert gone.returncode != 0  # the build's commit no longer exists
    (report,) = _verify(project, "model.m")
    assert report["ok"], report
    assert report["built_from"] == built_from


def test_bundle_is_pushed_and_a_fresh_clone_verifies(project, tmp_path: Path):
    # apply pushes the bundle with the artifact; a fresh clone (empty cache) fetches
    # both from the remote and verifies; the bundle holds the code and the spec only.
    remote = tmp_path / "remote"
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
    project.commit("specs")
    project.apply()
    bundle = project.record("model.m")["bundle"]
    assert (remote / "files/md5" / bundle[:2] / bundle[2:]).is_file()
    listing = json.loads((remote / "files/md5" / bundle[:2] / bundle[2:]).read_text())
    assert sorted(e["relpath"] for e in listing) == [
        ".mlcode-build.json",
        "pipelines/__init__.py",
        "pipelines/train.py",
    ]
    clone = project.clone(tmp_path / "clone")
    shutil.copy(project.root / ".dvc/config.local", clone.root / ".dvc/config.local")
    reports = _verify(clone)
    assert all(r["ok"] for r in reports), reports


def test_gc_keeps_bundles_of_recorded_builds(project):
    # mlcode gc never drops a code bundle a record names: verify works after it.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    done = project.run("gc")
    assert done.returncode == 0, project.output(done)
    (report,) = _verify(project, "model.m")
    assert report["ok"], report


def test_source_file_travels_in_the_bundle(project):
    # A dataset read from a repo CSV, later deleted from the repository: verify rebuilds
    # the dataset from the copy of the CSV in its bundle.
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{i % 2}" for i in range(60))
    project.gen(
        {
            "data/raw.csv": "a,b,label\n" + rows + "\n",
            "conf/datasets/raw.yaml": (
                "source: data/raw.csv\ntarget: label\nsplit: {test_size: 0.25, seed: 0}\n"
            ),
        }
    )
    project.commit("csv dataset")
    project.apply()
    (project.root / "data/raw.csv").unlink()
    project.commit("csv moved elsewhere")
    (report,) = _verify(project, "dataset.raw")
    assert report["ok"], report
