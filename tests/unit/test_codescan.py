"""Static code scan: project modules found through imports, never by importing."""

import json
from pathlib import Path

import pytest

from mlcode.config import codescan
from mlcode.config.codescan import Unresolved, imported_modules, scan, scan_source

IMPORT_MODULE = "importlib.import_module"


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        pytest.param("import os", "p.m", False, {"os"}, id="plain"),
        pytest.param("from p import helpers", "p.m", False, {"p", "p.helpers"}, id="from"),
        pytest.param("from . import util", "p.m", False, {"p", "p.util"}, id="relative"),
        pytest.param("from .sub import x", "p", True, {"p.sub", "p.sub.x"}, id="package-rel"),
        pytest.param("from .. import x", "p.m", False, set(), id="beyond-top"),
        pytest.param("from ..x import y", "p.m", False, set(), id="beyond-top-named"),
        pytest.param("def f(:", "p.m", False, set(), id="syntax-error"),
    ],
)
def test_imported_modules(source, module, is_package, expected):
    # Imports are read from the syntax tree, relative ones made absolute.
    assert imported_modules(source, module, is_package) == expected


# Names every case below also imports statically, left out of the expectations.
_LOADER_MODULES = {
    "builtins",
    "hydra",
    "hydra.utils",
    "importlib",
    "importlib.machinery",
    "importlib.util",
    "os",
    "os.path",
    "pathlib",
    "pydoc",
    "runpy",
}


def _dynamic(source: str, module: str = "pipelines.features", is_package: bool = False):
    found = scan_source(source, module, is_package)
    imports = {
        m
        for m in found.imports
        if m not in _LOADER_MODULES and m.rpartition(".")[0] not in _LOADER_MODULES
    }
    return imports, [(u.line, u.what) for u in found.unresolved]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            'import importlib\nimportlib.import_module("pipelines.helpers")',
            {"pipelines.helpers"},
            id="import_module",
        ),
        pytest.param(
            'from importlib import import_module\nimport_module("pipelines.helpers")',
            {"pipelines.helpers"},
            id="from-importlib",
        ),
        pytest.param(
            'from importlib import import_module as load\nload("pipelines.helpers")',
            {"pipelines.helpers"},
            id="from-importlib-as",
        ),
        pytest.param(
            'import importlib as il\nil.import_module("pipelines.helpers")',
            {"pipelines.helpers"},
            id="module-alias",
        ),
        pytest.param(
            'import importlib\ngetattr(importlib, "import_module")("pipelines.helpers")',
            {"pipelines.helpers"},
            id="getattr",
        ),
        pytest.param(
            'import importlib\ndef f():\n    return importlib.import_module("pipelines.helpers")',
            {"pipelines.helpers"},
            id="inside-function",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module(".helpers", package="pipelines")',
            {"pipelines.helpers"},
            id="relative-package-literal",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module(".helpers", "pipelines")',
            {"pipelines.helpers"},
            id="relative-package-positional",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module(".helpers", package=__package__)',
            {"pipelines.helpers"},
            id="relative-__package__",
        ),
        pytest.param(
            # __name__ of a plain module is the module: Python resolves below it.
            'import importlib\nimportlib.import_module(".helpers", package=__name__)',
            {"pipelines.features.helpers"},
            id="relative-__name__",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module("..up", "pipelines.sub")',
            {"pipelines.up"},
            id="relative-two-levels",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module("pipelines." + "helpers")',
            {"pipelines.helpers"},
            id="concatenated-literals",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module(f"pipelines.helpers")',
            {"pipelines.helpers"},
            id="f-string-without-fields",
        ),
        pytest.param(
            'import importlib\nHELPERS = "pipelines.helpers"\nimportlib.import_module(HELPERS)',
            {"pipelines.helpers"},
            id="module-constant",
        ),
        pytest.param('__import__("pipelines.helpers")', {"pipelines.helpers"}, id="dunder-import"),
        pytest.param(
            '__import__("pipelines", fromlist=["helpers", "deep"])',
            {"pipelines", "pipelines.helpers", "pipelines.deep"},
            id="dunder-import-fromlist",
        ),
        pytest.param(
            '__import__("helpers", globals(), locals(), [], 1)',
            {"pipelines.helpers"},
            id="dunder-import-level",
        ),
        pytest.param(
            'import builtins\nbuiltins.__import__("pipelines.helpers")',
            {"pipelines.helpers"},
            id="builtins-dunder-import",
        ),
        pytest.param(
            'import importlib.util\nimportlib.util.find_spec("pipelines.helpers")',
            {"pipelines.helpers"},
            id="find_spec",
        ),
        pytest.param(
            'from importlib import util\nutil.spec_from_file_location("h", "pipelines/helpers.py")',
            {"pipelines.helpers"},
            id="spec_from_file_location-literal",
        ),
        pytest.param(
            "from pathlib import Path\nimport importlib.util as iu\n"
            'iu.spec_from_file_location("h", Path(__file__).parent / "helpers.py")',
            {"pipelines.helpers"},
            id="spec_from_file_location-__file__",
        ),
        pytest.param(
            "import os\nfrom importlib.machinery import SourceFileLoader\n"
            'SourceFileLoader("h", os.path.join(os.path.dirname(__file__), "helpers.py"))',
            {"pipelines.helpers"},
            id="SourceFileLoader-os.path",
        ),
        pytest.param(
            'import runpy\nrunpy.run_path("pipelines/sub/__init__.py")',
            {"pipelines.sub"},
            id="run_path-package",
        ),
        pytest.param(
            'import runpy\nrunpy.run_module("pipelines.cli")', {"pipelines.cli"}, id="run_module"
        ),
        pytest.param(
            'from hydra.utils import get_method\nget_method("pipelines.helpers.scale")',
            {"pipelines.helpers.scale"},  # the scan keeps its module, pipelines.helpers
            id="hydra-get_method",
        ),
        pytest.param(
            'import pydoc\npydoc.locate("pipelines.helpers.Scaler")',
            {"pipelines.helpers.Scaler"},
            id="pydoc-locate",
        ),
        pytest.param(
            "def import_module(name):\n    pass\nimport_module(name_of_something)",
            set(),
            id="own-function-of-that-name",
        ),
    ],
)
def test_dynamic_imports_followed(source, expected):
    # A dynamic import whose name or path the source fixes is followed like a static one.
    assert _dynamic(source) == (expected, [])


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        pytest.param(
            'import importlib\n\nname = "helpers"\nimportlib.import_module(f"pipelines.{name}")',
            4,
            f"{IMPORT_MODULE} with a computed name",
            id="f-string",
        ),
        pytest.param(
            "import importlib\ndef load(name):\n    return importlib.import_module(name)",
            3,
            f"{IMPORT_MODULE} with a computed name",
            id="parameter",
        ),
        pytest.param(
            'import importlib as il\nNAME = "a"\nNAME = "b"\nil.import_module(NAME)',
            4,
            f"{IMPORT_MODULE} with a computed name",
            id="name-bound-twice",
        ),
        pytest.param(
            'from importlib import import_module\nimport_module(".helpers")',
            2,
            f"{IMPORT_MODULE} with a relative name and no package",
            id="relative-without-package",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module(".helpers", package=pkg)',
            2,
            f"{IMPORT_MODULE} with a relative name and a computed package",
            id="relative-computed-package",
        ),
        pytest.param(
            'import importlib\nimportlib.import_module("....x", "pipelines")',
            2,
            f"{IMPORT_MODULE} with a relative name beyond the top-level package",
            id="relative-beyond-top",
        ),
        pytest.param(
            "import importlib\n\nmodules = map(importlib.import_module, NAMES)",
            3,
            f"{IMPORT_MODULE} used as a value",
            id="passed-as-value",
        ),
        pytest.param(
            "from importlib import import_module\nload = import_module",
            2,
            f"{IMPORT_MODULE} used as a value",
            id="assigned",
        ),
        pytest.param(
            "__import__(name)", 1, "builtins.__import__ with a computed name", id="dunder-import"
        ),
        pytest.param(
            '__import__("pipelines", fromlist=names)',
            1,
            "builtins.__import__ with a computed fromlist",
            id="dunder-import-fromlist",
        ),
        pytest.param(
            'import importlib.util\n\n\nimportlib.util.spec_from_file_location("h", where)',
            4,
            "importlib.util.spec_from_file_location with a computed path",
            id="spec_from_file_location",
        ),
        pytest.param(
            'import runpy\nrunpy.run_path("/opt/plugins/x.py")',
            2,
            "runpy.run_path with a path outside the repository",
            id="absolute-path",
        ),
        pytest.param(
            "import runpy\nfrom pathlib import Path\n"
            'runpy.run_path(Path(__file__).parent.parent.parent / "x.py")',
            3,
            "runpy.run_path with a path outside the repository",
            id="path-leaves-repo",
        ),
        pytest.param(
            'from hydra.utils import get_class\nget_class(cfg["cls"])',
            2,
            "hydra.utils.get_class with a computed name",
            id="hydra-get_class",
        ),
    ],
)
def test_dynamic_imports_unresolved(source, line, what):
    # A dynamic import the scan cannot compute is reported with its line, not guessed
    # (what it does fix, such as __import__'s package, is still followed).
    imports, unresolved = _dynamic(source)
    assert unresolved == [(line, what)]
    assert imports == ({"pipelines"} if "fromlist" in source else set())


def test_dunder_name_in_a_package(tmp_path: Path):
    # In pipelines/__init__.py, __name__ is the package: ".helpers" is pipelines.helpers.
    source = 'import importlib\nimportlib.import_module(".helpers", __name__)'
    assert _dynamic(source, "pipelines", is_package=True) == ({"pipelines.helpers"}, [])


def test_warning_names_file_line_and_specs():
    # The warning says where, what, and which spec's `code:` key to fill in.
    site = Unresolved(12, f"{IMPORT_MODULE} with a computed name")
    assert codescan.warning("pipelines/features.py", site, ["conf/datasets/a.yaml"]) == (
        "pipelines/features.py:12: importlib.import_module with a computed name: the code "
        "scan cannot follow it; list the files it loads under code: in conf/datasets/a.yaml"
    )
    many = [f"conf/models/m{i}.yaml" for i in range(5)]
    assert codescan.warning("p.py", site, many).endswith(
        "code: in conf/models/m0.yaml, conf/models/m1.yaml, conf/models/m2.yaml and 2 more"
    )


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


def test_scan_follows_dynamic_imports(tmp_path: Path):
    # Modules loaded by import_module, by file path and by an object's dotted path are
    # in the closure, and so is what they import in turn.
    pkg = tmp_path / "pipelines"
    (pkg / "plugins").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "plugins" / "__init__.py").write_text("")
    (pkg / "features.py").write_text(
        "import importlib\nfrom pathlib import Path\nfrom hydra.utils import get_method\n"
        "def build(train, test):\n"
        '    importlib.import_module(".helpers", __package__)\n'
        '    importlib.util.spec_from_file_location("p", Path(__file__).parent / "plugins/a.py")\n'
        '    get_method("pipelines.scoring.score")\n'
    )
    (pkg / "helpers.py").write_text("from . import deep\n")
    (pkg / "deep.py").write_text("")
    (pkg / "plugins" / "a.py").write_text("")
    (pkg / "scoring.py").write_text("")
    assert scan(tmp_path, ["pipelines.features"]) == [
        "pipelines/__init__.py",
        "pipelines/deep.py",
        "pipelines/features.py",
        "pipelines/helpers.py",
        "pipelines/plugins/__init__.py",
        "pipelines/plugins/a.py",
        "pipelines/scoring.py",
    ]


def _refresher(tmp_path: Path):
    from mlcode.refresh import Refresher

    return Refresher(tmp_path, tmp_path / ".mlcode")


def _resource(name: str, modules: tuple[str, ...], code: tuple[str, ...] = ()):
    from mlcode.address import Address, Kind
    from mlcode.config.types import Resource

    address = Address(Kind.DATASET, name)
    return Resource(address, {}, (address.spec_path,), modules=modules, code=code)


def test_code_warnings_are_cached_with_the_scan(tmp_path: Path):
    # Warnings come from the import cache too (a no-op plan parses nothing), one per site
    # naming every spec that reaches it; a spec with `code:` is silent.
    (tmp_path / ".mlcode").mkdir()
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines/__init__.py").write_text("")
    (tmp_path / "pipelines/features.py").write_text(
        "import importlib\ndef build(train, test, name):\n    importlib.import_module(name)\n"
    )
    resources = [
        _resource("a", ("pipelines.features",)),
        _resource("b", ("pipelines.features",)),
        _resource("c", ("pipelines.features",), code=("pipelines/helpers.py",)),
    ]
    expected = [
        "pipelines/features.py:3: importlib.import_module with a computed name: the code scan "
        "cannot follow it; list the files it loads under code: in conf/datasets/a.yaml, "
        "conf/datasets/b.yaml"
    ]
    first = _refresher(tmp_path)
    assert first.code_warnings(resources) == expected
    first.save()
    cache = json.loads((tmp_path / ".mlcode/imports.json").read_text())
    assert cache["version"] == codescan.VERSION
    assert cache["files"]["pipelines/features.py"]["unresolved"] == [
        [3, "importlib.import_module with a computed name"]
    ]

    cached = _refresher(tmp_path)
    cached._imports["pipelines/features.py"]["unresolved"] = [[3, "from the cache"]]
    assert "features.py:3: from the cache:" in cached.code_warnings(resources)[0]


def _old_format(features: Path) -> str:
    from mlcode.fsutil import file_md5

    return json.dumps({file_md5(features): ["importlib"]})


def _stale_entry(features: Path, version: int, unresolved: object) -> str:
    from mlcode.fsutil import file_md5

    entry = {"md5": file_md5(features), "imports": ["importlib"], "unresolved": unresolved}
    return json.dumps({"version": version, "files": {"pipelines/features.py": entry}})


@pytest.mark.parametrize(
    "cache",
    [
        pytest.param(_old_format, id="md5-keyed"),
        pytest.param(lambda f: _stale_entry(f, codescan.VERSION - 1, []), id="older-scanner"),
        pytest.param(lambda f: _stale_entry(f, codescan.VERSION, [["3"]]), id="bad-entry"),
        pytest.param(lambda f: "not json", id="garbage"),
    ],
)
def test_import_cache_of_another_format_is_not_trusted(tmp_path: Path, cache):
    # A cache written by an older mlcode or scanner, or damaged, is scanned afresh.
    (tmp_path / ".mlcode").mkdir()
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines/__init__.py").write_text("")
    (tmp_path / "pipelines/helpers.py").write_text("")
    features = tmp_path / "pipelines/features.py"
    features.write_text('import importlib\nimportlib.import_module("pipelines.helpers")\n')
    (tmp_path / ".mlcode/imports.json").write_text(cache(features))
    assert "pipelines/helpers.py" in _refresher(tmp_path)._scan(("pipelines.features",))


def test_python_files_under_code_are_scanned_too(tmp_path: Path):
    # A plugin declared under `code:` brings the project modules it imports with it.
    (tmp_path / "pipelines/plugins").mkdir(parents=True)
    (tmp_path / "pipelines/__init__.py").write_text("")
    (tmp_path / "pipelines/plugins/a.py").write_text("from pipelines import util\n")
    (tmp_path / "pipelines/plugins/query.sql").write_text("select 1\n")
    (tmp_path / "pipelines/util.py").write_text("")
    assert sorted(set(_refresher(tmp_path)._expand(("pipelines/plugins/",)))) == [
        "pipelines/__init__.py",
        "pipelines/plugins/a.py",
        "pipelines/plugins/query.sql",
        "pipelines/util.py",
    ]
