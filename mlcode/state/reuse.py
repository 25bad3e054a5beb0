"""The reuse index (edge): every fingerprint ever recorded -> that record.

Built from the history of state records on every branch and tag (read in one
`git log` plus one `git cat-file --batch`), from the current records, and from records
apply writes; cached in `.mlcode/` and rescanned only when HEAD moved. Two files:

    reuse.json        {"version", "entries": {fingerprint: record}}, read on first lookup
    reuse-state.json  {"version", "entries": the stat of reuse.json as last written,
                       "scanned": commits scanned, "synced": the stat of the record
                       index whose records were all added last}

so that a plan whose record index did not change since its records were added (a no-op
plan) reads the small file only. The state counts only while reuse.json has the stat it
recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlcode.errors import GitError
from mlcode.fsutil import is_racy, read_json, stat_key, write_json
from mlcode.state.records import RecordProblem, parse_record_text
from mlcode.state.types import Record, record_from_json, record_to_json
from mlcode.vcs import cat_blobs, git, head_commit

REUSE_VERSION = 2
STATE_FILE = "reuse-state.json"


class ReuseIndex:
    """fingerprint -> Record of an earlier build (the newest one seen wins)."""

    def __init__(self, root: Path, cache_file: Path) -> None:
        self.root = root
        self.cache_file = cache_file
        self.state_file = cache_file.with_name(STATE_FILE)
        state = read_json(self.state_file, {})
        valid = (
            isinstance(state, dict)
            and state.get("version") == REUSE_VERSION
            and state.get("entries") == stat_key(cache_file)
            and isinstance(state.get("scanned"), list)
        )
        # Without a state that vouches for reuse.json, what it holds is kept (as a
        # single file was) but every commit is scanned again and every record added.
        self._vouched = valid and state["entries"] is not None
        self._entries: dict[str, dict] | None = None  # read from reuse.json on first use
        self._scanned: list[str] = state["scanned"] if valid else []
        self._synced: list | None = state.get("synced") if valid else None
        self._dirty = False

    def _all(self) -> dict[str, dict]:
        """The entries, read from reuse.json on first use."""
        if self._entries is None:
            data = read_json(self.cache_file, {})
            ours = isinstance(data, dict) and data.get("version") == REUSE_VERSION
            entries = data.get("entries") if ours else None
            self._entries = entries if isinstance(entries, dict) else {}
            if not isinstance(entries, dict) and self._vouched:
                # Replaced under us since the state was read: scan and add again.
                self._scanned, self._synced, self._dirty = [], None, True
        return self._entries

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
        entries = self._all()
        entry = {"meta": record_to_json(record), "outs": list(record.outs)}
        if entries.get(record.fingerprint) != entry:
            entries[record.fingerprint] = entry
            self._synced = None  # it may have replaced a current record's entry
            self._dirty = True

    def add_current(self, records: Iterable[Record], index: list[int] | None) -> None:
        """Remember the current records, as `add` each, read through the record index
        whose file has the stat `index`: skipped when the records of that very index
        were the last added and nothing was added since (None: never skipped)."""
        if index is not None and index == self._synced:
            return
        for record in records:
            self.add(record)
        if index != self._synced and not is_racy(index):
            self._synced = index
            self._dirty = True

    def get(self, fingerprint: str) -> Record | None:
        """The record of an earlier build with this fingerprint, if any."""
        entry = self._all().get(fingerprint)
        return record_from_json(entry["meta"], entry["outs"]) if entry else None

    def find_artifact(self, address: str, digest: str) -> Record | None:
        """A record of `address` whose artifact has content `digest` (any build)."""
        for entry in self._all().values():
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
        return [record_from_json(e["meta"], e["outs"]) for e in self._all().values()]

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._all()

    def save(self) -> None:
        """Persist when anything changed: the entries (when read or made) first, then
        the state naming them."""
        if not self._dirty:
            return
        if self._entries is not None:
            write_json(self.cache_file, {"version": REUSE_VERSION, "entries": self._entries})
        state = {
            "version": REUSE_VERSION,
            "entries": stat_key(self.cache_file),
            "scanned": self._scanned,
            "synced": self._synced,
        }
        write_json(self.state_file, state)
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
