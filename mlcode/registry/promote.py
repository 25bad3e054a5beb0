"""Apply step 5 (edge): register new versions, move stages, retire models, as Git tags.

Runs after the state records are committed, on the registry branch with a clean tree.
The tags are read afresh (another apply may have tagged meanwhile), every model's
decision is made against them, and all new tags are created in one transaction:

    register   NAME@vX.Y.Z        on HEAD (the commit holding the new record)
    unassign   NAME#STAGE!#N      on the registration commit of the version losing it
    assign     NAME#STAGE#N       on the registration commit of the version taking it
    deprecate  NAME@deprecated#N  on HEAD, after the model's stages are unassigned

Tags carry the real time. GTO orders events by their whole-second tagger time, and a
same-second tie can go against the intent (an unassignment beats an assignment, a stage
move beats a deprecation, of two assignments the older version's wins), so mlcode keeps
its tags out of ties: it waits, if need be, until the second after the touched models'
latest event; dates a deprecation one second after the unassignments before it
(waiting for that second); and returns only once the second of its last tag is over,
so that whatever comes next (a `gto assign` or `gto deprecate` right after it, another
apply) is dated later and not undone by a tie. Waits are under a second each, and only
when tags are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
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
from mlcode.registry.gittags import (
    SYSTEM_CLOCK,
    Clock,
    NewTag,
    create_tags,
    read_registry,
    read_version_records,
)
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


# A model's tags dated up to this many seconds ahead of this clock (another machine's
# clock; earlier mlcode dated its tags ahead) are waited for; beyond, new tags are dated
# after them, with a note.
MAX_WAIT = 3


def register_and_promote(
    root: Path, head: str, intents: list[Intent], scorer: Scorer, clock: Clock = SYSTEM_CLOCK
) -> RegistryOutcome:
    """Decide and tag every intent; all tags in one transaction (RegistryConflict if a
    tag appeared meanwhile: nothing is tagged then). `clock` dates the tags and waits
    (see the module docstring)."""
    view = read_registry(root)
    needed: list[tuple[Model, str]] = []
    for intent in intents:
        model = view.get(intent.address.name)
        if model is not None:
            wanted = {*model.current_stages().values(), *([model.highest] if model.highest else [])}
            needed += [(model, v) for v in sorted(wanted) if v in model.versions]
    records = read_version_records(root, view, needed)
    outcome = RegistryOutcome()
    decided: list[tuple[str, Model | None, Decision, str]] = []
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
        decided.append((name, model, decision, fingerprint))
        if decision.register and decision.version:
            outcome.registered[str(intent.address)] = decision.version
        outcome.moves += [f"{intent.address} {r}" for r in decision.reasons()]
        if decision.deprecate:
            outcome.moves.append(f"{intent.address} deprecated")
    writes = [
        m for _, m, d, _ in decided if m is not None and (d.register or d.moves or d.deprecate)
    ]
    second = _first_second(clock, max((m.last_time for m in writes), default=0), outcome.notes)
    tags = [tag for name, m, d, fp in decided for tag in _tags(name, m, d, head, second, fp)]
    if not tags:
        return outcome
    last = max(t.time for t in tags)
    if second <= clock.now() < last:
        clock.wait_past(last - 1)  # a deprecation's second has come
    create_tags(root, tags)
    outcome.tags = [t.name for t in tags]
    if last - clock.now() <= MAX_WAIT:
        clock.wait_past(last)
    return outcome


def _first_second(clock: Clock, after: int, notes: list[str]) -> int:
    """The second to date new tags with: now, once it is later than `after` (the
    touched models' latest event)."""
    now = clock.now()
    if after < now:
        return now
    if after - now <= MAX_WAIT:
        clock.wait_past(after)
        return clock.now()
    when = datetime.fromtimestamp(after, UTC).isoformat()
    notes.append(
        f"registry tags are dated up to {when}, {after - now} s ahead of this machine's "
        "clock: the new tags are dated after them (check the clock of the machine that "
        "wrote them)"
    )
    return after + 1


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
        kept = tuple(u for u in decision.unassign if u[0] != decision.assign)
        decision = Decision(
            decision.version, decision.register, None, decision.from_version, gates, True, kept
        )
    return decision


def _tags(
    name: str, model: Model | None, d: Decision, head: str, t: int, fingerprint: str
) -> list[NewTag]:
    """The tags of one decision, dated `t`; a deprecation after unassignments `t + 1`
    (GTO lets a stage event of the same second revive the model)."""
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
    for stage, version in d.unassign:
        message = f"Unassigning stage {stage} from artifact {name} version {version}"
        out.append(NewTag(unassign_tag(name, stage, counter), commit_of(version), message, t))
        counter += 1
    if d.assign and d.version:
        gates = "".join(f"\n{GATE_LINE}{g}" for g in d.gates)
        message = f"Assigning stage {d.assign} to artifact {name} version {d.version}\n{gates}"
        out.append(NewTag(assign_tag(name, d.assign, counter), commit_of(d.version), message, t))
        counter += 1
    if d.deprecate:
        message = f"Deprecating artifact {name}"
        out.append(NewTag(deprecate_tag(name, counter), head, message, t + 1 if out else t))
    return out
