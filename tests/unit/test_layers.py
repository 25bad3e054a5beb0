"""Dependency direction (DESIGN 8), checked from the source, not from memory: the
import-linter contracts in pyproject.toml, and a few of them again from the syntax."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mlcode"
HEAVY = ("hydra", "omegaconf", "dvc", "git", "typer", "click", "sklearn", "pandas")
CORE = [
    "config/types.py",
    "config/parse.py",
    "config/fingerprint.py",
    "config/codescan.py",
    "config/dynimport.py",
    "config/targets.py",
    "graph/dag.py",
    "config/graph.py",
    "plan/types.py",
    "plan/planner.py",
    "apply/executor.py",
    "apply/events.py",
    "state/types.py",
    "report/json.py",
    "report/text.py",
    "registry/tags.py",
    "registry/view.py",
    "registry/gates.py",
    "registry/decide.py",
]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("rel", CORE)
def test_core_imports_no_heavy_library(rel):
    # The pure core never imports Hydra, DVC, Git, the CLI stack or scikit-learn.
    bad = {m for m in imports(PACKAGE / rel) if m.split(".")[0] in HEAVY}
    assert not bad, f"{rel} imports {sorted(bad)}"


def test_only_compose_imports_hydra_and_only_storage_imports_dvc():
    # Hydra is imported at its edges only (compose; instantiate in workers); DVC likewise.
    owners = {"hydra": set(), "dvc": set()}
    for path in PACKAGE.rglob("*.py"):
        for module in imports(path):
            top = module.split(".")[0]
            if top in owners:
                owners[top].add(path.relative_to(PACKAGE).as_posix())
    assert owners["hydra"] <= {"config/compose.py", "worker/instantiate.py", "worker/preload.py"}
    assert owners["dvc"] <= {"storage/dvc.py", "scaffold.py"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_cli_imports_only_api_report_errors(path):
    # The CLI is thin: it reaches the core only through api, report and errors.
    allowed = ("mlcode.api", "mlcode.report", "mlcode.errors", "mlcode.cli")
    own = {m for m in imports(path) if m.startswith("mlcode") and m != "mlcode"}
    assert all(m.startswith(allowed) for m in own), sorted(own)


def test_import_contracts_are_kept():
    # `lint-imports` finds every contract in pyproject.toml kept: layers, no cycles, the
    # pure core, the thin CLI, Hydra and DVC at their edges, the executor's ports.
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed: pip install -e '.[test]'"
    done = subprocess.run(
        [lint_imports, "--no-cache"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
