"""`mlcode registry` and `gto show` agree, for any mix of events written by both tools.

A property test: hypothesis generates sequences of registry events, each written by
mlcode (the registry step of apply: register, move a stage, roll back, retire) or by GTO
(register, assign, unassign, deregister, deprecate, through its Python API, which is
what the `gto` command runs), on a real Git repository. Events are dated on a simulated
clock in whole seconds, as Git dates tags, with many in the same second and some a
second behind (another machine's clock): the ties where GTO's order is decided by its
tie rules. After the sequence, and wherever the sequence asks, the model's latest version,
stages and whether it is listed must be the same in both views.

mlcode's writer gets the simulated clock (it waits by advancing it); GTO's writes are
dated with `GIT_COMMITTER_DATE` (its GitPython backend runs `git tag`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mlcode.address import Address, Kind
from mlcode.registry.gittags import read_registry
from mlcode.registry.promote import Intent, register_and_promote
from mlcode.state.types import Artifact, Record

gto_api = pytest.importorskip("gto.api")
from gto.exceptions import GTOException  # noqa: E402
from scmrepo.git import Git  # noqa: E402

EPOCH = 1_800_000_000
COMMITS = 9  # one per step at most: GTO reads every commit on each call
STAGES = ("production", "staging")
FINGERPRINTS = tuple(c * 16 for c in "abcd")
IDENTITY = {"GIT_COMMITTER_NAME": "Gto User", "GIT_COMMITTER_EMAIL": "gto@example.com"}


@dataclass
class SimClock:
    """mlcode's clock in the test: `wait_past` advances it instead of sleeping."""

    second: int

    def now(self) -> int:
        return self.second

    def wait_past(self, second: int) -> None:
        self.second = max(self.second, second + 1)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Git repository with COMMITS empty commits, one a second from EPOCH (GTO counts a
    version's commit time as an event of it), and no `.mlcode` (no registry cache)."""
    root = tmp_path_factory.mktemp("gto-agreement")
    env = {**os.environ, **IDENTITY, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    for i in range(COMMITS):
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = f"{EPOCH + i} +0000"
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", f"c{i}"], cwd=root, check=True, env=env
        )
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@contextlib.contextmanager
def _dated(second: int) -> Iterator[None]:
    """GTO writes tags dated `second` (`git tag` honours GIT_COMMITTER_DATE)."""
    saved = {k: os.environ.get(k) for k in [*IDENTITY, "GIT_COMMITTER_DATE"]}
    os.environ.update(IDENTITY, GIT_COMMITTER_DATE=f"{second} +0000")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _record(fingerprint: str) -> Record:
    artifact = Artifact(f"{fingerprint[:32]:0<32}.dir", (), 0)
    return Record(Address(Kind.MODEL, "m"), fingerprint, artifact, {"dataset": "d"})


# One step: (tool, action, argument, seconds from the previous step, check afterwards)
STEP = st.one_of(
    st.tuples(
        st.just("mlcode"),
        st.just("build"),
        st.tuples(st.sampled_from(FINGERPRINTS), st.sampled_from([*STAGES, None])),
    ),
    st.tuples(st.just("mlcode"), st.just("retire"), st.none()),
    st.tuples(st.just("gto"), st.just("register"), st.booleans()),
    st.tuples(
        st.just("gto"),
        st.sampled_from(["assign", "unassign"]),
        st.tuples(st.integers(0, 5), st.sampled_from(STAGES)),
    ),
    st.tuples(st.just("gto"), st.just("deregister"), st.integers(0, 5)),
    st.tuples(st.just("gto"), st.just("deprecate"), st.booleans()),
    st.tuples(st.just("gto"), st.just("assign-commit"), st.sampled_from(STAGES)),
)
SEQUENCES = st.lists(
    st.tuples(STEP, st.sampled_from([0, 0, 0, 0, 1, 1, -1]), st.booleans()),
    min_size=1,
    max_size=8,
)


class Run:
    """One generated sequence, played on `root` from an empty registry."""

    def __init__(self, root: Path, scm: Git, commits: list[str]) -> None:
        self.root, self.scm, self.commits = root, scm, commits
        self.clock = SimClock(EPOCH)
        self.used = 0

    def fresh_commit(self) -> str:
        self.used += 1
        return self.commits[self.used - 1]

    def versions(self) -> list[str]:
        model = read_registry(self.root).get("m")
        return sorted(model.versions) if model else []

    def assignments(self) -> list[tuple[str, str]]:
        model = read_registry(self.root).get("m")
        return [(s, v) for s, v in model.assignments() if v in model.versions] if model else []

    def step(self, tool: str, action: str, arg, delta: int) -> None:
        second = max(EPOCH, self.clock.second + delta)
        if tool == "mlcode":
            self.clock.second = max(self.clock.second, second)
            address = Address(Kind.MODEL, "m")
            if action == "retire":
                intent = Intent(address, None)
            else:
                fingerprint, stage = arg
                intent = Intent(address, _record(fingerprint), stage)
            register_and_promote(
                self.root, self.fresh_commit(), [intent], _no_scorer, clock=self.clock
            )
            return
        with _dated(second), contextlib.suppress(GTOException):
            self._gto(action, arg)
        self.clock.second = max(self.clock.second, second)

    def _gto(self, action: str, arg) -> None:
        versions = self.versions()
        pick = (arg[0] if isinstance(arg, tuple) else arg) if versions else None
        version = versions[pick % len(versions)] if isinstance(pick, int) else None
        if action == "register":
            gto_api.register(self.scm, "m", self.fresh_commit(), bump_minor=arg or None)
        elif action == "assign" and version:
            gto_api.assign(self.scm, "m", arg[1], version=version)
        elif action == "unassign" and version:
            # mostly an assignment in force (else GTO refuses), sometimes any version
            held = self.assignments()
            stage, version = held[arg[0] % len(held)] if held and arg[0] < 4 else (arg[1], version)
            gto_api.unassign(self.scm, "m", version=version, stage=stage)
        elif action == "deregister" and version:
            gto_api.deregister(self.scm, "m", version=version)
        elif action == "deprecate":  # `m@deprecated` once, then `m@deprecated#N`
            gto_api.deprecate(self.scm, "m", simple=arg, force=not arg)
        elif action == "assign-commit":  # a stage on a commit no version is registered on
            gto_api.assign(self.scm, "m", arg, ref=self.fresh_commit(), skip_registration=True)

    def views(self) -> tuple[dict, dict]:
        shown = gto_api.show(self.scm)
        gto_view = {
            name: (d["version"], {s: v for s, v in d["stage"].items() if v})
            for name, d in shown.items()
        }
        ours = {
            name: (model.latest, model.current_stages())
            for name, model in read_registry(self.root).models.items()
            if model.active
        }
        return gto_view, ours


def _no_scorer(champion, candidate):
    raise AssertionError("no relative gates here: the champion is never scored")


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(SEQUENCES)
def test_mlcode_registry_and_gto_show_agree(repo, steps):
    tags = _git(repo, "tag", "-l").split()
    if tags:
        _git(repo, "tag", "-d", *tags)
    commits = _git(repo, "rev-list", "--reverse", "HEAD").split()
    with Git(str(repo), backends=["gitpython", "dulwich", "pygit2"]) as scm:
        run = Run(repo, scm, commits)
        for i, ((tool, action, arg), delta, check) in enumerate(steps):
            run.step(tool, action, arg, delta)
            if check or i == len(steps) - 1:
                gto_view, ours = run.views()
                assert ours == gto_view, f"after step {i} ({tool} {action} {arg}):\n" + _git(
                    repo,
                    "for-each-ref",
                    "--sort=taggerdate",
                    "--format=%(taggerdate:unix) %(refname:lstrip=2)",
                    "refs/tags",
                )


# Any set of registry tags, dated in a window of a few seconds: GTO's tie rules decide.
VERSIONS = 4  # v1.0.i is registered on commit i; commits VERSIONS.. have no registration
TAG_SPECS = st.lists(
    st.tuples(
        st.sampled_from(["register", "deregister", "assign", "unassign", "deprecate"]),
        st.integers(0, VERSIONS + 1),
        st.sampled_from(STAGES),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
)


def _tag_lines(specs: list) -> list[tuple[str, int, int]]:
    """(tag name, commit index, time offset) for the generated specs; names are unique
    (GTO's counter suffix `#N`)."""
    out = []
    for n, (kind, i, stage, offset) in enumerate(specs, start=1):
        version = f"v1.0.{min(i, VERSIONS - 1)}"
        if kind == "register":
            name, i = f"m@{version}#{n}", min(i, VERSIONS - 1)
        elif kind == "deregister":
            name, i = f"m@{version}!#{n}", min(i, VERSIONS - 1)
        elif kind == "assign":
            name = f"m#{stage}#{n}"
        elif kind == "unassign":
            name = f"m#{stage}!#{n}"
        else:
            name = f"m@deprecated#{n}"
        out.append((name, i, offset))
    return out


P = "production"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TAG_SPECS)
# Each tie rule once, whatever the random search finds (commit i is dated EPOCH + i):
@example([("register", 0, P, 0), ("assign", 0, P, 1), ("unassign", 0, P, 1)])  # unassign wins
@example([("register", 0, P, 1), ("deregister", 0, P, 1)])  # deregistration wins
@example([("register", 0, P, 0), ("register", 1, P, 1), ("assign", 1, P, 2), ("assign", 0, P, 2)])
@example([("register", 0, P, 0), ("deprecate", 0, P, 1), ("assign", 0, P, 1)])  # still listed
@example([("register", 3, P, 0), ("deprecate", 0, P, 1)])  # its commit (EPOCH + 3) is later
@example([("register", 0, P, 3), ("assign", 0, P, 2), ("assign", 5, P, 2)])  # own-commit version
def test_any_tag_set_reads_the_same_in_both(repo, specs):
    tags = _git(repo, "tag", "-l").split()
    if tags:
        _git(repo, "tag", "-d", *tags)
    commits = _git(repo, "rev-list", "--reverse", "HEAD").split()
    lines = ["start"]
    for name, i, offset in _tag_lines(specs):
        body = (
            f"object {commits[i]}\ntype commit\ntag {name}\n"
            f"tagger T <t@example.com> {EPOCH + offset} +0000\n\n{name}\n"
        )
        obj = subprocess.run(
            ["git", "mktag"], cwd=repo, input=body, capture_output=True, text=True, check=True
        ).stdout.strip()
        lines.append(f"create refs/tags/{name} {obj}")
    subprocess.run(
        ["git", "update-ref", "--stdin"],
        cwd=repo,
        input="\n".join([*lines, "commit"]) + "\n",
        check=True,
        text=True,
        capture_output=True,
    )
    with Git(str(repo)) as scm:
        gto_view, ours = Run(repo, scm, commits).views()
    assert ours == gto_view


def _tags_at(repo: Path) -> dict[str, int]:
    out = _git(repo, "for-each-ref", "--format=%(refname:lstrip=2) %(taggerdate:unix)", "refs/tags")
    return {name: int(when) for name, when in (line.split() for line in out.splitlines())}


def _write_tag(repo: Path, name: str, commit: str, when: int) -> None:
    body = f"object {commit}\ntype commit\ntag {name}\ntagger T <t@example.com> {when} +0000\n\nx\n"
    obj = subprocess.run(
        ["git", "mktag"], cwd=repo, input=body, capture_output=True, text=True, check=True
    ).stdout.strip()
    _git(repo, "update-ref", f"refs/tags/{name}", obj)


def _reset(repo: Path) -> list[str]:
    tags = _git(repo, "tag", "-l").split()
    if tags:
        _git(repo, "tag", "-d", *tags)
    return _git(repo, "rev-list", "--reverse", "HEAD").split()


def test_mlcode_waits_out_the_second_of_an_earlier_event(repo):
    # A gto tag of this very second: mlcode's tags go to the next second, never the
    # same one (where GTO's tie rules, not the order of writing, would decide), and
    # apply returns once that second is over, so that a later event is later still.
    commits = _reset(repo)
    _write_tag(repo, "m@v1.0.0", commits[0], EPOCH)
    clock = SimClock(EPOCH)
    intent = Intent(Address(Kind.MODEL, "m"), _record(FINGERPRINTS[0]), "production")
    done = register_and_promote(repo, commits[1], [intent], _no_scorer, clock=clock)
    assert done.notes == []
    assert {n: t for n, t in _tags_at(repo).items() if n != "m@v1.0.0"} == {
        "m@v1.0.1": EPOCH + 1,
        "m#production#1": EPOCH + 1,
    }
    assert clock.now() == EPOCH + 2
    intent = Intent(Address(Kind.MODEL, "m"), _record(FINGERPRINTS[1]), "production")
    register_and_promote(repo, commits[2], [intent], _no_scorer, clock=clock)
    assert _tags_at(repo)["m#production!#2"] == EPOCH + 2
    assert clock.now() == EPOCH + 3


def test_tags_far_in_the_future_are_followed_with_a_note(repo):
    # Tags dated an hour ahead (another machine's clock): mlcode does not wait an hour;
    # it dates its tags after them and says so.
    commits = _reset(repo)
    _write_tag(repo, "m@v1.0.0", commits[0], EPOCH + 3600)
    clock = SimClock(EPOCH)
    intent = Intent(Address(Kind.MODEL, "m"), None)
    done = register_and_promote(repo, commits[1], [intent], _no_scorer, clock=clock)
    assert _tags_at(repo)["m@deprecated#1"] == EPOCH + 3601
    assert clock.now() == EPOCH
    assert len(done.notes) == 1 and "3600 s ahead of this machine's clock" in done.notes[0]
