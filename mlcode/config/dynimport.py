"""Dynamic imports in a syntax tree: what calls such as `importlib.import_module("a.b")`
load, and which of them name their target in a way the scan cannot compute (pure).

Recognised loaders, however they are imported or aliased (`import importlib as il`,
`from importlib import import_module as im`, `getattr(importlib, "import_module")`):

    importlib.import_module, importlib.util.find_spec   module name (relative with package=)
    __import__, importlib.__import__                      module name, fromlist, level
    runpy.run_module                                      module name
    pydoc.locate, hydra.utils.get_method/get_class/get_object   dotted path of an object
    importlib.util.spec_from_file_location, importlib.machinery.SourceFileLoader,
    runpy.run_path                                        file path (relative to the repo root)

A name or path is known when it is a string literal, a concatenation or f-string of
literals, a module-level constant assigned once, `__name__`/`__package__`, or (paths)
built from `__file__` with `pathlib.Path`, `.parent`, `/`, `os.path.join`/`dirname`.
Anything else is *unresolved* and reported with its line; so is a loader used as a value
(passed or assigned), whose calls the scan cannot see.
"""

from __future__ import annotations

import ast
import posixpath
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A dynamic import the scan cannot follow: its 1-based `line` and `what` it is,
    e.g. `importlib.import_module with a computed name`."""

    line: int
    what: str


@dataclass(frozen=True, slots=True)
class _Loader:
    """How a loader names what it loads: `kind` is `module`, `object` (a dotted path
    whose leading part is a module) or `path`; `arg`/`package` give the position and
    keyword of the name and of the anchor for relative names."""

    kind: str
    arg: tuple[int, str]
    package: tuple[int, str] | None = None


_IMPORT = "__import__"
LOADERS: dict[str, _Loader] = {
    "importlib.import_module": _Loader("module", (0, "name"), (1, "package")),
    "importlib.util.find_spec": _Loader("module", (0, "name"), (1, "package")),
    "importlib.__import__": _Loader(_IMPORT, (0, "name")),
    "builtins.__import__": _Loader(_IMPORT, (0, "name")),
    "runpy.run_module": _Loader("module", (0, "mod_name")),
    "pydoc.locate": _Loader("object", (0, "path")),
    "hydra.utils.get_method": _Loader("object", (0, "path")),
    "hydra.utils.get_class": _Loader("object", (0, "path")),
    "hydra.utils.get_object": _Loader("object", (0, "path")),
    "importlib.util.spec_from_file_location": _Loader("path", (1, "location")),
    "importlib.machinery.SourceFileLoader": _Loader("path", (1, "path")),
    "runpy.run_path": _Loader("path", (0, "path_name")),
}
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_SAME_PATH = frozenset({"str", "os.fspath", "os.path.abspath", "os.path.realpath"})
_OUTSIDE = "/outside"  # marks a path that leaves the repository


# Every way to reach a loader spells its own name (in an import, an attribute or a
# getattr string): source without any of these has no dynamic import to look for.
MARKERS = tuple(sorted({name.rpartition(".")[2] for name in LOADERS}))


def may_import_dynamically(source: str) -> bool:
    """False when `source` cannot contain a loader call (a cheap test before the walk)."""
    return any(marker in source for marker in MARKERS)


def dynamic_imports(
    tree: ast.AST, module: str, is_package: bool
) -> tuple[set[str], list[Unresolved]]:
    """Module names the loaders in `tree` (the code of `module`) load, made absolute
    (callers keep those that exist), and the loader uses the scan cannot follow."""
    return _Finder(tree, module, is_package).run()


class _Finder:
    def __init__(self, tree: ast.AST, module: str, is_package: bool) -> None:
        self.tree = tree
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.file = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        self.aliases, stores = _bindings(tree)
        self.constants = _constants(tree, stores)
        self.found: set[str] = set()
        self.unresolved: list[Unresolved] = []

    def run(self) -> tuple[set[str], list[Unresolved]]:
        called: set[int] = set()
        # ast.walk yields a call before its `func`, so `called` is complete in time.
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                name = self.qualname(node.func)
                if name in LOADERS:
                    called.add(id(node.func))
                    self.call(node, name, LOADERS[name])
            elif (
                isinstance(node, (ast.Name, ast.Attribute))
                and isinstance(node.ctx, ast.Load)
                and id(node) not in called
            ):
                name = self.qualname(node)
                if name in LOADERS:
                    self.unresolved.append(Unresolved(node.lineno, f"{name} used as a value"))
        self.unresolved.sort(key=lambda u: (u.line, u.what))
        return self.found, self.unresolved

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to through the file's imports."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            return "builtins.__import__" if node.id == _IMPORT else node.id
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if (  # getattr(importlib, "import_module")
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            base = self.qualname(node.args[0])
            return f"{base}.{node.args[1].value}" if base else None
        return None

    def call(self, node: ast.Call, name: str, loader: _Loader) -> None:
        def fail(why: str) -> None:
            self.unresolved.append(Unresolved(node.lineno, f"{name} with {why}"))

        target = _argument(node, loader.arg)
        if loader.kind == "path":
            path = self.path(target) if target is not None else None
            if path is None:
                fail("a computed path")
            elif path == _OUTSIDE:
                fail("a path outside the repository")
            else:
                self.found.add(module_of(path))
            return
        text = self.text(target) if target is not None else None
        if text is None:
            fail("a computed name")
            return
        if loader.kind == _IMPORT:
            self.dunder_import(node, text, fail)
            return
        if loader.package is not None and text.startswith("."):
            anchor = _argument(node, loader.package)
            if anchor is None or _is_none(anchor):
                fail("a relative name and no package")
                return
            package = self.text(anchor)
            if package is None:
                fail("a relative name and a computed package")
                return
            text = _relative(text, package)
            if text is None:
                fail("a relative name beyond the top-level package")
                return
        self.found.add(text)

    def dunder_import(self, node: ast.Call, text: str, fail) -> None:
        """`__import__(name, globals, locals, fromlist, level)`: `name`, relative to
        this file's package when `level` > 0, and `name.x` for each `x` in fromlist."""
        level_node = _argument(node, (4, "level"))
        level = 0
        if level_node is not None:
            if not isinstance(level_node, ast.Constant) or not isinstance(level_node.value, int):
                fail("a computed level")
                return
            level = level_node.value
        if level > 0:
            resolved = _relative("." * level + text, self.package)
            if resolved is None:
                fail("a relative name beyond the top-level package")
                return
            text = resolved
        self.found.add(text)
        fromlist = _argument(node, (3, "fromlist"))
        if isinstance(fromlist, (ast.List, ast.Tuple)):
            for item in fromlist.elts:
                sub = self.text(item)
                if sub is None:
                    fail("a computed fromlist")
                elif sub != "*":
                    self.found.add(f"{text}.{sub}")
        elif fromlist is not None and not _is_none(fromlist):
            fail("a computed fromlist")

    def text(self, node: ast.AST) -> str | None:
        """The string value of `node` when the source fixes it, else None."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = [self.text(v) for v in node.values]
            return None if None in parts else "".join(parts)  # type: ignore[arg-type]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left), self.text(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Name):
            if node.id == "__name__":
                return self.module
            if node.id == "__package__":
                return self.package
            return self.constants.get(node.id)
        return None

    def path(self, node: ast.AST) -> str | None:
        """A repo-relative POSIX path for a path expression ('.' for the root,
        `_OUTSIDE` when it leaves the repository), or None when it is computed."""
        if isinstance(node, ast.Name) and node.id == "__file__":
            return self.file
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self.path(node.value)
            return _join(inner, "..") if inner is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.path(node.left), self.text(node.right)
            return _join(left, right) if left is not None and right is not None else None
        if isinstance(node, ast.Call):
            func = node.func
            name = self.qualname(func)
            args = node.args
            if name in _PATH_TYPES | _SAME_PATH and len(args) == 1 and not node.keywords:
                return self.path(args[0])
            if name == "os.path.dirname" and len(args) == 1:
                inner = self.path(args[0])
                return _join(inner, "..") if inner is not None else None
            if name == "os.path.join" and args:
                parts = [self.path(args[0]), *(self.text(a) for a in args[1:])]
                return None if None in parts else _join(*parts)  # type: ignore[arg-type]
            if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute"):
                return self.path(func.value)
            if isinstance(func, ast.Attribute) and func.attr in ("joinpath", "with_name"):
                base = self.path(func.value)
                if func.attr == "with_name" and base is not None:
                    base = _join(base, "..")
                parts = [base, *(self.text(a) for a in args)]
                return None if None in parts else _join(*parts)  # type: ignore[arg-type]
            return None
        text = self.text(node)
        return _join(".", text) if text is not None else None


def _argument(node: ast.Call, where: tuple[int, str]) -> ast.AST | None:
    position, keyword = where
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(node.args) > position and not any(
        isinstance(a, ast.Starred) for a in node.args[: position + 1]
    ):
        return node.args[position]
    return None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _relative(name: str, package: str) -> str | None:
    """`importlib`'s resolution of a relative `name` (leading dots) against `package`."""
    level = len(name) - len(name.lstrip("."))
    rest = name[level:]
    bits = package.rsplit(".", level - 1) if package else []
    if len(bits) < level:
        return None
    base = bits[0]
    return f"{base}.{rest}" if rest else base


def _join(base: str, *parts: str) -> str:
    if base == _OUTSIDE or any(p.startswith("/") for p in parts):
        return _OUTSIDE
    if base.startswith("/"):
        return _OUTSIDE
    joined = posixpath.normpath(posixpath.join(base, *parts))
    return _OUTSIDE if joined == ".." or joined.startswith("../") else joined


def module_of(path: str) -> str:
    """The module name a repo-relative file or folder is scanned as (`runpy.run_path`
    runs a folder's `__main__.py`)."""
    if not path.endswith(".py"):
        return f"{path.replace('/', '.')}.__main__" if path != "." else "__main__"
    stem = path[: -len(".py")]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    return stem.replace("/", ".")


def _bindings(tree: ast.AST) -> tuple[dict[str, str], Counter[str]]:
    """Local name -> the dotted name it was imported as (`il` -> `importlib`), and how
    often each name is assigned anywhere in the file."""
    aliases: dict[str, str] = {}
    stores: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] += 1
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases, stores


def _constants(tree: ast.AST, stores: Counter[str]) -> dict[str, str]:
    """Module-level names bound exactly once in the file, to a string literal."""
    out: dict[str, str] = {}
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if (
            isinstance(target, ast.Name)
            and stores[target.id] == 1
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            out[target.id] = value.value
    return out
