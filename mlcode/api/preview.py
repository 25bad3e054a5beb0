"""`apply --preview`: build the changes into the DVC cache, score their gates against
the current champions, and record, commit, push and tag nothing (DESIGN 5): the
pull-request view."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlcode.address import Address, Kind
from mlcode.api._builds import open_ports, warm_up
from mlcode.api._scorer import Scorer
from mlcode.api.plan import PlanOutcome, plan_repo
from mlcode.apply.executor import ApplyResult, Workspace, apply_plan
from mlcode.lock import ApplyLock
from mlcode.plan.types import Action, Change, Plan
from mlcode.registry.decide import bump_part, champion_metrics, decide, scored_split
from mlcode.workspace import open_repo

if TYPE_CHECKING:
    from mlcode.apply.events import Event
    from mlcode.config.types import Resource
    from mlcode.state.types import Record


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
    commit, push and tag nothing."""
    repo = open_repo(start)
    with ApplyLock(repo.cache_dir / "lock", timeout=lock_timeout):
        run, artifacts = open_ports(repo, jobs)
        area = repo.cache_dir / "preview" / uuid.uuid4().hex[:8]
        scorer = Scorer(repo, area)
        try:
            outcome = plan_repo(repo, targets, replace, overrides, warm_up(run, repo.root))
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
            plan = _enrich(outcome, result, scorer)
            notes = artifacts.notes()
        finally:
            run.close()
            artifacts.close()
            scorer.close()
            shutil.rmtree(area, ignore_errors=True)
    return PreviewOutcome(plan, result, notes + scorer.notes)


def _enrich(outcome: PlanOutcome, result: ApplyResult | None, scorer: Scorer) -> Plan:
    """The plan with each built candidate's metrics, and each model's promotion decided
    against the champion on any branch (a pull request is never the registry branch)."""
    changes = []
    for change in outcome.plan.changes:
        built = result.records.get(change.address) if result is not None else None
        if built is not None and change.after is not None:
            change = dataclasses.replace(
                change,
                after=dataclasses.replace(
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
    return dataclasses.replace(outcome.plan, changes=tuple(changes))


def _with_decision(
    change: Change, candidate: Record, resource: Resource, outcome: PlanOutcome, scorer: Scorer
) -> Change:
    """`change` with its promotion decided for `candidate` (gates scored, champion
    re-scored on the candidate's test split where needed)."""
    registry = outcome.observed.registry
    if registry is None:
        return change
    name = change.address.name
    split = scored_split(candidate)

    def champion(version: str) -> Any:
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
        model, candidate.fingerprint, part, resource.stage, gates, candidate.metrics, champion
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
        return dataclasses.replace(change, promotion=None)
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
    return dataclasses.replace(change, action=action, reasons=tuple(reasons), promotion=promotion)
