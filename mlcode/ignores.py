"""The ignore rule of the artifact folders (edge: writes `artifacts/<kind>s/.gitignore`).

One static rule per kind folder, `/*/`, ignores every artifact directory there while the
`NAME.dvc` records (files) stay tracked. The file's text never depends on which
resources exist, so branches that add or retire different resources never conflict in
it, and a work-tree copy another branch built (after `git checkout`) is never staged by
`git add -A`. Git and DVC (dulwich) both read `/*/` here as intended; a rule placed in
`artifacts/.gitignore` (`/*/*/`) is misread by DVC as ignoring the kind folders
themselves, which hides every `.dvc` file from `dvc status`.

Older projects listed `/NAME` per artifact (as `dvc add` does); those lines (and the
conflict markers two such lists left) are dropped when the rule is written, so the file
converges on the same text on every branch.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlcode.address import Kind
from mlcode.fsutil import atomic_write

RULE = "/*/"
HEADER = "# mlcode: every artifact directory here is ignored; its NAME.dvc record is committed"
_MARKERS = ("<<<<<<< ", "||||||| ", "=======", ">>>>>>> ")
_PER_NAME = re.compile(r"^/[^/*?\[\]!#\s]+$")  # `/NAME`, as `dvc add` writes it


def ignore_artifacts(folder: Path) -> bool:
    """Make `folder/.gitignore` hold the static rule (and no per-name entry of an
    artifact directory); True when the file was written, False when it already held it.
    A user's own lines stay, after the rule."""
    ignore = folder / ".gitignore"
    try:
        lines = ignore.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    kept = [
        line for line in lines if line not in (HEADER, RULE) and not _covered(folder, line.strip())
    ]
    text = "\n".join([HEADER, RULE, *kept]) + "\n"
    if lines and "\n".join(lines) + "\n" == text:
        return False
    atomic_write(ignore, text)
    return True


def _covered(folder: Path, line: str) -> bool:
    """A `/NAME` line the rule covers (NAME is not a file: a directory, or absent), or a
    conflict marker of two branches' per-name lists (both sides' names are covered)."""
    if line.startswith(_MARKERS):
        return True
    return bool(_PER_NAME.match(line)) and not (folder / line[1:]).is_file()


def ignore_all(root: Path) -> list[str]:
    """The rule in every kind folder under `artifacts/`; the files written, relative."""
    written = []
    for kind in Kind:
        folder = root / "artifacts" / kind.plural
        if ignore_artifacts(folder):
            written.append(f"artifacts/{kind.plural}/.gitignore")
    return written
