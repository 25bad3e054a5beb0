"""Code reached through dynamic imports enters the fingerprint; code the scan cannot
follow is warned about by plan and validate, and `code:` in the spec declares it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

HELPERS = """\
def scale(frame):
    return frame.copy()
"""

# The transform finds its helper only through importlib, with a literal name.
LITERAL = """\
import importlib


def build(train, test):
    helpers = importlib.import_module("pipelines.helpers")
    return helpers.scale(train), helpers.scale(test)
"""

# ... and with a name computed at run time, which no static scan can follow.
COMPUTED = """\
import importlib


def build(train, test, helper="helpers"):
    helpers = importlib.import_module(f"pipelines.{helper}")
    return helpers.scale(train), helpers.scale(test)
"""
COMPUTED_LINE = 5
SCALED = "from: iris\ntransform: {_target_: pipelines.features.build}\n"


def _derived(project, features: str, spec: str = SCALED) -> None:
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/scaled.yaml": spec,
            "pipelines/__init__.py": "",
            "pipelines/features.py": features,
            "pipelines/helpers.py": HELPERS,
        }
    )
    project.commit("specs and code")


def _edit_helper(project) -> None:
    project.gen({"pipelines/helpers.py": HELPERS + "\n\n# tuned\nFACTOR = 1\n"})


def test_helper_loaded_by_import_module_is_fingerprinted(project):
    # A transform reaches pipelines/helpers.py via importlib.import_module("pipelines.helpers"):
    # editing the helper plans a rebuild naming it, also when the import cache was
    # written by an older mlcode (keyed by md5 alone), and nothing is warned.
    _derived(project, LITERAL)
    project.apply()
    assert "pipelines/helpers.py" in project.record("dataset.scaled")["code"]

    _edit_helper(project)
    plan = project.plan()
    assert project.actions(plan) == {"dataset.iris": "noop", "dataset.scaled": "rebuild"}
    assert project.reasons(plan, "dataset.scaled") == ["code pipelines/helpers.py changed"]
    assert plan["notes"] == []

    # An import cache in the old format (md5 -> modules) that lacks the dynamic import:
    # it must be dropped, not trusted.
    features = (project.root / "pipelines/features.py").read_bytes()
    old = {hashlib.md5(features).hexdigest(): ["importlib"]}
    (project.root / ".mlcode/imports.json").write_text(json.dumps(old))
    plan = project.plan()
    assert project.reasons(plan, "dataset.scaled") == ["code pipelines/helpers.py changed"]
    cache = json.loads((project.root / ".mlcode/imports.json").read_text())
    assert "pipelines.helpers" in cache["files"]["pipelines/features.py"]["imports"]


def test_computed_import_warns_until_declared_under_code(project):
    # The transform computes its helper's module name: plan (every view, cached or not)
    # and validate warn naming pipelines/features.py and the line, exit 0; once the spec
    # lists the helper under `code:` the warning is gone and editing it plans a rebuild.
    _derived(project, COMPUTED)
    project.apply()
    where = f"pipelines/features.py:{COMPUTED_LINE}: importlib.import_module with a computed name"
    warning = (
        f"{where}: the code scan cannot follow it; "
        "list the files it loads under code: in conf/datasets/scaled.yaml"
    )

    for _run in ("fresh", "cached"):
        plan = project.plan()
        assert plan["notes"] == [warning]
        assert project.actions(plan)["dataset.scaled"] == "noop"
    # The cached no-op plan that warns still imports none of the heavy libraries.
    probe = (
        "import sys\nfrom mlcode.cli.main import run\ncode = run(['plan', '--json'])\n"
        "heavy = {'dvc', 'git', 'hydra', 'omegaconf', 'sklearn', 'pandas'}\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=project.root, capture_output=True, text=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
    assert warning in done.stdout
    text = project.run("plan", env={"NO_COLOR": "1"})
    assert text.returncode == 0, project.output(text)
    assert f"Note: {warning}" in text.stdout
    markdown = project.run("plan", "--format", "markdown")
    assert f"> {where}" in markdown.stdout, project.output(markdown)
    done = project.run("validate")
    assert done.returncode == 0, project.output(done)
    assert done.stderr == f"Warning: {warning}\n"
    assert done.stdout == "Valid: 2 specs.\n"

    # Not followed, so an edit of the helper goes unseen ...
    _edit_helper(project)
    assert project.actions(project.plan())["dataset.scaled"] == "noop"
    # ... until the spec declares it.
    project.gen({"conf/datasets/scaled.yaml": SCALED + "code: [pipelines/helpers.py]\n"})
    project.commit("declare the helper")
    project.apply()
    plan = project.plan()
    assert plan["notes"] == []
    assert project.actions(plan)["dataset.scaled"] == "noop"
    done = project.run("validate")
    assert (done.returncode, done.stderr) == (0, ""), project.output(done)

    project.gen({"pipelines/helpers.py": HELPERS + "\n\n# tuned again\nFACTOR = 2\n"})
    plan = project.plan()
    assert project.actions(plan)["dataset.scaled"] == "rebuild"
    assert project.reasons(plan, "dataset.scaled") == ["code pipelines/helpers.py changed"]
