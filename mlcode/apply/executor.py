"""The executor: walks a Plan over the DAG, running builds through the ports.

    ready nodes (upstreams settled) ──> reuse/repair: restore in the parent (DVC)
                                    └─> create/rebuild: fingerprint again with the real
                                        upstream digests: identical -> skip; built
                                        before -> restore; else submit to the Runner
    each finished build ──> publish atomically (rename) ──> downstream becomes ready
    every FLUSH_SECONDS and at the end ──> one `dvc add` of the builds finished since
                                       ──> write their state records

`dvc add` re-reads every .dvc file of the repository on each call, so calls are batched;
the periodic flush bounds what an interrupted apply has to build again.

A failing node leaves its artifact and record as they were; its downstream is skipped;
every independent node still finishes. `apply_plan` always returns what it did.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from mlcode.address import Address
from mlcode.apply.events import Event, Failed, Skipped, Started, Succeeded
from mlcode.apply.ports import ArtifactStore, Runner
from mlcode.bundle import BundleError, stage_bundle
from mlcode.config.types import Resource, redact
from mlcode.fsutil import dir_manifest, replace_dir
from mlcode.graph.dag import DAG
from mlcode.ignores import ignore_all
from mlcode.killpoint import kill_point
from mlcode.plan.planner import fingerprint_of, record_inputs
from mlcode.plan.types import Action, ArtifactState, Observed, Plan
from mlcode.state.records import write_record
from mlcode.state.types import Artifact, Record
from mlcode.worker.task import BuildResult, BuildTask

FLUSH_SECONDS = 30.0


@dataclass
class ApplyResult:
    """What apply did: new records by address, failures (address -> one-line error and
    log path), skips (address -> reason), and the record files it wrote or removed."""

    records: dict[Address, Record] = field(default_factory=dict)
    failed: dict[Address, tuple[str, str]] = field(default_factory=dict)
    skipped: dict[Address, str] = field(default_factory=dict)
    touched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # where apply did other than planned

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class Workspace:
    """Where apply works: the repo root, `.mlcode/` and the commit HEAD is on.

    With `preview` set (a directory under `.mlcode/`), builds are published there
    instead of over the work tree's artifacts and records are returned, not written:
    the work tree and Git stay as they were (`apply --preview`).
    """

    root: Path
    cache_dir: Path
    head: str | None
    preview: Path | None = None

    def artifact_dir(self, address: Address) -> Path:
        """Where `address`'s artifact is published by this apply."""
        return (self.preview or self.root) / address.artifact_path


def seed_for(address: Address) -> int:
    """A stable seed per address (for estimators whose spec sets no random_state)."""
    return int(hashlib.sha256(str(address).encode()).hexdigest()[:8], 16) % (2**31 - 1)


class _Walk:
    def __init__(self, plan, resources, dag, observed, runner, store, ws, emit) -> None:
        self.plan: Plan = plan
        self.resources: Mapping[Address, Resource] = resources
        self.dag: DAG[Address] = dag
        self.observed: Observed = observed
        self.runner: Runner = runner
        self.store: ArtifactStore = store
        self.ws: Workspace = ws
        self.emit: Callable[[Event], None] = emit
        self.result = ApplyResult()
        self.digest: dict[Address, str | None] = {}
        self.built: dict[Address, tuple[BuildResult, dict[str, str], str]] = {}
        self.bundles: dict[Address, Path] = {}  # staged code bundles of running builds
        self.futures: dict[Future[BuildResult], tuple[Address, Path, float]] = {}
        self.blocked: set[Address] = set()
        self.flushed = time.monotonic()
        self.forced: set[Address] = set()  # --replace: never skip or restore these

    def run(self) -> ApplyResult:
        # Registry-only actions (register, promote) leave the artifact alone: step 5.
        actions = {c.address: c.action for c in self.plan.changes if c.action.touches_artifact}
        for address in self.dag.order:
            if address not in actions:
                record = self.observed.records.get(address)
                self.digest[address] = record.artifact.digest if record else None
        todo = [a for a in self.dag.order if a in actions]
        settled: set[Address] = {a for a in self.dag.order if a not in todo}
        waiting = list(todo)
        while waiting or self.futures:
            progressed = False
            for address in list(waiting):
                ups = self.dag.upstream(address)
                if not all(u in settled for u in ups):
                    continue
                waiting.remove(address)
                progressed = True
                bad = [u for u in ups if u in self.result.failed or u in self.blocked]
                if bad:
                    self.blocked.add(address)
                    reason = f"upstream {bad[0]} failed"
                    self.result.skipped[address] = reason
                    self.emit(Skipped(address, reason))
                    settled.add(address)
                elif self._start(address, actions[address]):
                    settled.add(address)
            if self.futures and not progressed:
                done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
                for future in done:
                    settled.add(self._finish(future))
                if time.monotonic() - self.flushed > FLUSH_SECONDS:
                    self._record_builds()
            elif not self.futures and not progressed and waiting:
                break  # unreachable for a DAG; guards against a bad plan
        self._record_builds()
        for change in self.plan.changes:
            if change.action is Action.RETIRE and self.ws.preview is None:
                self._retire(change.address)
        return self.result

    def _start(self, address: Address, action: Action) -> bool:
        """Begin work on a node; True when it finished synchronously."""
        self.emit(Started(address, action))
        resource = self.resources[address]
        facts = self.observed.facts[address]
        record = self.observed.records.get(address)
        if action is Action.REPAIR and self.ws.preview is not None:
            self.emit(Skipped(address, "preview: a repair changes nothing to review"))
            return True
        if (
            action is Action.REPAIR
            and record is not None
            and self._restore(address, record, "repaired", write=False)
        ):
            return True
        fp = fingerprint_of(resource, facts, self.digest)
        if fp is not None and action is not Action.REPAIR:
            if (
                action is Action.REBUILD
                and record is not None
                and fp == record.fingerprint
                and facts.artifact is ArtifactState.OK
                and address not in self.forced
            ):
                self.digest[address] = record.artifact.digest
                reason = "inputs came out identical"
                self.result.skipped[address] = reason
                self.emit(Skipped(address, reason))
                return True
            earlier = self.observed.reuse.get(fp)
            if earlier is not None and address not in self.forced:
                restored = replace(earlier, spec=redact(resource.spec))
                if self.ws.preview is not None:  # in the cache already: nothing to build
                    self.digest[address] = restored.artifact.digest
                    self.result.records[address] = restored
                    self.emit(Succeeded(address, "reused", 0.0, dict(restored.metrics)))
                    return True
                if self._restore(address, restored, "restored"):
                    return True
                self.result.notes.append(
                    f"{address}: the earlier build {earlier.artifact.md5} is in neither the "
                    "DVC cache nor the remote: built it again"
                )
        return self._submit(address, resource)

    def _restore(self, address: Address, record: Record, how: str, write: bool = True) -> bool:
        """Check out `record`'s artifact (writing the record first unless it is already
        the one on disk, as for a repair); False when it could not be restored."""
        start = time.perf_counter()
        path = self.ws.root / address.record_path
        previous = path.read_bytes() if path.exists() else None
        if write:
            write_record(self.ws.root, record)
            kill_point("restore.recorded")
        if self.store.restore([address.record_path]):
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(previous)
            return False
        self.digest[address] = record.artifact.digest
        self.result.records[address] = record
        self.result.touched.append(address.record_path)
        self.emit(Succeeded(address, how, time.perf_counter() - start, dict(record.metrics)))
        return True

    def _submit(self, address: Address, resource: Resource) -> bool:
        """Stage the code bundle and hand the build to the runner; True when it failed
        at once (a file the plan fingerprinted has changed since)."""
        if self.ws.preview is None:
            facts = self.observed.facts[address]
            staged = self.ws.cache_dir / "tmp" / f"bundle-{address.name}-{uuid.uuid4().hex[:8]}"
            try:
                stage_bundle(
                    self.ws.root,
                    staged,
                    str(address),
                    redact(resource.spec, keep_env=True),
                    {**facts.code, **facts.sources},
                )
            except BundleError as exc:
                shutil.rmtree(staged, ignore_errors=True)
                error = f"{exc.message}: {exc.hint}" if exc.hint else exc.message
                self.result.failed[address] = (error, "")
                self.emit(Failed(address, error, ""))
                return True
            self.bundles[address] = staged
        upstream = {}
        for dep in resource.depends_on:
            folder = self.ws.artifact_dir(dep)
            if not folder.is_dir():
                folder = self.ws.root / dep.artifact_path
            if not folder.is_dir():
                self.store.restore([dep.record_path])
            upstream[dep.name] = str(folder)
        out = self.ws.cache_dir / "tmp" / f"{address.name}-{uuid.uuid4().hex[:8]}"
        out.mkdir(parents=True)
        logs = self.ws.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        task = BuildTask(
            address=str(address),
            kind=address.kind.value,
            spec=resource.spec,
            root=str(self.ws.root),
            out_dir=str(out),
            log_path=str(logs / f"{address}.log"),
            upstream=upstream,
            seed=seed_for(address),
        )
        self.futures[self.runner.submit(task)] = (address, out, time.perf_counter())
        kill_point("build.submitted")
        return False

    def _finish(self, future: Future[BuildResult]) -> Address:
        address, out, start = self.futures.pop(future)
        log = str(self.ws.cache_dir / "logs" / f"{address}.log")
        try:
            result = future.result()
        except Exception as exc:  # the worker process died
            result = BuildResult(
                str(address),
                False,
                time.perf_counter() - start,
                error=f"{type(exc).__name__}: {exc}",
            )
        if not result.ok:
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(self.bundles.pop(address, out), ignore_errors=True)
            self.result.failed[address] = (result.error, log)
            self.emit(Failed(address, result.error, log))
            return address
        manifest = dir_manifest(out)
        replace_dir(out, self.ws.artifact_dir(address), self.ws.cache_dir / "tmp")
        kill_point("build.published")
        fp = fingerprint_of(self.resources[address], self.observed.facts[address], self.digest)
        self.digest[address] = Artifact("", tuple(sorted(manifest.items())), 0).digest
        self.built[address] = (result, manifest, fp or "")
        self.emit(Succeeded(address, "built", result.seconds, result.metrics))
        return address

    def _record_builds(self) -> None:
        """Add finished builds to DVC together and write their state records."""
        if not self.built:
            return
        paths = {
            a: self.ws.artifact_dir(a).relative_to(self.ws.root).as_posix() for a in self.built
        }
        outs = self.store.add(list(paths.values()))
        bundles = {}
        for address in self.built:
            staged = self.bundles.pop(address, None)
            if staged is not None:
                bundles[address] = self.store.add_tree(staged)
                shutil.rmtree(staged, ignore_errors=True)
        kill_point("record.cached")
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        for address, (result, manifest, fp) in self.built.items():
            out = outs[paths[address]]
            resource = self.resources[address]
            facts = self.observed.facts[address]
            record = Record(
                address=address,
                fingerprint=fp,
                artifact=Artifact(
                    md5=str(out.get("md5", "")),
                    files=tuple(sorted(manifest.items())),
                    size=int(out.get("size", 0) or 0),
                ),
                spec=redact(resource.spec),
                inputs=record_inputs(resource, facts, self.digest),
                code=dict(facts.code),
                env=dict(facts.env),
                env_vars=dict(facts.env_vars),
                metrics=dict(result.metrics),
                version=None,
                built_at=now,
                built_from=self.ws.head,
                outs=(out,),
                bundle=bundles.get(address),
            )
            self.result.records[address] = record
            self._compare_forced(address, record)
            if self.ws.preview is None:
                write_record(self.ws.root, record)
                self.result.touched.append(address.record_path)
                kill_point("record.written")
        self.built.clear()
        self.flushed = time.monotonic()

    def _compare_forced(self, address: Address, record: Record) -> None:
        """A forced rebuild of an unchanged fingerprint: say whether the bytes came out
        as recorded (the version, if any, stays: a version is a fingerprint)."""
        old = self.observed.records.get(address)
        if address not in self.forced or old is None or old.fingerprint != record.fingerprint:
            return
        registry = self.observed.registry
        model = registry.view.get(address.name) if registry is not None else None
        registered = model.version_for(old.fingerprint) if model is not None else None
        version = f" (version {registered} unchanged)" if registered else ""
        if old.artifact.files == record.artifact.files:
            self.result.notes.append(f"{address}: rebuilt byte-identical to the record{version}")
        else:
            self.result.notes.append(
                f"{address}: rebuilt bytes differ from the record under the same "
                f"fingerprint{version}: the build is not reproducible (run `mlcode verify "
                f"{address}`; mark a nondeterministic trainer with `verify:` in its spec)"
            )

    def _retire(self, address: Address) -> None:
        self.emit(Started(address, Action.RETIRE))
        (self.ws.root / address.record_path).unlink(missing_ok=True)
        kill_point("retire.unlinked")
        # The work-tree copy goes too (it would be an untracked file once no longer
        # ignored); the artifact stays in the DVC cache, on the remote and in history.
        shutil.rmtree(self.ws.root / address.artifact_path, ignore_errors=True)
        # The static rule stays (and replaces an older per-name entry): no file that
        # lists resources, so branches retiring different ones never conflict.
        ignore_all(self.ws.root)
        self.result.touched.append(address.record_path)
        self.emit(Succeeded(address, "retired", 0.0))


def apply_plan(
    plan: Plan,
    resources: Mapping[Address, Resource],
    dag: DAG[Address],
    observed: Observed,
    runner: Runner,
    store: ArtifactStore,
    workspace: Workspace,
    on_event: Callable[[Event], None] = lambda event: None,
    forced: frozenset[Address] = frozenset(),
) -> ApplyResult:
    """Carry out `plan`; always returns the result, also after failures."""
    walk = _Walk(plan, resources, dag, observed, runner, store, workspace, on_event)
    walk.forced = set(forced)
    return walk.run()
