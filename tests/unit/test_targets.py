"""`_target_` checks: allowlist prefixes and static location without importing."""

from pathlib import Path

import pytest

from mlcode.config.targets import TargetError, is_allowed, iter_targets, locate


@pytest.mark.parametrize(
    ("target", "allowed", "ok"),
    [
        pytest.param("sklearn.ensemble.RandomForestClassifier", ("sklearn",), True, id="prefix"),
        pytest.param("sklearnx.evil", ("sklearn",), False, id="not-a-dotted-prefix"),
        pytest.param("os.system", ("sklearn", "pipelines"), False, id="os"),
        pytest.param("pipelines.train.fit", ("pipelines.",), True, id="trailing-dot"),
    ],
)
def test_is_allowed(target, allowed, ok):
    # A prefix admits itself and its submodules, nothing that merely starts alike.
    assert is_allowed(target, allowed) is ok


def test_iter_targets_finds_nested():
    # Every _target_ in a spec is found with its dotted key.
    spec = {"estimator": {"_target_": "a.B", "inner": [{"_target_": "c.D"}]}}
    assert iter_targets(spec) == [
        ("estimator._target_", "a.B"),
        ("estimator.inner[0]._target_", "c.D"),
    ]


def test_locate_installed_and_project(tmp_path: Path):
    # Installed targets resolve to their module; project ones are marked in-repo, unimported.
    found = locate(tmp_path, "sklearn.ensemble.RandomForestClassifier")
    assert found.module == "sklearn.ensemble" and not found.in_repo
    pkg = tmp_path / "pipelines"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (pkg / "train.py").write_text("def fit():\n    pass\n")
    local = locate(tmp_path, "pipelines.train.fit")
    assert local.in_repo and local.file == "pipelines/train.py"


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("sklearn.ensemble.NoSuchThing", id="missing-attr"),
        pytest.param("nosuchpackage.x", id="missing-module"),
        pytest.param("single", id="not-dotted"),
    ],
)
def test_locate_errors(tmp_path: Path, target):
    # A target that cannot be found is a TargetError, not an import.
    with pytest.raises(TargetError):
        locate(tmp_path, target)
