"""`mlcode ci github`: the workflow passes GitHub's schema and zizmor, and its `run:`
steps work when run as a runner would run them, against a local bare `origin`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
INSTALL_CHECK = 'python -c "import mlcode"'  # the runner here has mlcode installed


def _workflow(project) -> tuple[Path, dict]:
    done = project.run("ci", "github", "--install", INSTALL_CHECK)
    assert done.returncode == 0, project.output(done)
    path = project.root / ".github/workflows/mlcode.yml"
    return path, yaml.safe_load(path.read_text())


def test_workflow_passes_schema_and_zizmor(project):
    # The generated file is a valid workflow, and zizmor's offline audit finds nothing
    # of medium severity or above; it never uses the dangerous triggers.
    path, workflow = _workflow(project)
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", str(path)],
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert workflow["permissions"] == {}
    assert set(workflow[True]) == {"pull_request", "push"}  # YAML 1.1 reads `on` as True
    preview = workflow["jobs"]["preview"]
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "secrets." not in json.dumps(preview)
    assert workflow["jobs"]["apply"]["permissions"] == {"contents": "write"}
    assert "concurrency" in workflow["jobs"]["apply"]
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.search(r"@[0-9a-f]{40}$", step["uses"]), step["uses"]


def _run_steps(workflow: dict, job: str, workspace: Path, env: dict[str, str]) -> None:
    """Run a job's `run:` steps in order as bash -e would on a runner. `uses:` steps are
    GitHub's own actions (checkout is done by the test); a step guarded by `if:` posts
    through GitHub's API and is left out."""
    context = {"github.token": "", "github.event.pull_request.number": "7"}
    for step in workflow["jobs"][job]["steps"]:
        if "run" not in step or "if" in step:
            continue
        step_env = {
            key: re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: context[m.group(1)], str(value))
            for key, value in (step.get("env") or {}).items()
        }
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=workspace,
            env={**os.environ, **env, **step_env},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout}\n{done.stderr}"


def _runner_env(tmp_path: Path, name: str, event: str, ref: str, sha: str, origin: Path):
    temp = tmp_path / f"{name}-temp"
    temp.mkdir()
    summary = temp / "step-summary.md"
    summary.touch()
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": "team/project",
        "GITHUB_SERVER_URL": origin.parent.as_uri(),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(tmp_path / name),
        "RUNNER_TEMP": str(temp),
    }


def _checkout(origin: Path, dest: Path, ref: str, branch: str | None = None) -> str:
    """What actions/checkout does with fetch-depth 0 and tags."""
    subprocess.run(["git", "clone", "-q", str(origin), str(dest)], check=True)
    if branch:
        subprocess.run(["git", "checkout", "-q", "-B", branch, ref], cwd=dest, check=True)
    else:
        subprocess.run(["git", "checkout", "-q", "--detach", ref], cwd=dest, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_pr_job_comments_and_main_job_applies(project, tmp_path):
    # The PR job writes the sticky comment file and the job summary and changes nothing;
    # after the merge the main-branch job pushes the state commit, the tags and the
    # artifacts.
    origin = tmp_path / "team" / "project.git"
    origin.parent.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    remote = tmp_path / "dvc-remote"
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
    project.replace(
        "conf/models/m.yaml", "metrics: [accuracy]\n", "metrics: [accuracy]\nstage: production\n"
    )
    _path, workflow = _workflow(project)
    project.commit("project and workflow")
    project.git("remote", "add", "origin", str(origin))
    project.git("push", "-q", "origin", "main")
    project.git("checkout", "-q", "-b", "feature")
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 2")
    project.commit("shallower trees")
    project.git("push", "-q", "origin", "feature")

    pr = tmp_path / "pr"
    sha = _checkout(origin, pr, "origin/feature")
    env = _runner_env(tmp_path, "pr", "pull_request", "refs/pull/7/merge", sha, origin)
    _run_steps(workflow, "preview", pr, env)
    comment = (Path(env["RUNNER_TEMP"]) / "mlcode-comment.md").read_text()
    assert comment.startswith("<!-- mlcode-plan -->\n### mlcode preview")
    assert "`model.m`" in comment and "production" in comment
    assert "### mlcode preview" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=pr, capture_output=True, text=True
        ).stdout
        == ""
    )

    project.git("checkout", "-q", "main")
    project.git("merge", "-q", "--ff-only", "feature")
    project.git("push", "-q", "origin", "main")
    main = tmp_path / "main"
    sha = _checkout(origin, main, "origin/main", branch="main")
    env = _runner_env(tmp_path, "main", "push", "refs/heads/main", sha, origin)
    _run_steps(workflow, "apply", main, env)

    def at_origin(*args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(origin), *args], capture_output=True, text=True, check=True
        ).stdout

    state_commit = at_origin("rev-parse", "main").strip()
    assert state_commit != sha
    assert "mlcode apply" in at_origin("log", "-1", "--format=%s", "main")
    assert sorted(at_origin("tag", "-l").split()) == ["m#production#1", "m@v1.0.0"]
    assert at_origin("rev-list", "-n1", "m@v1.0.0").strip() == state_commit
    model = yaml.safe_load(at_origin("show", "main:artifacts/models/m.dvc"))["meta"]["mlcode"][
        "artifact"
    ]["files"]["model.joblib"]
    assert (remote / "files/md5" / model[:2] / model[2:]).is_file()


def test_editable_install_is_refused_and_asks_for_install(project):
    # This test environment runs mlcode from an editable checkout, which a runner cannot
    # install: `ci github` refuses, says why, asks for --install and writes nothing.
    project.gen_counted_model()
    done = project.run("ci", "github")
    assert done.returncode == 1, project.output(done)
    lines = done.stderr.splitlines()
    assert lines[0].startswith("Error: mlcode was installed from an editable checkout (file://")
    assert lines[0].endswith("which a CI runner cannot install"), done.stderr
    assert lines[1].startswith('Hint: pass the install step yourself: mlcode ci github --install "')
    assert not (project.root / ".github").exists()


def test_install_option_is_the_step_and_a_local_remote_is_warned(project, tmp_path):
    # --install is written as the install step verbatim; a DVC remote that is a directory
    # on this machine gets a warning (CI cannot reach it), and the workflow is still valid.
    remote = tmp_path / "dvc-remote"
    project.gen_counted_model({"conf/mlcode.yaml": f"remote: {remote}\n"})
    install = 'python -m pip install "mlcode-iac==0.1.0" -r requirements.txt'
    done = project.run("ci", "github", "--install", install)
    assert done.returncode == 0, project.output(done)
    assert done.stderr.startswith(
        f"Warning: the DVC remote {remote} is a directory on this machine"
    )
    assert f"Install step: {install}\n" in done.stdout
    workflow = yaml.safe_load((project.root / ".github/workflows/mlcode.yml").read_text())
    for job in ("preview", "apply"):
        steps = {step.get("name"): step for step in workflow["jobs"][job]["steps"]}
        assert steps["Install mlcode"]["run"] == install + "\n"
