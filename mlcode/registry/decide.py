"""What the registry must do for one model: register? which stage moves? Pure.

Plan and apply both call `decide`: plan with what is known before building (metrics may
be unknown), apply with the records it just wrote. A spec declares the one stage its
version should hold; every other stage the model holds is unassigned, and a stage
changes hands only when the gates pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlcode.config.fingerprint import spec_changes
from mlcode.registry.gates import GateResult, evaluate, passed
from mlcode.registry.tags import bump
from mlcode.registry.view import Model
from mlcode.state.types import Record


@dataclass(frozen=True, slots=True)
class Decision:
    """Registry work for one model.

    `version` is the version the resource's build has (or will get when `register`);
    `assign` the stage it should take over from `from_version` (None: no move);
    `blocked` a failed gate kept the stage where it is; `unassign` (stage, version)
    pairs to drop; `deprecate` retires the model.
    """

    version: str | None
    register: bool = False
    assign: str | None = None
    from_version: str | None = None
    gates: tuple[GateResult, ...] = ()
    blocked: bool = False
    unassign: tuple[tuple[str, str], ...] = ()
    deprecate: bool = False
    rollback: bool = False  # `version` held `assign` before: a return, not a new champion

    @property
    def moves(self) -> bool:
        """True when a stage tag is to be written."""
        return self.assign is not None or bool(self.unassign)

    @property
    def pending_gates(self) -> bool:
        return self.assign is not None and passed(list(self.gates)) is None

    def promotion(self) -> dict[str, Any] | None:
        """The plan's `promotion` entry (None when no stage moves)."""
        if not self.moves:
            return None
        return {
            "stage": self.assign,
            "from_version": self.from_version,
            "to_version": self.version if self.assign else None,
            "gates": [g.to_dict() for g in self.gates],
            "unassign": [{"stage": s, "version": v} for s, v in self.unassign],
            **({"rollback": True} if self.rollback else {}),
        }

    def reasons(self) -> list[str]:
        out = []
        if self.assign:
            back = " (rollback)" if self.rollback else ""
            out.append(f"{self.assign}: {self.from_version or '(none)'} -> {self.version}{back}")
        out += [f"{s}: {v} -> (none)" for s, v in self.unassign if s != self.assign]
        return out

    def blocked_note(self, address: str, stage: str) -> str:
        failed = "; ".join(str(g) for g in self.gates if g.ok is False)
        return f"{address}: promotion to {stage} blocked by gate {failed}"


def scored_split(record: Record) -> str | None:
    """The content digest of the dataset `record` was scored on (its test split)."""
    return record.inputs.get(f"dataset.{record.spec.get('dataset')}")


class ChampionMetrics(dict[str, float]):
    """Metrics a relative gate compares with, and `note`: where they come from when that
    is not the champion re-scored on the candidate's test split."""

    def __init__(self, metrics: Mapping[str, float], note: str = "") -> None:
        super().__init__(metrics)
        self.note = note


@dataclass(frozen=True, slots=True)
class ScoreFailed:
    """A champion that could not be re-scored: why, and the log that says more."""

    reason: str
    log: str = ""


def champion_metrics(
    champion: Record | None,
    split: str | None,
    rescore: Callable[[Record], Mapping[str, float] | ScoreFailed | None] | None = None,
) -> Mapping[str, float] | None:
    """The champion's metrics on the candidate's test split `split`: its recorded ones
    when it was scored on the same split, else `rescore(champion)`. When re-scoring
    fails (ScoreFailed: e.g. the features changed, so the champion cannot predict the
    new split), its recorded metrics, with a note saying so and naming the log. None
    when there is no champion, no way to score it yet (plan time), or its model cannot
    be had."""
    if champion is None:
        return None
    if split is not None and scored_split(champion) == split:
        return champion.metrics
    if rescore is None:
        return None
    scored = rescore(champion)
    if not isinstance(scored, ScoreFailed):
        return scored  # None: its model or the split cannot be had; apply blocks, preview says so
    failure = scored
    where = f"; log: {failure.log}" if failure.log else ""
    return ChampionMetrics(
        champion.metrics,
        f"the champion could not be re-scored on this test split ({failure.reason}{where}): "
        + RECORDED,
    )


RECORDED = "compared with its recorded metrics"


def bump_part(reference: Record | None, spec: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
    """`major` when the dataset changed, `minor` when the model spec changed, else `patch`."""
    if reference is None:
        return "patch"
    dataset = spec.get("dataset")
    key = f"dataset.{dataset}"
    if reference.spec.get("dataset") != dataset or reference.inputs.get(key) != inputs.get(key):
        return "major"
    return "minor" if spec_changes(reference.spec, dict(spec)) else "patch"


def decide(
    model: Model | None,
    fingerprint: str | None,
    part: Callable[[], str],
    stage: str | None,
    gates: list[tuple[str, str]],
    metrics: Mapping[str, float] | None,
    champion: Callable[[str], Mapping[str, float] | None],
) -> Decision:
    """Registry work for a model whose current build has `fingerprint` (None: not built
    yet) and `metrics` (None: unknown); `part()` says which version part a new
    registration bumps (asked only then); `champion(version)` gives the champion's
    metrics on the candidate's test split, or None when they are not known."""
    version = model.version_for(fingerprint) if model and fingerprint else None
    register = version is None
    if register:
        version = bump(model.highest if model else None, part() if model else "patch")
    held = model.current_stages() if model else {}
    assigned = model.assignments() if model and not model.deprecated else []
    unassign = tuple((s, v) for s, v in assigned if s != stage)
    holder = held.get(stage) if stage else None
    if stage is None or holder == version:
        return Decision(version, register, unassign=unassign)
    rollback = bool(holder and model and version and model.held(version, stage))
    champion_metrics = champion(holder) if holder and not rollback else None
    results = tuple(evaluate(gates, metrics, champion_metrics, holder is not None))
    if rollback:
        # A version that held the stage before was already judged for it: relative
        # gates do not weigh it against the version being rolled back from.
        note = f"rollback to {version}, which held {stage} before: not compared with {holder}"
        results = tuple(
            GateResult(r.gate, r.value, None, True, note) if r.gate.relative else r for r in results
        )
    if passed(list(results)) is False:
        return Decision(version, register, None, holder, results, True, unassign)
    if holder:
        # the holder, and any assignment hidden behind it, so that the stage is this
        # version's alone (an unassignment of `version` itself would undo the assignment)
        unassign += tuple((s, v) for s, v in assigned if s == stage and v != version)
        unassign = tuple(sorted(unassign))
    return Decision(version, register, stage, holder, results, False, unassign, rollback=rollback)


def decide_retire(model: Model | None) -> Decision:
    """Retiring: unassign every stage (hidden assignments too, or a later registration
    would bring them back), then deprecate (if the model is still active)."""
    if model is None or model.deprecated or not model.versions:
        return Decision(None)
    return Decision(None, unassign=tuple(model.assignments()), deprecate=True)
