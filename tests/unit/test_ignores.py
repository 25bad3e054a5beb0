"""The static ignore rule of the artifact folders (`mlcode.ignores`), table-driven."""

from __future__ import annotations

import pytest

from mlcode.ignores import HEADER, RULE, ignore_artifacts

STATIC = [HEADER, RULE]


@pytest.mark.parametrize(
    ("before", "files", "after"),
    [
        pytest.param(None, [], STATIC, id="new-folder"),
        pytest.param("/iris\n/wine\n", [], STATIC, id="per-name-lines-dropped"),
        pytest.param("/iris\n*.tmp\n", [], [*STATIC, "*.tmp"], id="user-line-kept"),
        pytest.param(
            "<<<<<<< HEAD\n/a\n=======\n/b\n>>>>>>> b\n", [], STATIC, id="old-conflict-resolved"
        ),
        pytest.param("/data.csv\n", ["data.csv"], [*STATIC, "/data.csv"], id="file-entry-kept"),
    ],
)
def test_ignore_file_converges_on_the_static_rule(tmp_path, before, files, after):
    # Whatever per-name list (or conflict of two) a kind folder held, it ends up holding
    # the static rule and the user's own lines only.
    if before is not None:
        (tmp_path / ".gitignore").write_text(before)
    for name in files:
        (tmp_path / name).write_text("x")
    assert ignore_artifacts(tmp_path) is True
    assert (tmp_path / ".gitignore").read_text().splitlines() == after


def test_static_rule_is_never_rewritten(tmp_path):
    # Once written, the file is left alone: its text never depends on the resources.
    ignore_artifacts(tmp_path)
    stat = (tmp_path / ".gitignore").stat()
    assert ignore_artifacts(tmp_path) is False
    assert (tmp_path / ".gitignore").stat().st_mtime_ns == stat.st_mtime_ns
