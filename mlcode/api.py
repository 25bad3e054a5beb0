"""Use cases behind the CLI, callable from Python: validate, plan, apply, show, init.

Each function finds the repository, reads specs and state, calls the pure core, and
does its side effects through the adapters from `workspace`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlcode.address import Address
from mlcode.apply.events import Event
from mlcode.errors import MlcodeError, PlanError
from mlcode.graph.build import resource_graph
from mlcode.graph.dag import DAG
from mlcode.plan.planner import make_plan
from mlcode.plan.types import Action, Observed, Plan
from mlcode.spec.resolve import Project, load_project, read_settings
from mlcode.workspace import Repo, open_repo

if TYPE_CHECKING:
    from mlcode.apply.executor import ApplyResult


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

    @property
    def exit_code(self) -> int:
        return 1 if self.result is not None and not self.result.ok else 0


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


def validate(start: str | os.PathLike[str] | None = None) -> Project:
    """Resolve and check every spec; raise SpecError listing all problems."""
    repo = open_repo(start)
    project = load_project(repo.root, cache_dir=repo.cache_dir)
    resource_graph(project.resources)
    return project


def plan(
    start: str | os.PathLike[str] | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    overrides: Iterable[str] = (),
) -> PlanOutcome:
    """Make a plan (no side effects beyond `.mlcode/` caches; runs no user code)."""
    return _plan(open_repo(start), targets, replace, overrides)


def _plan(
    repo: Repo, targets, replace, overrides, on_project: Callable[[Project], None] | None = None
) -> PlanOutcome:
    from mlcode.refresh import Refresher

    target_addrs = [Address.parse(t) for t in targets]
    replace_addrs = [Address.parse(r) for r in replace]
    project = load_project(repo.root, parse_overrides(overrides), cache_dir=repo.cache_dir)
    if on_project is not None:
        on_project(project)
    dag = resource_graph(project.resources)
    refresher = Refresher(repo.root, repo.cache_dir)
    observed = refresher.observe(project, dag)
    if refresher.record_problems:
        raise PlanError(
            "unreadable state records:\n  " + "\n  ".join(refresher.record_problems),
            "restore them from Git (`git checkout -- FILE`)",
        )
    result = make_plan(project.resources, dag, observed, target_addrs, replace_addrs)
    return PlanOutcome(result, project, dag, observed, project.composed)


def apply(
    start: str | os.PathLike[str] | None = None,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    jobs: int | None = None,
    confirm: Callable[[Plan], bool] = lambda plan: True,
    on_event: Callable[[Event], None] = lambda event: None,
    lock_timeout: float = 0.0,
    commit: bool = True,
) -> ApplyOutcome:
    """Plan, confirm, build, record and commit (DESIGN 5, steps 1, 2 and 4)."""
    from mlcode.apply.executor import Workspace, apply_plan
    from mlcode.lock import ApplyLock
    from mlcode.workspace import runner, store

    repo = open_repo(start)
    with ApplyLock(repo.cache_dir / "lock", timeout=lock_timeout):
        # Builds of an interrupted apply are never published: drop them.
        shutil.rmtree(repo.cache_dir / "tmp", ignore_errors=True)
        run = runner(jobs or read_settings(repo.root).jobs or os.cpu_count() or 1)
        artifacts = store(repo.root)
        try:
            # Start the build workers' imports (~2 s of scikit-learn and pandas) while
            # the plan is made and shown; a plan with nothing to build stops them again.
            outcome = _plan(
                repo, targets, replace, (), lambda p: run.start(_installed_modules(repo.root, p))
            )
            plan_ = outcome.plan
            result_outcome = ApplyOutcome(plan_)
            if not plan_.has_changes:
                result_outcome.commit = _commit(repo, plan_, None) if commit else None
                return result_outcome
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
        finally:
            run.close()
            artifacts.close()
        _remember(repo, result.records.values())
        result_outcome.result = result
        result_outcome.applied = True
        if commit:
            result_outcome.commit = _commit(repo, plan_, result)
        return result_outcome


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
    """The recorded state of one resource or all, as plain data (DESIGN 6 `show`)."""
    from mlcode.state.records import RecordIndex

    repo = open_repo(start)
    records, problems = RecordIndex(repo.root, repo.cache_dir / "index.json").load()
    if problems:
        raise PlanError("unreadable state records:\n  " + "\n  ".join(problems))
    wanted = [Address.parse(address)] if address else sorted(records)
    out = []
    for addr in wanted:
        record = records.get(addr)
        if record is None:
            raise MlcodeError(f"{addr} has no recorded state", "run `mlcode apply` first")
        out.append(
            {
                "address": str(addr),
                "version": record.version,
                "fingerprint": record.fingerprint,
                "artifact": record.artifact.md5,
                "metrics": record.metrics,
                "spec": record.spec,
                "inputs": record.inputs,
                "code": record.code,
                "env": record.env,
                "built_at": record.built_at,
                "built_from": record.built_from,
                "stages": [],
                "gates": [],
            }
        )
    return out


def init(start: str | os.PathLike[str] | None = None) -> list[str]:
    """Scaffold a project in the current Git repository; returns what it created."""
    from mlcode.scaffold import scaffold

    repo = open_repo(start)
    return scaffold(repo.root)


__all__ = [
    "ApplyOutcome",
    "PlanOutcome",
    "apply",
    "init",
    "parse_overrides",
    "plan",
    "show",
    "validate",
]
