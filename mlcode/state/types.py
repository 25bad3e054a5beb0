"""State record values: what one build of one resource produced (no file formats here)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlcode.address import Address

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Artifact:
    """A built artifact: DVC's directory hash (`md5`, e.g. `3f…a1.dir`), its files as
    (relative path, md5) sorted by path, and the total size in bytes."""

    md5: str
    files: tuple[tuple[str, str], ...]
    size: int

    @property
    def digest(self) -> str:
        """Content id of the files (independent of DVC): what downstream fingerprints use."""
        return content_digest(dict(self.files))


def content_digest(files: dict[str, str]) -> str:
    """md5 over the sorted (path, md5) manifest of an artifact directory."""
    text = "\n".join(f"{path}\t{md5}" for path, md5 in sorted(files.items()))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Record:
    """The state record of one resource, stored under `meta.mlcode` of its `.dvc` file.

    `spec` is the resolved spec with secrets redacted; `inputs` maps upstream addresses
    and source paths to content hashes; `code` repo files to md5; `env` distributions to
    versions; `version` is the registered model version (None until registered);
    `built_from` the commit HEAD pointed at when it was built (None before any commit).
    `outs` is DVC's own `outs` entry, kept verbatim so the artifact can be restored.
    `env_vars` maps each environment variable the spec read to a digest of its value;
    `bundle` is the DVC directory hash of the build's code bundle (`mlcode.bundle`).
    """

    address: Address
    fingerprint: str
    artifact: Artifact
    spec: dict[str, Any]
    inputs: dict[str, str | None] = field(default_factory=dict)
    code: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    version: str | None = None
    built_at: str = ""
    built_from: str | None = None
    outs: tuple[dict[str, Any], ...] = ()
    env_vars: dict[str, str] = field(default_factory=dict)
    bundle: str | None = None

    @property
    def objects(self) -> list[str]:
        """The DVC objects this record needs kept and pushed: artifact and code bundle."""
        return [self.artifact.md5, *([self.bundle] if self.bundle else [])]


def record_to_json(record: Record) -> dict[str, Any]:
    """The `meta.mlcode` mapping (sorted keys when serialised; `outs` lives beside it)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "address": str(record.address),
        "fingerprint": record.fingerprint,
        "artifact": {
            "md5": record.artifact.md5,
            "size": record.artifact.size,
            "files": {path: md5 for path, md5 in record.artifact.files},
        },
        "spec": record.spec,
        "inputs": record.inputs,
        "code": record.code,
        "env": record.env,
        "metrics": record.metrics,
        "version": record.version,
        "built_at": record.built_at,
        "built_from": record.built_from,
        **({"env_vars": record.env_vars} if record.env_vars else {}),
        **({"bundle": record.bundle} if record.bundle else {}),
    }


def record_from_json(data: dict[str, Any], outs: Sequence[dict[str, Any]] = ()) -> Record:
    """Parse a `meta.mlcode` mapping; raise ValueError/KeyError/TypeError on bad data."""
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"unsupported record schema_version {version!r}")
    artifact = data["artifact"]
    kept = tuple(outs)
    if kept and kept[0].get("md5") != artifact["md5"]:
        # DVC rewrote `outs` (an apply interrupted between `dvc add` and the record
        # write): the record in `meta` is the truth, so restore from what it names.
        kept = (
            {
                **kept[0],
                "md5": artifact["md5"],
                "size": int(artifact.get("size", 0)),
                "nfiles": len(artifact["files"]),
            },
        )
    return Record(
        address=Address.parse(data["address"]),
        fingerprint=str(data["fingerprint"]),
        artifact=Artifact(
            md5=str(artifact["md5"]),
            files=tuple(sorted((str(k), str(v)) for k, v in artifact["files"].items())),
            size=int(artifact.get("size", 0)),
        ),
        spec=dict(data.get("spec") or {}),
        inputs=dict(data.get("inputs") or {}),
        code=dict(data.get("code") or {}),
        env=dict(data.get("env") or {}),
        metrics={str(k): float(v) for k, v in (data.get("metrics") or {}).items()},
        version=data.get("version"),
        built_at=str(data.get("built_at") or ""),
        built_from=data.get("built_from"),
        outs=kept,
        env_vars={str(k): str(v) for k, v in (data.get("env_vars") or {}).items()},
        bundle=str(data["bundle"]) if data.get("bundle") else None,
    )
