"""Plan values: a closed set of actions, changes that carry reasons, and the plan itself.

Apply branches on `Action` only; `reasons` are for people and never steer execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from mlcode.address import Address
from mlcode.registry.view import RegistryView
from mlcode.state.types import Record

FORMAT_VERSION = 1


class Action(StrEnum):
    """What apply will do to one resource (DESIGN section 4)."""

    CREATE = "create"
    REBUILD = "rebuild"
    REUSE = "reuse"
    REPAIR = "repair"
    PROMOTE = "promote"
    REGISTER = "register"
    RETIRE = "retire"
    NOOP = "noop"

    @property
    def builds(self) -> bool:
        """True for actions that may run user code (a build)."""
        return self in (Action.CREATE, Action.REBUILD)

    @property
    def touches_artifact(self) -> bool:
        """True for actions the executor works on (build or restore an artifact)."""
        return self in (Action.CREATE, Action.REBUILD, Action.REUSE, Action.REPAIR)


ACTION_ORDER = tuple(Action)


class ArtifactState(StrEnum):
    """The local copy of a recorded artifact, as refresh found it."""

    OK = "ok"
    ABSENT = "absent"
    CORRUPT = "corrupt"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One side of a change: fingerprint (None = known after apply), the resolved spec
    (secrets redacted), DVC artifact hash, registered version and recorded metrics."""

    fingerprint: str | None
    spec: dict[str, Any]
    artifact: str | None = None
    version: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Change:
    """The planned action for one resource and why; exactly one per resource in scope."""

    address: Address
    action: Action
    reasons: tuple[str, ...]
    before: Snapshot | None
    after: Snapshot | None
    promotion: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan: changes in DAG order, notes that are not changes, and what it was based on."""

    base_commit: str | None
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """Count per action (`promote` counts every change carrying a promotion)."""
        counts = {a.value: 0 for a in ACTION_ORDER}
        for change in self.changes:
            counts[change.action.value] += 1
            if change.promotion and change.action is not Action.PROMOTE:
                counts[Action.PROMOTE.value] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    def change(self, address: Address) -> Change:
        return next(c for c in self.changes if c.address == address)


@dataclass(frozen=True, slots=True)
class Facts:
    """What refresh observed for one resource: hashes of its code files and source
    files, versions of its distributions, the state of its recorded artifact's local
    copy, (with --refresh remote) whether the remote holds it, and a digest of the value
    of each environment variable its spec reads."""

    code: Mapping[str, str | None]
    sources: Mapping[str, str | None]
    env: Mapping[str, str | None]
    artifact: ArtifactState | None = None
    on_remote: bool | None = None  # None: the remote was not asked (no --refresh remote)
    env_vars: Mapping[str, str] = field(default_factory=dict)  # name -> value digest


class ReuseLookup(Protocol):
    """Earlier builds by fingerprint."""

    def get(self, fingerprint: str) -> Record | None: ...


class ObjectLookup(Protocol):
    """Where a DVC object can be had: "cache" (complete in the local cache), "remote",
    "absent" (neither), or "unknown" (not in the cache; the remote was not asked)."""

    def where(self, md5: str) -> str: ...


class VersionLookup(Protocol):
    """The state record of a registered version, by (model name, version)."""

    def get(self, key: tuple[str, str], default: Record | None = None) -> Record | None: ...


class NoVersions:
    """The `VersionLookup` that knows no version: `default` for every key (a registry
    whose records nobody read). A dict is no `VersionLookup` to mypy: its `get` is
    overloaded with positional-only parameters."""

    def get(self, key: tuple[str, str], default: Record | None = None) -> Record | None:
        return default


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """The registry as refresh read it: the folded tags; whether versions can be
    registered and stages moved here (HEAD on the registry branch, specs and code
    committed) and if not, `waits_for` says what is missing; the state record of each
    registered version that matters here, read at its registration commit."""

    view: RegistryView
    branch: str
    on_branch: bool
    records: VersionLookup = field(default_factory=NoVersions)
    waits_for: str = ""


@dataclass(frozen=True, slots=True)
class Observed:
    """Everything the planner needs from the outside world, gathered by refresh."""

    records: Mapping[Address, Record]
    facts: Mapping[Address, Facts]
    reuse: ReuseLookup
    base_commit: str | None = None
    registry: RegistryFacts | None = None
    objects: ObjectLookup | None = None  # None: assume restorable (unit tests)
    # Why teammates cannot pull from the remote, with the fix (storage.remotescope);
    # None when it is shared. Said next to the pull note: pulling is when it matters.
    remote_warning: str | None = None
