"""A teammate's clone and the remote: init, plan, pull and doctor say when the remote is
local to one machine, and how to set a shared one (issue 12, fault 12)."""

from __future__ import annotations

import json

FIX = "dvc remote add -d NAME s3://BUCKET/PATH"


def test_a_clone_of_an_inited_project_is_told_why_it_cannot_pull(git_only_project, tmp_path):
    # `mlcode init` + apply on one machine, then a teammate clones: init warned; the
    # clone's plan note, pull and doctor each say the remote lived only in the first
    # machine's .dvc/config.local and how to set a shared one.
    project = git_only_project
    done = project.run("init")
    assert done.returncode == 0, project.output(done)
    assert "Warning: the DVC remote 'local'" in done.stdout
    assert "configured only in .dvc/config.local" in done.stdout and FIX in done.stdout
    project.commit("init")
    assert project.apply().returncode == 0

    clone = project.clone(tmp_path / "teammate")
    plan = clone.plan()
    assert plan["notes"][0] == "2 artifacts not present locally: run mlcode pull"
    assert "no DVC remote is configured in .dvc/config" in plan["notes"][1]
    assert ".dvc/config.local" in plan["notes"][1] and FIX in plan["notes"][1]
    text = clone.run("plan").stdout
    assert "config.local" in text and FIX in text

    pulled = clone.run("pull")
    assert pulled.returncode == 1
    assert "no DVC remote is configured in .dvc/config" in pulled.stdout
    assert FIX in pulled.stdout, clone.output(pulled)

    checks = {c["name"]: c for c in json.loads(clone.run("doctor", "--json").stdout)}
    remote = checks["remote"]
    assert remote["status"] == "warn" and ".dvc/config.local" in remote["message"]
    assert FIX in remote["fix"]

    # On the first machine, doctor warns too (the remote works here, not for others).
    checks = {c["name"]: c for c in json.loads(project.run("doctor", "--json").stdout)}
    assert checks["remote"]["status"] == "ok"
    sharing = checks["remote sharing"]
    assert sharing["status"] == "warn" and "directory on this machine" in sharing["message"]
    assert FIX in sharing["fix"]


def test_a_shared_remote_brings_no_warning_and_a_path_in_the_settings_does(project, tmp_path):
    # A default remote committed in .dvc/config with an s3 URL is shared: plan's pull
    # note stands alone. `remote: /some/dir` in conf/mlcode.yaml is committed but names
    # a directory on one machine: the note says so.
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {tmp_path / 'remote'}\n"})
    project.commit("specs")
    assert project.apply().returncode == 0
    clone = project.clone(tmp_path / "teammate")
    notes = clone.plan()["notes"]
    assert "is a directory on this machine: other machines cannot reach it" in notes[1]

    clone.gen({"conf/mlcode.yaml": ""})
    (clone.root / ".dvc" / "config").write_text(
        "[core]\n    remote = shared\n['remote \"shared\"']\n    url = s3://bucket/team\n"
    )
    assert clone.plan()["notes"] == ["2 artifacts not present locally: run mlcode pull"]
