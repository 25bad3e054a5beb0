"""Builds run in one pinned environment: neither `--jobs` nor the caller's environment
(thread counts, hash seed, locale, time zone) changes an artifact, in apply, preview or
verify (issue 11, fault 1)."""

from __future__ import annotations

import json

import pytest

# What a user may have exported, or not: each changed HistGradientBoosting's bytes
# (OMP_NUM_THREADS) or could change others' (hash seed, BLAS threads, locale, zone).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
USER_ENV = {
    "OMP_NUM_THREADS": "7",
    "OPENBLAS_NUM_THREADS": "3",
    "MKL_NUM_THREADS": "5",
    "PYTHONHASHSEED": "123",
    "LC_ALL": "C",
    "TZ": "America/New_York",
}

WINE = """\
loader: {_target_: sklearn.datasets.load_wine, as_frame: true}
target: target
split: {test_size: 0.25, seed: 0, stratify: true}
"""
WINE_MODELS = {
    "conf/models/wine_gbm.yaml": (
        "estimator: {_target_: sklearn.ensemble.HistGradientBoostingClassifier, max_iter: 30}\n"
        "dataset: wine\nmetrics: [accuracy, f1_macro]\n"
    ),
    "conf/models/wine_rf.yaml": (
        "estimator: {_target_: sklearn.ensemble.RandomForestClassifier, n_estimators: 20}\n"
        "dataset: wine\nmetrics: [accuracy]\n"
    ),
    "conf/models/wine_lr.yaml": (
        "estimator: {_target_: sklearn.linear_model.LogisticRegression, max_iter: 2000}\n"
        "dataset: wine\nmetrics: [accuracy]\n"
    ),
}
ADDRESSES = ("dataset.wine", "model.wine_gbm", "model.wine_rf", "model.wine_lr")


@pytest.fixture
def no_thread_settings(monkeypatch):
    """The caller exports no thread settings (the README's quick start)."""
    for var in THREAD_VARS:
        monkeypatch.delenv(var, raising=False)


def _wine(project) -> None:
    project.gen({"conf/datasets/wine.yaml": WINE, **WINE_MODELS})
    project.commit("wine specs")


def _artifacts(project) -> dict[str, dict]:
    return {address: project.record(address)["artifact"] for address in ADDRESSES}


@pytest.mark.slow
def test_jobs_one_and_two_record_identical_artifacts(project_factory, no_thread_settings):
    # The same wine project (HistGradientBoosting, a forest, a logistic regression)
    # applied with --jobs 1 in one repository and --jobs 2 in another: every resource
    # records the same artifact hash.
    one, two = project_factory("one"), project_factory("two")
    for project in (one, two):
        _wine(project)
    one.apply("--jobs", "1")
    two.apply("--jobs", "2")
    assert _artifacts(one) == _artifacts(two)


@pytest.mark.slow
def test_verify_reproduces_whatever_the_callers_environment(project, no_thread_settings):
    # Built with --jobs 2: verify reproduces HistGradientBoosting with the environment
    # as is and with the user's thread counts, hash seed, locale and zone exported; a
    # forced rebuild under that user environment records the same bytes.
    _wine(project)
    project.apply("--jobs", "2")
    built = _artifacts(project)
    for env in ({}, USER_ENV):
        done = project.run("verify", "model.wine_gbm", "--json", env=env)
        assert done.returncode == 0, f"env {env}: {project.output(done)}"
        (report,) = json.loads(done.stdout)
        assert (report["ok"], report["differences"]) == (True, []), f"env {env}"

    done = project.run(
        "apply", "--auto-approve", "--replace", "model.wine_gbm", "--jobs", "1", env=USER_ENV
    )
    assert done.returncode == 0, project.output(done)
    assert _artifacts(project) == built
    assert project.actions(project.plan()) == dict.fromkeys(ADDRESSES, "noop")


PROBE = """\
import json
import locale
import os
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_info

VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED",
        "LC_ALL", "TZ")


def fit(estimator, train, target):
    seen = {
        "environ": {var: os.environ.get(var) for var in VARS},
        "hash_randomization": sys.flags.hash_randomization,
        "hash": hash("mlcode"),
        "thread_pools": sorted({pool["num_threads"] for pool in threadpool_info()}),
        "encoding": locale.getpreferredencoding(False),
        "zone": time.strftime("%Z", time.localtime(0)),
    }
    probes = Path(os.environ["PROBE_DIR"])
    (probes / f"{os.environ['PROBE_NAME']}-{os.getpid()}.json").write_text(json.dumps(seen))
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def test_every_place_that_builds_sees_the_same_environment(project, tmp_path):
    # A trainer records what its process sees (environment, hash seed, thread pools,
    # locale, zone) under a user environment of other thread counts, seed and zone:
    # apply with --jobs 1 and 2, a preview and verify all see the one pinned environment.
    probes = tmp_path / "probes"
    probes.mkdir()
    project.gen_counted_model({"pipelines/train.py": PROBE})
    project.commit("specs")
    env = {**USER_ENV, "PROBE_DIR": str(probes)}
    runs = {
        "jobs1": ("apply", "--auto-approve", "--jobs", "1"),
        "jobs2": ("apply", "--auto-approve", "--jobs", "2", "--replace", "model.m"),
        "preview": ("apply", "model.m:estimator.max_depth=2"),
        "verify": ("verify", "model.m"),
    }
    for name, args in runs.items():
        done = project.run(*args, env={**env, "PROBE_NAME": name})
        assert done.returncode == 0, f"{name}: {project.output(done)}"

    seen = {}
    for path in sorted(probes.iterdir()):
        seen.setdefault(path.name.split("-")[0], []).append(json.loads(path.read_text()))
    assert sorted(seen) == sorted(runs)
    first = seen["jobs1"][0]
    assert first["environ"] == {
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }
    assert first["hash_randomization"] == 0
    assert first["thread_pools"] in ([], [1])
    assert (first["encoding"].lower(), first["zone"]) == ("utf-8", "UTC")
    for name, probes_of_run in seen.items():
        for probe in probes_of_run:
            assert probe == first, name


# pipelines/noise.py: a trainer that draws from the global generators without seeding
NOISE = """\
import random

import numpy as np


def fit(estimator, train, target):
    keep = np.random.rand(len(train)) < 0.8 + random.random() * 0.1
    part = train[keep]
    return estimator.fit(part.drop(columns=[target]), part[target])
"""


def test_unseeded_global_generators_give_the_same_bytes(project_factory):
    # Three models whose trainer draws from `random` and NumPy's global generator
    # unseeded: --jobs 1 (builds share a worker) and --jobs 2 record the same bytes, and
    # verify reproduces them (the generators are seeded per build from the address).
    specs = {
        f"conf/models/n{i}.yaml": "dataset: wine\nestimator: {_target_: "
        "sklearn.tree.DecisionTreeClassifier}\ntrain: {_target_: pipelines.noise.fit}\n"
        "metrics: [accuracy]\n"
        for i in range(3)
    }
    files = {"conf/datasets/wine.yaml": WINE, "pipelines/__init__.py": "", **specs}
    artifacts = []
    for name, jobs in (("one", "1"), ("two", "2")):
        project = project_factory(name)
        project.gen({**files, "pipelines/noise.py": NOISE})
        project.commit("noisy trainers")
        project.apply("--jobs", jobs)
        artifacts.append({i: project.record(f"model.n{i}")["artifact"] for i in range(3)})
    assert artifacts[0] == artifacts[1]
    done = project.run("verify", "--json")
    assert done.returncode == 0, project.output(done)
    assert all(r["ok"] for r in json.loads(done.stdout))


def test_interpreter_and_joblib_versions_enter_every_fingerprint(project):
    # Whatever `env:` lists, the Python and joblib versions (they write every pickle)
    # are recorded, and verify compares them with what is installed.
    import platform

    project.gen_counted_model({"conf/mlcode.yaml": "env: [scikit-learn]\n"})
    project.commit("specs")
    project.apply()
    env = project.record("model.m")["env"]
    assert env["python"] == platform.python_version() and env["joblib"]
    path = project.record_path("model.m")
    path.write_text(
        path.read_text().replace(f"python: {platform.python_version()}", "python: 3.10.0")
    )
    done = project.run("verify", "model.m", "--json")
    (report,) = json.loads(done.stdout)
    assert f"python 3.10.0 recorded, {platform.python_version()} installed" in report["env"]
