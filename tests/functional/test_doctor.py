"""`mlcode doctor`: every check says ok, or what is wrong and how to fix it."""

from __future__ import annotations

import json


def _checks(project, *args: str) -> tuple[int, dict[str, list[dict]]]:
    done = project.run("doctor", "--json", *args)
    by_name: dict[str, list[dict]] = {}
    for check in json.loads(done.stdout):
        by_name.setdefault(check["name"], []).append(check)
    return done.returncode, by_name


def test_healthy_project(project, tmp_path):
    # A project with a reachable local remote and everything applied is all ok, except
    # that the remote, a directory on this machine, is not shared with teammates.
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {tmp_path / 'remote'}\n"})
    project.commit("specs")
    project.apply()
    code, checks = _checks(project, "--remote")
    assert code == 0
    sharing = checks.pop("remote sharing")
    assert sharing[0]["status"] == "warn" and "directory on this machine" in sharing[0]["message"]
    assert {c["status"] for cs in checks.values() for c in cs} == {"ok"}
    assert "reachable" in checks["remote"][0]["message"]


def test_problems_are_named_with_their_fix(project, no_git_identity):
    # No Git identity, a tampered artifact, a lock from another host, a Git lock file
    # and a broken spec: each is reported with its fix, and the errors make doctor exit 1.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    (project.root / "artifacts/models/m/model.joblib").write_bytes(b"tampered")
    (project.root / ".mlcode/lock").write_text(
        json.dumps({"pid": 1, "host": "build-box-7", "nonce": "x"})
    )
    (project.root / ".git/HEAD.lock").write_text("")
    project.gen({"conf/models/bad.yaml": "dataset: iris\nbogus: 1\n"})
    code, checks = _checks(project)
    assert code == 1
    assert checks["git identity"][0]["status"] == "warn"
    assert "git config user.name" in checks["git identity"][0]["fix"]
    assert checks["remote"][0]["status"] == "warn"
    lock = checks["lock"][0]
    assert lock["status"] == "warn" and "build-box-7" in lock["message"]
    assert "remove" in lock["fix"]
    git_locks = checks["git locks"][0]
    assert git_locks["status"] == "warn" and ".git/HEAD.lock" in git_locks["message"]
    artifacts = checks["artifacts"][0]
    assert artifacts["status"] == "error" and "model.m" in artifacts["message"]
    assert "mlcode apply" in artifacts["fix"]
    specs = checks["specs"][0]
    assert specs["status"] == "error" and "conf/models/bad.yaml" in specs["message"]
