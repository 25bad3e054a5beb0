"""What plan promises is what apply does: a reuse whose artifact is gone is not promised
as a restore, and a forced rebuild of an unchanged fingerprint keeps its version, with
apply saying how it came out."""

from __future__ import annotations

import json
from pathlib import Path


def _with_remote(project, remote: Path) -> None:
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
    project.commit("specs")
    project.apply()


def test_reuse_of_a_collected_build_is_not_promised_as_a_restore(project, tmp_path):
    # A branch builds max_depth 4, is deleted, `gc --remote` drops its objects; main then
    # sets max_depth 4: plan hedges (not in the cache), --refresh remote plans a
    # rebuild, and apply trains and says why.
    _with_remote(project, tmp_path / "remote")
    project.git("checkout", "-q", "-b", "feature")
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 4")
    project.commit("deeper")
    project.apply()
    assert project.trainer_calls() == 2
    project.git("checkout", "-q", "main")
    project.git("branch", "-D", "feature")
    done = project.run("gc", "--remote", "--yes")
    assert done.returncode == 0, project.output(done)

    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 4")
    project.commit("deeper on main")
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "reuse"
    assert "not in the local cache" in project.reasons(plan, "model.m")[-1]
    plan = project.plan("--refresh", "remote")
    assert project.actions(plan)["model.m"] == "rebuild"
    assert "neither the DVC cache nor the remote holds it" in project.reasons(plan, "model.m")[-1]
    done = project.apply()
    assert project.trainer_calls() == 3
    assert "is in neither the DVC cache nor the remote: built it again" in done.stdout
    assert project.run("plan", "--detailed-exitcode").returncode == 0


def test_reuse_from_the_cache_says_so(project):
    # A revert restores the earlier build from the local cache, and plan says so.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 4")
    project.commit("deeper")
    project.apply()
    project.git("revert", "--no-edit", "HEAD~1")
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "reuse"
    assert project.reasons(plan, "model.m")[-1].endswith("from the cache")


def test_forced_rebuild_keeps_the_version_and_reports_identical_bytes(project):
    # --replace of a deterministic registered model: plan shows the version it has,
    # apply rebuilds identical bytes and says so; nothing new is registered.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    plan = project.plan("--replace", "model.m")
    change = next(c for c in plan["changes"] if c["address"] == "model.m")
    assert change["action"] == "rebuild"
    assert change["after"]["version"] == "v1.0.0"
    assert any("same fingerprint as the record" in r for r in change["reasons"])
    done = project.apply("--replace", "model.m")
    assert "model.m: rebuilt byte-identical to the record (version v1.0.0 unchanged)" in done.stdout
    assert "Registered" not in done.stdout
    assert project.trainer_calls() == 2
    assert json.loads(project.run("registry", "--json").stdout)
    assert project.git("tag", "-l", "m@*").split() == ["m@v1.0.0"]
