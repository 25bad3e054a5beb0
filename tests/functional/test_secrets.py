"""Secrets (DESIGN 7): a `${oc.env:...}` value reaches the build and nothing else."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SECRET = "zq9-Secret-771-do-not-leak"

TRAIN = """\
import os


def fit(estimator, train, target, api_token=None):
    # The build sees the real value (proof that it was resolved in the worker) ...
    assert api_token == os.environ["MLCODE_TEST_SECRET"], "the secret did not arrive"
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def _everything_written(project) -> str:
    """Every file under the repository (DVC cache and .mlcode included), every commit
    with its diff, and every tag message."""
    texts = []
    for folder, dirs, files in os.walk(project.root):
        dirs[:] = [d for d in dirs if d != ".git"]  # Git's objects are compressed: see below
        texts += [Path(folder, name).read_bytes().decode("latin-1") for name in files]
    texts.append(project.git("log", "--all", "-p", "--format=%H %an %ae%n%B"))
    texts.append(project.git("for-each-ref", "--format=%(refname) %(contents)", "refs/tags"))
    return "\n".join(texts)


def test_secret_appears_in_no_output_file_commit_or_tag(project, monkeypatch):
    # Plan (three views), preview and apply run with the secret in the environment and
    # a spec that passes it to the trainer: no output, no file mlcode writes (records,
    # saved plan, caches, logs), no commit and no tag message contains it.
    monkeypatch.setenv("MLCODE_TEST_SECRET", SECRET)
    project.gen_counted_model(
        {
            "pipelines/secret_train.py": TRAIN,
            "conf/models/m.yaml": project.model_spec(
                "tree",
                extra=(
                    "train:\n  _target_: pipelines.secret_train.fit\n"
                    "  api_token: ${oc.env:MLCODE_TEST_SECRET}\n"
                    "stage: production\n"
                ),
            ),
        }
    )
    project.commit("specs")
    outputs = []
    for args in (
        ("plan",),
        ("plan", "--json"),
        ("plan", "--format", "markdown"),
        ("plan", "--out", ".mlcode/plan.json"),
        ("apply", "--preview", "--format", "markdown"),
        ("apply", "--auto-approve"),
        ("show", "model.m", "--json"),
        ("show", "model.m#production", "--json"),
        ("registry", "--json"),
        ("diff", "--json"),
    ):
        done = project.run(*args)
        assert done.returncode == 0, project.output(done)
        outputs.append(done.stdout + done.stderr)
    assert "(sensitive)" in "".join(outputs)
    assert SECRET not in "".join(outputs)
    assert project.record("model.m")["spec"]["train"]["api_token"] == "(sensitive)"
    assert subprocess.run(["git", "tag", "-l"], cwd=project.root, capture_output=True).stdout
    assert SECRET not in _everything_written(project)
