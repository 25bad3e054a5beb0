"""The planner: desired state x observed state -> Plan. Pure: no I/O, no user code.

for node in DAG order (within --target scope):
    inputs  = upstream artifact hashes (known unless an upstream builds) + sources
    fp      = fingerprint(spec, inputs, code, env)           (None if inputs unknown)
    action  = replace? rebuild | fp unknown? rebuild/create (upstream X rebuilt)
            | no record? reuse if fp built before else create
            | fp == recorded? repair if local copy corrupt else noop
            | reuse if fp built before else rebuild
records whose spec is gone -> retire

models, on the registry branch (registry.decide): not registered -> register (a noop
becomes `register`); the spec's stage held by another version -> promotion (a noop
becomes `promote`) unless a gate already fails on recorded metrics (-> a note); other
stages held -> unassigned. Off the registry branch this waits (one note).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace as _replace

from mlcode.address import NAME_RE, Address, Kind
from mlcode.config.fingerprint import fingerprint, spec_changes
from mlcode.config.secrets import contains_redacted
from mlcode.config.types import Resource, redact
from mlcode.errors import PlanError
from mlcode.graph.dag import DAG
from mlcode.plan.types import (
    Action,
    ArtifactState,
    Change,
    Facts,
    Observed,
    Plan,
    RegistryFacts,
    Snapshot,
)
from mlcode.registry.decide import bump_part, champion_metrics, decide, decide_retire
from mlcode.state.types import Record


def fingerprint_of(
    resource: Resource, facts: Facts, upstream: Mapping[Address, str | None]
) -> str | None:
    """The resource's fingerprint, or None while an upstream artifact is unknown."""
    inputs: dict[str, str | None] = {}
    for dep in resource.depends_on:
        md5 = upstream.get(dep)
        if md5 is None:
            return None
        inputs[str(dep)] = md5
    inputs.update({f"source:{k}": v for k, v in facts.sources.items()})
    # Models are seeded from their address (apply.executor.seed_for): it is an input.
    seed_source = str(resource.address) if resource.address.kind is Kind.MODEL else None
    return fingerprint(resource.spec, inputs, facts.code, facts.env, seed_source, facts.env_vars)


def record_inputs(resource: Resource, facts: Facts, upstream: Mapping[Address, str | None]):
    """The `inputs` mapping stored in a record (same keys the fingerprint uses)."""
    inputs: dict[str, str | None] = {str(d): upstream.get(d) for d in resource.depends_on}
    inputs.update({f"source:{k}": v for k, v in facts.sources.items()})
    return inputs


def make_plan(
    resources: Mapping[Address, Resource],
    dag: DAG[Address],
    observed: Observed,
    targets: Iterable[Address] = (),
    replace: Iterable[Address] = (),
) -> Plan:
    """Diff desired against observed state; one change per resource in scope."""
    targets, replace = tuple(targets), frozenset(replace)
    for address in (*targets, *replace):
        if address not in resources and address not in observed.records:
            raise PlanError(f"no resource {address}", "run `mlcode plan` to list addresses")
    scope = dag.ancestors(a for a in targets if a in resources) if targets else set(dag.nodes)
    known: dict[Address, str | None] = {}  # artifact hash each node will have after apply
    changes: list[Change] = []
    notes: list[str] = []
    absent = waiting = 0
    registry = observed.registry
    for address in dag.order:
        if address not in scope:
            record = observed.records.get(address)
            known[address] = record.artifact.digest if record else None
            continue
        change = _plan_node(resources[address], observed, known, address in replace)
        known[address] = _digest_after(change, observed)
        facts = observed.facts[address]
        if change.action is Action.NOOP and facts.artifact is ArtifactState.ABSENT:
            absent += 1
        if registry is not None and address.kind is Kind.MODEL:
            staged, waits = _with_registry(
                change, resources[address], observed, registry, known, notes
            )
            if registry.on_branch:
                change = staged
            elif waits and not change.action.builds:
                waiting += 1  # (builds report it at the end of apply)
        changes.append(change)
    for address, record in sorted(observed.records.items()):
        if address not in resources and (not targets or address in targets):
            changes.append(_retire(record, registry))
    if registry is not None and registry.on_branch:
        for name, model in registry.view.models.items():
            if not NAME_RE.match(name):
                continue  # a tag's name that is no model address: not mlcode's to retire
            address = Address(Kind.MODEL, name)
            if (
                model.managed
                and model.active
                and address not in resources
                and address not in observed.records
                and (not targets or address in targets)
            ):
                reason = f"{address} has no spec: deprecate it in the registry"
                changes.append(
                    _retire_reasons(Change(address, Action.RETIRE, (reason,), None, None), registry)
                )
    if absent:
        noun = "artifact" if absent == 1 else "artifacts"
        notes.append(f"{absent} {noun} not present locally: run mlcode pull")
        if observed.remote_warning:
            notes.append(observed.remote_warning)
    if waiting and registry is not None:
        noun = "model waits" if waiting == 1 else "models wait"
        notes.append(
            f"{waiting} {noun} for registration or a stage change, which needs {registry.waits_for}"
        )
    return Plan(base_commit=observed.base_commit, changes=tuple(changes), notes=tuple(notes))


def _with_registry(
    change: Change,
    resource: Resource,
    observed: Observed,
    registry: RegistryFacts,
    known: Mapping[Address, str | None],
    notes: list[str],
) -> tuple[Change, bool]:
    """`change` with its registry part (version, `register`/`promote`, the promotion),
    and whether the registry has work to do for it."""
    address = resource.address
    name = address.name
    model = registry.view.get(name)
    record = observed.records.get(address)
    action = change.action
    fp = change.after.fingerprint if change.after else None
    candidate = None
    if action in (Action.NOOP, Action.REPAIR):
        candidate = record
    elif action is Action.REUSE and fp:
        candidate = observed.reuse.get(fp)
    if candidate is not None:
        inputs: Mapping[str, str | None] = candidate.inputs
    else:
        inputs = {str(d): known.get(d) for d in resource.depends_on}

    def reference() -> Record | None:
        """What a new version is compared with: the highest registered one's record."""
        if model is not None and model.highest:
            return registry.records.get((name, model.highest), record)
        return record

    split = inputs.get(f"dataset.{resource.spec.get('dataset')}")

    def champion(version: str) -> Mapping[str, float] | None:
        # Another test split: unknown until apply re-scores it.
        return champion_metrics(registry.records.get((name, version)), split)

    gates = [(str(k), str(v)) for k, v in (resource.spec.get("gates") or {}).items()]
    decision = decide(
        model,
        candidate.fingerprint if candidate else fp,
        lambda: bump_part(reference(), resource.spec, inputs),
        resource.stage,
        gates,
        candidate.metrics if candidate else None,
        champion,
    )
    if decision.blocked and registry.on_branch:
        notes.append(decision.blocked_note(str(address), str(resource.stage)))
    reasons = list(change.reasons)
    if action is Action.NOOP and decision.register:
        action = Action.REGISTER
        reasons.append(f"built but not registered: register as {decision.version}")
    elif action is Action.NOOP and decision.moves:
        action = Action.PROMOTE
    if decision.moves:
        old_stage = record.spec.get("stage") if record else None
        if record is not None and old_stage != resource.stage:
            reasons.append(f"stage: {old_stage or '(none)'} -> {resource.stage or '(none)'}")
        reasons += decision.reasons()
    before = change.before
    if before is not None and model is not None and record is not None:
        before = _replace(before, version=model.version_for(record.fingerprint))
    after = _replace(change.after, version=decision.version) if change.after else None
    promotion = decision.promotion()
    if promotion is not None and decision.assign and decision.from_version:
        # The champion's recorded metrics, for reviewers (gates use them only on the
        # same test split).
        champ = registry.records.get((name, decision.from_version))
        if champ is not None:
            promotion["champion"] = {"version": decision.from_version, "metrics": champ.metrics}
    staged = Change(address, action, tuple(reasons), before, after, promotion)
    return staged, decision.register or decision.moves


def _retire_reasons(change: Change, registry: RegistryFacts | None) -> Change:
    """A retire's registry part, as reasons: stages dropped, deprecation."""
    if registry is None or not registry.on_branch:
        return change
    decision = decide_retire(registry.view.get(change.address.name))
    reasons = list(change.reasons) + decision.reasons()
    if decision.deprecate:
        reasons.append("deprecate in the registry")
    return _replace(change, reasons=tuple(reasons))


def _plan_node(
    resource: Resource, observed: Observed, known: Mapping[Address, str | None], forced: bool
) -> Change:
    address = resource.address
    facts = observed.facts[address]
    record = observed.records.get(address)
    before = _snapshot(record) if record else None
    fp = fingerprint_of(resource, facts, known)
    spec = redact(resource.spec)
    pending = Snapshot(fingerprint=fp, spec=spec)
    building_ups = [d for d in resource.depends_on if known.get(d) is None]

    if forced:
        reasons = ["forced by --replace"]
        if record is not None and fp == record.fingerprint:
            reasons.append(
                "same fingerprint as the record: apply reports whether the bytes come out "
                "identical (a model keeps its version either way)"
            )
        return Change(address, _build(record), tuple(reasons), before, pending)
    if fp is None:
        if record is None:
            return Change(address, Action.CREATE, ("new resource",), None, pending)
        reasons = _diff(resource, facts, record, known)
        reasons = [r for r in reasons if r != "fingerprint changed"]
        reasons += [f"upstream {d} rebuilt" for d in building_ups]
        return Change(address, _build(record), tuple(reasons), before, pending)
    if record is not None and fp == record.fingerprint:
        if facts.artifact is ArtifactState.CORRUPT:
            after = Snapshot(fp, spec, record.artifact.md5, record.version, record.metrics)
            return Change(address, Action.REPAIR, ("local copy corrupt",), before, after)
        if facts.on_remote is False:
            how = (
                "push the local copy again"
                if facts.artifact is ArtifactState.OK
                else "restore it from the cache or rebuild it, then push"
            )
            after = Snapshot(fp, spec, record.artifact.md5, record.version, record.metrics)
            reason = f"the remote lacks the recorded artifact: {how}"
            return Change(address, Action.REPAIR, (reason,), before, after)
        after = Snapshot(fp, spec, record.artifact.md5, record.version, record.metrics)
        return Change(address, Action.NOOP, (), before, after)
    earlier = observed.reuse.get(fp)
    reasons = _diff(resource, facts, record, known) if record else ["new resource"]
    if earlier is not None:
        origin = earlier.version or (earlier.built_from or "")[:12] or "an earlier build"
        md5 = earlier.artifact.md5
        where = observed.objects.where(md5) if observed.objects is not None else "cache"
        if where == "absent":
            reasons.append(
                f"built before ({origin}) as {md5}, but neither the DVC cache nor the "
                "remote holds it: build it again"
            )
            return Change(address, _build(record), tuple(reasons), before, pending)
        reasons.append(f"built before ({origin}): restore artifact {md5} {_FROM[where]}")
        after = Snapshot(fp, spec, md5, earlier.version, earlier.metrics)
        return Change(address, Action.REUSE, tuple(reasons), before, after)
    return Change(address, _build(record), tuple(reasons), before, pending)


_FROM = {
    "cache": "from the cache",
    "remote": "from the remote",
    "unknown": "from the remote (not in the local cache; built again if the remote lacks it)",
}


def _digest_after(change: Change, observed: Observed) -> str | None:
    """The content digest the node's artifact will have after apply (None: unknown)."""
    if change.action is Action.NOOP or change.action is Action.REPAIR:
        return observed.records[change.address].artifact.digest
    if change.action is Action.REUSE and change.after and change.after.fingerprint:
        earlier = observed.reuse.get(change.after.fingerprint)
        return earlier.artifact.digest if earlier else None
    return None


def _build(record: Record | None) -> Action:
    return Action.REBUILD if record is not None else Action.CREATE


def _snapshot(record: Record) -> Snapshot:
    return Snapshot(
        fingerprint=record.fingerprint,
        spec=redact(record.spec),  # a record written before a redaction rule existed
        artifact=record.artifact.md5,
        version=record.version,
        metrics=dict(record.metrics),
    )


def _diff(
    resource: Resource, facts: Facts, record: Record, known: Mapping[Address, str | None]
) -> list[str]:
    """Specific reasons why `resource` differs from its record."""
    reasons = spec_changes(record.spec, resource.spec)
    for path in sorted(set(record.code) | set(facts.code)):
        old, new = record.code.get(path), facts.code.get(path)
        if path not in record.code:
            reasons.append(f"code {path} added")
        elif path not in facts.code:
            reasons.append(f"code {path} removed")
        elif old != new:
            reasons.append(f"code {path} changed")
    for dist in sorted(set(record.env) | set(facts.env)):
        old, new = record.env.get(dist), facts.env.get(dist)
        if old != new:
            reasons.append(f"{dist} {old or '(absent)'} -> {new or '(absent)'}")
    for name in sorted(set(record.env_vars) | set(facts.env_vars)):
        if name not in record.env_vars:
            reasons.append(f"env {name} read")
        elif name not in facts.env_vars:
            reasons.append(f"env {name} no longer read")
        elif record.env_vars[name] != facts.env_vars[name]:
            reasons.append(f"env {name} changed")
    for path, digest in sorted(facts.sources.items()):
        if record.inputs.get(f"source:{path}") != digest:
            reasons.append(f"source {path} changed")
    for dep in resource.depends_on:
        new_hash = known.get(dep)
        if new_hash is not None and record.inputs.get(str(dep)) != new_hash:
            reasons.append(f"{dep} changed")
    if not reasons and contains_redacted(redact(resource.spec)):
        # Records hold secrets redacted, so a changed secret shows only through the digest.
        return ["fingerprint changed (a sensitive value may have changed)"]
    return reasons or ["fingerprint changed"]


def _retire(record: Record, registry: RegistryFacts | None) -> Change:
    reason = f"spec {record.address.spec_path} deleted"
    change = Change(record.address, Action.RETIRE, (reason,), _snapshot(record), None)
    return _retire_reasons(change, registry) if record.address.kind is Kind.MODEL else change
