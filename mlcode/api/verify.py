"""`verify`: rebuild recorded resources from their records and code bundles in
isolation, and compare with what was recorded (DESIGN 6)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from mlcode.address import Address
from mlcode.api._records import recorded
from mlcode.config.resolve import read_settings
from mlcode.refresh import Refresher
from mlcode.state.reuse import ReuseIndex
from mlcode.state.types import Record
from mlcode.verify import Verifier, VerifyReport
from mlcode.workspace import open_repo, store


def verify(
    start: str | os.PathLike[str] | None = None, addresses: Iterable[str] = ()
) -> list[VerifyReport]:
    """Rebuild each recorded resource (all, or those of `addresses`) from its record in
    isolation and compare; one VerifyReport per address."""
    repo = open_repo(start)
    records = recorded(repo, addresses)
    reuse = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    reuse.refresh()
    for record in records.values():
        reuse.add(record)

    def lookup(address: str, digest: str) -> Record | None:
        """The record of the upstream artifact `digest` of `address`: current or past."""
        current = records.get(Address.parse(address))
        if current is not None and current.artifact.digest == digest:
            return current
        return reuse.find_artifact(address, digest)

    refresher = Refresher(repo.root, repo.cache_dir)
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        verifier = Verifier(repo.root, repo.cache_dir, refresher, lookup, artifacts)
        return [verifier.verify(record) for record in records.values()]
    finally:
        artifacts.close()
        reuse.save()
