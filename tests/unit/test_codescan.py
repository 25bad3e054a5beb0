"""Static code scan: project modules found through imports, never by importing."""

from pathlib import Path

import pytest

from mlcode.spec.codescan import imported_modules, scan


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        pytest.param("import os", "p.m", False, {"os"}, id="plain"),
        pytest.param("from p import helpers", "p.m", False, {"p", "p.helpers"}, id="from"),
        pytest.param("from . import util", "p.m", False, {"p", "p.util"}, id="relative"),
        pytest.param("from .sub import x", "p", True, {"p.sub", "p.sub.x"}, id="package-rel"),
        pytest.param("from .. import x", "p.m", False, set(), id="beyond-top"),
        pytest.param("def f(:", "p.m", False, set(), id="syntax-error"),
    ],
)
def test_imported_modules(source, module, is_package, expected):
    # Imports are read from the syntax tree, relative ones made absolute.
    assert imported_modules(source, module, is_package) == expected


def test_scan_follows_project_imports(tmp_path: Path):
    # The closure includes helpers imported inside functions and parent __init__ files.
    pkg = tmp_path / "pipelines"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise SystemExit('must not be imported')\n")
    (pkg / "train.py").write_text("import numpy\ndef fit():\n    from pipelines import helpers\n")
    (pkg / "helpers.py").write_text("from .deep import x\n")
    (pkg / "deep.py").write_text("x = 1\n")
    (pkg / "unused.py").write_text("")
    assert scan(tmp_path, ["pipelines.train"]) == [
        "pipelines/__init__.py",
        "pipelines/deep.py",
        "pipelines/helpers.py",
        "pipelines/train.py",
    ]
