"""`mlcode apply`: the plan, progress, commit and registration lines; exit codes 0, 1
(a failed build, a refusal, a stale saved plan) and 3 (a gate blocked a promotion)."""

from __future__ import annotations

NO_REMOTE = (
    "Note: no DVC remote configured: artifacts stay in the local cache (set `remote:` in "
    "conf/mlcode.yaml or run `mlcode init`)\n"
)


def test_apply_builds_commits_and_registers(cli):
    # On the registry branch with everything committed: build in DAG order, commit the
    # records, register the version and move the stage; exit 0.
    cli.write(cli.SPECS)
    cli.commit("specs")
    done = cli.invoke("apply", "--auto-approve")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert cli.scrub(done.stdout) == cli.PLAN + (
        "+ dataset.iris: create…\n"
        "✓ dataset.iris: built in Ns\n"
        "+ model.iris_tree: create…\n"
        "✓ model.iris_tree: built in Ns (accuracy=0.9737)\n"
        "Committed state records as HASH.\n"
        "Registered model.iris_tree v1.0.0.\n"
        "Stage model.iris_tree production: (none) -> v1.0.0.\n"
        + NO_REMOTE
        + "Apply complete: 2 done, 0 failed, 0 skipped.\n"
    )
    assert cli.git("tag", "--list") == "iris_tree#production#1\niris_tree@v1.0.0\n"
    again = cli.invoke("apply", "--auto-approve")
    assert (again.exit_code, again.stdout) == (0, "No changes. 2 resources up to date.\n")


def test_apply_without_a_terminal_asks_for_auto_approve(cli):
    # Nobody to say yes (stdin is no terminal): the plan, then a refusal; nothing built.
    cli.write(cli.SPECS)
    cli.commit("specs")
    done = cli.invoke("apply")
    assert (done.exit_code, done.stdout) == (1, cli.PLAN)
    assert done.stderr == (
        "Error: no terminal to confirm on\nHint: pass --auto-approve to apply without asking\n"
    )
    assert not (cli.root / "artifacts").exists()


def test_a_failing_gate_blocks_the_promotion_exit_3(cli):
    # The version is built and registered, the stage stays where it was: exit 3, and
    # the gate is named with its value and threshold.
    cli.write(
        {
            **cli.SPECS,
            "conf/models/iris_tree.yaml": cli.SPECS["conf/models/iris_tree.yaml"]
            + "gates: {accuracy: '>= 0.99'}\n",
        }
    )
    cli.commit("specs")
    done = cli.invoke("apply", "--auto-approve")
    assert done.exit_code == 3, done
    assert done.stderr == (
        "Blocked: model.iris_tree: promotion to production blocked by gate accuracy >= "
        "0.99: 0.973684 (threshold 0.99) failed\n"
    )
    assert cli.scrub(done.stdout).endswith(
        "Registered model.iris_tree v1.0.0.\n"
        + NO_REMOTE
        + "Apply complete: 2 done, 0 failed, 0 skipped.\n"
    )
    assert cli.git("tag", "--list") == "iris_tree@v1.0.0\n"


FAILING_TRAINER = """\
def fit(estimator, train, target):
    raise ValueError("no convergence")
"""


def test_a_failed_build_is_one_line_with_its_log(cli):
    # A trainer that raises: one error line naming the build log (which holds the
    # traceback), the rest still done and committed; exit 1.
    cli.write(
        {
            **cli.SPECS,
            "conf/models/iris_tree.yaml": cli.SPECS["conf/models/iris_tree.yaml"]
            + "train: {_target_: pipelines.boom.fit}\n",
            "pipelines/__init__.py": "",
            "pipelines/boom.py": FAILING_TRAINER,
        }
    )
    cli.commit("specs")
    done = cli.invoke("apply", "--auto-approve")
    assert done.exit_code == 1, done
    assert cli.scrub(done.stderr) == (
        "Error: model.iris_tree failed: ValueError: no convergence\n"
        "  log: ROOT/.mlcode/logs/model.iris_tree.log\n"
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert cli.scrub(done.stdout).endswith(
        "✗ model.iris_tree: ValueError: no convergence\n"
        "    log: ROOT/.mlcode/logs/model.iris_tree.log\n"
        "Committed state records as HASH.\n"
        + NO_REMOTE
        + "Apply complete: 1 done, 1 failed, 0 skipped.\n"
    )
    log = (cli.root / ".mlcode/logs/model.iris_tree.log").read_text()
    assert "Traceback" in log and "no convergence" in log


def test_a_stale_saved_plan_is_refused(cli):
    # `apply FILE` carries out exactly that plan; once a spec moved it names what moved
    # and builds nothing: exit 1.
    cli.write(cli.SPECS)
    cli.commit("specs")
    assert cli.invoke("plan", "--out", "plan.json").exit_code == 0
    cli.project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 4")
    done = cli.invoke("apply", "plan.json")
    assert (done.exit_code, done.stdout) == (1, ""), done
    assert cli.scrub(done.stderr) == (
        "Error: the saved plan plan.json is stale:\n"
        "  conf/estimator/tree.yaml changed\n"
        "  conf/models/iris_tree.yaml: estimator.max_depth: 3 -> 4\n"
        "Hint: make a new one with `mlcode plan --out FILE`\n"
    )
    assert not (cli.root / "artifacts").exists()


def test_jobs_must_be_a_number(plain_dir):
    # A bad option value is a usage mistake: usage line, one error line, exit 1.
    done = plain_dir.invoke("apply", "--jobs", "two")
    assert done == plain_dir.usage_error(
        "mlcode apply [OPTIONS] [args]...",
        "Invalid value for '--jobs' / '-j': 'two' is not a valid int.",
    )
