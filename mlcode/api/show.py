"""`show`: the recorded state and lineage of one resource, a registered version of one,
or all (DESIGN 6)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from mlcode.address import Address
from mlcode.api._records import iso, recorded, registered
from mlcode.config.secrets import redact
from mlcode.registry.gittags import read_registry
from mlcode.workspace import open_repo

if TYPE_CHECKING:
    from mlcode.registry.view import RegistryView
    from mlcode.state.types import Record


def show(
    start: str | os.PathLike[str] | None = None, address: str | None = None
) -> list[dict[str, Any]]:
    """The recorded state of one resource or all, as plain data (DESIGN 6 `show`).

    `address` may name a registered version: `model.NAME@v1.2.0` or `model.NAME#STAGE`
    (the version holding that stage); its record is read from its registration commit.
    """
    repo = open_repo(start)
    view = read_registry(repo.root)
    if address and ("@" in address or "#" in address):
        addr, registered_version, registered_record = registered(repo, view, address)
        return [_show_item(addr, registered_record, view, registered_version)]
    out = []
    for addr, record in recorded(repo, [address] if address else []).items():
        model = view.get(addr.name) if addr.kind.value == "model" else None
        version = model.version_for(record.fingerprint) if model else None
        out.append(_show_item(addr, record, view, version))
    return out


def _show_item(
    addr: Address, record: Record, view: RegistryView, version: str | None
) -> dict[str, Any]:
    model = view.get(addr.name) if addr.kind.value == "model" else None
    item: dict[str, Any] = {
        "address": str(addr),
        "version": version,
        "fingerprint": record.fingerprint,
        "artifact": record.artifact.md5,
        "metrics": record.metrics,
        "spec": redact(record.spec),  # also records written before a redaction rule
        "inputs": record.inputs,
        "code": record.code,
        "env": record.env,
        "built_at": record.built_at,
        "built_from": record.built_from,
        "stages": [],
        "gates": [],
        "registered": None,
    }
    if model is None or version is None or version not in model.versions:
        return item
    info = model.versions[version]
    item["registered"] = {
        "tag": info.tag,
        "commit": info.commit,
        "by": info.tagger,
        "at": iso(info.time),
    }
    item["stages"] = model.stages_of(version)
    for stage in item["stages"]:
        # the assignment that put this version in the stage: the latest one for it
        for entry in reversed(model.history):
            p = entry.event.parsed
            if p.kind.value == "assign" and p.stage == stage and entry.version == version:
                item["gates"] += [{"stage": stage, "result": g} for g in entry.event.gates]
                item.setdefault("assigned", {})[stage] = {
                    "tag": entry.event.tag,
                    "by": entry.event.tagger,
                    "at": iso(entry.event.time),
                }
                break
    return item
