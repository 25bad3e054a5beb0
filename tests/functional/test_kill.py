"""Crash safety (issue 6): SIGKILL `mlcode apply` at every kill point; nothing is lost.

A project of one dataset and four models is built and registered with specs v1 and
pushed to its origin and DVC remote. Then one commit gives the next apply every kind of
work: `m_a` is rebuilt and promoted to production behind a gate, `m_b` is retired, `m_c`
is created into staging and `m_d` reuses a build from the project's history. The
reference is that apply run once without interruption.

Each scenario copies the project and runs the same `apply --git-push` with
`MLCODE_KILL_AT` set: the apply's whole process group (workers and `git` included) is
SIGKILLed at that point, by a kill point in mlcode (`mlcode/killpoint.py`) or by the
project itself: its trainer in the middle of `fit`, its `reference-transaction` hook
while Git holds the ref locks, origin's `pre-receive` hook while a push is in flight.
After each kill:

- every artifact directory in the work tree is the one before the apply, the one the
  reference built, or absent: never a mix;
- every record (work tree, HEAD, every tag) has its objects, intact, in the DVC cache,
  and every record origin has has them on the DVC remote;
- then a plain `mlcode apply --git-push` takes the dead apply's lock over and converges:
  the same records, artifact directories and registry (tags, versions, fingerprints,
  stages) as the reference, origin equal to the local repository, a clean tree and a
  no-op plan.

Scenarios run two at a time in background threads (one per core); the closing summary
of the test run prints how many kill points killed and converged, and records lost.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

# Kill points in the order one apply passes them; a comment says what is half done.
KILL_POINTS = [
    "lock.taken",  # the lock is held, nothing else done
    "build.submitted",  # the parent dies while a worker trains
    "build.train",  # a worker kills the group in the middle of the user's fit()
    "restore.recorded",  # reuse: the record is written, the artifact not checked out
    "restore.copying",  # reuse: the artifact half copied out of the cache
    "build.published",  # a build is in place, not in the DVC cache, no record
    "build.published:2",  # both builds in place, a new one not even git-ignored yet
    "record.cached",  # builds are in the DVC cache, no record written
    "record.written",  # one record of the batch written, the other not
    "retire.unlinked",  # retire: the record is gone, the artifact still there
    "push.start",  # every record written, nothing uploaded
    "push.files",  # the files are on the remote, their `.dir` listings not
    "commit.start",  # everything uploaded, nothing committed
    "commit.index",  # during the commit: its tree is written
    "commit.object",  # the commit object exists, HEAD does not point at it
    "commit.transaction",  # git holds the lock on HEAD's branch (reference-transaction hook)
    "commit.ref",  # HEAD moved, the index not yet reset to it
    "tags.start",  # committed, no tag
    "tags.objects",  # the tag objects exist, no tag ref
    "tags.transaction",  # git holds the tag ref locks (reference-transaction hook)
    "git-push.start",  # tagged locally, nothing pushed
    "git-push.receive",  # origin has the pack, its refs are not updated (pre-receive hook)
]

TRAIN = """\
import os
import signal


def fit(estimator, train, target):
    if os.environ.get("MLCODE_KILL_AT") == "build.train":
        os.killpg(0, signal.SIGKILL)  # the crash harness: die in the middle of a build
    return estimator.fit(train.drop(columns=[target]), train[target])
"""

REFERENCE_TRANSACTION = """\
#!/bin/sh
# The crash harness: kill the apply's process group while git holds the ref locks.
[ "$1" = prepared ] || exit 0
case "$MLCODE_KILL_AT" in
  tags.transaction) pattern=' refs/tags/' ;;
  commit.transaction) pattern=' refs/heads/' ;;
  *) exit 0 ;;
esac
if grep -q "$pattern"; then kill -KILL 0; fi
"""

PRE_RECEIVE = """\
#!/bin/sh
# The crash harness: kill the pushing apply's process group before origin updates a ref.
if [ "$MLCODE_KILL_AT" = git-push.receive ]; then kill -KILL 0; fi
"""

IRIS = """\
loader: {_target_: sklearn.datasets.load_iris, as_frame: true}
target: target
split: {test_size: 0.25, seed: 0}
"""


def _model(estimator: str, extra: str = "") -> str:
    return (
        f"estimator: {estimator}\n"
        "dataset: iris\n"
        "train: {_target_: pipelines.train.fit}\n"
        "metrics: [accuracy]\n" + textwrap.dedent(extra)
    )


TREE = "{_target_: sklearn.tree.DecisionTreeClassifier, max_depth: %d}"
LR = "{_target_: sklearn.linear_model.LogisticRegression, max_iter: 300, C: %s}"
GATED = "stage: production\ngates: {accuracy: '>= 0.5'}\n"

SPECS_V1 = {
    "conf/datasets/iris.yaml": IRIS,
    "conf/models/m_a.yaml": _model(TREE % 3, GATED),
    "conf/models/m_b.yaml": _model(LR % "1.0", "stage: staging\n"),
    "conf/models/m_d.yaml": _model(LR % "0.5"),
    "pipelines/__init__.py": "",
    "pipelines/train.py": TRAIN,
}


class Env(dict):
    """Environment variables for the harness's subprocesses, and the `mlcode` command."""

    cmd: list[str]

    def with_kill(self, point: str) -> Env:
        out = Env({**self, "MLCODE_KILL_AT": point})
        out.cmd = self.cmd
        return out


def _run(cmd: list[str], cwd: Path, env: Env, **kw: Any) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{cmd}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _git(root: Path, env: Env, *args: str) -> str:
    return _run(["git", *args], root, env)


def _mlcode(root: Path, env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*env.cmd, *args],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _apply(root: Path, env: Env) -> subprocess.CompletedProcess[str]:
    """`apply --git-push` in a session of its own: a kill takes its group, nothing else."""
    proc = subprocess.Popen(
        [*env.cmd, "apply", "--auto-approve", "--git-push", "--jobs", "2"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _commit(root: Path, env: Env, message: str) -> None:
    _git(root, env, "add", "-A")
    _git(root, env, "-c", "user.name=Setup", "-c", "user.email=s@x", "commit", "-qm", message)


def _applied(root: Path, env: Env) -> None:
    done = _apply(root, env)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def env(module_env: dict[str, str], mlcode_cmd: list[str]) -> Env:
    out = Env({k: v for k, v in module_env.items() if k != "MLCODE_KILL_AT"})
    out.cmd = mlcode_cmd
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, env: Env) -> Path:
    """The project after specs v1 (and an m_d build to reuse later), with the change
    committed and not yet applied: `repo/`, its bare `origin.git/` and DVC `remote/`."""
    top = tmp_path_factory.mktemp("kill-template")
    root, origin = top / "repo", top / "origin.git"
    _run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], top, env)
    _write(origin, {"hooks/pre-receive": PRE_RECEIVE})
    _run(["git", "init", "-q", "-b", "main", str(root)], top, env)
    _write(root, {".git/hooks/reference-transaction": REFERENCE_TRANSACTION})
    for hook in (origin / "hooks/pre-receive", root / ".git/hooks/reference-transaction"):
        hook.chmod(0o755)
    _git(root, env, "remote", "add", "origin", "../origin.git")  # relative: copies stay apart
    from dvc.repo import Repo

    Repo.init(str(root)).close()
    _write(
        root,
        {
            ".dvc/config": "[core]\n    remote = storage\n"
            "['remote \"storage\"']\n    url = ../../remote\n"
        },
    )
    _write(root, SPECS_V1)
    _commit(root, env, "specs v1")
    _applied(root, env)
    _write(root, {"conf/models/m_d.yaml": _model(LR % "2.0")})
    _commit(root, env, "m_d: C 2.0")
    _applied(root, env)
    # The change under test: rebuild + promote, retire, create + stage, reuse.
    _write(
        root,
        {
            "conf/models/m_a.yaml": _model(TREE % 2, GATED),
            "conf/models/m_c.yaml": _model(TREE % 4, "stage: staging\n"),
            "conf/models/m_d.yaml": _model(LR % "0.5"),
        },
    )
    (root / "conf/models/m_b.yaml").unlink()
    _commit(root, env, "change")
    return top


def _copy(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    return dest / "repo"


@pytest.fixture(scope="module")
def reference(template: Path, tmp_path_factory: pytest.TempPathFactory, env) -> dict[str, Any]:
    """The state the uninterrupted apply reaches, and the artifacts it built."""
    root = _copy(template, tmp_path_factory.mktemp("kill-reference") / "ref")
    plan = json.loads(_mlcode(root, env, "plan", "--json").stdout)
    actions = {c["address"]: c["action"] for c in plan["changes"]}
    assert actions == {
        "dataset.iris": "noop",
        "model.m_a": "rebuild",
        "model.m_b": "retire",
        "model.m_c": "create",
        "model.m_d": "reuse",
    }, actions
    _applied(root, env)
    return {"state": _converged_state(root, env), "artifacts": _artifact_dirs(root)}


# -- what is checked -------------------------------------------------------------------


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _artifact_dirs(root: Path) -> dict[str, dict[str, str]]:
    """{artifact directory: {file: md5}} of the work tree."""
    out = {}
    for folder in sorted((root / "artifacts").glob("*/*")):
        if folder.is_dir():
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            out[folder.relative_to(root).as_posix()] = {
                p.relative_to(folder).as_posix(): _md5(p) for p in files
            }
    return out


def _object(store: Path, md5: str) -> Path:
    return store / "files" / "md5" / md5[:2] / md5[2:]


def _missing_objects(store: Path, md5: str) -> list[str]:
    """Objects of an artifact (a `.dir` listing and its files) absent from `store`, or
    there with other content than their name says."""
    listing = _object(store, md5)
    if not listing.is_file():
        return [md5]
    if not md5.endswith(".dir"):
        return [] if _md5(listing) == md5 else [f"{md5} (corrupt)"]
    files = [entry["md5"] for entry in json.loads(listing.read_text())]
    return [m for m in files if not _object(store, m).is_file() or _md5(_object(store, m)) != m]


def _records_at(root: Path, env: Env, rev: str | None) -> dict[str, dict]:
    """{record path: parsed .dvc file} in the work tree (rev None) or at a commit."""
    if rev is None:
        paths = sorted(p.relative_to(root).as_posix() for p in root.glob("artifacts/*/*.dvc"))
        return {p: yaml.safe_load((root / p).read_text()) for p in paths}
    listed = _git(root, env, "ls-tree", "-r", "--name-only", rev, "--", "artifacts")
    paths = [p for p in listed.splitlines() if p.endswith(".dvc")]
    return {p: yaml.safe_load(_git(root, env, "show", f"{rev}:{p}")) for p in paths}


def _tags(root: Path, env: Env, remote: str | None = None) -> dict[str, str]:
    """{tag name: tag object id} of the repository or of a remote."""
    if remote:
        out = _git(root, env, "ls-remote", "--tags", remote)
        pairs = [line.split("\t") for line in out.splitlines() if "^{}" not in line]
        return {ref.removeprefix("refs/tags/"): oid for oid, ref in pairs}
    out = _git(root, env, "for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname)")
    return dict(line.split(" ") for line in out.splitlines())


def _check_nothing_lost(root: Path, env: Env) -> None:
    """Every record anywhere has its objects: locally in the DVC cache, and for what
    origin has, on the DVC remote too."""
    cache, remote = root / ".dvc" / "cache", root.parent / "remote"
    local = {"work tree": _records_at(root, env, None), "HEAD": _records_at(root, env, "HEAD")}
    for tag in _tags(root, env):
        local[f"tag {tag}"] = _records_at(root, env, f"refs/tags/{tag}^{{commit}}")
    pushed = {"origin/main": _records_at(root, env, "refs/remotes/origin/main")}
    for tag in _tags(root, env, "origin"):
        pushed[f"origin tag {tag}"] = _records_at(root, env, f"refs/tags/{tag}^{{commit}}")
    for store, where in ((cache, local), (remote, pushed)):
        for place, records in where.items():
            for path, data in records.items():
                for out in data["outs"]:
                    lost = _missing_objects(store, out["md5"])
                    assert not lost, f"{place}: {path} points at {lost} missing from {store}"


def _converged_state(root: Path, env: Env) -> dict[str, Any]:
    """Records, registry and origin, without commit ids, times or who."""
    records = {}
    for path, data in _records_at(root, env, None).items():
        meta = dict(data["meta"]["mlcode"])
        meta.pop("built_at", None)
        meta.pop("built_from", None)
        records[path] = {"md5": data["outs"][0]["md5"], "record": meta}
    registry = json.loads(_mlcode(root, env, "registry", "--json").stdout)
    for model in registry:
        for item in model["versions"] + model["history"]:
            for key in ("commit", "registered_at", "at", "by"):
                item.pop(key, None)
    return {"records": records, "registry": registry, "tags": sorted(_tags(root, env))}


# -- the harness -----------------------------------------------------------------------


KILLED: list[str] = []  # kill points whose apply was killed and then converged
LOST: list[str] = []  # records of the reference missing or different after convergence


@pytest.fixture(scope="module", autouse=True)
def summary(summary_line):
    """The harness's figures, printed at the end of the test run."""
    yield
    if KILLED or LOST:
        summary_line(
            f"kill harness: {len(KILLED)} of {len(KILL_POINTS)} kill points SIGKILLed an "
            f"apply that then converged; {len(LOST)} records lost"
        )


@pytest.fixture(scope="module")
def scenarios(request, template, reference, env, tmp_path_factory):
    """The selected kill scenarios, run two at a time (the machine's two cores) in the
    background; each test waits for its own and re-raises what it found."""
    top = tmp_path_factory.mktemp("kill")
    selected = [
        item.callspec.params["point"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_kill_and_converge"
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {
            point: pool.submit(_scenario, point, template, reference, env, top / str(i))
            for i, point in enumerate(selected)
        }


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_and_converge(point, scenarios):
    scenarios[point].result(timeout=600)


def _scenario(point: str, template: Path, reference: dict, env: Env, dest: Path) -> None:
    root = _copy(template, dest)
    before = _artifact_dirs(root)

    killed = _apply(root, env.with_kill(point))
    assert killed.returncode == -signal.SIGKILL, (
        f"the apply was not killed at {point}: exit {killed.returncode}\n"
        f"{killed.stdout}\n{killed.stderr}"
    )

    # No partial artifact is visible: each directory is as before, as built, or absent.
    for folder, files in _artifact_dirs(root).items():
        allowed = [before.get(folder), reference["artifacts"].get(folder)]
        assert files in allowed, f"{point}: {folder} is neither the old nor the new build"
    _check_nothing_lost(root, env)

    # Re-planning shows no error, and one plain apply converges.
    plan = _mlcode(root, env, "plan", "--json")
    assert plan.returncode == 0, f"{point}: plan after the kill\n{plan.stdout}\n{plan.stderr}"
    for change in json.loads(plan.stdout)["changes"]:  # the stage moves are still planned
        if change["address"] in ("model.m_a", "model.m_c") and change["action"] != "noop":
            assert change["promotion"], f"{point}: {change['address']} lost its promotion"
    done = _apply(root, env)
    assert done.returncode == 0, f"{point}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "took over the lock of a dead apply" in done.stdout, f"{point}: {done.stdout}"
    state = _converged_state(root, env)
    want = reference["state"]
    LOST.extend(
        f"{point}: {p}" for p in want["records"] if state["records"].get(p) != want["records"][p]
    )
    assert state == want, f"{point}: diverged from the uninterrupted apply"
    assert _artifact_dirs(root) == reference["artifacts"], f"{point}: artifacts differ"
    assert _tags(root, env, "origin") == _tags(root, env), f"{point}: origin's tags differ"
    head = _git(root, env, "rev-parse", "HEAD").strip()
    assert _git(root, env, "ls-remote", "origin", "refs/heads/main").split()[0] == head
    assert _git(root, env, "status", "--porcelain", "--untracked-files=all") == ""
    _check_nothing_lost(root, env)
    again = _mlcode(root, env, "plan", "--detailed-exitcode")
    assert again.returncode == 0, f"{point}: not converged\n{again.stdout}\n{again.stderr}"
    assert not (root / ".mlcode" / "lock").exists()
    KILLED.append(point)
