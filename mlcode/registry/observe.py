"""Registry edge for plan: read the tags and the state records of the versions that matter.

A registered version's record is read from its registration commit (the tag points at
the commit holding it), all in one `git cat-file --batch`. Versions registered by
`gto register` carry no fingerprint in their message; it is taken from that record.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlcode.plan.types import RegistryFacts
from mlcode.registry.gittags import read_registry, read_version_records
from mlcode.registry.view import Model
from mlcode.vcs import current_branch, uncommitted_inputs


def observe_registry(root: Path, branch: str, names: Iterable[str]) -> RegistryFacts:
    """The registry as seen from `root`, with records for the models named in `names`
    (and every model mlcode registered): stage holders, highest version, and versions
    whose fingerprint only their record knows."""
    view = read_registry(root)
    wanted = set(names)
    needed: list[tuple[Model, str]] = []
    for name, model in view.models.items():
        if name not in wanted and not model.managed:
            continue
        versions = set(model.current_stages().values())
        if model.highest:
            versions.add(model.highest)
        versions |= {v for v, info in model.versions.items() if info.fingerprint is None}
        needed += [(model, v) for v in sorted(versions) if v in model.versions]
    records = read_version_records(root, view, needed)
    here = current_branch(root)
    if here != branch:
        waits = f"branch {branch} (HEAD is on {here or 'a detached commit'})"
        return RegistryFacts(view, branch, False, records, waits)
    dirty = uncommitted_inputs(root)
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        waits = f"a clean tree (uncommitted: {dirty[0]}{more})"
        return RegistryFacts(view, branch, False, records, waits)
    return RegistryFacts(view, branch, True, records)
