"""`plan`: resolve the specs, refresh, and diff against state, index and registry
(DESIGN 4). Runs no user code; imports no DVC unless asked to refresh the remote."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlcode.address import Address
from mlcode.api.validate import code_warnings
from mlcode.collector import paused
from mlcode.config.graph import resource_graph
from mlcode.config.resolve import Project, load_project, read_settings
from mlcode.errors import MlcodeError, PlanError, StorageError
from mlcode.plan.planner import make_plan
from mlcode.plan.types import ArtifactState
from mlcode.refresh import ObjectLocator, Refresher
from mlcode.vcs import RESTORE_RECORD_HINT
from mlcode.workspace import Repo, open_repo, store

if TYPE_CHECKING:
    from mlcode.config.types import Resource
    from mlcode.graph.dag import DAG
    from mlcode.plan.types import Observed, Plan
    from mlcode.storage.dvc import DvcStore


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and what it was made from (`composed`: specs Hydra had to compose)."""

    plan: Plan
    project: Project
    dag: DAG[Address]
    observed: Observed
    composed: tuple[str, ...]


def parse_overrides(items: Iterable[str]) -> dict[Address, tuple[str, ...]]:
    """`model.NAME:key=value` -> {address: (key=value, ...)}."""
    out: dict[Address, list[str]] = {}
    for item in items:
        head, colon, override = item.partition(":")
        if not colon or ("=" not in override and not override.startswith("~")):
            raise MlcodeError(
                f"invalid override {item!r}",
                "write ADDRESS:KEY=VALUE, e.g. model.rf:estimator.max_depth=3",
            )
        out.setdefault(Address.parse(head), []).append(override)
    return {a: tuple(v) for a, v in out.items()}


def plan(
    start: str | os.PathLike[str] | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    overrides: Iterable[str] = (),
    refresh_remote: bool = False,
) -> PlanOutcome:
    """Make a plan (no side effects beyond `.mlcode/` caches; runs no user code).

    With `refresh_remote`, asks the DVC remote which recorded artifacts it holds (the
    only case in which plan touches the network or imports DVC).
    """
    repo = open_repo(start)
    if not refresh_remote:
        return plan_repo(repo, targets, replace, overrides)
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        return plan_repo(repo, targets, replace, overrides, remote=artifacts)
    finally:
        artifacts.close()


def plan_repo(
    repo: Repo,
    targets: Iterable[str],
    replace: Iterable[str],
    overrides: Iterable[str],
    on_project: Callable[[Project], None] | None = None,
    remote: DvcStore | None = None,
) -> PlanOutcome:
    """`plan` in an opened repository, for every use case that plans first (apply,
    preview, diff). `on_project` sees the resolved specs before refresh; `remote` is
    asked which recorded artifacts it holds (`--refresh remote`)."""
    target_addrs = [Address.parse(t) for t in targets]
    replace_addrs = [Address.parse(r) for r in replace]
    project = load_project(repo.root, parse_overrides(overrides), cache_dir=repo.cache_dir)
    if on_project is not None:
        on_project(project)
    dag = resource_graph(project.resources)
    refresher = Refresher(repo.root, repo.cache_dir)
    # Refresh and planning keep every record, fact and change they make: the collector
    # would traverse them again and again as they pile up (see mlcode.collector). With a
    # remote to ask, DVC runs in between: no pause then.
    with paused() if remote is None else contextlib.nullcontext():
        observed = refresher.observe(project, dag)
        if refresher.record_problems:
            raise PlanError(
                "unreadable state records:\n  " + "\n  ".join(refresher.record_problems),
                RESTORE_RECORD_HINT,
            )
        if remote is not None:
            observed = _check_remote(remote, observed)
        warning = None
        # The planner says it only beside the pull note, when an artifact is absent:
        # read DVC's config files for it then only.
        if any(f.artifact is ArtifactState.ABSENT for f in observed.facts.values()):
            from mlcode.storage.remotescope import remote_scope

            warning = remote_scope(repo.root, project.settings.remote).warning
        objects = ObjectLocator(repo.root, remote)
        observed = dataclasses.replace(observed, objects=objects, remote_warning=warning)
        result = make_plan(project.resources, dag, observed, target_addrs, replace_addrs)
        result = _with_notes(result, code_warnings(repo, _in_scope(project, result), refresher))
    return PlanOutcome(result, project, dag, observed, project.composed)


def exit_soon() -> None:
    """Declare this process one short command that exits when done (the CLI's plain
    plan): what the plan keeps is frozen for the garbage collector, not traversed again
    (mlcode.collector). Only for a process entry point."""
    from mlcode.collector import exit_soon as declare

    declare()


def _check_remote(remote: DvcStore, observed: Observed) -> Observed:
    """`--refresh remote`: `observed` with each recorded artifact marked as held or
    lacked by the remote."""
    if remote.remote_name() is None:
        raise StorageError(
            "--refresh remote: no DVC remote is configured",
            "set `remote:` in conf/mlcode.yaml, `dvc remote add -d NAME URL` or `mlcode init`",
        )
    records = {a: r for a, r in observed.records.items() if a in observed.facts}
    missing = remote.missing_on_remote(sorted({h for r in records.values() for h in r.objects}))
    facts = dict(observed.facts)
    for address, record in records.items():
        on_remote = not missing.intersection(record.objects)
        facts[address] = dataclasses.replace(facts[address], on_remote=on_remote)
    return dataclasses.replace(observed, facts=facts)


def _in_scope(project: Project, plan: Plan) -> list[Resource]:
    return [project.resources[c.address] for c in plan.changes if c.address in project.resources]


def _with_notes(plan: Plan, notes: list[str]) -> Plan:
    return dataclasses.replace(plan, notes=(*plan.notes, *notes)) if notes else plan
