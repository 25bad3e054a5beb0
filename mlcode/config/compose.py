"""The Hydra edge: composes one spec file into plain data plus the files it used.

The only module that imports Hydra. It drives Hydra's defaults-list machinery directly,
without Hydra's own config tree (which costs ~140 ms a compose) and without GlobalHydra:
a spec `conf/models/NAME.yaml` is the primary config at the global package, searched in
`conf/models/` first and then `conf/`, so `/estimator@estimator: rf` finds
`conf/estimator/rf.yaml` and overrides need no translation (`estimator.max_depth=3`,
`estimator=gbm`). `${oc.env:...}` expressions are kept unresolved so secrets never enter
plans, records or caches and a missing variable does not break a plan.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from mlcode.config.types import EnvVar
from mlcode.errors import SpecProblem


@dataclass(frozen=True, slots=True)
class Composed:
    """A composed spec: `data` is plain JSON-able data (interpolations resolved except
    `${oc.env:...}`, kept as text together with any `oc.decode`/`oc.create` around it),
    `files` the repo-relative config files it was built from, in order, and `env` the
    environment variables the build will read, sorted by name."""

    data: dict[str, Any]
    files: tuple[str, ...]
    env: tuple[EnvVar, ...] = ()


class ComposeFailed(Exception):
    """Composition failed; `problem` names the file and, where known, the key."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Composer:
    """Composes specs of one project; build once per run, Hydra is imported lazily."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "conf"
        self._loaders: dict[str, Any] = {}
        self._repos: dict[str, Any] = {}
        self._parser: Any = None

    def _loader(self, plural: str) -> Any:
        if plural not in self._loaders:
            from hydra._internal.config_loader_impl import ConfigLoaderImpl
            from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
            from hydra._internal.core_plugins.file_config_source import FileConfigSource
            from hydra._internal.core_plugins.structured_config_source import (
                StructuredConfigSource,
            )
            from hydra._internal.sources_registry import SourcesRegistry
            from hydra.core.override_parser.overrides_parser import OverridesParser

            registry = SourcesRegistry.instance()
            registry.register(FileConfigSource)
            registry.register(StructuredConfigSource)
            search = ConfigSearchPathImpl()
            search.append("mlcode-kind", f"file://{self.conf / plural}")
            search.append("mlcode", f"file://{self.conf}")
            search.append("schema", "structured://")
            from hydra._internal.config_repository import CachingConfigRepository

            loader = ConfigLoaderImpl(config_search_path=search)
            self._loaders[plural] = loader
            # One caching repository per run: a group file shared by many specs is read
            # once (files do not change while one plan runs).
            self._repos[plural] = CachingConfigRepository(loader.repository)
            self._parser = OverridesParser.create()
        return self._loaders[plural]

    def _file_of(self, plural: str, config_path: str) -> str:
        for base in (self.conf / plural, self.conf):
            candidate = base / f"{config_path}.yaml"
            if candidate.is_file():
                return candidate.relative_to(self.root).as_posix()
        return f"conf/{config_path}.yaml"

    def compose(self, plural: str, name: str, overrides: tuple[str, ...] = ()) -> Composed:
        """Compose `conf/<plural>/<name>.yaml` with Hydra `overrides`; raise ComposeFailed."""
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra._internal.defaults_list import create_defaults_list
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        rel = f"conf/{plural}/{name}.yaml"
        loader = self._loader(plural)
        files: list[str] = []
        try:
            repo = self._repos[plural]
            parsed = self._parser.parse_overrides(list(overrides))
            _refuse_sweeps(parsed, rel)
            defaults = create_defaults_list(
                repo, name, parsed, prepend_hydra=False, skip_missing=False
            )
            # Hydra sets config_path on every result default (None is only the field's
            # default value), so the filter drops nothing.
            files = [
                self._file_of(plural, d.config_path)
                for d in defaults.defaults
                if d.config_path is not None
            ]
            cfg = loader._compose_config_from_defaults_list(defaults=defaults.defaults, repo=repo)
            _refuse_absent_keys(defaults.config_overrides, cfg, rel)
            if defaults.config_overrides:
                # The spec's own config object is the one the caching repository holds:
                # an override applied to it in place would reach the next compose.
                cfg = copy.deepcopy(cfg)
            ConfigLoaderImpl._apply_overrides_to_config(defaults.config_overrides, cfg)
            with _env_kept_unresolved():
                data = _unmark(OmegaConf.to_container(cfg, resolve=True))
        except ComposeFailed as exc:  # ours quote the override too: hide its secrets
            problem = exc.problem
            hidden = _hide_secrets(problem.message, overrides)
            if hidden == problem.message:
                raise
            raise ComposeFailed(SpecProblem(problem.file, problem.key, hidden)) from None
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", "") or ""
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            message = _hide_secrets(message, overrides)
            raise ComposeFailed(SpecProblem(_blame(files, rel), str(key), message)) from None
        except Exception as exc:  # Hydra raises plain and own exceptions alike
            message = " ".join(str(exc).split()) or type(exc).__name__
            message = _hide_secrets(message, overrides)
            raise ComposeFailed(SpecProblem(rel, "", message)) from None
        if not isinstance(data, dict):
            raise ComposeFailed(SpecProblem(rel, "", "a spec must be a mapping"))
        return Composed(data=data, files=tuple(dict.fromkeys(files)), env=env_references(data))


def _refuse_sweeps(parsed: list[Any], rel: str) -> None:
    """A what-if is one value per key: Hydra's sweep syntax (`x=1,2`, `choice(...)`,
    `range(...)`, `interval(...)`, `glob(...)`) would otherwise plan as something else."""
    for override in parsed:
        if override.is_sweep_override():
            raise ComposeFailed(
                SpecProblem(
                    rel,
                    override.key_or_group,
                    f"override {override.input_line!r}: sweeps are not supported: "
                    "run one what-if per value",
                )
            )


def _refuse_absent_keys(overrides: list[Any], cfg: Any, rel: str) -> None:
    """Changing or deleting a key the composed spec lacks is a typo until shown
    otherwise: Hydra adds it silently outside struct mode. `+key=value` adds a key."""
    for override in overrides:
        if override.package is not None or override.is_add() or override.is_force_add():
            continue  # Hydra itself rejects a group override of an unknown group
        key = override.key_or_group
        if _has_key(cfg, key):
            continue
        if override.is_delete():
            message = f"override {override.input_line!r}: the spec has no key {key!r} to delete"
        else:
            message = (
                f"override {override.input_line!r}: the spec has no key {key!r} "
                f"(a typo? to add a new key write +{override.input_line})"
            )
        raise ComposeFailed(SpecProblem(rel, key, message))


def _has_key(cfg: Any, key: str) -> bool:
    """Whether the dotted `key` exists in `cfg`, read without resolving interpolations
    (a `${oc.env:...}` value must not be resolved at plan time)."""
    from omegaconf import DictConfig, ListConfig

    node = cfg
    for part in key.split("."):
        if isinstance(node, DictConfig):
            node = node._get_node(part, throw_on_missing_key=False)
        elif isinstance(node, ListConfig):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node._get_node(int(part))
        else:
            # A value under which the key goes on: only an interpolation may hold more.
            return bool(node is not None and node._is_interpolation())
        if node is None:
            return False
    return True


def _blame(files: list[str], fallback: str) -> str:
    # An interpolation or merge error is reported against the spec itself: it is the
    # file the user edits and the one whose key path the error names.
    return files[-1] if files else fallback


@contextmanager
def _env_kept_unresolved() -> Iterator[None]:
    """Resolve interpolations, but turn `${oc.env:VAR[,default]}` back into its text.

    A resolver applied to such text would see the placeholder instead of the value, so
    `oc.decode` and `oc.create` given text that holds one are kept as text too:
    `${oc.decode:${oc.env:DEPTH,2}}` stays that expression and gives the int 2 at build
    time, as plain OmegaConf gives it."""
    from omegaconf import OmegaConf
    from omegaconf.basecontainer import BaseContainer
    from omegaconf.resolvers import oc

    saved = {name: BaseContainer._resolvers.get(name) for name in _KEPT}

    def keep(key: str, default: Any = _NO_DEFAULT) -> str:
        return _MARK + "${oc.env:" + str(key) + _default_text(default) + "}"

    def kept(name: str, real: Any):
        def resolver(expr: Any, _parent_: Any, _node_: Any) -> Any:
            if isinstance(expr, str) and "${oc.env:" in expr:
                return _MARK + "${" + name + ":" + _argument(expr) + "}"
            if name == "oc.create":
                return real(expr, _parent_)
            return real(expr, _parent_, _node_)

        return resolver

    OmegaConf.register_new_resolver("oc.env", keep, replace=True)
    for name, real in (("oc.decode", oc.decode), ("oc.create", oc.create)):
        OmegaConf.register_new_resolver(name, kept(name, real), replace=True)
    try:
        yield
    finally:
        for name, original in saved.items():
            if original is not None:
                BaseContainer._resolvers[name] = original


_KEPT = ("oc.env", "oc.decode", "oc.create")
# Marks the expressions kept as text, to tell them from literal `${` text (written
# `\${` in YAML), which must stay literal when the build resolves the kept ones.
_MARK = "\ue000"
_NO_DEFAULT = object()
_PLAIN = re.compile(r"[\w.\-/]+")


def _default_text(default: Any) -> str:
    """`,default` as it re-parses to the same `oc.env` result (none when absent)."""
    if default is _NO_DEFAULT:
        return ""
    if default is None:
        return ",null"
    return "," + _argument(str(default))


def _argument(text: str) -> str:
    """`text` as one resolver argument: plain words and a lone interpolation as they
    are, anything else single-quoted (quoted strings still interpolate)."""
    bare = text.replace(_MARK, "")
    if _PLAIN.fullmatch(bare) or (
        bare.startswith("${") and bare.endswith("}") and bare.count("${") == 1
    ):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _unmark(data: Any) -> Any:
    """Drop the marks of kept expressions; where a spec keeps any, escape every literal
    `${` so that resolving the kept ones at build time leaves the literal text alone."""
    if not any(_MARK in t for t in _strings(data)):
        return data

    def fix(text: str) -> str:
        parts = text.split("${")
        out = parts[0]
        for part in parts[1:]:
            out = out[:-1] + "${" + part if out.endswith(_MARK) else out + "\\${" + part
        return out

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fix(value) if "${" in value else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(data)


def env_references(data: Any) -> tuple[EnvVar, ...]:
    """Every `${oc.env:...}` that resolving `data` at build time reads, found by
    resolving each string that holds one with OmegaConf's own parser (so escapes,
    nesting and quoting are read exactly as the build will read them)."""
    from omegaconf import OmegaConf
    from omegaconf.basecontainer import BaseContainer

    texts = [t for t in _strings(data) if "${oc.env:" in t]
    if not texts:
        return ()
    found: set[EnvVar] = set()

    def record(key: str, default: Any = _NO_DEFAULT) -> str:
        name = str(key)
        if default is _NO_DEFAULT:
            found.add(EnvVar(name))
            return "0"  # a stand-in any resolver around it accepts
        value = None if default is None else str(default)
        found.add(EnvVar(name, True, value))
        return "0" if value is None else value

    original = BaseContainer._resolvers.get("oc.env")
    OmegaConf.register_new_resolver("oc.env", record, replace=True)
    try:
        for text in texts:
            # Only the references matter here, not whether the text resolves.
            with suppress(Exception):
                OmegaConf.to_container(OmegaConf.create({"v": text}), resolve=True)
    finally:
        if original is not None:
            BaseContainer._resolvers["oc.env"] = original
    return tuple(sorted(found, key=lambda v: (v.name, v.has_default, v.default or "")))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for sub in value.values():
            yield from _strings(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _strings(sub)


def resolve_env(value: Any) -> Any:
    """Resolve `${oc.env:...}` left in composed data (at build time, in a worker)."""
    from omegaconf import OmegaConf

    if not _has_env(value):
        return value
    # A DictConfig converts to a dict; to_container's return type covers every config.
    resolved = cast(
        "dict[str, Any]", OmegaConf.to_container(OmegaConf.create({"v": value}), resolve=True)
    )
    return resolved["v"]


def _has_env(value: Any) -> bool:
    if isinstance(value, str):
        return "${oc.env:" in value
    if isinstance(value, dict):
        return any(_has_env(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_env(v) for v in value)
    return False


def _hide_secrets(message: str, overrides: Sequence[str]) -> str:
    """Hydra's message with override values that are secrets (by key or shape) hidden:
    Hydra quotes the override it could not apply (`... use +loader.password=pw`)."""
    from mlcode.config.secrets import SENSITIVE, is_secret_key, redact_text

    for item in overrides:
        key, eq, value = item.partition("=")
        leaf = key.lstrip("+~").split("@")[0].rsplit(".", 1)[-1]
        if eq and value and (is_secret_key(leaf) or redact_text(value) != value):
            message = message.replace(value, SENSITIVE)
    return redact_text(message)
