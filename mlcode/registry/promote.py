"""Apply step 5 (edge): register new versions, move stages, retire models, as Git tags.

Runs after the state records are committed, on the registry branch with a clean tree.
The tags are read afresh (another apply may have tagged meanwhile), every model's
decision is made against them, and all new tags are created in one transaction:

    register   NAME@vX.Y.Z        on HEAD (the commit holding the new record)
    unassign   NAME#STAGE!#N      on the registration commit of the version losing it
    assign     NAME#STAGE#N       on the registration commit of the version taking it
    deprecate  NAME@deprecated#N  on HEAD, after the model's stages are unassigned

Tagger times increase by one second per tag of a model, starting after its last event,
so `gto` (which orders by timestamp) agrees with the counters mlcode orders by.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlcode.address import Address
from mlcode.registry.decide import (
    RECORDED,
    Decision,
    ScoreFailed,
    bump_part,
    champion_metrics,
    decide,
    decide_retire,
    scored_split,
)
from mlcode.registry.gittags import NewTag, create_tags, now, read_registry, read_version_records
from mlcode.registry.tags import assign_tag, deprecate_tag, register_tag, unassign_tag
from mlcode.registry.view import GATE_LINE, Model
from mlcode.state.types import Record

# (champion record, candidate record) -> the champion's metrics on the candidate's test
# split, or ScoreFailed/None when it cannot be scored (then its recorded metrics serve)
Scorer = Callable[[Record, Record], Mapping[str, float] | ScoreFailed | None]


@dataclass(frozen=True, slots=True)
class Intent:
    """One model as apply left it: its current record (None: retire it), its desired
    stage and gates, and the record it had before."""

    address: Address
    record: Record | None
    stage: str | None = None
    gates: tuple[tuple[str, str], ...] = ()
    previous: Record | None = None


@dataclass
class RegistryOutcome:
    """What step 5 did: tags created, versions registered, stage moves, blocked gates."""

    tags: list[str] = field(default_factory=list)
    registered: dict[str, str] = field(default_factory=dict)
    moves: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # gates decided on recorded metrics


def register_and_promote(
    root: Path, head: str, intents: list[Intent], scorer: Scorer
) -> RegistryOutcome:
    """Decide and tag every intent; all tags in one transaction (RegistryConflict if a
    tag appeared meanwhile: nothing is tagged then)."""
    view = read_registry(root)
    needed: list[tuple[Model, str]] = []
    for intent in intents:
        model = view.get(intent.address.name)
        if model is not None:
            wanted = set(model.current_stages().values()) | {model.highest}
            needed += [(model, v) for v in sorted(wanted - {None}) if v in model.versions]
    records = read_version_records(root, view, needed)
    outcome = RegistryOutcome()
    tags: list[NewTag] = []
    clock = now()
    for intent in intents:
        name = intent.address.name
        model = view.get(name)
        if intent.record is None:
            decision = decide_retire(model)
        else:
            decision = _decide(intent, intent.record, model, records, scorer)
        if decision.blocked:
            note = decision.blocked_note(str(intent.address), str(intent.stage))
            outcome.blocked.append(note)
        elif decision.assign:
            outcome.notes += [
                f"{intent.address} gate {g}" for g in decision.gates if RECORDED in g.note
            ]
        fingerprint = intent.record.fingerprint if intent.record else ""
        tags += _tags(name, model, decision, head, clock, fingerprint)
        if decision.register and decision.version:
            outcome.registered[str(intent.address)] = decision.version
        outcome.moves += [f"{intent.address} {r}" for r in decision.reasons()]
        if decision.deprecate:
            outcome.moves.append(f"{intent.address} deprecated")
    create_tags(root, tags)
    outcome.tags = [t.name for t in tags]
    return outcome


def _decide(
    intent: Intent,
    record: Record,
    model: Model | None,
    records: Mapping[tuple[str, str], Record],
    scorer: Scorer,
) -> Decision:
    name = intent.address.name
    reference = intent.previous
    if model is not None and model.highest:
        reference = records.get((name, model.highest), reference)
    split = scored_split(record)

    def champion(version: str) -> Mapping[str, float] | None:
        return champion_metrics(records.get((name, version)), split, lambda c: scorer(c, record))

    decision = decide(
        model,
        record.fingerprint,
        lambda: bump_part(reference, record.spec, record.inputs),
        intent.stage,
        list(intent.gates),
        record.metrics,
        champion,
    )
    if decision.pending_gates:
        # At apply every gate must be decided: a champion that cannot be scored blocks.
        gates = tuple(
            replace(g, ok=False, note="champion unavailable: could not score it")
            if g.ok is None
            else g
            for g in decision.gates
        )
        kept = tuple(u for u in decision.unassign if u != (decision.assign, decision.from_version))
        decision = Decision(
            decision.version, decision.register, None, decision.from_version, gates, True, kept
        )
    return decision


def _tags(
    name: str, model: Model | None, d: Decision, head: str, clock: int, fingerprint: str
) -> list[NewTag]:
    t = max(clock, model.last_time + 1) if model else clock
    counter = model.next_counter() if model else 1

    def commit_of(version: str) -> str:
        if d.register and version == d.version:
            return head
        info = model.versions.get(version) if model else None
        return info.commit if info else version  # GTO names unregistered versions by commit

    out: list[NewTag] = []
    if d.register and d.version:
        message = (
            f"Registering artifact {name} version {d.version}\n\n"
            f"mlcode-fingerprint: {fingerprint}\n"
            f"mlcode-record: {Address.parse('model.' + name).record_path}"
        )
        out.append(NewTag(register_tag(name, d.version), head, message, t))
        t += 1
    for stage, version in d.unassign:
        message = f"Unassigning stage {stage} from artifact {name} version {version}"
        out.append(NewTag(unassign_tag(name, stage, counter), commit_of(version), message, t))
        counter, t = counter + 1, t + 1
    if d.assign and d.version:
        gates = "".join(f"\n{GATE_LINE}{g}" for g in d.gates)
        message = f"Assigning stage {d.assign} to artifact {name} version {d.version}\n{gates}"
        out.append(NewTag(assign_tag(name, d.assign, counter), commit_of(d.version), message, t))
        counter, t = counter + 1, t + 1
    if d.deprecate:
        out.append(NewTag(deprecate_tag(name, counter), head, f"Deprecating artifact {name}", t))
    return out
