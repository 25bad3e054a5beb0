"""The Git merge driver for state records (edge: reads and writes the files Git names).

Two branches that rebuilt the same resource both change its record. A text merge of
the two would interleave fingerprints, artifact hashes and metrics of different builds:
a record no build ever produced. The driver keeps one side's record whole instead, as
it is a true record of a build that exists in the DVC cache: when the merged spec is
not exactly that side's, its fingerprint differs, so the next `mlcode plan` shows the
`reuse` (a side's build) or `rebuild` the merged spec needs.

    ours changed, theirs not      -> ours        (Git does this itself)
    theirs changed, ours not      -> theirs
    both changed                  -> ours (a whole record; plan re-derives the rest)
    ours unreadable, theirs fine  -> theirs
    neither a record              -> conflict (Git's markers, as without the driver)

Git knows it as `mlcode.vcs.MERGE_DRIVER`, set up by `mlcode.vcs.register_merge_driver`.
"""

from __future__ import annotations

from pathlib import Path

from mlcode.fsutil import atomic_write
from mlcode.state.records import RecordProblem, parse_record_text


def merge_record(base: Path, ours: Path, theirs: Path) -> bool:
    """Leave the merged record in `ours` (Git's %A); False when it stays a conflict."""
    texts = [_read(p) for p in (base, ours, theirs)]
    base_text, ours_text, theirs_text = texts
    if ours_text == base_text and theirs_text is not None:
        atomic_write(ours, theirs_text)
        return True
    if _is_record(ours_text):
        return True
    if _is_record(theirs_text):
        atomic_write(ours, theirs_text or "")
        return True
    return False


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _is_record(text: str | None) -> bool:
    if text is None:
        return False
    try:
        return parse_record_text(text, "record") is not None
    except RecordProblem:
        return False
