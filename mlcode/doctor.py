"""`mlcode doctor` (edge): check what apply depends on and say how to fix each problem.

Checks, in order: Git (repository, identity), DVC (set up, cache writable), the remote
(configured; with `remote=True` also reachable; shared, not local to this machine), the
apply lock, Git's lock files, the state records (all readable, their artifacts present,
their DVC cache objects intact: hashed, never moved), a half-done merge or rebase, the
registry branch, the registry tags against origin's, and the specs. Every check yields
ok / warn / error with a message and, unless ok, the fix.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlcode.errors import MlcodeError


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "error"
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_checks(root: Path, cache_dir: Path, remote: bool = False) -> list[Check]:
    checks = [_identity(root), _dvc(root)]
    checks += _remote(root, remote) if checks[-1].status == "ok" else []
    has_remote = any(c.name == "remote" and c.status == "ok" for c in checks)
    checks += [
        _lock(cache_dir),
        _git_locks(root),
        *_records(root, cache_dir, has_remote),
        _operation(root),
        _branch(root),
        _registry_tags(root),
        _specs(root, cache_dir),
    ]
    return checks


def _identity(root: Path) -> Check:
    from mlcode.registry.gittags import tagger_identity
    from mlcode.vcs import FALLBACK_IDENTITY

    used = tagger_identity(root)  # what mlcode's commits and tags will carry
    fallback = f"{FALLBACK_IDENTITY[0]} <{FALLBACK_IDENTITY[1]}>"
    if used != fallback:
        return Check("git identity", "ok", used)
    return Check(
        "git identity",
        "warn",
        f"no Git identity: mlcode commits and tags as {fallback}",
        'git config user.name "Your Name" && git config user.email you@example.com',
    )


def _dvc(root: Path) -> Check:
    if not (root / ".dvc").is_dir():
        return Check("dvc", "error", "no DVC setup (.dvc/ is missing)", "run `mlcode init`")
    from mlcode.storage.cachefiles import cache_dir

    cache = cache_dir(root)
    probe = cache if cache.exists() else cache.parent
    if not os.access(probe, os.W_OK):
        return Check(
            "dvc", "error", f"the DVC cache {cache} is not writable", "fix its permissions"
        )
    return Check("dvc", "ok", f"cache at {cache}")


def _remote(root: Path, reach: bool) -> list[Check]:
    """The remote check, then (when the remote is local to this machine) a `remote
    sharing` warning: teammates' clones could not pull."""
    from mlcode.config.resolve import read_settings
    from mlcode.storage.remotescope import SHARED_REMOTE_FIX, remote_scope

    try:
        setting = read_settings(root).remote
    except MlcodeError as exc:
        return [Check("remote", "error", exc.message, exc.hint)]
    checks = _remote_reach(root, setting, reach)
    scope = remote_scope(root, setting)
    if scope.problem and checks[0].status != "warn":  # a missing remote says it already
        checks.append(Check("remote sharing", "warn", scope.problem, SHARED_REMOTE_FIX))
    return checks


def _remote_reach(root: Path, setting: str | None, reach: bool) -> list[Check]:
    from mlcode.storage.remotescope import SHARED_REMOTE_FIX, remote_scope
    from mlcode.workspace import store

    try:
        artifacts = store(root, setting)
    except MlcodeError as exc:
        return [Check("remote", "error", exc.message, exc.hint)]
    try:
        if artifacts.remote_name() is None:
            problem = remote_scope(root, setting).problem or "no DVC remote is configured"
            return [
                Check(
                    "remote",
                    "warn",
                    f"{problem}: artifacts stay on this machine",
                    f"{SHARED_REMOTE_FIX}; or `mlcode init` for a remote on this machine only",
                )
            ]
        described = artifacts.describe_remote()
        if not reach:
            return [Check("remote", "ok", f"{described} (not contacted; use --remote)")]
        try:
            artifacts.missing_on_remote(["0" * 32])
        except MlcodeError as exc:
            return [
                Check(
                    "remote",
                    "error",
                    f"{described} is not reachable: {exc.message}",
                    "check the URL and the credentials (`dvc remote list`)",
                )
            ]
        return [Check("remote", "ok", f"{described} reachable")]
    finally:
        artifacts.close()


def _lock(cache_dir: Path) -> Check:
    import json

    from mlcode.lock import is_dead

    path = cache_dir / "lock"
    if not path.exists():
        return Check("lock", "ok", "no apply is running")
    try:
        holder = json.loads(path.read_text())
    except (OSError, ValueError):
        return Check("lock", "warn", "the lock file is unreadable", f"remove {path}")
    pid, host = holder.get("pid"), holder.get("host")
    if host != socket.gethostname():
        return Check(
            "lock",
            "warn",
            f"held by pid {pid} on another host ({host}): never taken over automatically",
            f"if no apply runs on {host}, remove {path}",
        )
    if is_dead(holder):
        return Check(
            "lock",
            "ok",
            f"left by dead pid {pid}: the next apply takes it over, and removes the Git "
            "lock files that apply's git left",
        )
    return Check("lock", "ok", f"an apply is running (pid {pid})")


def _git_locks(root: Path) -> Check:
    from mlcode.vcs import git_locks

    found = [p.relative_to(root).as_posix() for p in git_locks(root)]
    if not found:
        return Check("git locks", "ok", "no Git lock file")
    return Check(
        "git locks",
        "warn",
        f"Git lock files exist: {', '.join(found)} (Git refuses to write while they do)",
        "if no git process is running in this repository, remove them",
    )


def _records(root: Path, cache_dir: Path, has_remote: bool = False) -> list[Check]:
    from mlcode.plan.types import ArtifactState
    from mlcode.refresh import Refresher
    from mlcode.state.records import RecordIndex
    from mlcode.vcs import RESTORE_RECORD_HINT

    records, problems = RecordIndex(root, cache_dir / "index.json").load()
    if problems:
        return [
            Check(
                "records",
                "error",
                "unreadable: " + "; ".join(problems),
                RESTORE_RECORD_HINT,
            )
        ]
    refresher = Refresher(root, cache_dir)
    states = {a: refresher.artifact_state(r) for a, r in records.items()}
    refresher.save()
    corrupt = sorted(str(a) for a, s in states.items() if s is ArtifactState.CORRUPT)
    absent = sorted(str(a) for a, s in states.items() if s is ArtifactState.ABSENT)
    out = [Check("records", "ok", f"{len(records)} state records readable")]
    if corrupt:
        out.append(
            Check(
                "artifacts",
                "error",
                "local copy differs from its record: " + ", ".join(corrupt),
                "run `mlcode apply` (plans repair)",
            )
        )
    if absent:
        out.append(
            Check("artifacts", "warn", f"{len(absent)} not present locally", "run `mlcode pull`")
        )
    if not corrupt and not absent:
        out.append(Check("artifacts", "ok", "every recorded artifact is present and intact"))
    intact = {a for a, s in states.items() if s is ArtifactState.OK}
    return [*out, _cache_objects(root, records, intact, has_remote)]


def _cache_objects(root: Path, records: dict, intact: set, has_remote: bool) -> Check:
    """Every DVC cache object of the current records that is present must hash to its
    name (DVC itself serves a read-only object unhashed)."""
    from mlcode.storage.cachefiles import cache_dir, object_path, problem

    cache = cache_dir(root)
    found, addresses = [], []
    for address, record in sorted(records.items(), key=lambda item: str(item[0])):
        kind = "listing" if record.artifact.md5.endswith(".dir") else "object"
        named = [(kind, record.artifact.md5), *sorted(record.artifact.files)]
        for label, md5 in named:
            path = object_path(cache, md5)
            if path is None or not os.path.lexists(path):
                continue  # absent is no corruption: pull or a rebuild brings it
            wrong = problem(path, md5)
            if wrong is not None:
                found.append(f"{address} {label} {md5} ({wrong})")
                if address not in addresses:
                    addresses.append(address)
    if not found:
        return Check("cache", "ok", "the DVC cache objects of every record are intact")
    pull = [str(a) for a in addresses if has_remote or a in intact]
    rebuild = [str(a) for a in addresses if str(a) not in pull]
    fixes = []
    if pull:
        fixes.append(
            f"run `mlcode pull {' '.join(pull)}`: it moves each corrupt object to "
            ".mlcode/quarantine/ and fetches it again from the remote, or stores the intact "
            "work-tree copy again"
        )
    if rebuild:
        fixes.append(
            f"run `mlcode apply --replace {' '.join(rebuild)}` (no remote and no intact "
            "work-tree copy: it moves each corrupt object to .mlcode/quarantine/ and rebuilds)"
        )
    return Check(
        "cache", "error", "corrupt DVC cache objects: " + "; ".join(found), "; ".join(fixes)
    )


def _branch(root: Path) -> Check:
    from mlcode.config.resolve import read_settings
    from mlcode.vcs import current_branch, git

    try:
        branch = read_settings(root).registry_branch
    except MlcodeError as exc:
        return Check("registry branch", "error", exc.message, exc.hint)
    try:
        git(root, "rev-parse", "--verify", "-q", f"refs/heads/{branch}")
    except MlcodeError:
        return Check(
            "registry branch",
            "warn",
            f"branch {branch} does not exist here",
            "create it, or set `registry: {branch: ...}` in conf/mlcode.yaml",
        )
    here = current_branch(root)
    where = "HEAD is on it" if here == branch else f"HEAD is on {here or 'a detached commit'}"
    return Check("registry branch", "ok", f"{branch} ({where})")


def _operation(root: Path) -> Check:
    from mlcode.vcs import operation_in_progress

    busy = operation_in_progress(root)
    if busy is None:
        return Check("git operation", "ok", "no merge, rebase or conflict in progress")
    return Check("git operation", "error", f"{busy[0]}: apply refuses meanwhile", busy[1])


def _registry_tags(root: Path) -> Check:
    """Registry tags here against origin's (`git ls-remote`): a tag of the same name on
    another object blocks every `git fetch --tags` and every `apply --git-push`."""
    from mlcode.registry.gittags import tag_drift
    from mlcode.vcs import git

    if "origin" not in git(root, "remote").split():
        return Check("registry tags", "ok", "no origin remote to compare with")
    try:
        drift = tag_drift(root)
    except MlcodeError as exc:
        return Check("registry tags", "warn", f"cannot read origin's tags: {exc.message}")
    if drift.differ:
        names = " ".join(drift.differ)
        return Check(
            "registry tags",
            "error",
            f"local tags differ from origin's: {', '.join(drift.differ)}",
            f"drop the local ones (`git tag -d {names}`), then `git fetch --tags`",
        )
    if drift.local_only:
        return Check(
            "registry tags",
            "warn",
            f"{len(drift.local_only)} not on origin: {', '.join(drift.local_only[:5])}",
            "`mlcode apply --git-push` on the registry branch pushes them",
        )
    if drift.remote_only:
        return Check(
            "registry tags",
            "warn",
            f"{len(drift.remote_only)} on origin not fetched: {', '.join(drift.remote_only[:5])}",
            "`git fetch --tags origin`",
        )
    return Check("registry tags", "ok", "the same as origin's")


def _specs(root: Path, cache_dir: Path) -> Check:
    # What `mlcode validate` checks, without calling up into the api (which runs doctor).
    from mlcode.config.graph import resource_graph
    from mlcode.config.resolve import load_project

    try:
        project = load_project(root, cache_dir=cache_dir)
        resource_graph(project.resources)
    except MlcodeError as exc:
        return Check("specs", "error", exc.message, exc.hint)
    return Check("specs", "ok", f"{len(project.resources)} specs valid")
