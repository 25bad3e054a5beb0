"""`registry`: registered models, their versions, current stages and the assignment
history, read from the registry's Git tags (DESIGN 3, 6)."""

from __future__ import annotations

import os
from typing import Any

from mlcode.address import Address
from mlcode.api._records import iso
from mlcode.errors import MlcodeError
from mlcode.registry.gittags import read_registry, read_version_records
from mlcode.registry.tags import version_key
from mlcode.registry.view import Model
from mlcode.workspace import open_repo


def registry(
    start: str | os.PathLike[str] | None = None, address: str | None = None
) -> list[dict[str, Any]]:
    """Registered models (all, or the one of `address`): versions, current stages and
    the assignment history, as plain data."""
    repo = open_repo(start)
    view = read_registry(repo.root)
    if address:
        name = Address.parse(address).name
        if view.get(name) is None:
            raise MlcodeError(f"{address} is not in the registry", "run `mlcode registry`")
        models = [view.models[name]]
    else:
        models = list(view.models.values())
    # Versions registered with `gto register` name their build only through the record
    # at their commit: read it for the fingerprint.
    unnamed = [(m, v) for m in models for v, i in m.versions.items() if i.fingerprint is None]
    read_version_records(repo.root, view, unnamed)
    return [_model_item(model) for model in models]


def _model_item(model: Model) -> dict[str, Any]:
    return {
        "name": model.name,
        "active": model.active,
        "latest": model.latest,
        "stages": model.current_stages(),
        "versions": [
            {
                "version": v.version,
                "commit": v.commit,
                "fingerprint": v.fingerprint,
                "registered_at": iso(v.time),
                "by": v.tagger,
                "active": v.active and not model.deprecated,
                "stages": model.stages_of(v.version),
            }
            for v in sorted(model.versions.values(), key=lambda v: version_key(v.version))
        ],
        "history": [
            {
                "event": h.event.parsed.kind.value,
                "version": h.version,
                "stage": h.event.parsed.stage,
                "counter": h.event.parsed.counter,
                "tag": h.event.tag,
                "commit": h.event.commit,
                "at": iso(h.event.time),
                "by": h.event.tagger,
            }
            for h in model.history
        ],
    }
