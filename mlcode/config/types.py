"""Typed specs: project settings and resolved resources (plain values, no I/O).

A `Resource` is one node of the desired state: its address, its resolved spec (plain
JSON-able data after Hydra composition) and the static facts about what it depends on.
The typed views `DatasetSpec` and `ModelSpec` are derived from `spec` by `parse`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlcode.address import Address

# Redaction lives in spec.secrets; these names stay importable from here (re-exported:
# `X as X` marks them public for type checkers).
from mlcode.config.secrets import SENSITIVE as SENSITIVE
from mlcode.config.secrets import is_secret_key as is_secret_key
from mlcode.config.secrets import redact as redact

DOC_KEYS = frozenset({"description", "owner", "tags"})
# Keys that never enter a fingerprint: promotion and verification policy, documentation.
NON_FINGERPRINT_KEYS = DOC_KEYS | {"stage", "gates", "verify"}


@dataclass(frozen=True, slots=True)
class Settings:
    """`conf/mlcode.yaml`, validated. Defaults apply to every key left out."""

    stages: tuple[str, ...] = ("staging", "production")
    remote: str | None = None
    registry_branch: str = "main"
    executor: str = "local"
    jobs: int = 0  # 0 = one worker per core
    dask_address: str | None = None
    allowed_targets: tuple[str, ...] = ("sklearn", "pipelines")
    env: tuple[str, ...] = ("scikit-learn", "numpy", "pandas", "pyarrow")


@dataclass(frozen=True, slots=True)
class Split:
    """How a loaded or sourced dataset is split into train and test."""

    test_size: float = 0.25
    seed: int = 0
    stratify: bool = False


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A dataset: exactly one of `loader` (a `_target_` mapping), `source` (a repo file)
    or `from_` (upstream dataset names, optionally with a `transform`)."""

    loader: dict[str, Any] | None
    source: str | None
    from_: tuple[str, ...]
    transform: dict[str, Any] | None
    target: str
    split: Split


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model trained on `dataset`'s train split and scored on its test split."""

    dataset: str
    estimator: dict[str, Any]
    train: dict[str, Any] | None
    metrics: tuple[str, ...]
    gates: tuple[tuple[str, str], ...]
    stage: str | None


@dataclass(frozen=True, slots=True)
class EnvVar:
    """An environment variable a spec reads through `${oc.env:NAME[,default]}`; the
    default as `oc.env` returns it (a string, or None for `null`) when there is one."""

    name: str
    has_default: bool = False
    default: str | None = None


def env_digests(env_vars: tuple[EnvVar, ...], environ: Mapping[str, str]) -> dict[str, str]:
    """{name: sha256 of the value the build will see} for each variable a spec reads:
    its value in `environ`, else its one default, else "unset" (several different
    defaults are in the spec text, which is fingerprinted anyway). The digest enters
    fingerprints and records in place of the value, which is never stored or shown."""
    out = {}
    for name in sorted({v.name for v in env_vars}):
        if name in environ:
            value: str | None = environ[name]
        else:
            defaults = {(v.has_default, v.default) for v in env_vars if v.name == name}
            value = defaults.pop()[1] if len(defaults) == 1 else None
        text = f"mlcode-env-v1\0{name}\0" + ("\1unset" if value is None else f"\0{value}")
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


@dataclass(frozen=True, slots=True)
class Resource:
    """One resolved resource of the desired state.

    `spec` is the composed spec (never mutated); `files` the config files composition
    used; `depends_on` upstream addresses; `sources` repo data files hashed as inputs;
    `modules` the project modules its `_target_`s name (code scan starts there); `code`
    extra repo paths from the spec's `code:` key; `dists` distributions whose versions
    enter the fingerprint (settings `env` plus those behind installed `_target_`s);
    `env_vars` the environment variables its `${oc.env:...}` expressions read at build
    time (a digest of each one's value enters the fingerprint, never the value).
    """

    address: Address
    spec: dict[str, Any]
    files: tuple[str, ...]
    depends_on: tuple[Address, ...] = ()
    sources: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    dists: tuple[str, ...] = ()
    env_vars: tuple[EnvVar, ...] = ()
    typed: DatasetSpec | ModelSpec | None = field(default=None, compare=False)

    @property
    def stage(self) -> str | None:
        value = self.spec.get("stage")
        return value if isinstance(value, str) else None
