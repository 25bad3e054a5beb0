"""Resolution of the whole desired state, with a cache (edge: reads conf/, `.mlcode/`).

    conf/*/NAME.yaml ──stat──> cache hit? ──yes──> Resource from .mlcode/resolve.json
                                   │ no
                                   v
                 safe-YAML check ─> Hydra compose ─> validate ─> targets ─> Resource

A cache entry is keyed by the exact files its composition used, each validated by stat
and, when the stat moved, by content hash; so editing a group file re-composes exactly
the specs that use it, and a no-op plan imports neither Hydra nor OmegaConf.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlcode import vcs
from mlcode.address import NAME_RE, Address, Kind, addresses_under
from mlcode.config.types import DatasetSpec, EnvVar, ModelSpec, Resource, Settings
from mlcode.errors import SpecError, SpecProblem
from mlcode.fsutil import file_md5, is_racy, read_json, stat_key, write_json

# Parsing, validation and target lookup (YAML, spec.parse, spec.targets) are imported
# where a spec is read: a plan that finds every spec in the cache needs none of them.

CACHE_VERSION = 3  # 2: resources carry env_vars; 3: IMPLICIT_ENV
TRUSTED_VERSION = 1
# Versions that enter every fingerprint whatever `env:` says: the interpreter and joblib
# write the pickled bytes of every model artifact.
IMPLICIT_ENV = ("joblib", "python")
SETTINGS_FILE = "conf/mlcode.yaml"


@dataclass(frozen=True, slots=True)
class Project:
    """The resolved desired state: settings, resources by address (sorted), and which
    spec files had to be composed this time (the rest came from the cache)."""

    root: Path
    settings: Settings
    resources: dict[Address, Resource]
    composed: tuple[str, ...]


def read_settings(root: Path) -> Settings:
    """Read and validate `conf/mlcode.yaml`; raise SpecError on any problem."""
    settings, problems = _settings(root)
    if problems:
        raise SpecError(problems)
    return settings


def _settings(root: Path) -> tuple[Settings, list[SpecProblem]]:
    path = root / SETTINGS_FILE
    if not path.exists():
        return Settings(), []
    from mlcode.config import safeyaml
    from mlcode.config.parse import parse_settings

    data, problem = safeyaml.load_file(str(path), SETTINGS_FILE)
    if problem:
        return Settings(), [problem]
    return parse_settings(data, SETTINGS_FILE)


def trusted_targets(root: Path, settings: Settings) -> tuple[str, ...]:
    """`allowed_targets` from `conf/mlcode.yaml` on the registry branch's last commit
    (local branch, else `origin/BRANCH`), never from the change under review (DESIGN 7).
    A repository whose registry branch has no commit yet trusts its work tree."""
    return _trusted_targets(root, settings)[0]


def _trusted_refs(settings: Settings) -> list[str]:
    branch = settings.registry_branch
    return [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"]


def _cached_trusted_targets(root: Path, settings: Settings, cache_dir: Path) -> tuple[str, ...]:
    """`trusted_targets`, kept in `.mlcode/trusted.json` under the stat of the files
    holding the registry branch's refs (`vcs.refs_signature`): while it holds, they name
    the same commits, whose settings file cannot change. Saves a `git cat-file` a plan."""
    refs = _trusted_refs(settings)
    signature = vcs.refs_signature(root, refs)
    # The answer without a ref is the work tree's; without settings there, the defaults.
    fallbacks = [list(settings.allowed_targets), list(Settings().allowed_targets)]
    key = [TRUSTED_VERSION, refs, fallbacks, signature]
    path = cache_dir / "trusted.json"
    if signature is not None:
        cached = read_json(path)
        if isinstance(cached, dict) and cached.get("key") == key:
            allowed = cached.get("allowed")
            if isinstance(allowed, list) and all(isinstance(a, str) for a in allowed):
                return tuple(allowed)
    allowed, from_git = _trusted_targets(root, settings)
    if signature is not None and from_git and not any(map(is_racy, signature)):
        write_json(path, {"key": key, "allowed": list(allowed)})
    return allowed


def _trusted_targets(root: Path, settings: Settings) -> tuple[tuple[str, ...], bool]:
    """(`trusted_targets`, whether Git answered: False when it failed)."""
    from mlcode.errors import GitError

    refs = _trusted_refs(settings)
    try:
        texts = vcs.cat_blobs(root, [f"{ref}:{SETTINGS_FILE}" for ref in refs] + refs)
    except GitError:
        return settings.allowed_targets, False
    return _trusted_from(settings, refs, texts), True


def _trusted_from(settings: Settings, refs: list[str], texts: list[str | None]) -> tuple[str, ...]:
    for ref, text, exists in zip(refs, texts[:2], texts[2:], strict=True):
        if exists is None:
            continue  # no such ref
        if text is None:
            return Settings().allowed_targets  # the branch has no settings: defaults
        from mlcode.config import safeyaml
        from mlcode.config.parse import parse_settings

        try:
            trusted, problems = parse_settings(safeyaml.load_text(text), f"{ref}:{SETTINGS_FILE}")
        except safeyaml.YamlRejected:
            return Settings().allowed_targets
        return Settings().allowed_targets if problems else trusted.allowed_targets
    return settings.allowed_targets


def spec_files(root: Path) -> dict[Address, str]:
    """Every spec file under conf/datasets and conf/models, by address."""
    return addresses_under(root, "conf", ".yaml")


def load_project(
    root: Path,
    overrides: dict[Address, tuple[str, ...]] | None = None,
    cache_dir: Path | None = None,
) -> Project:
    """Resolve every spec of the project at `root`; raise SpecError listing all problems.

    `overrides` are Hydra overrides per address (what-ifs): those specs are composed
    fresh and not cached.
    """
    overrides = overrides or {}
    settings, problems = _settings(root)
    cache_dir = cache_dir or root / ".mlcode"
    if not problems:
        trusted = _cached_trusted_targets(root, settings, cache_dir)
        settings = replace(settings, allowed_targets=trusted)
    cache_file = cache_dir / "resolve.json"
    cache = _Cache(cache_file, _settings_key(settings))
    resolver = _Resolver(root, settings, cache)
    resources: dict[Address, Resource] = {}
    files = spec_files(root)
    for address in sorted(overrides):
        if address not in files:
            problems.append(SpecProblem(address.spec_path, "", f"no spec for {address}"))
    for address, rel in files.items():
        if not NAME_RE.match(address.name):
            problems.append(SpecProblem(rel, "", "file name must match [A-Za-z0-9][A-Za-z0-9_-]*"))
            continue
        resource, errors = resolver.resolve(address, rel, overrides.get(address, ()))
        problems.extend(errors)
        if resource is not None:
            resources[address] = resource
    problems.extend(resolver.group_problems)
    problems.extend(_check_edges(resolver.deps, files))
    cache.save()
    if problems:
        raise SpecError(problems)
    return Project(root, settings, resources, tuple(resolver.composed))


def _check_edges(
    deps: dict[Address, tuple[Address, ...]], files: dict[Address, str]
) -> list[SpecProblem]:
    problems = []
    for address, upstream in sorted(deps.items()):
        for dep in upstream:
            if dep not in files:
                key = "dataset" if address.kind is Kind.MODEL else "from"
                problems.append(
                    SpecProblem(
                        address.spec_path, key, f"no dataset '{dep.name}' ({dep.spec_path})"
                    )
                )
    return problems


def _settings_key(settings: Settings) -> str:
    text = json.dumps([CACHE_VERSION, settings.allowed_targets, settings.stages, settings.env])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Cache:
    """`.mlcode/resolve.json`: {"key", "specs": {rel: entry}, "safe": {rel: stat}}."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        data = read_json(path, {})
        valid = isinstance(data, dict) and data.get("key") == key
        self.key = key
        self.specs: dict[str, Any] = data.get("specs", {}) if valid else {}
        # top-level module -> distribution ("sklearn" -> "scikit-learn"); finding it
        # scans every installed package (~0.2 s), so it is remembered.
        self.dists: dict[str, str | None] = data.get("dists", {}) if valid else {}
        self.safe: dict[str, Any] = data.get("safe", {}) if valid else {}
        self.dirty = not valid

    def save(self) -> None:
        if self.dirty:
            data = {"key": self.key, "specs": self.specs, "safe": self.safe, "dists": self.dists}
            write_json(self.path, data)
            self.dirty = False


class _Resolver:
    def __init__(self, root: Path, settings: Settings, cache: _Cache) -> None:
        self.root = root
        self._root = os.fspath(root)
        self.settings = settings
        self.cache = cache
        self.composed: list[str] = []
        self._composer: Any = None
        self._unsafe: dict[str, SpecProblem] | None = None
        self.deps: dict[Address, tuple[Address, ...]] = {}

    def resolve(
        self, address: Address, rel: str, overrides: tuple[str, ...]
    ) -> tuple[Resource | None, list[SpecProblem]]:
        if not overrides:
            hit = self._cached(rel)
            if hit is not None:
                self.deps[address] = hit.depends_on
                return hit, []
        from mlcode.config.secrets import has_secrets

        self._check_yaml()
        assert self._unsafe is not None
        if rel in self._unsafe:
            return None, [self._unsafe[rel]]
        if self.group_problems:
            return None, []  # never let Hydra read an unsafe file
        from mlcode.config.compose import ComposeFailed, Composer

        if self._composer is None:
            self._composer = Composer(self.root)
        self.composed.append(rel)
        try:
            composed = self._composer.compose(address.kind.plural, address.name, overrides)
        except ComposeFailed as exc:
            return None, [exc.problem]
        resource, problems = self._build(address, rel, composed.data, composed.files)
        if resource is not None:
            resource = replace(resource, env_vars=composed.env)
        # A spec holding a secret is composed again each run rather than written in clear
        # to .mlcode/resolve.json (spec.secrets).
        if resource is not None and not overrides and not has_secrets(resource.spec):
            self._store(rel, resource)
        return resource, problems

    def _cached(self, rel: str) -> Resource | None:
        entry = self.cache.specs.get(rel)
        if not entry:
            return None
        for file, (stat, digest) in entry["files"].items():
            full = os.path.join(self._root, file)  # a str: one join per file and spec
            now = stat_key(full)
            if now == stat:
                continue
            if now is None or _md5(full) != digest:
                return None
            entry["files"][file] = [now, digest]
            self.cache.dirty = True
        return _resource_from_json(entry["resource"])

    def _store(self, rel: str, resource: Resource) -> None:
        files = {}
        for file in resource.files:
            full = self.root / file
            files[file] = [stat_key(full), _md5(full)]
        self.cache.specs[rel] = {"files": files, "resource": _resource_to_json(resource)}
        self.cache.dirty = True

    def _check_yaml(self) -> None:
        """Check every YAML file under conf/ (once a run) before Hydra may read any."""
        if self._unsafe is not None:
            return
        self._unsafe = {}
        for dirpath, _dirs, names in os.walk(self.root / "conf"):
            for name in sorted(names):
                if name.endswith((".yaml", ".yml")):
                    full = os.path.join(dirpath, name)
                    file = Path(full).relative_to(self.root).as_posix()
                    problem = self._check_one(full, file)
                    if problem is not None:
                        self._unsafe[file] = problem

    @property
    def group_problems(self) -> list[SpecProblem]:
        """Unsafe shared files (reported once, not once per spec that may use them)."""
        unsafe = self._unsafe or {}
        return [p for f, p in sorted(unsafe.items()) if not _is_spec(f)]

    def _check_one(self, full: str, file: str) -> SpecProblem | None:
        stat = stat_key(full)
        if stat is not None and self.cache.safe.get(file) == stat:
            return None
        from mlcode.config import safeyaml

        _data, problem = safeyaml.load_file(full, file)
        if problem is None:
            self.cache.safe[file] = stat
            self.cache.dirty = True
        return problem

    def _build(
        self, address: Address, rel: str, data: dict[str, Any], files: tuple[str, ...]
    ) -> tuple[Resource | None, list[SpecProblem]]:
        typed: DatasetSpec | ModelSpec | None
        from mlcode.config.parse import parse_dataset, parse_model
        from mlcode.config.targets import (
            TargetError,
            distribution_of,
            is_allowed,
            iter_targets,
            locate,
        )

        if address.kind is Kind.DATASET:
            typed, problems = parse_dataset(data, rel, self.root)
        else:
            typed, problems = parse_model(data, rel, self.root, self.settings.stages)
        modules: list[str] = []
        dists: set[str] = set(self.settings.env) | set(IMPLICIT_ENV)
        for key, target in iter_targets(data):
            if not is_allowed(target, self.settings.allowed_targets):
                allowed = ", ".join(self.settings.allowed_targets) or "nothing"
                branch = self.settings.registry_branch
                problems.append(
                    SpecProblem(
                        rel,
                        key,
                        f"'{target}' is not allowed (allowed_targets on {branch}: {allowed})",
                    )
                )
                continue
            try:
                located = locate(self.root.resolve(), target)
            except TargetError as exc:
                problems.append(SpecProblem(rel, key, str(exc)))
                continue
            if located.in_repo:
                modules.append(located.module)
            else:
                top = located.module.split(".")[0]
                if top not in self.cache.dists:
                    self.cache.dists[top] = distribution_of(top)
                    self.cache.dirty = True
                dist = self.cache.dists[top]
                if dist:
                    dists.add(dist)
        deps = self.deps[address] = _declared_deps(address, data)
        if typed is None or problems:
            return None, problems
        sources = (typed.source,) if isinstance(typed, DatasetSpec) and typed.source else ()
        code = tuple(sorted(data.get("code") or ()))
        resource = Resource(
            address=address,
            spec=data,
            files=files,
            depends_on=deps,
            sources=sources,
            modules=tuple(sorted(set(modules))),
            code=code,
            dists=tuple(sorted(dists)),
            typed=typed,
        )
        return resource, []


def _declared_deps(address: Address, data: dict[str, Any]) -> tuple[Address, ...]:
    """Upstream datasets a spec names (`dataset:` or `from:`), valid names only."""
    raw = data.get("dataset") if address.kind is Kind.MODEL else data.get("from")
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return tuple(Address(Kind.DATASET, n) for n in names if isinstance(n, str) and NAME_RE.match(n))


def _is_spec(file: str) -> bool:
    return file.startswith(("conf/datasets/", "conf/models/")) or file == SETTINGS_FILE


def _md5(path: str | os.PathLike[str]) -> str | None:
    try:
        return file_md5(path)
    except OSError:
        return None


def _resource_to_json(resource: Resource) -> dict[str, Any]:
    return {
        "address": str(resource.address),
        "spec": resource.spec,
        "files": list(resource.files),
        "depends_on": [str(a) for a in resource.depends_on],
        "sources": list(resource.sources),
        "modules": list(resource.modules),
        "code": list(resource.code),
        "dists": list(resource.dists),
        "env_vars": [[v.name, v.has_default, v.default] for v in resource.env_vars],
    }


def _resource_from_json(data: dict[str, Any]) -> Resource:
    return Resource(
        address=Address.parse(data["address"]),
        spec=data["spec"],
        files=tuple(data["files"]),
        depends_on=tuple(Address.parse(a) for a in data["depends_on"]),
        sources=tuple(data["sources"]),
        modules=tuple(data["modules"]),
        code=tuple(data["code"]),
        dists=tuple(data["dists"]),
        env_vars=tuple(EnvVar(n, bool(h), d) for n, h, d in data.get("env_vars", ())),
    )
