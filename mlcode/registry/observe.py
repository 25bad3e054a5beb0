"""Registry edge for plan: the tags, whether registration can happen here, and the
state records of registered versions (read lazily).

A registered version's record is found through the reuse index by the fingerprint in
its registration message, else read from its registration commit (the tag points at the
commit holding it). Versions registered by `gto register` carry no fingerprint; it is
taken from that record, up front, since the planner matches versions by fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlcode.plan.types import Facts, RegistryFacts, ReuseLookup
from mlcode.registry.gittags import read_registry, read_version_records
from mlcode.registry.view import RegistryView
from mlcode.state.types import Record
from mlcode.vcs import current_branch, uncommitted_inputs


def observe_registry(
    root: Path,
    branch: str,
    names: Iterable[str],
    reuse: ReuseLookup,
    covered: Iterable[str] | None = None,
) -> RegistryFacts:
    """The registry as seen from `root`. Versions registered without a fingerprint in
    their message (by `gto register`) of the models in `names` get it from their record
    now; other records are read when the planner asks for them. Registration waits for
    uncommitted changes only in `covered` (see `covered_files`) and under `conf/`."""
    view = read_registry(root)
    wanted = set(names)
    unnamed = [
        (model, v)
        for name, model in view.models.items()
        if name in wanted
        for v, info in model.versions.items()
        if info.fingerprint is None
    ]
    records = VersionRecords(root, view, reuse)
    records.memo.update(read_version_records(root, view, unnamed))
    here = current_branch(root)
    if here != branch:
        waits = f"branch {branch} (HEAD is on {here or 'a detached commit'})"
        return RegistryFacts(view, branch, False, records, waits)
    dirty = uncommitted_inputs(root, covered)
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        waits = f"a clean tree (uncommitted: {dirty[0]}{more})"
        return RegistryFacts(view, branch, False, records, waits)
    return RegistryFacts(view, branch, True, records)


def covered_files(facts: Iterable[Facts]) -> set[str]:
    """The repo files the fingerprints read besides `conf/`: code (scanned modules and
    `code:` paths) and `source:` files. Registration waits for changes to these only."""
    out: set[str] = set()
    for fact in facts:
        out.update(fact.code)
        out.update(fact.sources)
    return out


class VersionRecords:
    """(model name, version) -> its state record, read on first use: from the reuse
    index by the version's fingerprint (no Git, no YAML), else from its registration
    commit. A plan of 500 registered models parses none of their records."""

    def __init__(self, root: Path, view: RegistryView, reuse: ReuseLookup) -> None:
        self.root = root
        self.view = view
        self.reuse = reuse
        self.memo: dict[tuple[str, str], Record | None] = {}

    def get(self, key: tuple[str, str], default: Record | None = None) -> Record | None:
        if key not in self.memo:
            self.memo[key] = self._read(*key)
        found = self.memo[key]
        return found if found is not None else default

    def _read(self, name: str, version: str) -> Record | None:
        model = self.view.get(name)
        info = model.versions.get(version) if model else None
        if model is None or info is None:
            return None
        if info.fingerprint:
            record = self.reuse.get(info.fingerprint)
            if record is not None and record.address.name == name:
                return record
        return read_version_records(self.root, self.view, [(model, version)]).get((name, version))
