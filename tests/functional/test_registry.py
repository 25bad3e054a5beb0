"""The registry end to end: stages as code, gates, rollback, retire, branches, GTO, load.

Every check of the registry goes through `gto show --json` (GTO reading mlcode's tags)
or `mlcode registry --json`, and every training run through the trainer's call log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score

import mlcode

BIN_DIR = Path(sys.executable).parent


def _setup(project, stage: str | None = "production", gate: str = ">= 0.9", c: str = "1.0"):
    extra = f"gates: {{accuracy: '{gate}'}}\n"
    if stage:
        extra += f"stage: {stage}\n"
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR.replace("C: 1.0", f"C: {c}"),
            "conf/models/m.yaml": project.model_spec(
                "lr", train="pipelines.train.fit", extra=extra
            ),
            "pipelines/__init__.py": "",
            "pipelines/train.py": project.COUNTING_TRAINER,
            ".gitignore": "trainer_calls.log\n",
        }
    )
    project.commit("specs")


def gto_show(project) -> dict:
    done = subprocess.run(
        [str(BIN_DIR / "gto"), "show", "--json"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def registry(project) -> dict:
    done = project.run("registry", "--json")
    assert done.returncode == 0, project.output(done)
    return {m["name"]: m for m in json.loads(done.stdout)}


def _edit_commit(project, old: str, new: str, rel: str = "conf/models/m.yaml") -> str:
    project.replace(rel, old, new)
    return project.commit(f"{old} -> {new}")


def test_stage_as_code_promote_gate_and_rollback(project):
    # A spec with `stage: production` plans a create with a promotion, and applying it
    # registers v1.0.0 in production on the commit that holds the record.
    _setup(project, stage="production")
    plan = project.plan()
    change = plan["changes"][1]
    assert change["action"] == "create"
    assert change["promotion"]["stage"] == "production"
    assert change["promotion"]["from_version"] is None
    assert change["promotion"]["to_version"] == "v1.0.0"
    assert plan["summary"]["promote"] == 1
    project.apply()
    assert gto_show(project)["m"]["version"] == "v1.0.0"
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}
    head = project.git("rev-parse", "HEAD").strip()
    assert project.git("rev-list", "-n1", "m@v1.0.0").strip() == head
    assert project.git("cat-file", "-t", "m@v1.0.0").strip() == "tag"  # annotated
    fingerprint = project.record("model.m")["fingerprint"]
    assert f"mlcode-fingerprint: {fingerprint}" in project.git("tag", "-l", "-n9", "m@v1.0.0")
    assert project.run("plan", "--detailed-exitcode").returncode == 0
    assert project.trainer_calls() == 1

    # Changing only `stage:` plans promote and trains nothing.
    _edit_commit(project, "stage: production", "stage: staging")
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "promote"
    assert "stage: production -> staging" in project.reasons(plan, "model.m")
    project.apply()
    assert project.trainer_calls() == 1
    assert gto_show(project)["m"]["stage"] == {"staging": "v1.0.0"}
    _edit_commit(project, "stage: staging", "stage: production")
    project.apply()
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}
    assert project.trainer_calls() == 1

    # A hyperparameter change that passes the gate: v1.1.0 (spec changed) takes over.
    change_commit = _edit_commit(project, "C: 1.0", "C: 0.5", "conf/estimator/lr.yaml")
    project.apply()
    assert project.trainer_calls() == 2
    assert gto_show(project)["m"]["stage"] == {"production": "v1.1.0"}

    # `git revert` of it plans reuse; applying trains nothing and puts v1.0.0 back.
    project.git("-c", "user.name=t", "-c", "user.email=t@x", "revert", "--no-edit", change_commit)
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "reuse"
    promotion = plan["changes"][1]["promotion"]
    assert (promotion["from_version"], promotion["to_version"]) == ("v1.1.0", "v1.0.0")
    project.apply()
    assert project.trainer_calls() == 2
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}
    assert project.run("plan", "--detailed-exitcode").returncode == 0

    # A change that fails the gate: registered, production unchanged, exit 3 naming it.
    _edit_commit(project, "C: 1.0", "C: 0.001", "conf/estimator/lr.yaml")
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 3, project.output(done)
    assert "accuracy >= 0.9" in done.stderr and "blocked" in done.stderr
    shown = gto_show(project)["m"]
    assert shown["version"] == "v1.2.0"  # registered all the same (minor: spec changed)
    assert shown["stage"] == {"production": "v1.0.0"}
    # ... and it is not retried: a note, no change, until the spec or metrics change.
    again = project.run("plan", "--detailed-exitcode")
    assert again.returncode == 0, project.output(again)
    assert "promotion to production blocked by gate accuracy >= 0.9" in again.stdout

    # `mlcode show` of the production version: version, commit, gates passed, who, when.
    done = project.run("show", "model.m#production", "--json")
    shown = json.loads(done.stdout)
    assert shown["version"] == "v1.0.0" and shown["stages"] == ["production"]
    assert shown["registered"]["commit"] == project.git("rev-list", "-n1", "m@v1.0.0").strip()
    assert shown["gates"][0]["result"].startswith("accuracy >= 0.9: ")
    assert shown["spec"]["estimator"]["C"] == 1.0
    assert shown["inputs"]["dataset.iris"]


def test_relative_gate_uses_the_champion(project):
    # `>= champion - 0.01`: no champion passes with a note; a worse candidate is blocked.
    _setup(project, gate=">= champion - 0.01")
    plan = project.plan()
    gates = plan["changes"][1]["promotion"]["gates"]
    assert gates == [
        {
            "expr": "accuracy >= champion - 0.01",
            "value": None,
            "threshold": None,
            "ok": True,
            "note": "no champion yet",
        }
    ]
    project.apply()
    _edit_commit(project, "C: 1.0", "C: 0.001", "conf/estimator/lr.yaml")
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 3, project.output(done)
    assert "accuracy >= champion - 0.01" in done.stderr
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}


def test_champion_is_rescored_on_the_candidates_test_split(project):
    # The dataset changed (another split): the champion's recorded accuracy is on the
    # old split, so apply re-scores it on the candidate's test split before comparing.
    _setup(project, gate=">= champion")
    project.apply()
    _edit_commit(project, "test_size: 0.25", "test_size: 0.4", "conf/datasets/iris.yaml")
    done = project.run("apply", "--auto-approve")
    assert done.returncode in (0, 3), project.output(done)
    shown = gto_show(project)["m"]
    assert shown["version"] == "v2.0.0"  # major: the dataset changed
    log = project.root / ".mlcode" / "logs" / "score-model.m.log"
    assert log.exists(), "the champion was not re-scored"
    tags = project.git("tag", "-l", "-n9", "m#production#*")
    if done.returncode == 0:
        assert shown["stage"] == {"production": "v2.0.0"}
        assert "accuracy >= champion" in tags
    else:
        assert shown["stage"] == {"production": "v1.0.0"}


def test_retire_unassigns_and_deprecates(project):
    # Deleting a spec plans retire; afterwards GTO no longer lists the model, and
    # registering it again does not bring its old stage back.
    _setup(project, stage="production")
    project.apply()
    spec = project.read("conf/models/m.yaml")
    (project.root / "conf/models/m.yaml").unlink()
    project.commit("drop m")
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "retire"
    assert "production: v1.0.0 -> (none)" in project.reasons(plan, "model.m")
    project.apply()
    assert "m" not in gto_show(project)
    assert not project.record_path("model.m").exists()
    assert registry(project)["m"]["active"] is False
    assert project.run("plan", "--detailed-exitcode").returncode == 0

    project.gen({"conf/models/m.yaml": spec.replace("stage: production\n", "")})
    project.commit("m again")
    assert project.actions(project.plan())["model.m"] == "reuse"
    project.apply()
    shown = gto_show(project)["m"]
    assert shown["version"] == "v1.0.1" and shown["stage"] == {}
    assert registry(project)["m"]["stages"] == {}
    assert project.trainer_calls() == 1


def test_feature_branch_registers_nothing_until_merged(project):
    # Applying on a feature branch builds and records but tags nothing; on main the
    # plan shows `register`, and applying there creates the version and its stage.
    _setup(project)
    project.git("checkout", "-q", "-b", "feature")
    done = project.apply()
    assert "registration waits for branch main" in done.stdout
    assert project.git("tag", "-l") == ""
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "noop"
    assert any("wait" in note and "branch main" in note for note in plan["notes"])

    project.git("checkout", "-q", "main")
    project.git("merge", "-q", "--ff-only", "feature")
    plan = project.plan()
    assert project.actions(plan)["model.m"] == "register"
    assert plan["changes"][1]["promotion"]["stage"] == "production"
    project.apply()
    assert gto_show(project)["m"] == {
        "version": "v1.0.0",
        "stage": {"production": "v1.0.0"},
        "registered": True,
        "active": True,
    }
    assert project.trainer_calls() == 1


def test_dirty_tree_defers_registration(project):
    # An uncommitted edit of the trainer (code the fingerprint covers) keeps registration
    # waiting and the note names the file (apply still builds and records).
    _setup(project)
    project.replace("pipelines/train.py", "def fit(", "# edited\ndef fit(")
    done = project.apply()
    assert "registration waits for a clean tree (uncommitted: pipelines/train.py)" in done.stdout
    assert project.git("tag", "-l") == ""
    project.commit("trainer edit")
    assert project.actions(project.plan())["model.m"] == "register"


def test_unrelated_untracked_file_does_not_block_registration(project):
    # An untracked notebook at the root (no spec reads it) does not stop registration.
    _setup(project)
    project.gen({"analysis.ipynb": "{}\n", "scratch/notes.txt": "todo\n"})
    done = project.apply()
    assert "registration waits" not in done.stdout, project.output(done)
    assert project.git("tag", "-l").split() == ["m#production#1", "m@v1.0.0"]
    assert project.actions(project.plan())["model.m"] == "noop"


def test_untracked_spec_group_file_blocks_registration(project):
    # A new, uncommitted group file under conf/ is an input: registration waits for it.
    _setup(project)
    project.gen({"conf/estimator/gbm.yaml": "_target_: sklearn.tree.DecisionTreeClassifier\n"})
    done = project.apply()
    assert "(uncommitted: conf/estimator/gbm.yaml)" in done.stdout, project.output(done)
    assert project.git("tag", "-l") == ""


def _gto(project, *args: str, when: str) -> None:
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    subprocess.run(
        [str(BIN_DIR / "gto"), *args], cwd=project.root, env=env, check=True, capture_output=True
    )


def test_tags_written_by_gto_are_read_and_vice_versa(project):
    # A version registered and assigned with the gto command is what mlcode sees; the
    # next mlcode promotion continues GTO's counter and GTO reads the result.
    _setup(project, stage="staging")
    project.git("checkout", "-q", "-b", "build")
    project.apply()
    project.git("checkout", "-q", "main")
    project.git("merge", "-q", "--ff-only", "build")
    _gto(project, "register", "m", "--version", "v0.3.0", when="2026-01-01T10:00:00+0000")
    _gto(
        project,
        "assign",
        "m",
        "--version",
        "v0.3.0",
        "--stage",
        "staging",
        when="2026-01-01T10:00:05+0000",
    )
    reg = registry(project)["m"]
    assert reg["stages"] == {"staging": "v0.3.0"}
    assert reg["versions"][0]["fingerprint"] == project.record("model.m")["fingerprint"]
    assert project.run("plan", "--detailed-exitcode").returncode == 0  # already registered

    _edit_commit(project, "stage: staging", "stage: production")
    project.apply()
    assert sorted(project.git("tag", "-l", "m#*").split()) == [
        "m#production#3",
        "m#staging!#2",
        "m#staging#1",
    ]
    assert gto_show(project)["m"]["stage"] == {"production": "v0.3.0"}
    history = subprocess.run(
        [str(BIN_DIR / "gto"), "history", "m", "--json"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    )
    events = json.loads(history.stdout)
    assert {e["event"] for e in events} >= {"registration", "assignment", "unassignment"}


def test_load_returns_the_recorded_estimator(project):
    # mlcode.load by stage and by version returns the fitted estimator; its accuracy on
    # the test split is the recorded one, also when the work-tree copy is gone.
    _setup(project)
    project.apply()
    test = pd.read_parquet(project.root / "artifacts/datasets/iris/test.parquet")
    x, y = test.drop(columns=["target"]), test["target"]
    recorded = project.record("model.m")["metrics"]["accuracy"]
    for ref in ("model.m#production", "model.m@v1.0.0", "model.m"):
        model = mlcode.load(ref, start=project.root)
        assert round(accuracy_score(y, model.predict(x)), 10) == recorded
    import shutil

    shutil.rmtree(project.root / "artifacts/models/m")
    model = mlcode.load("model.m#production", start=project.root)
    assert round(accuracy_score(y, model.predict(x)), 10) == recorded
    done = project.run("show", "model.m#staging")
    assert done.returncode == 1 and "no version of model.m is in stage 'staging'" in done.stderr


def test_git_push_is_atomic(project, tmp_path):
    # --git-push sends the state commit and the new tags to origin in one atomic push;
    # when origin refuses one ref, it receives none of them.
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    project.git("remote", "add", "origin", str(origin))
    _setup(project)
    done = project.apply("--git-push")
    assert "Pushed the branch and the new tags to origin." in done.stdout

    def remote(*args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(origin), *args], capture_output=True, text=True, check=True
        ).stdout

    assert remote("rev-parse", "main").strip() == project.git("rev-parse", "HEAD").strip()
    assert sorted(remote("tag", "-l").split()) == ["m#production#1", "m@v1.0.0"]

    # Someone else's m@v1.1.0 on origin: the push fails whole, origin's main stays put.
    pushed = remote("rev-parse", "main").strip()
    remote("tag", "m@v1.1.0", pushed)
    _edit_commit(project, "C: 1.0", "C: 0.5", "conf/estimator/lr.yaml")
    done = project.run("apply", "--auto-approve", "--git-push")
    assert done.returncode == 1, project.output(done)
    assert "atomic" in done.stderr
    assert remote("rev-parse", "main").strip() == pushed
    assert "m#production#3" not in remote("tag", "-l")


def test_an_existing_tag_is_never_moved(project):
    # Creating a batch of tags where one name exists already (another apply registered
    # meanwhile) creates none of them and asks for a re-plan.
    from mlcode.errors import MlcodeError
    from mlcode.registry.gittags import NewTag, create_tags

    _setup(project, stage=None)
    head = project.git("rev-parse", "HEAD").strip()
    project.git("tag", "-a", "-m", "theirs", "m@v1.0.0", head)
    before = project.git("rev-parse", "m@v1.0.0").strip()
    batch = [
        NewTag("m@v1.0.1", head, "mine", 1_800_000_000),
        NewTag("m@v1.0.0", head, "mine", 1_800_000_001),
    ]
    try:
        create_tags(project.root, batch)
    except MlcodeError as exc:
        assert "m@v1.0.0 already exists" in exc.message and "plan" in exc.hint
    else:
        raise AssertionError("a clash must raise")
    assert project.git("tag", "-l").split() == ["m@v1.0.0"]
    assert project.git("rev-parse", "m@v1.0.0").strip() == before


def test_load_fetches_from_the_dvc_remote(project, tmp_path):
    # With neither the work-tree copy nor the DVC cache, load fetches the version's
    # artifact from the DVC remote.
    import shutil

    remote = tmp_path / "dvc-remote"
    subprocess.run(
        [str(BIN_DIR / "dvc"), "remote", "add", "-d", "local", str(remote)],
        cwd=project.root,
        check=True,
        capture_output=True,
    )
    _setup(project)
    project.apply()
    subprocess.run(
        [str(BIN_DIR / "dvc"), "push", "-q"], cwd=project.root, check=True, capture_output=True
    )
    shutil.rmtree(project.root / "artifacts/models/m")
    shutil.rmtree(project.root / ".dvc/cache")
    model = mlcode.load("model.m@v1.0.0", start=project.root)
    assert type(model).__name__ == "LogisticRegression"
    assert (project.root / ".dvc/cache/files/md5").is_dir()


ADD_COLUMNS = """\
def add(train, test, n=1):
    for i in range(n):
        train, test = train.assign(**{f"extra_{i}": 0.0}), test.assign(**{f"extra_{i}": 0.0})
    return train, test
"""


def test_champion_that_cannot_predict_the_new_features_is_compared_by_its_record(project):
    # A derived dataset gains a column: the champion cannot be re-scored on the new
    # test split (unseen feature names), so the relative gate compares with its
    # recorded metrics, says so in the gate line and names the scoring log: promoted.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/datasets/feat.yaml": (
                "from: [iris]\ntarget: target\n"
                "transform: {_target_: pipelines.features.add, n: 1}\n"
            ),
            "conf/estimator/lr.yaml": project.LR,
            "conf/models/m.yaml": project.model_spec(
                "lr",
                dataset="feat",
                extra="gates: {accuracy: '>= champion - 0.2'}\nstage: production\n",
            ),
            "pipelines/__init__.py": "",
            "pipelines/features.py": ADD_COLUMNS,
        }
    )
    project.commit("specs")
    project.apply()
    _edit_commit(project, "n: 1", "n: 2", "conf/datasets/feat.yaml")
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 0, project.output(done)
    assert "compared with its recorded metrics" in done.stdout
    assert ".mlcode/logs/score-model.m.log" in done.stdout
    assert gto_show(project)["m"]["stage"] == {"production": "v2.0.0"}
    tags = project.git("tag", "-l", "-n9", "m#production#*")
    assert "compared with its recorded metrics" in tags


def test_revert_to_a_former_champion_is_a_rollback_past_relative_gates(project):
    # v1.0.0 (C=0.1) held production; v1.1.0 (C=1.0) took it past `>= champion - 0.01`;
    # `git revert` brings v1.0.0 back: the plan says rollback, its relative gate is not
    # weighed against v1.1.0, apply exits 0 and production is v1.0.0 again. An absolute
    # gate still applies to a rollback.
    project.gen(
        {
            "conf/datasets/iris.yaml": project.IRIS,
            "conf/estimator/lr.yaml": project.LR.replace("C: 1.0", "C: 0.1"),
            "conf/models/m.yaml": project.model_spec(
                "lr", extra="gates: {accuracy: '>= champion - 0.01'}\nstage: production\n"
            ),
        }
    )
    project.commit("specs")
    project.apply()
    change = _edit_commit(project, "C: 0.1", "C: 1.0", "conf/estimator/lr.yaml")
    project.apply()
    assert gto_show(project)["m"]["stage"] == {"production": "v1.1.0"}
    project.git("-c", "user.name=t", "-c", "user.email=t@x", "revert", "--no-edit", change)
    plan = project.plan()
    entry = next(c for c in plan["changes"] if c["address"] == "model.m")
    assert entry["action"] == "reuse" and entry["promotion"]["rollback"] is True
    assert "production: v1.1.0 -> v1.0.0 (rollback)" in entry["reasons"]
    assert entry["promotion"]["gates"][0]["ok"] is True
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 0, project.output(done)
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}

    # An absolute gate the former champion fails still blocks its return.
    _edit_commit(project, "C: 0.1", "C: 1.0", "conf/estimator/lr.yaml")
    project.apply()
    project.replace("conf/models/m.yaml", "'>= champion - 0.01'", "'>= 0.95'")
    project.replace("conf/estimator/lr.yaml", "C: 1.0", "C: 0.1")
    project.commit("back to C=0.1 with an absolute gate")
    done = project.run("apply", "--auto-approve")
    assert done.returncode == 3, project.output(done)
    assert gto_show(project)["m"]["stage"] == {"production": "v1.1.0"}


def _tag_times(project) -> dict[str, int]:
    out = project.git(
        "for-each-ref", "--format=%(refname:lstrip=2) %(taggerdate:unix)", "refs/tags"
    )
    return {name: int(when) for name, when in (line.split() for line in out.splitlines())}


def test_gto_assign_right_after_a_promotion_is_what_both_views_show(project):
    # mlcode promotes v1.1.0; at once (no sleep) `gto assign` puts v1.0.0 back in
    # production. Tags carry real time, never a future one; `gto show` and `mlcode
    # registry` both say v1.0.0 (mlcode's apply ends after the second of its last tag,
    # so the gto tag is later, not a same-second tie that GTO would give to the
    # unassignment).
    import time

    _setup(project)
    project.apply()
    _edit_commit(project, "C: 1.0", "C: 0.5", "conf/estimator/lr.yaml")
    project.apply()
    assert gto_show(project)["m"]["stage"] == {"production": "v1.1.0"}
    subprocess.run(
        [str(BIN_DIR / "gto"), "assign", "m", "--version", "v1.0.0", "--stage", "production"],
        cwd=project.root,
        check=True,
        capture_output=True,
    )
    now = time.time()
    assert all(when <= now for when in _tag_times(project).values()), _tag_times(project)
    assert gto_show(project)["m"]["stage"] == {"production": "v1.0.0"}
    assert registry(project)["m"]["stages"] == {"production": "v1.0.0"}
    # The next apply sees v1.1.0 (what the spec builds) lose production: a promotion
    # back to it, planned and applied, and again both views agree.
    plan = project.plan()
    promotion = plan["changes"][1]["promotion"]
    assert (promotion["from_version"], promotion["to_version"]) == ("v1.0.0", "v1.1.0")
    project.apply()
    assert gto_show(project)["m"]["stage"] == {"production": "v1.1.0"}
    assert registry(project)["m"]["stages"] == {"production": "v1.1.0"}


def test_gto_assign_without_unassign_is_cleared_when_mlcode_moves_the_stage(project):
    # `gto assign` leaves the previous holder assigned, hidden behind the new one. When
    # the spec moves to another stage, mlcode unassigns both, so the hidden one does not
    # resurface in production.
    _setup(project)
    project.apply()
    _edit_commit(project, "C: 1.0", "C: 0.5", "conf/estimator/lr.yaml")
    project.apply()  # v1.1.0 in production
    subprocess.run(
        [str(BIN_DIR / "gto"), "assign", "m", "--version", "v1.0.0", "--stage", "production"],
        cwd=project.root,
        check=True,
        capture_output=True,
    )  # v1.0.0 holds production; v1.1.0's assignment is hidden behind it
    _edit_commit(project, "stage: production", "stage: staging")
    plan = project.plan()
    unassign = plan["changes"][1]["promotion"]["unassign"]
    assert {(u["stage"], u["version"]) for u in unassign} == {
        ("production", "v1.0.0"),
        ("production", "v1.1.0"),
    }
    project.apply()
    assert gto_show(project)["m"]["stage"] == {"staging": "v1.1.0"}
    assert registry(project)["m"]["stages"] == {"staging": "v1.1.0"}
