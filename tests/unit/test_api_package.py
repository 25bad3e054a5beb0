"""`mlcode.api`: one module per use case, every public name re-exported from the package."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from mlcode import api

API = Path(api.__file__).parent
USE_CASES = sorted(p.stem for p in API.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("name", sorted(api.__all__))
def test_every_public_name_is_defined_where_the_package_says(name):
    # api.NAME is the object its module defines, not that module (plan, apply, ...).
    value = getattr(api, name)
    assert not inspect.ismodule(value)
    assert value.__module__ == f"mlcode.api.{api._EXPORTS[name]}"


def test_use_case_modules_imported_first_keep_the_functions_of_their_names():
    # `import mlcode.api.apply` (or a sibling's `from mlcode.api.plan import ...`) before
    # any use must not turn `api.apply` into the module.
    same = [m for m in USE_CASES if m in api._EXPORTS]
    code = "".join(f"import mlcode.api.{m}\n" for m in same) + (
        f"from mlcode import api\nprint([m for m in {same!r} if not callable(getattr(api, m))])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_type_checking_imports_match_the_exports():
    # The imports mypy reads name exactly the lazily exported names, from their modules.
    tree = ast.parse((API / "__init__.py").read_text())
    imported = {
        alias.asname or alias.name: node.module.rpartition(".")[2]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("mlcode.api.")
        for alias in node.names
    }
    assert imported == api._EXPORTS


@pytest.mark.parametrize("path", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path):
    # No module over 400 lines; a use case's under 300 (STYLE 11).
    lines = len(path.read_text().splitlines())
    assert lines <= (400 if path.stem.startswith("_") else 300), f"{path.name}: {lines} lines"


def test_the_package_alone_imports_no_use_case():
    # `from mlcode import api` costs nothing until a use case is called: `mlcode
    # registry` must not import the planner or the executor.
    code = (
        "import sys\nfrom mlcode import api\napi.registry\n"
        "print(sorted(m for m in sys.modules if m.startswith('mlcode.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(done.stdout))
    assert "mlcode.api.registry" in loaded
    assert not loaded & {"mlcode.api.plan", "mlcode.plan.planner", "mlcode.apply.executor"}
