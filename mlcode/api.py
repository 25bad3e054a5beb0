"""Use cases behind the CLI, callable from Python: validate, plan, apply, show, init.

Each function finds the repository, reads specs and state, calls the pure core, and
does its side effects through the adapters from `workspace`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcode.address import Address
from mlcode.errors import MlcodeError, PlanError
from mlcode.workspace import Repo, open_repo

# The core is imported where it is used: `mlcode registry` and `mlcode show` need none
# of spec resolution or planning, and start faster without it.
if TYPE_CHECKING:
    from mlcode.apply.events import Event
    from mlcode.apply.executor import ApplyResult
    from mlcode.graph.dag import DAG
    from mlcode.plan.types import Observed, Plan
    from mlcode.registry.promote import Intent, RegistryOutcome
    from mlcode.spec.resolve import Project
    from mlcode.state.types import Record


@dataclass(frozen=True)
class PlanOutcome:
    """A plan and what it was made from (`composed`: specs Hydra had to compose)."""

    plan: Plan
    project: Project
    dag: DAG[Address]
    observed: Observed
    composed: tuple[str, ...]


@dataclass
class ApplyOutcome:
    """The plan apply carried out, what happened, and the commit it made (if any)."""

    plan: Plan
    result: ApplyResult | None = None
    commit: str | None = None
    applied: bool = False
    registry: RegistryOutcome | None = None
    notes: list[str] = field(default_factory=list)
    pushed: bool = False
    pushed_objects: int = 0
    remote: str | None = None

    @property
    def exit_code(self) -> int:
        """0 ok; 1 a node failed; 3 a promotion was blocked by a gate (DESIGN 5)."""
        if self.result is not None and not self.result.ok:
            return 1
        return 3 if self.registry is not None and self.registry.blocked else 0


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


def validate(
    start: str | os.PathLike[str] | None = None,
    on_warning: Callable[[str], None] = lambda warning: None,
) -> Project:
    """Resolve and check every spec; raise SpecError listing all problems. Problems
    that do not stop a build (dynamic imports the code scan cannot follow) go to
    `on_warning`, one line each."""
    from mlcode.graph.build import resource_graph
    from mlcode.spec.resolve import load_project

    repo = open_repo(start)
    project = load_project(repo.root, cache_dir=repo.cache_dir)
    resource_graph(project.resources)
    for warning in _code_warnings(repo, project.resources.values()):
        on_warning(warning)
    return project


def _code_warnings(repo: Repo, resources: Iterable[Any], refresher: Any = None) -> list[str]:
    """Warnings of the code scan for `resources` (through `refresher`'s caches)."""
    from mlcode.refresh import Refresher

    refresher = refresher or Refresher(repo.root, repo.cache_dir)
    try:
        return refresher.code_warnings(resources)
    finally:
        refresher.save()


def exit_soon() -> None:
    """Declare this process one short command that exits when done (the CLI's plain
    plan): what the plan keeps is frozen for the garbage collector, not traversed again
    (mlcode.collector). Only for a process entry point."""
    from mlcode.collector import exit_soon as declare

    declare()


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
        return _plan(repo, targets, replace, overrides)
    from mlcode.spec.resolve import read_settings
    from mlcode.workspace import store

    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        return _plan(repo, targets, replace, overrides, None, artifacts)
    finally:
        artifacts.close()


def _plan(
    repo: Repo,
    targets,
    replace,
    overrides,
    on_project: Callable[[Project], None] | None = None,
    remote: Any = None,
) -> PlanOutcome:
    from dataclasses import replace as _replace

    from mlcode.collector import paused
    from mlcode.graph.build import resource_graph
    from mlcode.plan.planner import make_plan
    from mlcode.plan.types import ArtifactState
    from mlcode.refresh import ObjectLocator, Refresher
    from mlcode.spec.resolve import load_project
    from mlcode.vcs import RESTORE_RECORD_HINT

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
            _check_remote(remote, observed)
        warning = None
        # The planner says it only beside the pull note, when an artifact is absent:
        # read DVC's config files for it then only.
        if any(f.artifact is ArtifactState.ABSENT for f in observed.facts.values()):
            from mlcode.storage.remotescope import remote_scope

            warning = remote_scope(repo.root, project.settings.remote).warning
        objects = ObjectLocator(repo.root, remote)
        observed = _replace(observed, objects=objects, remote_warning=warning)
        result = make_plan(project.resources, dag, observed, target_addrs, replace_addrs)
        result = _with_notes(result, _code_warnings(repo, _in_scope(project, result), refresher))
    return PlanOutcome(result, project, dag, observed, project.composed)


def _in_scope(project: Project, plan: Plan) -> list:
    return [project.resources[c.address] for c in plan.changes if c.address in project.resources]


def _with_notes(plan: Plan, notes: list[str]) -> Plan:
    from dataclasses import replace as _replace

    return _replace(plan, notes=(*plan.notes, *notes)) if notes else plan


def save_plan(outcome: PlanOutcome, path: str | os.PathLike[str], targets=(), replace=()) -> None:
    """Write `outcome`'s plan with its binding (`plan --out FILE`); secrets redacted."""
    from mlcode.fsutil import write_json
    from mlcode.plan.planfile import KIND, VERSION
    from mlcode.report.json import plan_to_dict

    repo = open_repo(outcome.project.root)
    data = {
        "kind": KIND,
        "version": VERSION,
        "plan": plan_to_dict(outcome.plan),
        "binding": _binding(repo, outcome, targets, replace),
    }
    write_json(path, data)


def _binding(repo: Repo, outcome: PlanOutcome, targets, replace) -> dict:
    from mlcode.fsutil import file_md5
    from mlcode.plan.planfile import binding
    from mlcode.registry.gittags import read_events
    from mlcode.spec.resolve import SETTINGS_FILE

    files = {SETTINGS_FILE} | {f for r in outcome.project.resources.values() for f in r.files}
    files |= {c.address.spec_path for c in outcome.plan.changes}
    hashes = {}
    for rel in files:
        path = repo.root / rel
        hashes[rel] = file_md5(path) if path.is_file() else None
    tags = [e.tag for e in read_events(repo.root)]
    return binding(outcome.plan, outcome.observed, hashes, tags, targets, replace)


def load_plan(path: str | os.PathLike[str]) -> dict:
    """Read a saved plan; PlanError when it is not one."""
    from mlcode.fsutil import read_json
    from mlcode.plan.planfile import KIND, VERSION

    data = read_json(path)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise PlanError(
            f"{path} is not a saved mlcode plan", "make one with `mlcode plan --out FILE`"
        )
    if data.get("version") != VERSION:
        raise PlanError(f"{path} is a saved plan of another format ({data.get('version')})")
    return data


def _check_remote(remote: Any, observed: Observed) -> None:
    """`--refresh remote`: mark each recorded artifact the remote holds or lacks."""
    from dataclasses import replace as _replace

    from mlcode.errors import StorageError

    if remote.remote_name() is None:
        raise StorageError(
            "--refresh remote: no DVC remote is configured",
            "set `remote:` in conf/mlcode.yaml, `dvc remote add -d NAME URL` or `mlcode init`",
        )
    records = {a: r for a, r in observed.records.items() if a in observed.facts}
    missing = remote.missing_on_remote(sorted({h for r in records.values() for h in r.objects}))
    for address, record in records.items():
        on_remote = not missing.intersection(record.objects)
        observed.facts[address] = _replace(observed.facts[address], on_remote=on_remote)


def apply(
    start: str | os.PathLike[str] | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    jobs: int | None = None,
    confirm: Callable[[Plan], bool] = lambda plan: True,
    on_event: Callable[[Event], None] = lambda event: None,
    lock_timeout: float = 0.0,
    commit: bool = True,
    git_push: bool = False,
    push: bool = True,
    refresh_remote: bool = False,
    plan_file: str | os.PathLike[str] | None = None,
) -> ApplyOutcome:
    """Plan, confirm, build, record, push the new artifacts, commit, then register and
    promote (DESIGN 5). A failed push still commits the records (the artifacts are in
    the local cache) but registers nothing, then raises StorageError."""
    import shutil

    from mlcode.apply.executor import Workspace, apply_plan
    from mlcode.errors import StorageError
    from mlcode.killpoint import kill_point
    from mlcode.lock import ApplyLock
    from mlcode.spec.resolve import read_settings
    from mlcode.vcs import refuse_mid_operation, register_merge_driver
    from mlcode.workspace import runner, store

    repo = open_repo(start)
    saved = load_plan(plan_file) if plan_file is not None else None
    if saved is not None:  # a saved plan carries its own scope, and was reviewed
        targets, replace = saved["binding"]["targets"], saved["binding"]["replace"]
        confirm = lambda plan: True  # noqa: E731
    with ApplyLock(repo.cache_dir / "lock", timeout=lock_timeout) as lock:
        kill_point("lock.taken")
        cleared = _clear_after(repo, lock.taken_over)
        # Even --no-commit writes records that a half-done merge would then carry.
        refuse_mid_operation(repo.root, "apply")
        with contextlib.suppress(MlcodeError):  # a clone lacks the local config
            register_merge_driver(repo.root, attributes_too=False)
        # Builds of an interrupted apply are never published: drop them.
        shutil.rmtree(repo.cache_dir / "tmp", ignore_errors=True)
        settings = read_settings(repo.root)
        run = runner(jobs or settings.jobs or os.cpu_count() or 1)
        artifacts = store(repo.root, settings.remote)
        push_error: StorageError | None = None
        try:
            # Start the build workers' imports (~2 s of scikit-learn and pandas) while
            # the plan is made and shown; a plan with nothing to build stops them again.
            outcome = _plan(
                repo,
                targets,
                replace,
                (),
                lambda p: run.start(_installed_modules(repo.root, p)),
                artifacts if refresh_remote else None,
            )
            plan_ = outcome.plan
            if saved is not None:
                from mlcode.plan.planfile import stale_reasons

                fresh = _binding(repo, outcome, targets, replace)
                moved = stale_reasons(saved["binding"], fresh)
                if moved:
                    raise PlanError(
                        f"the saved plan {plan_file} is stale:\n  " + "\n  ".join(moved),
                        "make a new one with `mlcode plan --out FILE`",
                    )
            result_outcome = ApplyOutcome(plan_)
            result_outcome.notes += cleared
            result: ApplyResult | None = None
            if plan_.has_changes:
                artifacts.warm()
                if not confirm(plan_):
                    from mlcode.errors import ApplyRefused

                    raise ApplyRefused("apply cancelled", "nothing was changed")
                result = apply_plan(
                    plan_,
                    outcome.project.resources,
                    outcome.dag,
                    outcome.observed,
                    run,
                    artifacts,
                    Workspace(repo.root, repo.cache_dir, outcome.observed.base_commit),
                    on_event,
                    forced=frozenset(Address.parse(r) for r in replace),
                )
                result_outcome.notes += result.notes
            kill_point("push.start")
            if push:
                try:
                    _push_artifacts(
                        artifacts, _unpushed(repo, outcome, result, commit), result_outcome
                    )
                except StorageError as exc:
                    push_error = exc
            result_outcome.notes += artifacts.notes()
        finally:
            run.close()
            artifacts.close()
        if result is not None:
            _remember(repo, result.records.values())
            result_outcome.result = result
            result_outcome.applied = True
        if commit:
            kill_point("commit.start")
            result_outcome.commit = _commit(repo, plan_, result)
            if push_error is not None:
                raise push_error  # never a tag for an artifact the remote lacks
            kill_point("tags.start")
            if result is not None:
                _registry_step(repo, outcome, result, result_outcome, _inside(repo, plan_file))
        elif result is not None:
            result_outcome.notes.append("registration waits: --no-commit")
        if push_error is not None:
            raise push_error
        if git_push:
            kill_point("git-push.start")
            _push(repo, result_outcome)
        return result_outcome


def _clear_after(repo: Repo, dead: dict | None) -> list[str]:
    """Notes on what a dead apply (whose lock was taken over) left for this one to clear:
    Git lock files its killed `git` held; its unpublished builds go in any case."""
    if dead is None:
        return []
    from mlcode.vcs import clear_stale_locks

    removed = clear_stale_locks(repo.root, float(dead.get("since", 0.0)))
    who = f"pid {dead.get('pid')}"
    notes = [f"took over the lock of a dead apply ({who})"]
    notes += [f"removed {path}, left by that apply's killed git" for path in removed]
    return notes


def _unpushed(
    repo: Repo, outcome: PlanOutcome, result: ApplyResult | None, commit: bool
) -> list[str]:
    """Apply step 3's objects: what this apply built, restored or repaired, and (as no
    commit or tag may name an artifact the remote lacks) every record this apply will
    commit or register: an interrupted apply's uncommitted leftovers included."""
    from mlcode.plan.types import Action
    from mlcode.vcs import changed_paths

    records = dict(result.records) if result is not None else {}
    observed = outcome.observed.records
    for change in outcome.plan.changes:
        if change.action in (Action.REGISTER, Action.PROMOTE) and change.address in observed:
            records.setdefault(change.address, observed[change.address])
    if commit and (repo.root / "artifacts").exists():
        leftovers = set(changed_paths(repo.root, ["artifacts"]))
        for address, record in observed.items():
            if address.record_path in leftovers:
                records.setdefault(address, record)
    return sorted({md5 for r in records.values() for md5 in r.objects})


def _push_artifacts(artifacts: Any, hashes: list[str], done: ApplyOutcome) -> None:
    """Apply step 3: upload these objects (with a `.dir`, its files) to the remote."""
    if not hashes:
        return
    if artifacts.remote_name() is None:
        done.notes.append(
            "no DVC remote configured: artifacts stay in the local cache "
            "(set `remote:` in conf/mlcode.yaml or run `mlcode init`)"
        )
        return
    done.pushed_objects = artifacts.push(hashes)
    done.remote = artifacts.describe_remote()


def _inside(repo: Repo, path: str | os.PathLike[str] | None) -> frozenset[str]:
    """`path` relative to the repo (a saved plan file there is no uncommitted input)."""
    if path is None:
        return frozenset()
    try:
        return frozenset({Path(path).resolve().relative_to(repo.root).as_posix()})
    except ValueError:
        return frozenset()


def _registry_step(
    repo: Repo,
    outcome: PlanOutcome,
    result: ApplyResult,
    done: ApplyOutcome,
    ignore: frozenset[str] = frozenset(),
) -> None:
    """Step 5: on the registry branch with a clean tree, tag versions and stages."""
    from mlcode.registry.observe import covered_files
    from mlcode.registry.promote import register_and_promote
    from mlcode.vcs import current_branch, head_commit, uncommitted_inputs

    branch = outcome.project.settings.registry_branch
    intents = _intents(outcome, result)
    if not intents:
        return
    here = current_branch(repo.root)
    if here != branch:
        done.notes.append(f"registration waits for branch {branch} (HEAD is on {here})")
        return
    dirty = uncommitted_inputs(repo.root, covered_files(outcome.observed.facts.values()), ignore)
    if dirty:
        done.notes.append(f"registration waits for a clean tree (uncommitted: {dirty[0]})")
        return
    head = head_commit(repo.root)
    if head is None:
        return
    scorer = _Scorer(repo)
    try:
        done.registry = register_and_promote(repo.root, head, intents, scorer)
        done.notes += done.registry.notes
    finally:
        scorer.close()
        done.notes += scorer.notes


def _intents(outcome: PlanOutcome, result: ApplyResult) -> list[Intent]:
    """Every model in the plan whose build (if any) succeeded, as apply left it."""
    from mlcode.address import Kind
    from mlcode.plan.types import Action
    from mlcode.registry.promote import Intent

    out = []
    for change in outcome.plan.changes:
        address = change.address
        # A noop needs no registry work on the registry branch (the plan would have said
        # register or promote); a blocked promotion there is already a plan note.
        if address.kind is not Kind.MODEL or address in result.failed:
            continue
        if change.action is Action.NOOP:
            continue
        if result.skipped.get(address, "").startswith("upstream"):
            continue
        previous = outcome.observed.records.get(address)
        if change.action is Action.RETIRE:
            out.append(Intent(address, None, previous=previous))
            continue
        record = result.records.get(address) or previous
        resource = outcome.project.resources.get(address)
        if record is None or resource is None:
            continue
        gates = tuple((str(k), str(v)) for k, v in (resource.spec.get("gates") or {}).items())
        out.append(
            Intent(
                address,
                record,
                resource.stage,
                gates,
                previous,
            )
        )
    return out


class _Scorer:
    """Scores a champion on a candidate's test split in a worker process (user code).

    The champion's model comes from the DVC cache, checked against its record (a
    corrupt object is quarantined), else from the remote; `notes` says what was
    quarantined once `close()` ran."""

    def __init__(self, repo: Repo, preview: Path | None = None) -> None:
        self.repo = repo
        self.preview = preview  # where `apply --preview` published its builds
        self._runner: Any = None
        self._store: Any = None
        self.notes: list[str] = []

    def __call__(self, champion: Record, candidate: Record) -> Any:
        """The champion's metrics on the candidate's test split; None when its model
        cannot be had; ScoreFailed (with the log) when scoring it fails."""
        import uuid

        from mlcode.build.task import BuildTask
        from mlcode.registry.decide import ScoreFailed
        from mlcode.workspace import runner

        dataset = str(candidate.spec.get("dataset"))
        folder = self.repo.root / "artifacts" / "datasets" / dataset
        if self.preview is not None and (self.preview / "artifacts/datasets" / dataset).is_dir():
            folder = self.preview / "artifacts/datasets" / dataset
        model = self._model(champion) if folder.is_dir() else None
        if model is None:
            return None
        logs = self.repo.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        if self._runner is None:
            self._runner = runner(1)
        task = BuildTask(
            address=f"score {champion.address}",
            kind="score",
            spec={"dataset": dataset, "model": str(model), "metrics": list(candidate.metrics)},
            root=str(self.repo.root),
            out_dir=str(self.repo.cache_dir / "tmp" / f"score-{uuid.uuid4().hex[:8]}"),
            log_path=str(logs / f"score-{champion.address}.log"),
            upstream={dataset: str(folder)},
        )
        done = self._runner.submit(task).result()
        return (
            done.metrics
            if done.ok
            else ScoreFailed(done.error, os.path.relpath(task.log_path, self.repo.root))
        )

    def _model(self, champion: Record) -> Path | None:
        """The champion's checked `model.joblib` in the cache (fetched when missing)."""
        from mlcode.errors import StorageError
        from mlcode.spec.resolve import read_settings
        from mlcode.workspace import store

        if self._store is None:
            self._store = store(self.repo.root, read_settings(self.repo.root).remote)
        md5 = dict(champion.artifact.files).get("model.joblib")
        label = f"model.joblib of the champion {champion.address}"
        path = self._store.checked(md5, label)
        if path is None and md5 and self._store.remote_name() is not None:
            with contextlib.suppress(StorageError):  # unavailable: gates say so
                self._store.fetch([champion.artifact.md5])
            path = self._store.checked(md5, label)
        return path

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
        if self._store is not None:
            self.notes += self._store.notes()
            self._store.close()
            self._store = None


@dataclass
class PreviewOutcome:
    """`apply --preview`: the plan enriched with the candidates' metrics and gate
    outcomes, and what the builds did. Nothing was recorded, committed or tagged."""

    plan: Plan
    result: ApplyResult | None = None
    notes: list[str] = field(default_factory=list)  # e.g. corrupt cache objects moved aside

    @property
    def exit_code(self) -> int:
        return 1 if self.result is not None and not self.result.ok else 0


def preview(
    start: str | os.PathLike[str] | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    overrides: Iterable[str] = (),
    jobs: int | None = None,
    on_event: Callable[[Event], None] = lambda event: None,
    lock_timeout: float = 0.0,
) -> PreviewOutcome:
    """Build the changed resources into the DVC cache (not over the work tree), score
    their gates against the current champions, and return the enriched plan; record,
    commit, push and tag nothing (DESIGN 5 `apply --preview`, the pull-request view)."""
    import shutil
    import uuid

    from mlcode.apply.executor import Workspace, apply_plan
    from mlcode.lock import ApplyLock
    from mlcode.plan.types import Action
    from mlcode.spec.resolve import read_settings
    from mlcode.workspace import runner, store

    repo = open_repo(start)
    with ApplyLock(repo.cache_dir / "lock", timeout=lock_timeout):
        settings = read_settings(repo.root)
        run = runner(jobs or settings.jobs or os.cpu_count() or 1)
        artifacts = store(repo.root, settings.remote)
        area = repo.cache_dir / "preview" / uuid.uuid4().hex[:8]
        scorer = _Scorer(repo, area)
        try:
            outcome = _plan(
                repo,
                targets,
                replace,
                overrides,
                lambda p: run.start(_installed_modules(repo.root, p)),
            )
            result = None
            if any(c.action.builds or c.action is Action.REUSE for c in outcome.plan.changes):
                artifacts.warm()
                result = apply_plan(
                    outcome.plan,
                    outcome.project.resources,
                    outcome.dag,
                    outcome.observed,
                    run,
                    artifacts,
                    Workspace(repo.root, repo.cache_dir, outcome.observed.base_commit, area),
                    on_event,
                    forced=frozenset(Address.parse(r) for r in replace),
                )
            plan_ = _enrich(outcome, result, scorer)
            notes = artifacts.notes()
        finally:
            run.close()
            artifacts.close()
            scorer.close()
            shutil.rmtree(area, ignore_errors=True)
    return PreviewOutcome(plan_, result, notes + scorer.notes)


def _enrich(outcome: PlanOutcome, result: ApplyResult | None, scorer: _Scorer) -> Plan:
    """The plan with each built candidate's metrics, and each model's promotion decided
    against the champion on any branch (a pull request is never the registry branch)."""
    from dataclasses import replace as _replace

    from mlcode.address import Kind
    from mlcode.plan.types import Action

    changes = []
    for change in outcome.plan.changes:
        built = result.records.get(change.address) if result is not None else None
        if built is not None and change.after is not None:
            change = _replace(
                change,
                after=_replace(
                    change.after,
                    fingerprint=built.fingerprint,
                    artifact=built.artifact.md5,
                    metrics=dict(built.metrics),
                ),
            )
        candidate = built
        if candidate is None and change.action in (Action.NOOP, Action.PROMOTE, Action.REGISTER):
            candidate = outcome.observed.records.get(change.address)
        resource = outcome.project.resources.get(change.address)
        if candidate is not None and resource is not None and change.address.kind is Kind.MODEL:
            change = _with_decision(change, candidate, resource, outcome, scorer)
        changes.append(change)
    return _replace(outcome.plan, changes=tuple(changes))


def _with_decision(change, candidate: Record, resource, outcome: PlanOutcome, scorer) -> Any:
    """`change` with its promotion decided for `candidate` (gates scored, champion
    re-scored on the candidate's test split where needed)."""
    from dataclasses import replace as _replace

    from mlcode.plan.types import Action
    from mlcode.registry.decide import bump_part, champion_metrics, decide, scored_split

    registry = outcome.observed.registry
    if registry is None:
        return change
    name = change.address.name
    split = scored_split(candidate)

    def champion(version: str):
        rescore = lambda champ: scorer(champ, candidate)  # noqa: E731
        return champion_metrics(registry.records.get((name, version)), split, rescore)

    model = registry.view.get(name)
    previous = outcome.observed.records.get(change.address)

    def part() -> str:
        reference = previous
        if model is not None and model.highest:
            reference = registry.records.get((name, model.highest), previous)
        return bump_part(reference, candidate.spec, candidate.inputs)

    gates = [(str(k), str(v)) for k, v in (resource.spec.get("gates") or {}).items()]
    decision = decide(
        model,
        candidate.fingerprint,
        part,
        resource.stage,
        gates,
        candidate.metrics,
        champion,
    )
    promotion = decision.promotion()
    if decision.blocked and promotion is None:
        promotion = {
            "stage": resource.stage,
            "from_version": decision.from_version,
            "to_version": None,
            "gates": [g.to_dict() for g in decision.gates],
            "unassign": [],
        }
    if promotion is None:
        return _replace(change, promotion=None)
    promotion["blocked"] = decision.blocked
    for gate in promotion["gates"]:
        if gate["ok"] is None and gate.get("note") == "champion scored at apply":
            gate["note"] = "champion unavailable"
    champ = registry.records.get((name, decision.from_version or ""))
    if champ is not None:
        promotion["champion"] = {"version": decision.from_version, "metrics": champ.metrics}
    action = change.action
    if action is Action.NOOP and decision.moves:
        action = Action.PROMOTE
    reasons = list(change.reasons)
    old_stage = previous.spec.get("stage") if previous else None
    stage_reason = f"stage: {old_stage or '(none)'} -> {resource.stage or '(none)'}"
    if previous is not None and old_stage != resource.stage and stage_reason not in reasons:
        reasons.append(stage_reason)
    reasons += [r for r in decision.reasons() if r not in reasons]
    if decision.blocked:
        reasons.append(f"{resource.stage}: blocked by a gate")
    return _replace(change, action=action, reasons=tuple(reasons), promotion=promotion)


def _push(repo: Repo, done: ApplyOutcome) -> None:
    """`--git-push`: the branch and every registry tag, atomically. Tags origin has are
    no-ops; those an interrupted push left behind go now. A tag origin holds on another
    object is refused, never forced.

    A rejected push (origin moved on, or someone pushed a tag of the same name) removes
    the tags this apply created (never published: the push is atomic) and keeps the
    commit: left behind, they would clash with origin's on every fetch and push. The
    next apply after a pull registers again on top of origin's history."""
    from mlcode.errors import GitError
    from mlcode.registry.gittags import delete_tags, push, read_events
    from mlcode.vcs import current_branch

    branch = current_branch(repo.root)
    if branch is None:
        raise GitError("cannot push a detached HEAD", "check out the registry branch")
    try:
        push(repo.root, "origin", branch, sorted({e.tag for e in read_events(repo.root)}))
    except GitError as exc:
        created = done.registry.tags if done.registry is not None else []
        removed = delete_tags(repo.root, created)
        message = exc.message
        if removed:
            message += f"\nremoved the tags this apply created, unpushed: {', '.join(removed)}"
        if done.commit:
            message += f"\nthe commit {done.commit[:12]} stays"
        raise GitError(message, _push_hint(repo, branch)) from None
    done.pushed = True


def _push_hint(repo: Repo, branch: str) -> str:
    """What to do after a rejected push; names local tags that clash with origin's."""
    from mlcode.errors import GitError
    from mlcode.registry.gittags import tag_drift

    hint = (
        "nothing was pushed; get origin's work and tags "
        f"(`git pull --rebase --tags origin {branch}`), then run `mlcode apply --git-push` again: it registers anew on top of it"
    )
    try:
        differ = tag_drift(repo.root).differ
    except GitError:
        return hint
    if differ:
        hint += (
            f"; local tags differ from origin's ({', '.join(differ)}): "
            f"`git tag -d {' '.join(differ)}` then `git fetch --tags`"
        )
    return hint


def _installed_modules(root, project: Project) -> set[str]:
    """Installed modules that builds may import (preloaded once by the fork server)."""
    from mlcode.spec.targets import iter_targets

    modules = set()
    for resource in project.resources.values():
        for _key, target in iter_targets(resource.spec):
            module = target.rpartition(".")[0]
            if module and not (root / module.split(".")[0]).exists():
                modules.add(module)
    return modules


def _remember(repo: Repo, records) -> None:
    from mlcode.state.reuse import ReuseIndex

    index = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    for record in records:
        index.add(record)
    index.save()


def _commit(repo: Repo, plan_: Plan, result: Any) -> str | None:
    """Commit every state record (and DVC's .gitignore) differing from HEAD, nothing else."""
    from mlcode.vcs import changed_paths, commit_paths

    if not (repo.root / "artifacts").exists():
        return None
    paths = [
        p
        for p in changed_paths(repo.root, ["artifacts"])
        if p.endswith(".dvc") or p.endswith("/.gitignore")
    ]
    if not paths:
        return None
    return commit_paths(repo.root, paths, _commit_message(plan_, result, paths))


def _commit_message(plan_: Plan, result: Any, paths: list[str]) -> str:
    from mlcode.plan.types import Action

    lines = []
    done = result.records if result is not None else {}
    for change in plan_.changes:
        if change.action is Action.NOOP:
            continue
        if result is not None and change.address in result.failed:
            lines.append(f"- {change.address}: failed")
        elif change.address in done or change.action is Action.RETIRE:
            lines.append(f"- {change.address}: {change.action.value}")
    if not lines:
        lines = [f"- {p}" for p in paths]
    title = f"mlcode apply: record {len(paths)} state file{'s' if len(paths) != 1 else ''}"
    return title + "\n\n" + "\n".join(lines) + "\n"


def show(start: str | os.PathLike[str] | None = None, address: str | None = None) -> list[dict]:
    """The recorded state of one resource or all, as plain data (DESIGN 6 `show`).

    `address` may name a registered version: `model.NAME@v1.2.0` or `model.NAME#STAGE`
    (the version holding that stage); its record is read from its registration commit.
    """
    from mlcode.registry.gittags import read_registry
    from mlcode.state.records import RecordIndex

    repo = open_repo(start)
    view = read_registry(repo.root)
    if address and ("@" in address or "#" in address):
        addr, version, record = _registered(repo, view, address)
        return [_show_item(addr, record, view, version)]
    records, problems = RecordIndex(repo.root, repo.cache_dir / "index.json").load()
    if problems:
        raise PlanError("unreadable state records:\n  " + "\n  ".join(problems))
    wanted = [Address.parse(address)] if address else sorted(records)
    out = []
    for addr in wanted:
        record = records.get(addr)
        if record is None:
            raise MlcodeError(f"{addr} has no recorded state", "run `mlcode apply` first")
        model = view.get(addr.name) if addr.kind.value == "model" else None
        version = model.version_for(record.fingerprint) if model else None
        out.append(_show_item(addr, record, view, version))
    return out


def _show_item(addr: Address, record: Record, view: Any, version: str | None) -> dict:
    from mlcode.spec.secrets import redact

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
        "at": _iso(info.time),
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
                    "at": _iso(entry.event.time),
                }
                break
    return item


def _iso(unix: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(unix, UTC).isoformat()


def _registered(repo: Repo, view: Any, ref: str) -> tuple[Address, str, Record]:
    """Resolve `model.NAME@vX.Y.Z` / `model.NAME#STAGE` to (address, version, record)."""
    from mlcode.registry.gittags import read_version_records

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
            raise MlcodeError(f"no version of {addr} is in stage {want!r} (stages held: {held})")
    else:
        version = want
        if version not in model.versions:
            known = ", ".join(sorted(model.versions)) or "none"
            raise MlcodeError(f"{addr} has no version {version} (registered: {known})")
    records = read_version_records(repo.root, view, [(model, version)])
    record = records.get((addr.name, version))
    if record is None:
        raise MlcodeError(
            f"{addr} {version} has no mlcode state record at its registration commit "
            f"{model.versions[version].commit[:12]}",
            "it was registered outside mlcode; register a version built by `mlcode apply`",
        )
    return addr, version, record


def registry(start: str | os.PathLike[str] | None = None, address: str | None = None) -> list[dict]:
    """Registered models: versions, current stages and the assignment history."""
    from mlcode.registry.gittags import read_registry

    repo = open_repo(start)
    view = read_registry(repo.root)
    if address:
        name = Address.parse(address).name
        if view.get(name) is None:
            raise MlcodeError(f"{address} is not in the registry", "run `mlcode registry`")
        models = [view.models[name]]
    else:
        models = list(view.models.values())
    from mlcode.registry.gittags import read_version_records

    # Versions registered with `gto register` name their build only through the record
    # at their commit: read it for the fingerprint.
    unnamed = [(m, v) for m in models for v, i in m.versions.items() if i.fingerprint is None]
    read_version_records(repo.root, view, unnamed)
    out = []
    for model in models:
        out.append(
            {
                "name": model.name,
                "active": model.active,
                "latest": model.latest,
                "stages": model.current_stages(),
                "versions": [
                    {
                        "version": v.version,
                        "commit": v.commit,
                        "fingerprint": v.fingerprint,
                        "registered_at": _iso(v.time),
                        "by": v.tagger,
                        "active": v.active and not model.deprecated,
                        "stages": model.stages_of(v.version),
                    }
                    for v in sorted(model.versions.values(), key=lambda v: _vkey(v.version))
                ],
                "history": [
                    {
                        "event": h.event.parsed.kind.value,
                        "version": h.version,
                        "stage": h.event.parsed.stage,
                        "counter": h.event.parsed.counter,
                        "tag": h.event.tag,
                        "commit": h.event.commit,
                        "at": _iso(h.event.time),
                        "by": h.event.tagger,
                    }
                    for h in model.history
                ],
            }
        )
    return out


def _vkey(version: str):
    from mlcode.registry.tags import version_key

    return version_key(version)


def load(ref: str, start: str | os.PathLike[str] | None = None) -> Any:
    """The fitted estimator of `model.NAME` (current record), `model.NAME@vX.Y.Z` or
    `model.NAME#STAGE`, loaded with joblib from the work tree or the DVC cache (fetched
    from the DVC remote when neither has it), its bytes checked against the record
    first. A corrupt cache object is quarantined and fetched again (with a
    `CorruptCacheWarning` saying so); MlcodeError when no intact copy is found."""
    from mlcode.errors import StorageError
    from mlcode.fsutil import file_md5
    from mlcode.registry.gittags import read_registry
    from mlcode.state.records import RecordIndex

    repo = open_repo(start)
    if "@" in ref or "#" in ref:
        addr, _version, record = _registered(repo, read_registry(repo.root), ref)
    else:
        addr = Address.parse(ref)
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
        from mlcode.spec.resolve import read_settings
        from mlcode.workspace import store

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
    if notes:
        import warnings

        from mlcode.errors import CorruptCacheWarning

        for note in notes:
            warnings.warn(note, CorruptCacheWarning, stacklevel=2)
    import joblib

    return joblib.load(path)


@dataclass
class TransferOutcome:
    """What push or pull did: per address `pushed`/`pulled`/`present`/`failed: why`,
    objects moved, and the remote used."""

    results: dict[str, str] = field(default_factory=dict)
    objects: int = 0
    remote: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. corrupt cache objects moved aside

    @property
    def ok(self) -> bool:
        return not any(v.startswith("failed") for v in self.results.values())


def _recorded(repo: Repo, addresses: Iterable[str]) -> dict[Address, Record]:
    from mlcode.state.records import RecordIndex

    records, problems = RecordIndex(repo.root, repo.cache_dir / "index.json").load()
    if problems:
        raise PlanError("unreadable state records:\n  " + "\n  ".join(problems))
    wanted = [Address.parse(a) for a in addresses]
    for address in wanted:
        if address not in records:
            raise MlcodeError(f"{address} has no recorded state", "run `mlcode apply` first")
    return {a: records[a] for a in (wanted or sorted(records))}


def push(
    start: str | os.PathLike[str] | None = None,
    addresses: Iterable[str] = (),
    on_progress: Callable[[str], None] = lambda address: None,
) -> TransferOutcome:
    """Upload the recorded artifacts (all, or those of `addresses`) to the DVC remote."""
    from mlcode.spec.resolve import read_settings
    from mlcode.workspace import store

    repo = open_repo(start)
    records = _recorded(repo, addresses)
    artifacts = store(repo.root, read_settings(repo.root).remote)
    out = TransferOutcome()
    try:
        out.remote = artifacts.describe_remote()
        for address, record in records.items():
            out.objects += artifacts.push(record.objects)
            out.results[str(address)] = "pushed"
            on_progress(str(address))
    finally:
        artifacts.close()
    return out


def pull(
    start: str | os.PathLike[str] | None = None,
    addresses: Iterable[str] = (),
    on_progress: Callable[[str], None] = lambda address: None,
) -> TransferOutcome:
    """Download and check out every recorded artifact not present (or not intact)
    locally, then check each one against its record. The cache objects of artifacts
    already present are checked too: a corrupt one is quarantined (`notes` says so),
    and a corrupt or missing one is stored again from the intact work-tree copy."""
    from mlcode.plan.types import ArtifactState
    from mlcode.refresh import Refresher
    from mlcode.spec.resolve import read_settings
    from mlcode.storage.remotescope import remote_scope
    from mlcode.workspace import store

    repo = open_repo(start)
    records = _recorded(repo, addresses)
    refresher = Refresher(repo.root, repo.cache_dir)
    todo = {a: r for a, r in records.items() if refresher.artifact_state(r) is not ArtifactState.OK}
    out = TransferOutcome({str(a): "present" for a in records if a not in todo})
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        for address, record in records.items():
            if address not in todo:
                files = dict(record.artifact.files)
                artifacts.check_cached(address.artifact_path, record.artifact.md5, files)
        if todo:
            out.remote = artifacts.describe_remote() if artifacts.remote_name() else ""
            warning = remote_scope(repo.root, read_settings(repo.root).remote).warning
            if warning:
                out.notes.append(warning)
        for address, record in todo.items():
            failed = artifacts.restore([address.record_path])
            # Check what landed against the record, not only DVC's word for it.
            state = refresher.artifact_state(record)
            if failed or state is not ArtifactState.OK:
                why = (
                    "not intact in the local cache, and no DVC remote is configured"
                    if artifacts.remote_name() is None
                    else "not on the remote, or its content does not match the record"
                )
                out.results[str(address)] = f"failed: {why}"
            else:
                out.results[str(address)] = "pulled"
                out.objects += len(record.artifact.files) + 1
            on_progress(str(address))
        out.notes = [*out.notes, *artifacts.notes()]
    finally:
        artifacts.close()
        refresher.save()
    return out


def verify(start: str | os.PathLike[str] | None = None, addresses: Iterable[str] = ()) -> list:
    """Rebuild each recorded resource from its record in isolation and compare
    (DESIGN 6 `verify`); returns one VerifyReport per address."""
    from mlcode.refresh import Refresher
    from mlcode.spec.resolve import read_settings
    from mlcode.state.reuse import ReuseIndex
    from mlcode.verify import Verifier
    from mlcode.workspace import store

    repo = open_repo(start)
    records = _recorded(repo, addresses)
    reuse = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    reuse.refresh()
    for record in records.values():
        reuse.add(record)

    def lookup(address: str, digest: str):
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


def gc(
    start: str | os.PathLike[str] | None = None,
    remote: bool = False,
    dry_run: bool = False,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Remove cache (and with `remote`, remote) objects that no state record refers to:
    not the work tree's, not one at the tip of any branch, not any registered version's
    (deprecated ones included). On the remote, only objects this repository recorded
    (its history of records, and every build apply recorded here) can go; everything
    else there is another project's and is kept, as is any file a foreign listing
    names. `confirm(result)` sees what would go before anything does. Returns what was
    kept and freed, per place, with the victims' md5s."""
    from mlcode.registry.gittags import read_registry, read_version_records
    from mlcode.spec.resolve import read_settings
    from mlcode.state.reuse import ReuseIndex, records_at
    from mlcode.vcs import git
    from mlcode.workspace import store

    repo = open_repo(start)
    keep_records = list(_recorded(repo, ()).values())
    tips = git(repo.root, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes")
    names = []
    for tip in sorted(set(tips.split())):
        listed = git(repo.root, "ls-tree", "-r", "--name-only", tip, "--", "artifacts")
        names += [f"{tip}:{p}" for p in listed.splitlines() if p.endswith(".dvc")]
    keep_records += [r for r in records_at(repo.root, names) if r is not None]
    view = read_registry(repo.root)
    versions = [(m, v) for m in view.models.values() for v in m.versions]
    keep_records += list(read_version_records(repo.root, view, versions).values())
    hashes = {md5 for r in keep_records for md5 in r.objects}
    hashes |= {md5 for r in keep_records for _path, md5 in r.artifact.files}
    reuse = ReuseIndex(repo.root, repo.cache_dir / "reuse.json")
    reuse.refresh()
    recorded = [*reuse.records(), *keep_records]
    owned = {md5 for r in recorded for md5 in r.objects}
    owned |= {md5 for r in recorded for _path, md5 in r.artifact.files}
    artifacts = store(repo.root, read_settings(repo.root).remote)
    try:
        keep = artifacts.expand(hashes)
        if remote:  # what another project claimed stays, even if it is ours too
            owned = artifacts.expand(owned) - artifacts.claimed_by_others()
        out = artifacts.collect_garbage(keep, remote, dry_run, owned, confirm)
    finally:
        artifacts.close()
        reuse.save()
    out["referenced_artifacts"] = len({r.artifact.md5 for r in keep_records})
    out["dry_run"] = dry_run
    return out


def diff(
    start: str | os.PathLike[str] | None = None, rev_a: str | None = None, rev_b: str | None = None
) -> dict[str, Any]:
    """Resolved-spec and metric differences between two revisions (DESIGN 6 `diff`).

    A revision's side comes from its state records. Defaults: REV_A is the merge-base
    of HEAD with the registry branch, REV_B the working tree, whose side is the current
    plan: resolved specs, and metrics where the record matches them.
    """
    from mlcode.report.diff import diff_sides
    from mlcode.spec.resolve import read_settings
    from mlcode.vcs import git

    repo = open_repo(start)
    if rev_a is None:
        branch = read_settings(repo.root).registry_branch
        try:
            rev_a = git(repo.root, "merge-base", "HEAD", branch).strip()
        except MlcodeError:
            rev_a = "HEAD"
    old = _side_at(repo, rev_a)
    if rev_b is None:
        outcome = _plan(repo, (), (), ())
        new = {
            str(c.address): (c.after.spec, dict(c.after.metrics))
            for c in outcome.plan.changes
            if c.after is not None
        }
        to = {"rev": "working tree", "commit": None}
    else:
        new = _side_at(repo, rev_b)
        to = {"rev": rev_b, "commit": _commit_of(repo, rev_b)}
    return {
        "format_version": 1,
        "from": {"rev": rev_a, "commit": _commit_of(repo, rev_a)},
        "to": to,
        "resources": diff_sides(old, new),
    }


def _commit_of(repo: Repo, rev: str) -> str:
    from mlcode.vcs import git

    try:
        return git(repo.root, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    except MlcodeError:
        raise MlcodeError(f"unknown revision {rev!r}", "name a commit, branch or tag") from None


def _side_at(repo: Repo, rev: str) -> dict:
    """address -> (recorded spec, metrics) of the state records at `rev`."""
    from mlcode.spec.secrets import redact
    from mlcode.state.reuse import records_at
    from mlcode.vcs import git

    commit = _commit_of(repo, rev)
    listed = git(repo.root, "ls-tree", "-r", "--name-only", commit, "--", "artifacts")
    names = [f"{commit}:{p}" for p in listed.splitlines() if p.endswith(".dvc")]
    return {
        str(r.address): (redact(r.spec), dict(r.metrics))
        for r in records_at(repo.root, names)
        if r is not None
    }


def doctor(start: str | os.PathLike[str] | None = None, remote: bool = False) -> list:
    """Check the setup apply depends on (DESIGN 6 `doctor`); a list of doctor.Check."""
    from mlcode.doctor import run_checks

    repo = open_repo(start)
    return run_checks(repo.root, repo.cache_dir, remote)


@dataclass(frozen=True)
class CiOutcome:
    """What `ci_github` wrote: the workflow's repo-relative path, its install step, and
    warnings about what a CI runner will not be able to reach."""

    path: str
    install: str
    warnings: tuple[str, ...] = ()


def ci_github(
    start: str | os.PathLike[str] | None = None, install: str | None = None, force: bool = False
) -> CiOutcome:
    """Write `.github/workflows/mlcode.yml` (DESIGN 7). Its install step is `install`,
    else exactly the mlcode installed here plus the project's dependency file
    (`ci.install_command`; MlcodeError where that cannot be known)."""
    from mlcode.ci import WORKFLOW_PATH, github_workflow, install_command
    from mlcode.distribution import installed
    from mlcode.fsutil import atomic_write
    from mlcode.spec.resolve import read_settings

    repo = open_repo(start)
    path = repo.root / WORKFLOW_PATH
    if path.exists() and not force:
        raise MlcodeError(f"{WORKFLOW_PATH} exists", "pass --force to overwrite it")
    settings = read_settings(repo.root)
    if not install:
        install = install_command(installed(), _dependency_files(repo.root))
    warnings = _remote_warnings(repo.root, settings.remote)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, github_workflow(settings.registry_branch, install))
    return CiOutcome(WORKFLOW_PATH, install, warnings)


def _dependency_files(root: Path) -> list[str]:
    """The project's own dependency files at its root that pip can install from: a
    `requirements.txt`, a `pyproject.toml` that declares a project."""
    import tomllib

    found = []
    if (root / "requirements.txt").is_file():
        found.append("requirements.txt")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            if "project" in tomllib.loads(pyproject.read_text(encoding="utf-8")):
                found.append("pyproject.toml")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
    return found


def _remote_warnings(root: Path, remote: str | None) -> tuple[str, ...]:
    """A runner cannot reach a remote that is a directory on this machine (or none)."""
    from urllib.parse import urlsplit

    from mlcode.workspace import store

    try:
        artifacts = store(root, remote)
    except MlcodeError as exc:  # no DVC setup: the workflow is still written
        return (f"{exc.message}: CI jobs will have no artifacts to use",)
    try:
        url = artifacts.remote_url()
    finally:
        artifacts.close()
    fix = "set a shared one (S3, SSH, ...): `remote:` in conf/mlcode.yaml or `dvc remote add -d NAME URL`"
    if url is None:
        return (f"no DVC remote is configured: CI jobs cannot fetch or store artifacts; {fix}",)
    if urlsplit(url).scheme in ("", "file") or os.path.isabs(url):
        return (
            f"the DVC remote {url} is a directory on this machine: CI jobs cannot reach it; " + fix,
        )
    return ()


def version() -> str | None:
    """The installed mlcode's version, from the package metadata (None: not installed)."""
    from mlcode.distribution import installed_version

    return installed_version()


def merge_record(base: str, ours: str, theirs: str) -> bool:
    """Git's merge driver for state records (`mlcode merge-record %O %A %B`): leaves a
    whole record in `ours`; False when neither side is one (a conflict)."""
    from mlcode.state.merge import merge_record as merge

    return merge(Path(base), Path(ours), Path(theirs))


def init(start: str | os.PathLike[str] | None = None) -> list[str]:
    """Scaffold a project in the current Git repository; returns what it created."""
    from mlcode.scaffold import scaffold

    repo = open_repo(start)
    return scaffold(repo.root)


def remote_warning(start: str | os.PathLike[str] | None = None) -> str | None:
    """Why a teammate's clone could not pull from this project's remote, with the fix
    (storage.remotescope); None when the remote is shared."""
    from mlcode.spec.resolve import read_settings
    from mlcode.storage.remotescope import remote_scope

    repo = open_repo(start)
    return remote_scope(repo.root, read_settings(repo.root).remote).warning


__all__ = [
    "ApplyOutcome",
    "CiOutcome",
    "PlanOutcome",
    "apply",
    "ci_github",
    "diff",
    "doctor",
    "exit_soon",
    "gc",
    "init",
    "load",
    "load_plan",
    "merge_record",
    "parse_overrides",
    "plan",
    "preview",
    "pull",
    "push",
    "registry",
    "remote_warning",
    "save_plan",
    "show",
    "validate",
    "verify",
    "version",
]
