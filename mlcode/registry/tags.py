"""The registry's tag grammar (GTO 1.10 format), as pure functions over tag names.

    NAME@vX.Y.Z             register version X.Y.Z (annotated tag on the record's commit)
    NAME@vX.Y.Z!            deregister that version
    NAME#STAGE#N            assign STAGE (on the version's registration commit)
    NAME#STAGE!#N           unassign STAGE
    NAME@deprecated[#N]     deprecate (retire) the model
    NAME@created[#N]        GTO's explicit creation event

N is a per-model counter over every event that carries one; mlcode orders by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
_SEMVER = (
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
)
TAG_RE = re.compile(
    rf"^(?P<name>(?:[a-zA-Z0-9\-_./]+=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{_SEMVER}))(?P<cancel>!?)"
    r"|@(?:(?P<deprecated>deprecated)|(?P<created>created)))"
    r"(?:#(?P<counter>[0-9]+))?$"
)
NAME_RE = re.compile(rf"^{_NAME}$")
VERSION_RE = re.compile(rf"^v{_SEMVER}$")


class TagKind(StrEnum):
    REGISTER = "register"
    DEREGISTER = "deregister"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    DEPRECATE = "deprecate"
    CREATE = "create"


@dataclass(frozen=True, slots=True)
class ParsedTag:
    """What a tag name says: its kind, the model name and the version/stage/counter."""

    kind: TagKind
    name: str
    version: str | None = None
    stage: str | None = None
    counter: int | None = None


def parse_tag(tag: str) -> ParsedTag | None:
    """Parse a registry tag name; None for any other tag."""
    m = TAG_RE.match(tag)
    if not m:
        return None
    counter = int(m["counter"]) if m["counter"] else None
    name = m["name"].replace("=", ":")
    if m["deprecated"]:
        return ParsedTag(TagKind.DEPRECATE, name, counter=counter)
    if m["created"]:
        return ParsedTag(TagKind.CREATE, name, counter=counter)
    cancel = m["cancel"] == "!"
    if m["version"]:
        kind = TagKind.DEREGISTER if cancel else TagKind.REGISTER
        return ParsedTag(kind, name, version=m["version"], counter=counter)
    kind = TagKind.UNASSIGN if cancel else TagKind.ASSIGN
    return ParsedTag(kind, name, stage=m["stage"], counter=counter)


def register_tag(name: str, version: str) -> str:
    return f"{name}@{version}"


def assign_tag(name: str, stage: str, counter: int) -> str:
    return f"{name}#{stage}#{counter}"


def unassign_tag(name: str, stage: str, counter: int) -> str:
    return f"{name}#{stage}!#{counter}"


def deprecate_tag(name: str, counter: int) -> str:
    return f"{name}@deprecated#{counter}"


VersionKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def version_key(version: str) -> VersionKey:
    """Sort key for `vX.Y.Z[-pre][+build]` by SemVer precedence: a release after its
    pre-releases; pre-release identifiers compared numerically where numeric."""
    core, _, pre = version[1:].partition("+")[0].partition("-")
    major, minor, patch = (int(p) for p in core.split("."))
    idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".") if pre)
    return (major, minor, patch, 0 if pre else 1, idents)


def bump(highest: str | None, part: str) -> str:
    """The next version after `highest`: `major`, `minor` or `patch`; v1.0.0 first."""
    if highest is None:
        return "v1.0.0"
    major, minor, patch, *_ = version_key(highest)
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"
