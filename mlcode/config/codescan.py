"""Static code scan: the in-repo modules a `_target_` runs, found by AST, never imported.

Starting from a module file, every `import x` / `from x import y` (relative ones too) and
every dynamic import with a name the source fixes (`importlib.import_module("a.b")`, see
`dynimport`) is resolved against the project root; modules found there are scanned in
turn. Installed packages are left to the `env` versions in the fingerprint. Dynamic
imports the scan cannot follow are reported (`Unresolved`) so that plan and validate can
warn about them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlcode.config.dynimport import Unresolved, dynamic_imports, may_import_dynamically
from mlcode.config.dynimport import module_of as module_of  # re-exported for callers

# Bumped whenever the scan finds more or reports differently: caches of its results
# (`.mlcode/imports.json`) made by another version are void.
VERSION = 2


@dataclass(frozen=True, slots=True)
class FileScan:
    """What one file's syntax tree says: the absolute module names it imports (for
    `from pkg import name` both `pkg` and `pkg.name`; callers keep those that exist)
    and the dynamic imports the scan cannot follow, by line."""

    imports: frozenset[str]
    unresolved: tuple[Unresolved, ...] = ()


def module_file(root: Path, module: str) -> str | None:
    """Repo-relative file of `module` when it is a project module, else None."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return None


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute module names imported by `source` (the code of `module`).

    For `from pkg import name` both `pkg` and `pkg.name` are returned, since `name` may be
    a submodule; callers keep only those that exist.
    """
    return set(scan_source(source, module, is_package).imports)


def scan_source(source: str, module: str, is_package: bool) -> FileScan:
    """Static and dynamic imports of `source` (the code of `module`); an unparsable
    file imports nothing (it cannot run either)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return FileScan(frozenset())
    dynamic: set[str] = set()
    unresolved: list[Unresolved] = []
    if may_import_dynamically(source):
        dynamic, unresolved = dynamic_imports(tree, module, is_package)
    return FileScan(
        frozenset(_static_imports(tree, module, is_package) | dynamic), tuple(unresolved)
    )


def _static_imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep < 1:  # beyond the top-level package: fails when run
                    continue
                prefix = ".".join(parts[:keep])
                base = f"{prefix}.{node.module}" if node.module else prefix
            else:
                base = node.module or ""
            if not base:
                continue
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def file_imports(root: Path, rel: str) -> set[str]:
    """Modules imported by the project file `rel` (empty when unreadable)."""
    return set(scan_file(root, rel).imports)


def scan_file(root: Path, rel: str) -> FileScan:
    """`scan_source` of the project file `rel` (nothing when unreadable)."""
    module = rel[:-3].replace("/", ".")
    is_package = module.endswith(".__init__")
    if is_package:
        module = module[: -len(".__init__")]
    try:
        source = (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return FileScan(frozenset())
    return scan_source(source, module, is_package)


def scan(
    root: Path, modules: Iterable[str], imports_of: Callable[[str], set[str]] | None = None
) -> list[str]:
    """Sorted repo-relative files of `modules` and every project module they import,
    transitively; parent packages' `__init__.py` are included since Python runs them.
    `imports_of(rel)` may serve cached import lists (default: parse the file)."""
    imports_of = imports_of or (lambda rel: file_imports(root, rel))
    seen: set[str] = set()
    files: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        for i in range(1, len(parts)):
            todo.append(".".join(parts[:i]))
        rel = module_file(root, module)
        if rel is None:
            continue
        files.add(rel)
        todo.extend(imports_of(rel))
    return sorted(files)


def warning(file: str, site: Unresolved, specs: Sequence[str] = ()) -> str:
    """The warning shown for a dynamic import in `file` that the scan cannot follow,
    naming the spec files whose code reaches it (at most three)."""
    where = "the spec's code: key"
    if specs:
        shown = ", ".join(specs[:3]) + (f" and {len(specs) - 3} more" if len(specs) > 3 else "")
        where = f"code: in {shown}"
    return (
        f"{file}:{site.line}: {site.what}: the code scan cannot follow it; "
        f"list the files it loads under {where}"
    )
