"""The repository's own bundled example (conf/ and pipelines/) reproduces: every
resource verifies in any caller environment, and --jobs never changes an artifact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bundled_example_verifies_and_jobs_change_no_artifact(project):
    # README's first command on a copy of the example (--jobs 2), then `mlcode verify`
    # of every record with the environment as is and with OMP_NUM_THREADS=7; a forced
    # rebuild of everything with --jobs 1 records the same artifact hashes.
    for folder in ("conf", "pipelines"):
        shutil.copytree(REPO / folder, project.root / folder)
    project.commit("the bundled example")
    project.apply("--jobs", "2")
    records = sorted(
        p.relative_to(project.root).as_posix() for p in project.root.glob("artifacts/*/*.dvc")
    )
    assert len(records) == 5
    hashes = {
        r: project.record(r.replace("artifacts/", "").replace("s/", ".", 1)[:-4])["artifact"]["md5"]
        for r in records
    }
    for env in ({}, {"OMP_NUM_THREADS": "7"}):
        done = project.run("verify", "--json", env=env, timeout=600)
        assert done.returncode == 0, project.output(done)
        reports = json.loads(done.stdout)
        assert len(reports) == 5 and all(r["ok"] for r in reports), reports
    addresses = [r.replace("artifacts/", "").replace("s/", ".", 1)[:-4] for r in records]
    replace = [arg for a in addresses for arg in ("--replace", a)]
    done = project.apply("--jobs", "1", "--no-commit", *replace)
    assert done.stdout.count("rebuilt byte-identical to the record") == 5, done.stdout
    again = {
        r: project.record(a)["artifact"]["md5"] for r, a in zip(records, addresses, strict=True)
    }
    assert again == hashes
