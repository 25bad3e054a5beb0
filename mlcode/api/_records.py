"""Recorded state as the use cases look it up: the current records by address, and the
record of a registered version (`model.NAME@vX.Y.Z`, `model.NAME#STAGE`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mlcode.address import Address
from mlcode.errors import MlcodeError, PlanError
from mlcode.registry.gittags import read_version_records
from mlcode.state.records import RecordIndex

if TYPE_CHECKING:
    from mlcode.registry.view import RegistryView
    from mlcode.state.types import Record
    from mlcode.workspace import Repo


def recorded(repo: Repo, addresses: Iterable[str]) -> dict[Address, Record]:
    """The current records of `addresses` (none: every record); MlcodeError for an
    address without one, PlanError when a record cannot be read."""
    records, problems = RecordIndex(repo.root, repo.cache_dir / "index.json").load()
    if problems:
        raise PlanError("unreadable state records:\n  " + "\n  ".join(problems))
    wanted = [Address.parse(a) for a in addresses]
    for address in wanted:
        if address not in records:
            raise MlcodeError(f"{address} has no recorded state", "run `mlcode apply` first")
    return {a: records[a] for a in (wanted or sorted(records))}


def registered(repo: Repo, view: RegistryView, ref: str) -> tuple[Address, str, Record]:
    """Resolve `model.NAME@vX.Y.Z` / `model.NAME#STAGE` to (address, version, record)."""
    sep = "@" if "@" in ref else "#"
    head, _, want = ref.partition(sep)
    addr = Address.parse(head)
    model = view.get(addr.name)
    if model is None or not model.versions:
        raise MlcodeError(
            f"{addr} has no registered versions", "run `mlcode registry` to list them"
        )
    if sep == "#":
        version = model.current_stages().get(want)
        if version is None:
            held = ", ".join(sorted(model.current_stages())) or "none"
            raise MlcodeError(
                f"no version of {addr} is in stage {want!r} (stages held: {held})",
                f"run `mlcode registry {addr}` to see its versions and stages",
            )
    else:
        version = want
        if version not in model.versions:
            known = ", ".join(sorted(model.versions)) or "none"
            raise MlcodeError(
                f"{addr} has no version {version} (registered: {known})",
                f"run `mlcode registry {addr}` to see its versions and stages",
            )
    records = read_version_records(repo.root, view, [(model, version)])
    record = records.get((addr.name, version))
    if record is None:
        raise MlcodeError(
            f"{addr} {version} has no mlcode state record at its registration commit "
            f"{model.versions[version].commit[:12]}",
            "it was registered outside mlcode; register a version built by `mlcode apply`",
        )
    return addr, version, record


def iso(unix: int) -> str:
    """A tag's Unix time as ISO 8601 in UTC, as `show` and `registry` print it."""
    return datetime.fromtimestamp(unix, UTC).isoformat()
