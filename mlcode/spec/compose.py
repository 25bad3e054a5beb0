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

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcode.errors import SpecProblem


@dataclass(frozen=True, slots=True)
class Composed:
    """A composed spec: `data` is plain JSON-able data (interpolations resolved except
    `${oc.env:...}`), `files` the repo-relative config files it was built from, in order."""

    data: dict[str, Any]
    files: tuple[str, ...]


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
            defaults = create_defaults_list(
                repo, name, parsed, prepend_hydra=False, skip_missing=False
            )
            files = [self._file_of(plural, d.config_path) for d in defaults.defaults]
            cfg = loader._compose_config_from_defaults_list(defaults=defaults.defaults, repo=repo)
            ConfigLoaderImpl._apply_overrides_to_config(defaults.config_overrides, cfg)
            with _env_kept_unresolved():
                data = OmegaConf.to_container(cfg, resolve=True)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", "") or ""
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ComposeFailed(SpecProblem(_blame(files, rel), str(key), message)) from None
        except Exception as exc:  # Hydra raises plain and own exceptions alike
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise ComposeFailed(SpecProblem(rel, "", message)) from None
        if not isinstance(data, dict):
            raise ComposeFailed(SpecProblem(rel, "", "a spec must be a mapping"))
        return Composed(data=data, files=tuple(dict.fromkeys(files)))


def _blame(files: list[str], fallback: str) -> str:
    # An interpolation or merge error is reported against the spec itself: it is the
    # file the user edits and the one whose key path the error names.
    return files[-1] if files else fallback


@contextmanager
def _env_kept_unresolved() -> Iterator[None]:
    """Resolve interpolations, but turn `${oc.env:VAR[,default]}` back into its text."""
    from omegaconf import OmegaConf
    from omegaconf.basecontainer import BaseContainer

    original = BaseContainer._resolvers.get("oc.env")

    def keep(key: str, default: Any = _NO_DEFAULT) -> str:
        suffix = "" if default is _NO_DEFAULT else f",{default}"
        return "${oc.env:" + key + suffix + "}"

    OmegaConf.register_new_resolver("oc.env", keep, replace=True)
    try:
        yield
    finally:
        if original is not None:
            BaseContainer._resolvers["oc.env"] = original


_NO_DEFAULT = object()


def resolve_env(value: Any) -> Any:
    """Resolve `${oc.env:...}` left in composed data (at build time, in a worker)."""
    from omegaconf import OmegaConf

    if not _has_env(value):
        return value
    return OmegaConf.to_container(OmegaConf.create({"v": value}), resolve=True)["v"]


def _has_env(value: Any) -> bool:
    if isinstance(value, str):
        return "${oc.env:" in value
    if isinstance(value, dict):
        return any(_has_env(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_env(v) for v in value)
    return False
