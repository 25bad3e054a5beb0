"""The registry view: tag events folded into versions, stages and history. Pure.

The fold reproduces what `gto show` (GTO 1.10) reports for the same tags, ties included,
so that `mlcode registry` and `gto show` never disagree:

- Events are ordered by tagger time (whole seconds); GTO's counters only name tags.
- A version is active when its latest registration is later than its latest
  deregistration (a deregistration of the same second wins).
- A stage assignment of a version is active when its latest assignment is later than its
  latest unassignment (an unassignment of the same second wins). A stage tag belongs to
  the version registered on its commit; on a commit with no registration it is a
  version of its own, named by the commit.
- A stage is held by the active version whose active assignment is the most recent; of
  assignments in the same second, the one of the version registered earliest (then the
  one GTO indexed first: by time, then tag name) wins.
- A model is deprecated while its latest event is a deprecation: any version or stage
  event of the same second or later revives it, with the stage assignments it had. GTO
  counts the commit each version or stage tag points at as an event of that version,
  dated by its committer time.

Source: GTO 1.10 `gto/base.py` (`VStage.is_active`, `Version.is_active`,
`Artifact.is_active`, `Artifact.get_vstages` with `sort=timestamp`), `gto/tag.py` (tags
indexed in (time, name) order) and `gto/index.py` (a commit event for every version).
Not reproduced: versions GTO discovers from an `artifacts.yaml` at HEAD.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mlcode.registry.tags import ParsedTag, TagKind, parse_tag, version_key

FINGERPRINT_RE = re.compile(r"^mlcode-fingerprint: ([0-9a-f]{16,64})$", re.MULTILINE)
GATE_LINE = "mlcode-gate: "


@dataclass(frozen=True, slots=True)
class TagEvent:
    """One registry tag: its name parsed, the commit it points to, when (tagger time),
    by whom, why, and when that commit was made (committer time, Unix seconds)."""

    tag: str
    parsed: ParsedTag
    commit: str
    time: int
    tagger: str
    message: str
    committed: int = 0

    @property
    def fingerprint(self) -> str | None:
        m = FINGERPRINT_RE.search(self.message)
        return m.group(1) if m else None

    @property
    def gates(self) -> list[str]:
        """Gate outcomes mlcode wrote into an assignment message (`accuracy >= 0.9: 0.97`)."""
        return [
            line[len(GATE_LINE) :]
            for line in self.message.splitlines()
            if line.startswith(GATE_LINE)
        ]


def event_from_tag(
    tag: str, commit: str, time: int, tagger: str, message: str, committed: int = 0
) -> TagEvent | None:
    parsed = parse_tag(tag)
    return TagEvent(tag, parsed, commit, time, tagger, message, committed) if parsed else None


@dataclass(slots=True)
class Version:
    """A registered version: where it was registered, when, by whom, and (for versions
    mlcode registered) the fingerprint of the build it names."""

    version: str
    commit: str
    time: int
    tagger: str
    tag: str
    fingerprint: str | None
    active: bool = True
    order: int = 0  # GTO's index order: breaks ties between equal versions


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One event in fold order, with the version it concerns (None for deprecation)."""

    event: TagEvent
    version: str | None


@dataclass(slots=True)
class Model:
    """Everything the registry says about one model name."""

    name: str
    versions: dict[str, Version] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)  # stage -> version holding it
    # stage -> every registered version with an active assignment of it, the holder last
    assigned: dict[str, list[str]] = field(default_factory=dict)
    history: list[HistoryItem] = field(default_factory=list)
    deprecated: bool = False
    max_counter: int = 0
    last_time: int = 0

    @property
    def active(self) -> bool:
        """True unless deprecated (`gto show` lists the model)."""
        return not self.deprecated

    @property
    def managed(self) -> bool:
        """True when mlcode registered at least one version (its message has a fingerprint)."""
        return any(v.fingerprint for v in self.versions.values())

    @property
    def highest(self) -> str | None:
        """The highest version ever registered (deprecated or not): new ones go above it."""
        return max(self.versions, key=version_key, default=None)

    @property
    def latest(self) -> str | None:
        """The highest active version (what `gto show` lists), None when retired."""
        if self.deprecated:
            return None
        live = [info for info in self.versions.values() if info.active]
        best = max(live, key=lambda i: (version_key(i.version), i.order), default=None)
        return best.version if best else None

    def current_stages(self) -> dict[str, str]:
        """Stage -> version, empty while the model is deprecated."""
        return {} if self.deprecated else dict(self.stages)

    def assignments(self) -> list[tuple[str, str]]:
        """(stage, version) of every active assignment, also those hidden behind a later
        one (`gto assign` does not unassign the previous holder): what must be
        unassigned for a stage to be empty."""
        return sorted((s, v) for s, versions in self.assigned.items() for v in versions)

    def version_for(self, fingerprint: str | None) -> str | None:
        """The active version registered for this fingerprint (highest if several)."""
        if fingerprint is None or self.deprecated:
            return None
        found = [
            v
            for v, info in self.versions.items()
            if info.active and info.fingerprint == fingerprint
        ]
        return max(found, key=version_key, default=None)

    def held(self, version: str, stage: str) -> bool:
        """True when `version` was ever assigned `stage` (a return to it is a rollback)."""
        return any(
            item.version == version
            and item.event.parsed.kind is TagKind.ASSIGN
            and item.event.parsed.stage == stage
            for item in self.history
        )

    def stages_of(self, version: str) -> list[str]:
        return sorted(s for s, v in self.current_stages().items() if v == version)

    def next_counter(self) -> int:
        return self.max_counter + 1


@dataclass(frozen=True, slots=True)
class RegistryView:
    """Every model the tags describe, by name."""

    models: dict[str, Model]

    def get(self, name: str) -> Model | None:
        return self.models.get(name)


def fold(events: Iterable[TagEvent]) -> RegistryView:
    """Fold tag events into a RegistryView (order of `events` does not matter)."""
    by_name: dict[str, list[TagEvent]] = {}
    for event in events:
        by_name.setdefault(event.parsed.name, []).append(event)
    return RegistryView({name: _fold_model(name, evs) for name, evs in sorted(by_name.items())})


@dataclass(slots=True)
class _Line:
    """One version as GTO indexes it: a registered version, or one stage tag on a commit
    that has no registration. `order` is the order GTO created it in."""

    label: str
    order: int
    committed: int = 0  # committer time of its commit
    registered: list[int] = field(default_factory=list)
    deregistered: list[int] = field(default_factory=list)
    assigned: dict[str, list[int]] = field(default_factory=dict)
    unassigned: dict[str, list[int]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        if not self.registered:
            return not self.deregistered  # a stage tag's own version is active
        return not self.deregistered or max(self.registered) > max(self.deregistered)

    @property
    def created(self) -> int:
        """GTO's `created_at`: the latest registration, else the latest of the stage
        tag's time and its commit's (GTO counts the commit as an event, and does not
        leave it out here as it means to)."""
        if self.registered:
            return max(self.registered)
        return max(self.committed, *(t for times in self.assigned.values() for t in times))

    def holds(self, stage: str) -> int | None:
        """Time of the active assignment of `stage`, None when there is none."""
        assigned = self.assigned.get(stage)
        if not assigned:
            return None
        unassigned = self.unassigned.get(stage)
        return max(assigned) if not unassigned or max(assigned) > max(unassigned) else None


_VERSION_KINDS = (TagKind.REGISTER, TagKind.DEREGISTER)
_STAGE_KINDS = (TagKind.ASSIGN, TagKind.UNASSIGN)
_HISTORY_RANK = {
    TagKind.CREATE: 0,
    TagKind.REGISTER: 0,
    TagKind.DEREGISTER: 1,
    TagKind.UNASSIGN: 2,
    TagKind.ASSIGN: 2,
    TagKind.DEPRECATE: 3,
}


def _history_key(event: TagEvent) -> tuple[int, int, int, str]:
    """Display order: by time; in one second, registrations, stage moves (by counter),
    then deprecations."""
    return (event.time, _HISTORY_RANK[event.parsed.kind], event.parsed.counter or 0, event.tag)


def _fold_model(name: str, events: list[TagEvent]) -> Model:
    model = Model(name)
    indexed = sorted(events, key=lambda e: (e.time, e.tag))  # GTO's indexing order
    lines: dict[str, _Line] = {}
    at_commit: dict[str, str] = {}
    for event in indexed:
        p = event.parsed
        model.max_counter = max(model.max_counter, p.counter or 0)
        model.last_time = max(model.last_time, event.time)
        if p.kind not in _VERSION_KINDS:
            continue
        assert p.version is not None
        line = lines.setdefault(p.version, _Line(p.version, len(lines)))
        at_commit.setdefault(event.commit, p.version)
        if p.kind is TagKind.REGISTER:
            line.registered.append(event.time)
            if p.version not in model.versions:
                model.versions[p.version] = Version(
                    p.version, event.commit, event.time, event.tagger, event.tag, None
                )
            info = model.versions[p.version]
            info.fingerprint = info.fingerprint or event.fingerprint
        else:
            line.deregistered.append(event.time)
    stage_lines: list[_Line] = []
    for event in indexed:
        p = event.parsed
        if p.kind not in _STAGE_KINDS:
            continue
        assert p.stage is not None
        version = at_commit.get(event.commit)
        if version is None:  # GTO gives each such tag a version of its own
            line = _Line(event.commit, len(lines) + len(stage_lines), event.committed)
            stage_lines.append(line)
        else:
            line = lines[version]
        times = line.assigned if p.kind is TagKind.ASSIGN else line.unassigned
        times.setdefault(p.stage, []).append(event.time)
    for version, info in model.versions.items():
        info.active = lines[version].active
        info.order = lines[version].order
    candidates: dict[str, list[tuple[tuple[int, int, int], str]]] = {}
    for line in [*lines.values(), *stage_lines]:
        if not line.active:
            continue
        for stage in line.assigned:
            since = line.holds(stage)
            if since is not None:
                rank = (since, -line.created, -line.order)
                candidates.setdefault(stage, []).append((rank, line.label))
    for stage, ranked in sorted(candidates.items()):
        holders = [label for _, label in sorted(ranked)]
        model.stages[stage] = holders[-1]
        # A stage tag's own version cannot be unassigned (GTO would read the
        # unassignment as another version of its own): not listed for unassignment.
        model.assigned[stage] = [v for v in holders if v in model.versions]
    model.deprecated = _deprecated(events)
    for event in sorted(events, key=_history_key):
        p = event.parsed
        version = p.version
        if p.kind in _STAGE_KINDS:
            version = at_commit.get(event.commit, event.commit)
        model.history.append(HistoryItem(event, version))
    return model


def _deprecated(events: list[TagEvent]) -> bool:
    """GTO's `Artifact.is_active` negated: the latest event is a deprecation; a version or
    stage event of the same second wins over it, a deprecation over a creation."""
    latest: dict[str, int] = {}
    for event in events:
        kind = event.parsed.kind
        group = kind.value if kind in (TagKind.DEPRECATE, TagKind.CREATE) else "version"
        when = event.time if group != "version" else max(event.time, event.committed)
        latest[group] = max(latest.get(group, when), when)
    deprecated = latest.get(TagKind.DEPRECATE.value)
    if deprecated is None:
        return False
    return deprecated > latest.get("version", deprecated - 1) and deprecated >= latest.get(
        TagKind.CREATE.value, deprecated
    )
