"""`mlcode verify` (edge): rebuild a recorded resource in isolation and compare.

    record ──> its code bundle from the DVC cache or remote (the code, source files and
               resolved spec as built); a record without one: a git worktree at
               record.built_from
           ──> the environment variables the spec reads must hash as recorded
           ──> upstream artifacts by their recorded content digests, copied from the
               DVC cache (fetched from the remote when missing)
           ──> a fresh interpreter with the worktree on PYTHONPATH builds the recorded
               resolved spec with the address's seed
           ──> compare: installed library versions (first), code and source hashes at
               that commit, every artifact file's md5, every metric

A tampered local copy is reported too. Differences are plain sentences; `ok` is False
when the build does not reproduce the record.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlcode.address import Address
from mlcode.apply.executor import seed_for
from mlcode.bundle import BundleError, read_bundle
from mlcode.config.secrets import contains_redacted
from mlcode.fsutil import dir_manifest, file_md5
from mlcode.plan.types import ArtifactState
from mlcode.state.types import Record
from mlcode.vcs import git
from mlcode.worker.environment import build_environ
from mlcode.worker.isolated import BOOTSTRAP
from mlcode.worker.lifeline import environ_for_child
from mlcode.worker.task import BuildTask


@dataclass
class VerifyReport:
    """The outcome for one resource: `ok`, what differs (env first), what was rebuilt."""

    address: str
    ok: bool = True
    env: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    built_from: str | None = None
    bundle: str | None = None
    seconds: float = 0.0
    log: str | None = None

    def fail(self, text: str) -> None:
        self.ok = False
        self.differences.append(text)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Verifier:
    """Verifies records of one repository; `lookup(address, digest)` finds an upstream
    record by content, `fetch(hashes)` pulls objects the cache lacks."""

    def __init__(self, root: Path, cache_dir: Path, refresher: Any, lookup, store) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.refresher = refresher
        self.lookup = lookup
        self.store = store

    def verify(self, record: Record) -> VerifyReport:
        start = time.perf_counter()
        report = VerifyReport(
            str(record.address), built_from=record.built_from, bundle=record.bundle
        )
        for dist, version in sorted(record.env.items()):
            now = self.refresher.version(dist)
            if now != version:
                report.env.append(f"{dist} {version or '(absent)'} recorded, {now} installed")
        if self.refresher.artifact_state(record) is ArtifactState.CORRUPT:
            report.fail(_tampered(self.root, record))
        scratch = Path(tempfile.mkdtemp(prefix="mlcode-verify-"))
        tree = scratch / "tree"
        worktree = False
        try:
            if record.bundle:
                spec = self._from_bundle(record, tree, report)
            elif record.built_from is None:
                report.fail(
                    "the record has no code bundle and names no commit (built before the "
                    "first commit by an older mlcode): rebuild it with "
                    f"`mlcode apply --replace {record.address}`"
                )
                spec = None
            else:
                git(self.root, "worktree", "add", "--detach", "-f", str(tree), record.built_from)
                worktree = True
                self._check_inputs(record, record.built_from, tree, report)
                spec = record.spec
            if spec is not None and self._buildable(record, spec, report):
                upstream = self._upstream(record, scratch, report)
                if upstream is not None:
                    self._rebuild(record, spec, tree, scratch, upstream, report)
        finally:
            if worktree:
                try:
                    git(self.root, "worktree", "remove", "--force", str(tree))
                except Exception:
                    git(self.root, "worktree", "prune")
            shutil.rmtree(scratch, ignore_errors=True)
        report.seconds = round(time.perf_counter() - start, 2)
        if report.env and not report.ok:
            report.differences.insert(0, "library versions differ (see env)")
        return report

    def _from_bundle(self, record: Record, tree: Path, report: VerifyReport):
        """Materialise the record's code bundle as the build's tree; its resolved spec,
        or None when the bundle cannot be had or does not match the record."""
        assert record.bundle is not None
        found = self.store.materialize(record.bundle, tree)  # from checked cache objects
        report.notes += self.store.notes()
        if not found:
            report.fail(
                f"the code bundle {record.bundle} is in neither the DVC cache nor the remote"
            )
            return None
        try:
            meta = read_bundle(tree)
        except BundleError as exc:
            report.fail(exc.message)
            return None
        for rel, md5 in sorted(record.code.items()):
            path = tree / rel
            if md5 is not None and (file_md5(path) if path.is_file() else None) != md5:
                report.fail(f"code {rel} in the code bundle differs from the record")
        return meta["spec"]

    def _buildable(self, record: Record, spec: dict, report: VerifyReport) -> bool:
        """Secrets and environment variables: can this spec be rebuilt here as it was?"""
        if contains_redacted(spec):
            report.fail("the recorded spec has redacted secrets: it cannot be rebuilt alone")
            return False
        from mlcode.config.compose import env_references
        from mlcode.config.types import env_digests

        now = env_digests(env_references(spec), build_environ(os.environ))
        differ = sorted(
            n for n in set(now) | set(record.env_vars) if now.get(n) != record.env_vars.get(n)
        )
        for name in differ:
            report.fail(f"env {name} is not set as it was for the build (set it as it was)")
        return not differ

    def _check_inputs(self, record: Record, commit: str, tree: Path, report: VerifyReport) -> None:
        """Code and source files at `commit` (the record's `built_from`, checked out in
        `tree`) must hash as recorded."""
        for rel, md5 in sorted(record.code.items()):
            path = tree / rel
            now = file_md5(path) if path.is_file() else None
            if now != md5:
                report.fail(
                    f"code {rel} at {commit[:12]} differs from the record "
                    "(built from uncommitted code?)"
                )
        for key, md5 in sorted(record.inputs.items()):
            if key.startswith("source:"):
                path = tree / key[len("source:") :]
                if (file_md5(path) if path.is_file() else None) != md5:
                    report.fail(f"{key} at {commit[:12]} differs from the record")

    def _upstream(self, record: Record, scratch: Path, report: VerifyReport):
        """Materialise each upstream artifact by its recorded digest, from checked cache
        objects (a corrupt one is quarantined and fetched again; the notes say so)."""
        out = {}
        for key, digest in sorted(record.inputs.items()):
            if key.startswith("source:") or digest is None:
                continue
            upstream = self.lookup(key, digest)
            if upstream is None:
                report.fail(f"no record of {key} with the recorded content {digest[:12]}")
                return None
            folder = scratch / "upstream" / Address.parse(key).name
            folder.mkdir(parents=True)
            missing = [
                md5
                for rel, md5 in upstream.artifact.files
                if self.cached(md5, f"{rel} of {key}") is None
            ]
            if missing and self.store.remote_name() is not None:
                self.store.fetch([upstream.artifact.md5])
            report.notes += self.store.notes()
            for rel, md5 in upstream.artifact.files:
                source = self.cached(md5, f"{rel} of {key}")
                if source is None:
                    report.notes += self.store.notes()
                    report.fail(f"{key} file {rel} is intact in neither the cache nor the remote")
                    return None
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, folder / rel)
            out[Address.parse(key).name] = str(folder)
        return out

    def cached(self, md5: str, label: str = ""):
        """The cache object of `md5`, checked (a corrupt one is quarantined), or None."""
        return self.store.checked(md5, label)

    def _rebuild(self, record, spec, tree: Path, scratch: Path, upstream, report) -> None:
        out_dir = scratch / "out"
        out_dir.mkdir()
        logs = self.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"verify-{record.address}.log"
        report.log = str(log)
        task = BuildTask(
            address=str(record.address),
            kind=record.address.kind.value,
            spec=spec,
            root=str(tree),
            out_dir=str(out_dir),
            log_path=str(log),
            upstream=upstream,
            seed=seed_for(record.address),
        )
        # The tree first; then the caller's PYTHONPATH, as apply's workers have it.
        path = os.pathsep.join(filter(None, (str(tree), os.environ.get("PYTHONPATH"))))
        env = build_environ({**os.environ, **environ_for_child(), "PYTHONPATH": path})
        done = subprocess.run(
            [sys.executable, "-c", BOOTSTRAP],
            input=json.dumps(asdict(task)),
            capture_output=True,
            text=True,
            cwd=scratch,
            env=env,
            check=False,
        )
        try:
            result = json.loads(done.stdout)
        except ValueError:
            report.fail(f"the isolated build crashed (exit {done.returncode}): see {log}")
            return
        if not result["ok"]:
            report.fail(f"the isolated build failed: {result['error']} (log: {log})")
            return
        rebuilt = dir_manifest(out_dir)
        recorded = dict(record.artifact.files)
        policy = record.spec.get("verify") or {}
        exact = policy.get("deterministic", True) is not False
        tolerance = 1e-9 if exact else float(policy.get("tolerance", 0.0)) + 1e-9
        if exact:
            for rel in sorted(set(recorded) | set(rebuilt)):
                if recorded.get(rel) != rebuilt.get(rel):
                    report.fail(
                        f"artifact file {rel}: recorded {recorded.get(rel) or '(absent)'}, "
                        f"rebuilt {rebuilt.get(rel) or '(absent)'}"
                    )
        else:
            report.notes.append(
                f"trainer marked nondeterministic: metrics compared within {tolerance:.3g}, "
                "artifact bytes not compared"
            )
        metrics = {k: float(v) for k, v in result["metrics"].items()}
        for name in sorted(set(record.metrics) | set(metrics)):
            old, new = record.metrics.get(name), metrics.get(name)
            if old is None or new is None or abs(old - new) > tolerance:
                report.fail(f"metric {name}: recorded {old}, rebuilt {new}")


def _tampered(root: Path, record: Record) -> str:
    folder = root / record.address.artifact_path
    for rel, md5 in record.artifact.files:
        path = folder / rel
        now = file_md5(path) if path.is_file() else None
        if now != md5:
            return f"local copy of {rel} differs from the record ({now or 'missing'} != {md5})"
    return "local copy has files the record does not list"
