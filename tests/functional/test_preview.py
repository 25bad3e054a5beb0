"""`apply --preview`: the pull-request view builds and scores but changes nothing."""

from __future__ import annotations

import json


def _setup(project) -> None:
    project.gen_counted_model()
    project.replace(
        "conf/models/m.yaml",
        "metrics: [accuracy]\n",
        "metrics: [accuracy]\ngates: {accuracy: '>= champion'}\nstage: production\n",
    )
    project.commit("specs")
    project.apply()


def _state(project) -> tuple[str, str, bytes]:
    return (
        project.git("status", "--porcelain", "--untracked-files=all"),
        project.git("tag", "-l"),
        project.record_path("model.m").read_bytes(),
    )


def test_preview_builds_and_scores_but_records_nothing(project):
    # On a pull-request branch the preview trains the candidate, shows its metrics
    # beside the champion's and the gate outcome, and leaves git status, the tags and
    # the state record exactly as they were.
    _setup(project)
    project.git("checkout", "-q", "-b", "pr")
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 1")
    project.commit("shallower")
    before = _state(project)
    done = project.run("apply", "--preview", "--format", "json")
    assert done.returncode == 0, project.output(done)
    assert _state(project) == before
    assert project.trainer_calls() == 2  # the candidate was trained
    change = next(c for c in json.loads(done.stdout)["changes"] if c["address"] == "model.m")
    assert change["action"] == "rebuild"
    assert change["after"]["metrics"]["accuracy"] < 0.9
    promotion = change["promotion"]
    assert promotion["champion"]["version"] == "v1.0.0"
    assert promotion["blocked"] is True
    assert promotion["gates"][0]["ok"] is False
    assert project.actions(project.plan())["model.m"] == "rebuild"  # still to do

    markdown = project.run("apply", "--preview", "--format", "markdown")
    assert markdown.stdout.startswith("<!-- mlcode-plan -->\n### mlcode preview")
    assert "❌ accuracy >= champion" in markdown.stdout
    assert _state(project) == before


def test_overrides_imply_a_preview(project):
    # `apply ADDRESS:KEY=VALUE` is a what-if: it previews, it never records.
    _setup(project)
    before = _state(project)
    done = project.run("apply", "model.m:estimator.max_depth=2")
    assert done.returncode == 0, project.output(done)
    assert "metrics: accuracy=" in done.stdout
    assert _state(project) == before
    assert project.run("plan", "--detailed-exitcode").returncode == 0
