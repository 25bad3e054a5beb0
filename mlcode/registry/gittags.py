"""Registry edge: read registry tags in one `git for-each-ref`; write new ones atomically.

New tags are annotated tag objects (`git mktag`), then created in one `git update-ref
--stdin` transaction whose `create` lines fail if any name exists: a batch lands whole
or not at all, and an existing tag is never moved.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from pathlib import Path

from mlcode.errors import GitError, MlcodeError
from mlcode.registry.view import RegistryView, TagEvent, event_from_tag, fold
from mlcode.vcs import git, identity_args

_FORMAT = "%1e".join(
    [
        "%(refname:lstrip=2)",
        "%(objecttype)",
        "%(*objectname)",
        "%(taggerdate:unix)",
        "%(taggername) %(taggeremail)",
        "%(contents)",
    ]
)
_END = "%1d"


class RegistryConflict(MlcodeError):
    """A tag mlcode meant to create exists already: someone registered meanwhile."""


@dataclass(frozen=True, slots=True)
class NewTag:
    """A tag to create: its name, the commit it points to, its message and tagger time."""

    name: str
    commit: str
    message: str
    time: int


def read_events(root: Path) -> list[TagEvent]:
    """Every annotated registry tag (lightweight tags are ignored, as GTO does)."""
    try:
        out = git(root, "for-each-ref", f"--format={_FORMAT}{_END}", "refs/tags/")
    except GitError:
        return []
    events = []
    for chunk in out.split("\x1d"):
        fields = chunk.lstrip("\n").split("\x1e")
        if len(fields) != 6 or fields[1] != "tag":
            continue
        name, _type, commit, when, tagger, message = fields
        event = event_from_tag(name, commit, int(when or 0), tagger, message.strip())
        if event is not None:
            events.append(event)
    return events


def read_registry(root: Path) -> RegistryView:
    return fold(read_events(root))


def tagger_identity(root: Path) -> str:
    """`Name <email>` Git would use for a tag (mlcode's fallback where none is set)."""
    ident = git(root, *identity_args(root), "var", "GIT_COMMITTER_IDENT").strip()
    return ident.rsplit(" ", 2)[0]


def create_tags(root: Path, tags: list[NewTag]) -> None:
    """Create annotated tags in one transaction; RegistryConflict if any exists."""
    if not tags:
        return
    ident = tagger_identity(root)
    objects = []
    for tag in tags:
        body = (
            f"object {tag.commit}\ntype commit\ntag {tag.name}\n"
            f"tagger {ident} {tag.time} +0000\n\n{tag.message.rstrip()}\n"
        )
        objects.append(git(root, "mktag", input=body).strip())
    lines = ["start"]
    lines += [f"create refs/tags/{t.name} {obj}" for t, obj in zip(tags, objects, strict=True)]
    lines += ["prepare", "commit"]
    try:
        git(root, "update-ref", "--stdin", input="\n".join(lines) + "\n")
    except GitError as exc:
        existing = [t.name for t in tags if _exists(root, t.name)]
        if existing:
            raise RegistryConflict(
                f"tag {existing[0]} already exists: another apply registered meanwhile",
                "nothing was tagged; run `mlcode plan` again and re-apply",
            ) from None
        raise exc


def _exists(root: Path, name: str) -> bool:
    try:
        git(root, "rev-parse", "-q", "--verify", f"refs/tags/{name}")
        return True
    except GitError:
        return False


def push(root: Path, remote: str, branch: str, tag_names: list[str]) -> None:
    """Push the branch and the new tags in one atomic `git push`."""
    refs = [f"HEAD:refs/heads/{branch}", *(f"refs/tags/{n}:refs/tags/{n}" for n in tag_names)]
    try:
        git(root, "push", "--atomic", "--porcelain", remote, *refs)
    except GitError as exc:
        raise GitError(
            f"git push to {remote} failed: {exc.message.removeprefix('git push failed: ')}",
            "nothing was pushed (atomic push); pull, re-plan and re-apply",
        ) from None


def now() -> int:
    return int(_time.time())
