"""Apply's step 5 (edge): on the registry branch, with specs and code committed,
decide each model's gates and create its registration and stage tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlcode.address import Kind
from mlcode.api._scorer import Scorer
from mlcode.plan.types import Action
from mlcode.refresh import covered_files
from mlcode.registry.promote import Intent, RegistryOutcome, register_and_promote
from mlcode.vcs import current_branch, head_commit, uncommitted_inputs
from mlcode.workspace import Repo

if TYPE_CHECKING:
    from mlcode.api.plan import PlanOutcome
    from mlcode.apply.executor import ApplyResult


def register(
    repo: Repo,
    outcome: PlanOutcome,
    result: ApplyResult,
    ignore: frozenset[str] = frozenset(),
) -> tuple[RegistryOutcome | None, list[str]]:
    """Tag versions and stages for the models apply left built (None: nothing to tag,
    or registration waits) and the notes saying why or what happened. `ignore`: files
    that do not count as uncommitted inputs (a saved plan inside the repo)."""
    intents = _intents(outcome, result)
    if not intents:
        return None, []
    branch = outcome.project.settings.registry_branch
    here = current_branch(repo.root)
    if here != branch:
        return None, [f"registration waits for branch {branch} (HEAD is on {here})"]
    dirty = uncommitted_inputs(repo.root, covered_files(outcome.observed.facts.values()), ignore)
    if dirty:
        return None, [f"registration waits for a clean tree (uncommitted: {dirty[0]})"]
    head = head_commit(repo.root)
    if head is None:
        return None, []
    scorer = Scorer(repo)
    try:
        registry = register_and_promote(repo.root, head, intents, scorer)
    finally:
        scorer.close()
    return registry, [*registry.notes, *scorer.notes]


def _intents(outcome: PlanOutcome, result: ApplyResult) -> list[Intent]:
    """Every model in the plan whose build (if any) succeeded, as apply left it."""
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
        out.append(Intent(address, record, resource.stage, gates, previous))
    return out
