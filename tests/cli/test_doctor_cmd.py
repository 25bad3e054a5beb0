"""`mlcode doctor`: every check apply depends on, with a fix for each problem."""

from __future__ import annotations

import json

HEALTHY = [
    "ok    git identity: Test Committer <committer@example.com>",
    "ok    dvc: cache at ROOT/.dvc/cache",
    "ok    remote: local (HOME/.cache/mlcode/remotes/repo-HASH) (not contacted; use --remote)",
    "warn  remote sharing: the DVC remote 'local' (HOME/.cache/mlcode/remotes/repo-HASH) is "
    "a directory on this machine, configured only in .dvc/config.local: a teammate's clone "
    "has no remote",
    "       fix: to share artifacts, set a remote every clone can reach: `dvc remote add -d "
    "NAME s3://BUCKET/PATH` (written to .dvc/config; commit it), or `remote: "
    "s3://BUCKET/PATH` in conf/mlcode.yaml",
    "ok    lock: no apply is running",
    "ok    git locks: no Git lock file",
    "ok    records: 2 state records readable",
    "ok    artifacts: every recorded artifact is present and intact",
    "ok    cache: the DVC cache objects of every record are intact",
    "ok    git operation: no merge, rebase or conflict in progress",
    "ok    registry branch: main (HEAD is on it)",
    "ok    registry tags: no origin remote to compare with",
    "ok    specs: 2 specs valid",
]


def test_doctor_on_a_healthy_project(applied):
    # Every check passes; the machine-local remote is a warning with its fix: exit 0.
    done = applied.invoke("doctor")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout).splitlines() == HEALTHY


def test_doctor_json(applied):
    # --json: one object per check, in the same order, with status and fix.
    done = applied.invoke("doctor", "--json")
    assert (done.exit_code, done.stderr) == (0, ""), done
    checks = json.loads(applied.scrub(done.stdout))
    assert [(c["name"], c["status"]) for c in checks] == [
        ("git identity", "ok"),
        ("dvc", "ok"),
        ("remote", "ok"),
        ("remote sharing", "warn"),
        ("lock", "ok"),
        ("git locks", "ok"),
        ("records", "ok"),
        ("artifacts", "ok"),
        ("cache", "ok"),
        ("git operation", "ok"),
        ("registry branch", "ok"),
        ("registry tags", "ok"),
        ("specs", "ok"),
    ]
    assert checks[7] == {
        "name": "artifacts",
        "status": "ok",
        "message": "every recorded artifact is present and intact",
        "fix": "",
    }


def test_a_failing_check_names_its_fix(applied):
    # A work-tree artifact that differs from its record fails its check, with the fix:
    # exit 1; every other check still runs.
    with applied.replaced("artifacts/models/iris_tree/metrics.json", "{}\n"):
        done = applied.invoke("doctor")
    assert (done.exit_code, done.stderr) == (1, ""), done
    expected = list(HEALTHY)
    expected[8:9] = [
        "error artifacts: local copy differs from its record: model.iris_tree",
        "       fix: run `mlcode apply` (plans repair)",
    ]
    assert applied.scrub(done.stdout).splitlines() == expected


def test_doctor_rejects_an_unknown_option(applied):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("doctor", "--fix")
    assert done == applied.usage_error("mlcode doctor [OPTIONS]", "No such option: --fix")
