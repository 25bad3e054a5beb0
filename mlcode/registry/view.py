"""The registry view: tag events folded into versions, stages and history. Pure.

Events that carry a counter (assign, unassign, deprecate) are ordered by it, never by
timestamp; registrations carry none and are merged in by their tagger time (a
registration goes before any counter event of the same second). The fold mirrors what
`gto show` reports: a stage is held by the version most recently assigned to it and
not unassigned since; a deprecated model lists nothing until it is registered again.
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
    """One registry tag: its name parsed, the commit it points to, when, by whom, why."""

    tag: str
    parsed: ParsedTag
    commit: str
    time: int
    tagger: str
    message: str

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


def event_from_tag(tag: str, commit: str, time: int, tagger: str, message: str) -> TagEvent | None:
    parsed = parse_tag(tag)
    return TagEvent(tag, parsed, commit, time, tagger, message) if parsed else None


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
    history: list[HistoryItem] = field(default_factory=list)
    deprecated: bool = False
    max_counter: int = 0
    last_time: int = 0

    @property
    def active(self) -> bool:
        return not self.deprecated and any(v.active for v in self.versions.values())

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
        live = [v for v, info in self.versions.items() if info.active]
        return max(live, key=version_key, default=None)

    def current_stages(self) -> dict[str, str]:
        """Stage -> version, empty while the model is deprecated."""
        return {} if self.deprecated else dict(self.stages)

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


def _ordered(events: list[TagEvent]) -> list[TagEvent]:
    timed = sorted(
        (e for e in events if e.parsed.counter is None),
        key=lambda e: (e.time, _kind_rank(e), e.tag),
    )
    counted = sorted(
        (e for e in events if e.parsed.counter is not None),
        key=lambda e: (e.parsed.counter, e.time, e.tag),
    )
    out: list[TagEvent] = []
    i = j = 0
    while i < len(timed) or j < len(counted):
        if j >= len(counted) or (i < len(timed) and timed[i].time <= counted[j].time):
            out.append(timed[i])
            i += 1
        else:
            out.append(counted[j])
            j += 1
    return out


def _kind_rank(event: TagEvent) -> int:
    return 0 if event.parsed.kind in (TagKind.REGISTER, TagKind.CREATE) else 1


def _fold_model(name: str, events: list[TagEvent]) -> Model:
    model = Model(name)
    at_commit: dict[str, str] = {}
    # stage -> versions holding an active assignment, oldest first
    holders: dict[str, list[str]] = {}
    ordered = _ordered(events)
    for event in ordered:
        if event.parsed.kind is TagKind.REGISTER and event.parsed.version:
            at_commit.setdefault(event.commit, event.parsed.version)
    for event in ordered:
        p = event.parsed
        model.max_counter = max(model.max_counter, p.counter or 0)
        model.last_time = max(model.last_time, event.time)
        version: str | None = p.version
        if p.kind is TagKind.REGISTER:
            assert p.version is not None
            if p.version not in model.versions:
                model.versions[p.version] = Version(
                    p.version,
                    event.commit,
                    event.time,
                    event.tagger,
                    event.tag,
                    event.fingerprint,
                )
            model.versions[p.version].active = True
            model.deprecated = False
        elif p.kind is TagKind.DEREGISTER:
            if p.version in model.versions:
                model.versions[p.version].active = False
        elif p.kind in (TagKind.ASSIGN, TagKind.UNASSIGN):
            assert p.stage is not None
            # GTO resolves a stage tag through the registration on the same commit.
            version = at_commit.get(event.commit, event.commit)
            queue = holders.setdefault(p.stage, [])
            if version in queue:
                queue.remove(version)
            if p.kind is TagKind.ASSIGN:
                queue.append(version)
        elif p.kind is TagKind.DEPRECATE:
            model.deprecated = True
        elif p.kind is TagKind.CREATE:
            model.deprecated = False
        model.history.append(HistoryItem(event, version))
    for stage, queue in holders.items():
        live = [v for v in queue if v not in model.versions or model.versions[v].active]
        if live:
            model.stages[stage] = live[-1]
    return model
