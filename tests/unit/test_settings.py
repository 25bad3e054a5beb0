"""Project settings (`conf/mlcode.yaml`): every key is honoured or reported."""

import pytest

from mlcode.config.parse import parse_settings
from mlcode.config.types import Settings

FILE = "conf/mlcode.yaml"


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        pytest.param(
            {"executor": {"kind": "dask"}}, "executor.kind", "not available yet", id="dask"
        ),
        pytest.param({"executor": "dask"}, "executor.kind", "not available yet", id="dask-short"),
        pytest.param({"executor": {"kind": "ray"}}, "executor.kind", "unknown executor", id="ray"),
        pytest.param(
            {"executor": {"kind": "local", "address": "tcp://x:8786"}},
            "executor.address",
            "only a dask executor",
            id="address-without-dask",
        ),
        pytest.param({"executor": {"jobs": -1}}, "executor.jobs", ">= 0", id="jobs-negative"),
        pytest.param({"executor": {"jobs": "4"}}, "executor.jobs", ">= 0", id="jobs-text"),
        pytest.param({"executor": {"jobs": True}}, "executor.jobs", ">= 0", id="jobs-bool"),
        pytest.param({"executor": {"job": 2}}, "executor.job", "unknown key", id="executor-typo"),
        pytest.param({"executor": [1]}, "executor", "mapping", id="executor-list"),
        pytest.param({"remote": ""}, "remote", "remote name or URL", id="remote-empty"),
        pytest.param({"remote": 3}, "remote", "remote name or URL", id="remote-number"),
        pytest.param(
            {"registry": {"branch": ""}}, "registry.branch", "branch name", id="branch-empty"
        ),
        pytest.param(
            {"registry": {"brnch": "x"}}, "registry.brnch", "unknown key", id="registry-typo"
        ),
        pytest.param({"registry": "main"}, "registry", "mapping", id="registry-text"),
        pytest.param({"stages": "production"}, "stages", "list", id="stages-text"),
        pytest.param({"stages": ["a", "a"]}, "stages", "twice", id="stages-twice"),
        pytest.param({"stages": ["pro duction"]}, "stages[0]", "stage name", id="stage-name"),
        pytest.param({"env": ["numpy", ""]}, "env[1]", "empty", id="env-empty"),
        pytest.param({"allowed_targets": "sklearn"}, "allowed_targets", "list", id="allowed-text"),
        pytest.param({"executer": {}}, "executer", "unknown key", id="top-level-typo"),
    ],
)
def test_bad_settings_are_reported(data, key, words):
    # Each bad or unsupported setting is one problem naming the file and the key.
    _, problems = parse_settings(data, FILE)
    assert [(p.file, p.key) for p in problems] == [(FILE, key)], problems
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(None, Settings(), id="absent-file"),
        pytest.param({}, Settings(), id="empty"),
        pytest.param({"executor": {"kind": "local", "jobs": 2}}, Settings(jobs=2), id="local"),
        pytest.param({"executor": "local"}, Settings(), id="local-short"),
        pytest.param(
            {"registry": {"branch": "trunk"}}, Settings(registry_branch="trunk"), id="branch"
        ),
        pytest.param({"remote": "storage"}, Settings(remote="storage"), id="remote"),
    ],
)
def test_good_settings_are_honoured(data, expected):
    # Valid settings parse without problems into exactly the values written.
    assert parse_settings(data, FILE) == (expected, [])
