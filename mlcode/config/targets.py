"""Static checks of `_target_` names: allowlisted and locatable, without importing.

`importlib.util.find_spec` would import parent packages (and run a project's
`pipelines/__init__.py`), so modules are located part by part with PathFinder, and the
final attribute is looked up in the module's syntax tree.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

DEFAULT_ALLOWED = ("sklearn.", "pipelines.")


@dataclass(frozen=True, slots=True)
class Located:
    """Where a `_target_` lives: its module, the module's file, and whether that file is
    inside the project (then its code is hashed) or installed (then its distribution's
    version enters the fingerprint)."""

    target: str
    module: str
    file: str | None
    in_repo: bool


class TargetError(Exception):
    """The target is not allowed or cannot be found; the message says which."""


def iter_targets(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (dotted key of the `_target_` entry, target name) inside `value`."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{key}.{k}" if key else str(k)
            if k == "_target_":
                found.append((sub, v if isinstance(v, str) else repr(v)))
            else:
                found.extend(iter_targets(v, sub))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(iter_targets(v, f"{key}[{i}]"))
    return found


def is_allowed(target: str, allowed: tuple[str, ...]) -> bool:
    """True when `target` starts with one of the `allowed` module prefixes.

    A prefix `pkg` admits `pkg` and `pkg.anything`; a prefix ending in `.` only the latter.
    """
    for prefix in allowed:
        stem = prefix.rstrip(".")
        if target == stem or target.startswith(stem + "."):
            return True
    return False


def locate(root: Path, target: str) -> Located:
    """Find the module of `target` and check its attribute exists; raise TargetError."""
    parts = target.split(".")
    if not all(p.isidentifier() for p in parts) or len(parts) < 2:
        raise TargetError(f"'{target}' is not a dotted path to a callable")
    search = [str(root), *[p for p in sys.path if p and Path(p).resolve() != root]]
    spec = None
    depth = 0
    locations: list[str] | None = search
    for i in range(len(parts)):
        if locations is None:
            break
        found = PathFinder.find_spec(".".join(parts[: i + 1]), locations)
        if found is None:
            break
        spec, depth = found, i + 1
        locations = list(found.submodule_search_locations or []) or None
    if spec is None or depth == len(parts):
        raise TargetError(f"cannot find '{target}'")
    module = ".".join(parts[:depth])
    origin = spec.origin if spec.origin and spec.origin != "built-in" else None
    attr = parts[depth]
    if origin and origin.endswith(".py") and attr not in _top_level_names(origin):
        raise TargetError(f"module '{module}' has no attribute '{attr}'")
    in_repo = origin is not None and _inside(Path(origin), root)
    rel = Path(origin).resolve().relative_to(root).as_posix() if in_repo and origin else None
    return Located(target=target, module=module, file=rel or origin, in_repo=in_repo)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=512)
def _top_level_names(origin: str) -> frozenset[str]:
    """Names bound at module level; a module-level `__getattr__` admits any name."""
    try:
        tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return _ANY
    names: set[str] = set()
    for node in tree.body:
        names.update(_bound(node))
    for node in tree.body:  # names bound inside top-level if/try blocks
        if isinstance(node, (ast.If, ast.Try)):
            for sub in ast.walk(node):
                names.update(_bound(sub))
    if "__getattr__" in names:
        return _ANY
    return frozenset(names)


class _Anything(frozenset):
    def __contains__(self, item: object) -> bool:
        return True


_ANY = _Anything()


def _bound(node: ast.AST) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.Assign):
        return {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def distribution_of(module: str) -> str | None:
    """The installed distribution that provides the top-level package of `module`."""
    names = _packages_distributions().get(module.split(".")[0])
    return sorted(names)[0] if names else None


@lru_cache(maxsize=1)
def _packages_distributions() -> Mapping[str, list[str]]:
    from importlib.metadata import packages_distributions

    return packages_distributions()
