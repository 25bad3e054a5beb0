"""Static code scan: the in-repo modules a `_target_` runs, found by AST, never imported.

Starting from a module file, every `import x` / `from x import y` (relative ones too) is
resolved against the project root; modules found there are scanned in turn. Installed
packages are left to the `env` versions in the fingerprint.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path


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
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep < 0:
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
    module = rel[:-3].replace("/", ".")
    is_package = module.endswith(".__init__")
    if is_package:
        module = module[: -len(".__init__")]
    try:
        source = (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return imported_modules(source, module, is_package)


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
