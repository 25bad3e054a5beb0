"""`mlcode.load`: the fitted estimator of a model, from its current record or a
registered version, checked against the record before it is unpickled."""

from __future__ import annotations

import os
import warnings
from typing import Any

from mlcode.address import Address
from mlcode.api._records import registered
from mlcode.config.resolve import read_settings
from mlcode.errors import CorruptCacheWarning, MlcodeError, StorageError
from mlcode.fsutil import file_md5
from mlcode.registry.gittags import read_registry
from mlcode.state.records import RecordIndex
from mlcode.workspace import open_repo, store


def load(ref: str, start: str | os.PathLike[str] | None = None) -> Any:
    """The fitted estimator of `model.NAME` (current record), `model.NAME@vX.Y.Z` or
    `model.NAME#STAGE`, loaded with joblib from the work tree or the DVC cache (fetched
    from the DVC remote when neither has it), its bytes checked against the record
    first. A corrupt cache object is quarantined and fetched again (with a
    `CorruptCacheWarning` saying so); MlcodeError when no intact copy is found."""
    repo = open_repo(start)
    if "@" in ref or "#" in ref:
        addr, _version, record = registered(repo, read_registry(repo.root), ref)
    else:
        addr = Address.parse(ref)
        # Another record being unreadable does not stop loading this one.
        records, _problems = RecordIndex(repo.root, repo.cache_dir / "index.json").load()
        if addr not in records:
            raise MlcodeError(f"{addr} has no recorded state", "run `mlcode apply` first")
        record = records[addr]
    if addr.kind.value != "model":
        raise MlcodeError(f"{addr} is not a model", "load takes model.NAME[@VERSION|#STAGE]")
    md5 = dict(record.artifact.files).get("model.joblib")
    local = repo.root / addr.artifact_path / "model.joblib"
    path = local if md5 and local.is_file() and file_md5(local) == md5 else None
    notes: list[str] = []
    why = ""
    if path is None:
        artifacts = store(repo.root, read_settings(repo.root).remote)
        label = f"model.joblib of {ref}"
        try:
            path = artifacts.checked(md5, label)  # opens no DVC when it is there
            if path is None and artifacts.remote_name() is None:
                why = "no DVC remote is configured"
            elif path is None:
                try:
                    artifacts.fetch([record.artifact.md5])
                except StorageError as exc:
                    why = exc.message
                path = artifacts.checked(md5, label)
            notes = artifacts.notes()
        finally:
            artifacts.close()
    if path is None:
        found = "; ".join(notes) or "it is in neither the work tree nor the DVC cache"
        if why and why not in found:
            found += f" ({why})"
        raise MlcodeError(
            f"no intact copy of the model of {ref} ({md5}): {found}",
            f"rebuild it: `mlcode apply --replace {addr}` on the commit that recorded it",
        )
    for note in notes:
        warnings.warn(note, CorruptCacheWarning, stacklevel=2)
    from mlcode.worker.estimator import load_estimator  # joblib: only once a model loads

    return load_estimator(path)
