"""Staging a code bundle: exactly the bytes the plan hashed, or a clear refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcode.bundle import BUNDLE_FILE, BundleError, read_bundle, stage_bundle
from mlcode.fsutil import file_md5


def test_bundle_holds_the_files_and_the_spec(tmp_path: Path):
    # The listed files land at their repo paths beside the spec; missing (None) skipped.
    root = tmp_path / "repo"
    (root / "pipelines").mkdir(parents=True)
    (root / "pipelines/train.py").write_text("def fit(): ...\n")
    files = {"pipelines/train.py": file_md5(root / "pipelines/train.py"), "gone.py": None}
    stage_bundle(root, tmp_path / "b", "model.m", {"dataset": "d"}, files)
    assert (tmp_path / "b/pipelines/train.py").read_text() == "def fit(): ...\n"
    assert not (tmp_path / "b/gone.py").exists()
    assert read_bundle(tmp_path / "b")["spec"] == {"dataset": "d"}


def test_file_changed_since_the_plan_is_refused(tmp_path: Path):
    # A code file edited after the plan hashed it: staging refuses, naming the file.
    (tmp_path / "f.py").write_text("new\n")
    with pytest.raises(BundleError, match=r"f\.py changed since the plan"):
        stage_bundle(tmp_path, tmp_path / "b", "model.m", {}, {"f.py": "0" * 32})


def test_bundle_of_another_format_is_refused(tmp_path: Path):
    # A bundle written by a future mlcode is not misread.
    (tmp_path / BUNDLE_FILE).write_text(json.dumps({"format": 99}))
    with pytest.raises(BundleError, match="another format"):
        read_bundle(tmp_path)
