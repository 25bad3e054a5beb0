"""Secrets (DESIGN 7): a `${oc.env:...}` value reaches the build and nothing else."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import yaml

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


# Each shape of credential a loader may carry, with its secret part (what must never be
# written) — by key name (`credentials.pass`, `auth_header`, `dsn`) and by value shape
# (URL userinfo under the innocent key `url`, a GitHub token inside a `note`).
SHAPES = {
    "url": ("https://etl:pwUrl-31415@data.example.com/wine.csv", "pwUrl-31415"),
    "dsn": ("postgresql://etl:pwDsn-27182@db.example.com:5432/wine", "pwDsn-27182"),
    "auth_header": ("Bearer tokBearer-14142abcDEF", "tokBearer-14142abcDEF"),
    "note": ("pushed with ghp_0123456789abcdefghijABCDEFGHIJklmnop", "ghp_0123456789abcdefghij"),
}
CRED_PASS = "pwCred-16180"
LOADER = """\
import hashlib

from sklearn.datasets import load_iris

# Digests, not the values: this file travels in the code bundle.
EXPECTED = {expected!r}


def load(url, dsn, auth_header, note, credentials):
    # The build sees the real values: redaction is for what is written and shown only.
    got = dict(url=url, dsn=dsn, auth_header=auth_header, note=note, cred=credentials["pass"])
    for k, v in got.items():
        assert hashlib.sha256(v.encode()).hexdigest() in EXPECTED[k], k
    return load_iris(as_frame=True)
"""


WHAT_IF_PW = "pwWhatIf-57721"
WHAT_IF_URL = f"https://etl:{WHAT_IF_PW}@data.example.com/wine.csv"


def _expected() -> dict[str, list[str]]:
    values = {k: [v] for k, (v, _) in SHAPES.items()} | {"cred": [CRED_PASS]}
    values["url"].append(WHAT_IF_URL)  # the what-if preview builds with it
    return {k: [hashlib.sha256(v.encode()).hexdigest() for v in vs] for k, vs in values.items()}


def _loader_spec(url: str) -> str:
    return (
        "loader:\n  _target_: pipelines.secret_load.load\n"
        f"  url: {url}\n  dsn: {SHAPES['dsn'][0]}\n"
        f"  auth_header: {SHAPES['auth_header'][0]}\n  note: {SHAPES['note'][0]}\n"
        f"  credentials: {{user: etl, pass: {CRED_PASS}}}\n"
        "target: target\nsplit: {test_size: 0.25, seed: 0}\n"
    )


def test_credentials_inside_values_reach_no_output_record_cache_commit_or_tag(project):
    # A loader with a password URL, a DSN, credentials, a bearer header and a GitHub token
    # is planned, applied, shown and overridden by a what-if URL carrying another
    # password: the build gets every value, nothing mlcode prints or writes holds one.
    what_if = f"dataset.iris:loader.url={WHAT_IF_URL}"
    project.gen_counted_model(
        {
            "conf/datasets/iris.yaml": _loader_spec(SHAPES["url"][0]),
            "pipelines/secret_load.py": LOADER.format(expected=_expected()),
            "conf/models/m.yaml": project.model_spec("tree", extra="stage: production\n"),
        }
    )
    project.commit("specs")
    outputs = []
    for args in (
        ("plan",),
        ("plan", "--json"),
        ("plan", "--format", "markdown"),
        ("plan", "--out", ".mlcode/plan.json"),
        ("apply", "--auto-approve"),
        ("plan", what_if),
        ("plan", "--json", what_if),
        ("plan", "--format", "markdown", what_if),
        ("apply", "--preview", "--format", "markdown", what_if),
        ("show", "dataset.iris", "--json"),
        ("show", "model.m#production", "--json"),
        ("diff", "--json"),
        ("verify", "dataset.iris"),
    ):
        done = project.run(*args)
        # verify refuses a spec with redacted secrets (it cannot rebuild it alone): exit 1.
        assert done.returncode == (1 if args[0] == "verify" else 0), project.output(done)
        outputs.append(done.stdout + done.stderr)
    shown = "\n".join(outputs)
    secrets = [part for _, part in SHAPES.values()] + [CRED_PASS, WHAT_IF_PW]
    for secret in secrets:
        assert secret not in shown, secret
        assert secret not in _everything_written_by_mlcode(project), secret
    # Redaction keeps what a reader needs: which host, which user, which scheme.
    assert "https://etl:(sensitive)@data.example.com/wine.csv" in shown
    assert "redacted secrets" in outputs[-1]
    # An override of a key the spec lacks (planned, or refused with Hydra's message
    # quoting it) shows neither password.
    for bad in (
        "dataset.iris:loader.password=pwTypo-1",
        "dataset.iris:loader.urll=https://a:pwTypo-1@h",
    ):
        done = project.run("plan", bad)
        assert "loader" in project.output(done)
        assert "pwTypo" not in project.output(done), project.output(done)
    loader = project.record("dataset.iris")["spec"]["loader"]
    assert loader["url"] == "https://etl:(sensitive)@data.example.com/wine.csv"
    assert loader["dsn"] == "(sensitive)"
    assert loader["auth_header"] == "(sensitive)"
    assert loader["note"] == "pushed with (sensitive)"
    assert loader["credentials"] == {"user": "(sensitive)", "pass": "(sensitive)"}


def test_a_changed_password_changes_the_fingerprint(project):
    # Only the password inside the URL changes: plan still rebuilds, says a sensitive
    # value changed, and neither password shows.
    project.gen_counted_model(
        {
            "conf/datasets/iris.yaml": _loader_spec(SHAPES["url"][0]),
            "pipelines/secret_load.py": LOADER.format(expected=_expected()),
        }
    )
    project.commit("specs")
    assert project.apply("--auto-approve").returncode == 0
    project.replace("conf/datasets/iris.yaml", "pwUrl-31415", "pwUrl-99999")
    plan = project.plan()
    assert project.actions(plan)["dataset.iris"] == "rebuild"
    reasons = project.reasons(plan, "dataset.iris")
    assert reasons == ["fingerprint changed (a sensitive value may have changed)"]
    assert "pwUrl" not in str(plan)


def _everything_written_by_mlcode(project) -> str:
    """Every file mlcode writes (.mlcode/, the DVC cache, records, artifacts; not the spec
    and loader the test wrote itself), every commit message and tag message."""
    texts = []
    for folder, dirs, files in os.walk(project.root):
        dirs[:] = [d for d in dirs if d not in (".git", "conf", "pipelines")]
        texts += [Path(folder, name).read_bytes().decode("latin-1") for name in files]
    texts.append(project.git("log", "--all", "--format=%H %an %ae%n%B"))
    texts.append(project.git("for-each-ref", "--format=%(refname) %(contents)", "refs/tags"))
    for commit in project.git("rev-list", "--all").split():
        # Record diffs of each commit, leaving out the spec files the user committed.
        texts.append(project.git("show", commit, "--format=", "--", ".", ":!conf", ":!pipelines"))
    return "\n".join(texts)


FAILING_LOADER = """\
def load(url, dsn, auth_header, note, credentials):
    # Like a client library: log what it uses, then fail quoting the URL.
    print("connecting with", credentials)
    raise ConnectionError(f"cannot reach {url} (auth {auth_header})")
"""


def test_a_failing_build_quotes_no_secret_in_its_message_or_log(project):
    # The loader prints its credentials and fails with an error quoting the URL and the
    # header: apply's message, the Markdown summary and the build log hide them all.
    project.gen_counted_model(
        {
            "conf/datasets/iris.yaml": _loader_spec(SHAPES["url"][0]),
            "pipelines/secret_load.py": FAILING_LOADER,
        }
    )
    project.commit("specs")
    done = project.run("apply", "--auto-approve", "--format", "markdown")
    assert done.returncode != 0
    shown = project.output(done)
    assert "cannot reach https://etl:(sensitive)@data.example.com" in shown, shown
    log = (project.root / ".mlcode/logs/dataset.iris.log").read_text()
    assert "connecting with" in log and "ConnectionError" in log
    for secret in [part for _, part in SHAPES.values()] + [CRED_PASS]:
        assert secret not in shown, secret
        assert secret not in log, secret
        assert secret not in _everything_written_by_mlcode(project), secret


def test_a_record_written_before_redaction_is_not_echoed(project):
    # An old record holds a password URL in clear (written before this rule existed):
    # plan's reasons and JSON, show and diff print it redacted.
    project.gen_counted_model()
    project.commit("specs")
    assert project.apply().returncode == 0
    path = project.record_path("dataset.iris")
    data = yaml.safe_load(path.read_text())
    data["meta"]["mlcode"]["spec"]["loader"]["url"] = "https://etl:pwOld-42@h/x"
    path.write_text(yaml.safe_dump(data, sort_keys=True))
    project.commit("an old record with a secret")
    outputs = [
        project.run(*args).stdout
        for args in (
            ("plan",),
            ("plan", "--json"),
            ("show", "--json"),
            ("diff", "HEAD~1", "HEAD", "--json"),
        )
    ]
    assert "https://etl:(sensitive)@h/x" in outputs[0] + outputs[1]
    for out in outputs:
        assert "pwOld-42" not in out, out
