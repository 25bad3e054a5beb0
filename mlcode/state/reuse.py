"""The reuse index (edge): every fingerprint ever recorded -> that record.

Built from the history of state records on every branch and tag (read in one
`git log` plus one `git cat-file --batch`), from the current records, and from records
apply writes; cached in `.mlcode/reuse.json` and rescanned only when HEAD moved.
"""

from __future__ import annotations

from pathlib import Path

from mlcode.errors import GitError
from mlcode.fsutil import read_json, write_json
from mlcode.state.records import RecordProblem, parse_record_text
from mlcode.state.types import Record, record_from_json, record_to_json
from mlcode.vcs import cat_blobs, git, head_commit

REUSE_VERSION = 1


class ReuseIndex:
    """fingerprint -> Record of an earlier build (the newest one seen wins)."""

    def __init__(self, root: Path, cache_file: Path) -> None:
        self.root = root
        self.cache_file = cache_file
        data = read_json(cache_file, {})
        valid = isinstance(data, dict) and data.get("version") == REUSE_VERSION
        self._entries: dict[str, dict] = data.get("entries", {}) if valid else {}
        self._scanned: list[str] = data.get("scanned", []) if valid else []
        self._dirty = False

    def refresh(self) -> None:
        """Scan commits not seen yet (cheap no-op when HEAD did not move)."""
        head = head_commit(self.root)
        if head is None or head in self._scanned:
            return
        try:
            tips = git(self.root, "rev-parse", "--all").split()
        except GitError:
            return
        excluded = [f"^{c}" for c in self._scanned]
        try:
            log = git(
                self.root,
                "log",
                "--format=commit %H",
                "--name-only",
                "--diff-filter=AM",
                *tips,
                *excluded,
                "--",
                "artifacts/*/*.dvc",
            )
        except GitError:
            log = ""
        wanted: list[str] = []
        commit = ""
        for line in log.splitlines():
            if line.startswith("commit "):
                commit = line[7:]
            elif line.strip():
                wanted.append(f"{commit}:{line.strip()}")
        if wanted:
            self._read_blobs(list(reversed(wanted)))
        self._scanned = sorted(set(tips) | {head})
        self._dirty = True

    def _read_blobs(self, objects: list[str]) -> None:
        for record in records_at(self.root, objects):
            if record is not None:
                self.add(record)

    def add(self, record: Record) -> None:
        """Remember `record` under its fingerprint."""
        entry = {"meta": record_to_json(record), "outs": list(record.outs)}
        if self._entries.get(record.fingerprint) != entry:
            self._entries[record.fingerprint] = entry
            self._dirty = True

    def get(self, fingerprint: str) -> Record | None:
        """The record of an earlier build with this fingerprint, if any."""
        entry = self._entries.get(fingerprint)
        return record_from_json(entry["meta"], entry["outs"]) if entry else None

    def find_artifact(self, address: str, digest: str) -> Record | None:
        """A record of `address` whose artifact has content `digest` (any build)."""
        for entry in self._entries.values():
            meta = entry["meta"]
            if meta.get("address") != address:
                continue
            record = record_from_json(meta, entry["outs"])
            if record.artifact.digest == digest:
                return record
        return None

    def records(self) -> list[Record]:
        """Every record in the index: each build this repository's history recorded
        (every branch and tag scanned so far) and every one apply wrote here."""
        return [record_from_json(e["meta"], e["outs"]) for e in self._entries.values()]

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._entries

    def save(self) -> None:
        """Persist when anything changed."""
        if self._dirty:
            write_json(
                self.cache_file,
                {"version": REUSE_VERSION, "entries": self._entries, "scanned": self._scanned},
            )
            self._dirty = False


def records_at(root: Path, objects: list[str]) -> list[Record | None]:
    """The state records in `rev:path` blobs (None where missing, unreadable or not a
    record), read in one `git cat-file --batch`."""
    out: list[Record | None] = []
    for name, text in zip(objects, cat_blobs(root, objects), strict=True):
        try:
            out.append(parse_record_text(text, name) if text is not None else None)
        except RecordProblem:
            out.append(None)
    return out
