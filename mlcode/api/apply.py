"""`apply`: carry out a plan (DESIGN 5), one named step after another.

    take the lock (before any spec is read) ─> clear what a dead apply left
      ─> plan (a saved plan: refused if anything moved) ─> confirm
      ─> 1, 2  build, publish and record each change; a failure skips its downstream
      ─> 3     push the new artifacts to the DVC remote (before any tag exists)
      ─> 4     commit the state records that differ from HEAD, nothing else
      ─> 5     register and promote: registry branch, clean tree only
      ─> push the commit and the tags to origin, atomically (--git-push)

A failed upload (3) still commits the records (the artifacts are in the local cache)
but tags nothing, then raises.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlcode.address import Address
from mlcode.api._builds import open_ports, warm_up
from mlcode.api._git import commit_records, push_to_origin
from mlcode.api._registration import register
from mlcode.api._saved_plan import load_plan, refuse_stale, saved_plan_path
from mlcode.api.plan import PlanOutcome, plan_repo
from mlcode.apply.executor import ApplyResult, Workspace, apply_plan
from mlcode.errors import ApplyRefused, MlcodeError, StorageError
from mlcode.killpoint import kill_point
from mlcode.lock import ApplyLock
from mlcode.plan.types import Action, Plan
from mlcode.state.reuse import ReuseIndex
from mlcode.vcs import changed_paths, clear_stale_locks, refuse_mid_operation, register_merge_driver
from mlcode.workspace import Repo, open_repo

if TYPE_CHECKING:
    from mlcode.apply.events import Event
    from mlcode.registry.promote import RegistryOutcome
    from mlcode.runner.pool import LocalRunner
    from mlcode.state.types import Record
    from mlcode.storage.dvc import DvcStore


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """What `apply` is asked to do: the options of `mlcode apply`.

    `targets` limits the plan to those addresses and what they need upstream; `replace`
    forces their rebuild (both address strings, parsed when planning). `jobs`: parallel
    builds (None: the settings' `jobs`, else one per core). `lock_timeout`: seconds to
    wait for another apply (0: refuse at once). `commit=False` records without
    committing, so registration waits; `push=False` keeps new artifacts in the local
    cache; `git_push` pushes the commit and the tags to origin; `refresh_remote` asks the
    remote which recorded artifacts it holds. `plan_file`: a plan saved by `plan --out`,
    applied exactly (its own targets and replace, no confirmation) or refused as stale.
    """

    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    jobs: int | None = None
    lock_timeout: float = 0.0
    commit: bool = True
    push: bool = True
    git_push: bool = False
    refresh_remote: bool = False
    plan_file: str | os.PathLike[str] | None = None


@dataclass(frozen=True)
class ApplyOutcome:
    """The plan apply carried out, what its builds did (`result`, None when the plan had
    no changes), the commit of the state records (if any), what registration did, the
    artifacts uploaded to which remote, and whether origin got the commit and tags."""

    plan: Plan
    result: ApplyResult | None = None
    commit: str | None = None
    registry: RegistryOutcome | None = None
    notes: tuple[str, ...] = ()
    pushed: bool = False
    pushed_objects: int = 0
    remote: str | None = None

    @property
    def applied(self) -> bool:
        """The plan had changes, and they were carried out."""
        return self.result is not None

    @property
    def exit_code(self) -> int:
        """0 ok; 1 a node failed; 3 a promotion was blocked by a gate (DESIGN 5)."""
        if self.result is not None and not self.result.ok:
            return 1
        return 3 if self.registry is not None and self.registry.blocked else 0


@dataclass(frozen=True, slots=True)
class _Upload:
    """Step 3: objects uploaded to `remote`, notes, and the error that stopped it."""

    objects: int = 0
    remote: str | None = None
    notes: tuple[str, ...] = ()
    error: StorageError | None = None


def apply(
    start: str | os.PathLike[str] | None = None,
    options: ApplyOptions = ApplyOptions(),
    confirm: Callable[[Plan], bool] = lambda plan: True,
    on_event: Callable[[Event], None] = lambda event: None,
) -> ApplyOutcome:
    """Plan, confirm, build, record, push the new artifacts, commit, then register and
    promote (the module's diagram). `confirm` sees a plan with changes before anything
    is built (False: ApplyRefused); `on_event` each build's progress."""
    repo = open_repo(start)
    saved = None
    if options.plan_file is not None:  # a saved plan carries its own scope, and was reviewed
        saved = load_plan(options.plan_file)
        scope = saved["binding"]
        options = dataclasses.replace(
            options, targets=tuple(scope["targets"]), replace=tuple(scope["replace"])
        )
        confirm = _reviewed
    with ApplyLock(repo.cache_dir / "lock", timeout=options.lock_timeout) as lock:
        kill_point("lock.taken")
        notes = _prepare(repo, lock.taken_over)
        run, artifacts = open_ports(repo, options.jobs)
        upload = _Upload()
        try:
            outcome = _plan(repo, options, run, artifacts, saved)
            result = _build(repo, outcome, options, run, artifacts, confirm, on_event)
            notes += result.notes if result is not None else []
            kill_point("push.start")
            if options.push:
                upload = _push_artifacts(artifacts, _unpushed(repo, outcome, result, options))
            notes += [*upload.notes, *artifacts.notes()]
        finally:
            run.close()
            artifacts.close()
        if result is not None:
            _remember(repo, result.records.values())
        commit, registry = None, None
        if options.commit:
            kill_point("commit.start")
            commit = commit_records(repo, outcome.plan, result)
            if upload.error is not None:
                raise upload.error  # never a tag for an artifact the remote lacks
            kill_point("tags.start")
            if result is not None:
                ignore = saved_plan_path(repo, options.plan_file)
                registry, registered = register(repo, outcome, result, ignore)
                notes += registered
        elif result is not None:
            notes.append("registration waits: --no-commit")
        if upload.error is not None:
            raise upload.error
        pushed = False
        if options.git_push:
            kill_point("git-push.start")
            push_to_origin(repo, registry.tags if registry is not None else [], commit)
            pushed = True
        return ApplyOutcome(
            outcome.plan,
            result,
            commit=commit,
            registry=registry,
            notes=tuple(notes),
            pushed=pushed,
            pushed_objects=upload.objects,
            remote=upload.remote,
        )


def _reviewed(plan: Plan) -> bool:
    """A saved plan's confirmation: it was reviewed when it was saved."""
    return True


def _prepare(repo: Repo, dead: dict[str, Any] | None) -> list[str]:
    """Before any spec is read: clear what a dead apply (whose lock was taken over) left,
    refuse a half-done merge or rebase, and drop unpublished builds. Notes on what was
    cleared."""
    notes = _clear_after(repo, dead)
    # Even --no-commit writes records that a half-done merge would then carry.
    refuse_mid_operation(repo.root, "apply")
    with contextlib.suppress(MlcodeError):  # a clone lacks the local config
        register_merge_driver(repo.root, attributes_too=False)
    # Builds of an interrupted apply are never published: drop them.
    shutil.rmtree(repo.cache_dir / "tmp", ignore_errors=True)
    return notes


def _clear_after(repo: Repo, dead: dict[str, Any] | None) -> list[str]:
    """Notes on the Git lock files a dead apply's killed `git` held, now removed."""
    if dead is None:
        return []
    removed = clear_stale_locks(repo.root, float(dead.get("since", 0.0)))
    who = f"pid {dead.get('pid')}"
    notes = [f"took over the lock of a dead apply ({who})"]
    notes += [f"removed {path}, left by that apply's killed git" for path in removed]
    return notes


def _plan(
    repo: Repo,
    options: ApplyOptions,
    run: LocalRunner,
    artifacts: DvcStore,
    saved: dict[str, Any] | None,
) -> PlanOutcome:
    """The plan to carry out, made while the build workers start; a saved plan is
    refused when the fresh one is not bound to exactly the same."""
    remote = artifacts if options.refresh_remote else None
    outcome = plan_repo(repo, options.targets, options.replace, (), warm_up(run, repo.root), remote)
    if saved is not None and options.plan_file is not None:
        refuse_stale(repo, saved, options.plan_file, outcome)
    return outcome


def _build(
    repo: Repo,
    outcome: PlanOutcome,
    options: ApplyOptions,
    run: LocalRunner,
    artifacts: DvcStore,
    confirm: Callable[[Plan], bool],
    on_event: Callable[[Event], None],
) -> ApplyResult | None:
    """Steps 1 and 2, once confirmed: build, publish and record every change (None: the
    plan has none). A failed node keeps its record; its downstream is skipped."""
    if not outcome.plan.has_changes:
        return None
    artifacts.warm()
    if not confirm(outcome.plan):
        raise ApplyRefused("apply cancelled", "nothing was changed")
    return apply_plan(
        outcome.plan,
        outcome.project.resources,
        outcome.dag,
        outcome.observed,
        run,
        artifacts,
        Workspace(repo.root, repo.cache_dir, outcome.observed.base_commit),
        on_event,
        forced=frozenset(Address.parse(r) for r in options.replace),
    )


def _unpushed(
    repo: Repo, outcome: PlanOutcome, result: ApplyResult | None, options: ApplyOptions
) -> list[str]:
    """Step 3's objects: what this apply built, restored or repaired, and (as no commit
    or tag may name an artifact the remote lacks) every record this apply will commit or
    register: an interrupted apply's uncommitted leftovers included."""
    records = dict(result.records) if result is not None else {}
    observed = outcome.observed.records
    for change in outcome.plan.changes:
        if change.action in (Action.REGISTER, Action.PROMOTE) and change.address in observed:
            records.setdefault(change.address, observed[change.address])
    if options.commit and (repo.root / "artifacts").exists():
        leftovers = set(changed_paths(repo.root, ["artifacts"]))
        for address, record in observed.items():
            if address.record_path in leftovers:
                records.setdefault(address, record)
    return sorted({md5 for r in records.values() for md5 in r.objects})


def _push_artifacts(artifacts: DvcStore, hashes: list[str]) -> _Upload:
    """Step 3: upload these objects (with a `.dir`, its files) to the remote."""
    if not hashes:
        return _Upload()
    if artifacts.remote_name() is None:
        return _Upload(
            notes=(
                "no DVC remote configured: artifacts stay in the local cache "
                "(set `remote:` in conf/mlcode.yaml or run `mlcode init`)",
            )
        )
    try:
        objects = artifacts.push(hashes)
        return _Upload(objects, artifacts.describe_remote())
    except StorageError as exc:
        return _Upload(error=exc)


def _remember(repo: Repo, records: Iterable[Record]) -> None:
    """Add the new records to the reuse index: a fingerprint built once is restored."""
    index = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    for record in records:
        index.add(record)
    index.save()
