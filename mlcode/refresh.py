"""Refresh (edge): observe the recorded and actual state that the planner diffs against.

Reads records through their index, hashes code and source files through the hash cache
(stat first, content only when the stat moved), checks each recorded artifact's files
the same way, and reads distribution versions from package metadata (through their cache,
`versions`). Imports no user code, DVC, Git library or scikit-learn.

The registry as plan needs it (`observe_registry`): the tags, whether registration can
happen here, and the state records of registered versions (read lazily). A registered
version's record is found through the reuse index by the fingerprint in its
registration message, else read from its registration commit (the tag points at the
commit holding it). Versions registered by `gto register` carry no fingerprint; it is
taken from that record, up front, since the planner matches versions by fingerprint.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from mlcode.address import Address, Kind
from mlcode.config import codescan
from mlcode.config.codescan import scan
from mlcode.config.resolve import Project
from mlcode.config.types import Resource, env_digests
from mlcode.fsutil import read_json, stat_key, write_json
from mlcode.graph.dag import DAG
from mlcode.hashcache import HashCache
from mlcode.plan.types import ArtifactState, Facts, Observed, RegistryFacts, ReuseLookup
from mlcode.registry.gittags import read_registry, read_version_records
from mlcode.registry.view import RegistryView
from mlcode.state.records import RecordIndex
from mlcode.state.reuse import ReuseIndex
from mlcode.state.types import Record
from mlcode.vcs import current_branch, head_commit, uncommitted_inputs
from mlcode.versions import InstalledVersions
from mlcode.worker.environment import build_environ


class Refresher:
    """Gathers `Observed` for a project; keeps its caches in `cache_dir` (`.mlcode/`)."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.hashes = HashCache(root, cache_dir / "hashes.json")
        self.reuse = ReuseIndex(root, cache_dir / "reuse.json")
        self._imports_file = cache_dir / "imports.json"
        self._imports = _read_imports(self._imports_file)
        self._imports_dirty = False
        self._versions = InstalledVersions(cache_dir / "versions.json")
        self._scans: dict[tuple[str, ...], list[str]] = {}
        self.record_problems: list[str] = []
        # `${oc.env:...}` is read in the pinned build environment: digest what it sees.
        self.build_env = build_environ(os.environ)

    def observe(self, project: Project, dag: DAG[Address]) -> Observed:
        """Records, facts per resource, the reuse index and HEAD."""
        index_file = self.cache_dir / "index.json"
        records, self.record_problems = RecordIndex(self.root, index_file).load()
        self.reuse.refresh()
        self.reuse.add_current(records.values(), stat_key(index_file))
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
        registry = observe_registry(
            self.root,
            project.settings.registry_branch,
            names,
            self.reuse,
            covered_files(facts.values()),
        )
        return Observed(records, facts, self.reuse, head_commit(self.root), registry)

    def artifact_state(self, record: Record) -> ArtifactState:
        """OK when every recorded file is present with its hash and nothing else is."""
        folder = record.address.artifact_path
        present = _files_under(os.path.join(self.root, folder))
        if present is None:
            return ArtifactState.ABSENT
        expected = dict(record.artifact.files)
        if set(present) != set(expected):
            return ArtifactState.CORRUPT
        for rel, md5 in expected.items():
            if self.hashes.md5(f"{folder}/{rel}") != md5:
                return ArtifactState.CORRUPT
        return ArtifactState.OK

    def version(self, dist: str) -> str | None:
        """Installed version of a distribution (None when not installed); `python` is
        the interpreter's version."""
        if dist == "python":
            return python_version()
        return self._versions.version(dist)

    def _scan(self, modules: tuple[str, ...]) -> list[str]:
        # Many specs name the same trainer module: scan each distinct set once per run.
        if modules not in self._scans:
            self._scans[modules] = scan(self.root, modules, self._imports_of)
        return list(self._scans[modules])

    def _imports_of(self, rel: str) -> set[str]:
        entry = self._file_scan(rel)
        return set(entry["imports"]) if entry else set()

    def _file_scan(self, rel: str) -> dict | None:
        """`rel`'s scan from `.mlcode/imports.json`, made again when the file's md5
        moved. Keyed by path: relative imports and warnings depend on where it lives."""
        digest = self.hashes.md5(rel)
        if digest is None:
            return None
        entry = self._imports.get(rel)
        if entry is None or entry["md5"] != digest:
            found = codescan.scan_file(self.root, rel)
            unresolved = [[u.line, u.what] for u in found.unresolved]
            entry = {"md5": digest, "imports": sorted(found.imports), "unresolved": unresolved}
            self._imports[rel] = entry
            self._imports_dirty = True
        return entry

    def code_warnings(self, resources: Iterable[Resource]) -> list[str]:
        """One warning per dynamic import the code scan cannot follow in the code of
        `resources`, naming the specs that reach it. A spec with a `code:` key is left
        out: its author declared the files the scan cannot see."""
        sites: dict[tuple[str, int, str], list[str]] = {}
        for resource in resources:
            if resource.code:
                continue
            for rel in self._scan(resource.modules):
                for line, what in (self._file_scan(rel) or {}).get("unresolved", ()):
                    sites.setdefault((rel, line, what), []).append(resource.address.spec_path)
        return [
            codescan.warning(rel, codescan.Unresolved(line, what), sorted(set(specs)))
            for (rel, line, what), specs in sorted(sites.items())
        ]

    def _expand(self, paths: tuple[str, ...]) -> list[str]:
        """The files `code:` lists (a folder: every file under it), and the project
        modules its Python files import: declared code is scanned like a target's."""
        out = []
        for rel in paths:
            full = self.root / rel
            if full.is_dir():
                out += [f"{rel.rstrip('/')}/{p}" for p in _files_under(full) or ()]
            else:
                out.append(rel)
        modules = tuple(sorted({codescan.module_of(f) for f in out if f.endswith(".py")}))
        return out + (self._scan(modules) if modules else [])

    def save(self) -> None:
        """Persist the caches that changed."""
        self.hashes.save()
        self.reuse.save()
        self._versions.save()
        if self._imports_dirty:
            write_json(self._imports_file, {"version": codescan.VERSION, "files": self._imports})
            self._imports_dirty = False


def python_version() -> str:
    """`platform.python_version()`, without importing `platform` when the interpreter's
    version string starts with its plain `major.minor.micro` (every final release)."""
    info = sys.version_info
    plain = f"{info.major}.{info.minor}.{info.micro}"
    if sys.version.startswith(plain + " "):
        return plain
    import platform

    return platform.python_version()


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


def _read_imports(path: Path) -> dict[str, dict]:
    """The per-file scans of `.mlcode/imports.json`: only those made by this scanner
    version and well formed (an older cache, keyed by md5 alone, is dropped whole)."""
    data = read_json(path, {})
    if not isinstance(data, dict) or data.get("version") != codescan.VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {rel: entry for rel, entry in files.items() if _is_file_scan(entry)}


def _is_file_scan(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("md5"), str)
        and isinstance(entry.get("imports"), list)
        and all(isinstance(m, str) for m in entry["imports"])
        and isinstance(entry.get("unresolved"), list)
        and all(
            isinstance(u, list) and len(u) == 2 and isinstance(u[0], int) and isinstance(u[1], str)
            for u in entry["unresolved"]
        )
    )


def _files_under(folder: str | os.PathLike[str]) -> list[str] | None:
    """Every file under `folder` as a sorted relative POSIX path, as `os.walk` finds them
    (symbolic links to directories listed by neither, nor followed; unreadable folders
    skipped), or None when `folder` is not a directory. One `scandir` per directory and
    no `stat` of its own: refresh lists every artifact directory on every plan."""
    out: list[str] = []
    stack = [(os.fspath(folder), "")]
    while stack:
        path, prefix = stack.pop()
        try:
            entries = os.scandir(path)
        except OSError:
            if not prefix and not os.path.isdir(path):
                return None
            continue
        with entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    out.append(prefix + entry.name)
                elif not entry.is_symlink():
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
    return sorted(out)
