"""Refresh (edge): observe the recorded and actual state that the planner diffs against.

Reads records through their index, hashes code and source files through the hash cache
(stat first, content only when the stat moved), checks each recorded artifact's files
the same way, and reads distribution versions from package metadata. Imports no user
code, DVC, Git library or scikit-learn.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

from mlcode.address import Address, Kind
from mlcode.build.environment import build_environ
from mlcode.fsutil import read_json, write_json
from mlcode.graph.dag import DAG
from mlcode.hashcache import HashCache
from mlcode.plan.types import ArtifactState, Facts, Observed
from mlcode.registry.observe import observe_registry
from mlcode.spec.codescan import file_imports, scan
from mlcode.spec.resolve import Project
from mlcode.spec.types import env_digests
from mlcode.state.records import RecordIndex
from mlcode.state.reuse import ReuseIndex
from mlcode.state.types import Record
from mlcode.vcs import head_commit


class Refresher:
    """Gathers `Observed` for a project; keeps its caches in `cache_dir` (`.mlcode/`)."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.hashes = HashCache(root, cache_dir / "hashes.json")
        self.reuse = ReuseIndex(root, cache_dir / "reuse.json")
        self._imports_file = cache_dir / "imports.json"
        self._imports: dict[str, list[str]] = read_json(self._imports_file, {}) or {}
        self._imports_dirty = False
        self._versions: dict[str, str | None] = {}
        self._scans: dict[tuple[str, ...], list[str]] = {}
        self.record_problems: list[str] = []
        # `${oc.env:...}` is read in the pinned build environment: digest what it sees.
        self.build_env = build_environ(os.environ)

    def observe(self, project: Project, dag: DAG[Address]) -> Observed:
        """Records, facts per resource, the reuse index and HEAD."""
        records, self.record_problems = RecordIndex(self.root, self.cache_dir / "index.json").load()
        self.reuse.refresh()
        for record in records.values():
            self.reuse.add(record)
        facts = {}
        for address in dag.order:
            resource = project.resources[address]
            code_files = self._scan(resource.modules) + self._expand(resource.code)
            facts[address] = Facts(
                code={f: self.hashes.md5(f) for f in sorted(set(code_files))},
                sources={s: self.hashes.md5(s) for s in resource.sources},
                env={d: self.version(d) for d in resource.dists},
                artifact=self.artifact_state(records[address]) if address in records else None,
                env_vars=env_digests(resource.env_vars, self.build_env),
            )
        self.save()
        names = [a.name for a in (*project.resources, *records) if a.kind is Kind.MODEL]
        registry = observe_registry(self.root, project.settings.registry_branch, names, self.reuse)
        return Observed(records, facts, self.reuse, head_commit(self.root), registry)

    def artifact_state(self, record: Record) -> ArtifactState:
        """OK when every recorded file is present with its hash and nothing else is."""
        folder = record.address.artifact_path
        if not os.path.isdir(self.root / folder):
            return ArtifactState.ABSENT
        expected = dict(record.artifact.files)
        present = _files_under(self.root / folder)
        if set(present) != set(expected):
            return ArtifactState.CORRUPT
        for rel, md5 in expected.items():
            if self.hashes.md5(f"{folder}/{rel}") != md5:
                return ArtifactState.CORRUPT
        return ArtifactState.OK

    def version(self, dist: str) -> str | None:
        """Installed version of a distribution (None when not installed)."""
        if dist not in self._versions:
            try:
                self._versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                self._versions[dist] = None
        return self._versions[dist]

    def _scan(self, modules: tuple[str, ...]) -> list[str]:
        # Many specs name the same trainer module: scan each distinct set once per run.
        if modules not in self._scans:
            self._scans[modules] = scan(self.root, modules, self._imports_of)
        return list(self._scans[modules])

    def _imports_of(self, rel: str) -> set[str]:
        digest = self.hashes.md5(rel)
        if digest is None:
            return set()
        if digest not in self._imports:
            self._imports[digest] = sorted(file_imports(self.root, rel))
            self._imports_dirty = True
        return set(self._imports[digest])

    def _expand(self, paths: tuple[str, ...]) -> list[str]:
        out = []
        for rel in paths:
            full = self.root / rel
            if full.is_dir():
                out += [f"{rel.rstrip('/')}/{p}" for p in _files_under(full)]
            else:
                out.append(rel)
        return out

    def save(self) -> None:
        """Persist the caches that changed."""
        self.hashes.save()
        self.reuse.save()
        if self._imports_dirty:
            write_json(self._imports_file, self._imports)
            self._imports_dirty = False


class ObjectLocator:
    """Where DVC objects can be had (plan's `ObjectLookup`): the local cache by stat,
    and, only when `remote` (a DvcStore) is given (`--refresh remote`), the remote."""

    def __init__(self, root: Path, remote: object | None = None) -> None:
        self.root = root
        self.remote = remote
        self._seen: dict[str, str] = {}

    def where(self, md5: str) -> str:
        if md5 not in self._seen:
            from mlcode.storage.cachefiles import in_cache

            if in_cache(self.root, md5):
                self._seen[md5] = "cache"
            elif self.remote is None:
                self._seen[md5] = "unknown"
            else:
                lacks = self.remote.missing_on_remote([md5])  # type: ignore[attr-defined]
                self._seen[md5] = "absent" if lacks else "remote"
        return self._seen[md5]


def _files_under(folder: Path) -> list[str]:
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            out.append(Path(dirpath, name).relative_to(folder).as_posix())
    return sorted(out)
