"""Refresh lists an artifact folder as os.walk would, in one scandir per folder."""

from __future__ import annotations

import os
from pathlib import Path

from mlcode.refresh import _files_under


def _walked(folder: Path) -> list[str]:
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            out.append(Path(dirpath, name).relative_to(folder).as_posix())
    return sorted(out)


def test_same_files_as_os_walk(tmp_path):
    # Nested folders, links to files (listed), to folders (not followed) and dangling.
    art = tmp_path / "art"
    (art / "sub" / "deeper").mkdir(parents=True)
    (art / "model.joblib").write_bytes(b"m")
    (art / "sub" / "metrics.json").write_text("{}")
    (art / "sub" / "deeper" / "x.bin").write_bytes(b"x")
    (art / "empty").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "hidden.txt").write_text("no")
    (art / "to_folder").symlink_to(tmp_path / "outside", target_is_directory=True)
    (art / "to_file").symlink_to(art / "model.joblib")
    (art / "dangling").symlink_to(tmp_path / "missing")
    assert _files_under(art) == _walked(art)
    assert _files_under(art) == [
        "dangling",
        "model.joblib",
        "sub/deeper/x.bin",
        "sub/metrics.json",
        "to_file",
    ]


def test_not_a_folder(tmp_path):
    # A missing path or a file is no folder (None); an empty folder has no files.
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    assert _files_under(tmp_path / "missing") is None
    assert _files_under(tmp_path / "file") is None
    assert _files_under(tmp_path / "empty") == []
