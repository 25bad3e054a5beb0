"""State records on disk (edge): `.dvc` files with `meta.mlcode`, and their JSON index.

DVC writes `outs`; mlcode adds `meta: {mlcode: ...}` (DVC keeps `meta` across `dvc add`).
Plan reads records through `.mlcode/index.json`, validated by each file's stat, so a
no-op plan parses no YAML.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from mlcode.address import Address, addresses_under
from mlcode.config.safeyaml import YamlRejected, load_text
from mlcode.fsutil import atomic_write, read_json, stat_key, write_json
from mlcode.state.types import Record, record_from_json, record_to_json

INDEX_VERSION = 1


@cache
def _yaml_dump() -> Any:
    """`yaml.dump` with the fastest safe dumper, imported on first use: a plan that
    finds every record in the index writes no YAML and does not import it."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return lambda data: yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True)


class RecordProblem(Exception):
    """A `.dvc` file exists but holds no valid mlcode record; says which and why."""


def parse_record_text(text: str, rel: str) -> Record | None:
    """Parse a `.dvc` file's text; None when it carries no mlcode meta."""
    try:
        data = load_text(text)
    except YamlRejected as exc:
        raise RecordProblem(f"{rel}: {exc.reason}") from None
    if not isinstance(data, dict):
        return None
    meta = (data.get("meta") or {}).get("mlcode") if isinstance(data.get("meta"), dict) else None
    if not isinstance(meta, dict):
        return None
    try:
        return record_from_json(meta, list(data.get("outs") or []))
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordProblem(f"{rel}: invalid mlcode record ({exc})") from None


def write_record(root: Path, record: Record) -> None:
    """Put `record` under `meta.mlcode` of its `.dvc` file, keeping DVC's `outs`.

    `record.outs` (when set) replaces the file's `outs`, which restores an old build.
    """
    path = root / record.address.record_path
    data: dict[str, Any] = {}
    if path.exists():
        loaded = load_text(path.read_text(encoding="utf-8"))
        data = loaded if isinstance(loaded, dict) else {}
    if record.outs:
        data["outs"] = [dict(o) for o in record.outs]
    meta = data.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    meta["mlcode"] = record_to_json(record)
    data["meta"] = meta
    atomic_write(path, record_text(data))


# DVC's own key order for an `outs` entry (what `dvc add` writes); other keys follow sorted.
_OUTS_ORDER = ("md5", "size", "nfiles", "hash", "path")


def record_text(data: dict[str, Any]) -> str:
    """The canonical text of a `.dvc` file: `outs` first with its entries in DVC's key
    order, then every other key sorted at every level. Whichever path wrote a record
    (apply, a saved plan, a restore, a merge driver), equal records are equal bytes."""
    outs = [
        {
            **{k: o[k] for k in _OUTS_ORDER if k in o},
            **{k: o[k] for k in sorted(o) if k not in _OUTS_ORDER},
        }
        for o in data.get("outs") or []
        if isinstance(o, dict)
    ]
    rest = {k: v for k, v in data.items() if k != "outs"}
    ordered = {"outs": outs, **_sorted(rest)}
    return _yaml_dump()(ordered)


def _sorted(value: Any) -> Any:
    """`value` with the keys of every mapping in it sorted (lists keep their order)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def record_paths(root: Path) -> dict[Address, str]:
    """Every `.dvc` record file under artifacts/, by address."""
    return addresses_under(root, "artifacts", ".dvc")


class RecordIndex:
    """All current records, read through `.mlcode/index.json` (validated by stat)."""

    def __init__(self, root: Path, index_file: Path) -> None:
        self.root = root
        self.index_file = index_file

    def load(self) -> tuple[dict[Address, Record], list[str]]:
        """(records by address, problems); a broken record is a problem, not a crash."""
        data = read_json(self.index_file, {})
        entries: dict[str, Any] = (
            data.get("files", {}) if data.get("version") == INDEX_VERSION else {}
        )
        fresh: dict[str, Any] = {}
        records: dict[Address, Record] = {}
        problems: list[str] = []
        root = os.fspath(self.root)
        for address, rel in record_paths(self.root).items():
            stat = stat_key(os.path.join(root, rel))
            entry = entries.get(rel)
            if entry is None or entry["stat"] != stat:
                try:
                    record = parse_record_text((self.root / rel).read_text("utf-8"), rel)
                except (OSError, UnicodeDecodeError, RecordProblem) as exc:
                    problems.append(str(exc))
                    continue
                if record is None:
                    continue
                entry = {"stat": stat, "meta": record_to_json(record), "outs": list(record.outs)}
            fresh[rel] = entry
            record = record_from_json(entry["meta"], entry["outs"])
            if record.address == address:
                records[address] = record
            else:
                problems.append(f"{rel}: records {record.address}, expected {address}")
        if fresh != entries:
            write_json(self.index_file, {"version": INDEX_VERSION, "files": fresh})
        return records, problems
