"""Saved plans: `plan --out FILE` then `apply FILE` carries out exactly that plan and
refuses a stale one, naming what moved."""

from __future__ import annotations

import json


def _setup(project) -> None:
    project.gen_counted_model()
    project.commit("specs")


def test_saved_plan_applies_without_asking(project):
    # A reviewed plan needs no confirmation: apply FILE builds exactly what it lists.
    _setup(project)
    done = project.run("plan", "--out", "plan.json")
    assert done.returncode == 0, project.output(done)
    saved = json.loads((project.root / "plan.json").read_text())
    assert [c["action"] for c in saved["plan"]["changes"]] == ["create", "create"]
    assert saved["binding"]["head"] == project.git("rev-parse", "HEAD").strip()
    applied = project.run("apply", "plan.json")  # stdin is no terminal, no --auto-approve
    assert applied.returncode == 0, project.output(applied)
    assert project.trainer_calls() == 1
    assert "Registered model.m v1.0.0." in applied.stdout  # the plan file is no "change"
    assert project.run("plan", "--detailed-exitcode").returncode == 0


def test_stale_saved_plan_is_refused_naming_what_moved(project):
    # An edited spec or a new registry tag since `plan --out` makes apply refuse with
    # exit 1, naming the file and key, or the tag; nothing is built.
    _setup(project)
    project.run("plan", "--out", "plan.json")
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 4")
    done = project.run("apply", "plan.json")
    assert done.returncode == 1, project.output(done)
    assert "the saved plan plan.json is stale" in done.stderr
    assert "conf/estimator/tree.yaml changed" in done.stderr
    assert "conf/models/m.yaml: estimator.max_depth: 3 -> 4" in done.stderr
    assert project.trainer_calls() == 0

    project.run("plan", "--out", "plan.json")
    project.git("tag", "-a", "-m", "by hand", "m@v9.0.0")
    done = project.run("apply", "plan.json")
    assert done.returncode == 1 and "registry tag m@v9.0.0 appeared" in done.stderr


def test_saved_plan_holds_no_secret(project, monkeypatch):
    # A `${oc.env:...}` value is never resolved into the saved plan.
    monkeypatch.setenv("MLCODE_TEST_TOKEN", "s3cr3t-value-123")
    _setup(project)
    project.replace(
        "conf/models/m.yaml",
        "metrics: [accuracy]\n",
        "metrics: [accuracy]\ndescription: ${oc.env:MLCODE_TEST_TOKEN}\n",
    )
    project.commit("secret")
    assert project.run("plan", "--out", "plan.json").returncode == 0
    assert "s3cr3t-value-123" not in (project.root / "plan.json").read_text()
    assert "(sensitive)" in (project.root / "plan.json").read_text()


def _record_lines(project, address: str) -> list[str]:
    """A record file's lines without the two that name when and where it was built."""
    text = project.record_path(address).read_text()
    return [ln for ln in text.splitlines() if "built_at:" not in ln and "built_from:" not in ln]


def test_records_are_canonical_whichever_path_wrote_them(project_factory):
    # The same specs applied from a saved plan and by a plain apply write byte-identical
    # records (apart from build time and commit): keys sorted at every level.
    spec = "defaults:\n  - /estimator@estimator: tree\n  - _self_\n"
    spec += "metrics: [accuracy]\nestimator: {min_samples_leaf: 2, criterion: gini}\n"
    spec += "dataset: iris\nstage: staging\ndescription: zeta before alpha\n"
    texts = []
    for name, saved in (("plain", False), ("saved", True)):
        project = project_factory(name)
        project.gen_counted_model({"conf/models/m.yaml": spec})
        project.commit("specs")
        if saved:
            assert project.run("plan", "--out", "plan.json").returncode == 0
            done = project.run("apply", "plan.json")
            assert done.returncode == 0, project.output(done)
        else:
            project.apply()
        texts.append({a: _record_lines(project, a) for a in ("dataset.iris", "model.m")})
    assert texts[0] == texts[1]
    meta = texts[0]["model.m"][texts[0]["model.m"].index("meta:") :]
    spec_at = meta.index("    spec:")
    keys = [ln.strip().split(":")[0] for ln in meta[spec_at + 1 :] if ln.startswith("      ")]
    keys = [k for k in keys if not k.startswith("-")]
    top = [k for k in keys if k in ("dataset", "description", "estimator", "metrics", "stage")]
    assert top == sorted(top)
