"""`mlcode init`: the scaffold, DVC and its directory remote in a fresh Git repository."""

from __future__ import annotations

REMOTE_WARNING = (
    "Warning: the DVC remote 'local' (HOME/.cache/mlcode/remotes/fresh-HASH) is a directory "
    "on this machine, configured only in .dvc/config.local: a teammate's clone has no "
    "remote; to share artifacts, set a remote every clone can reach: `dvc remote add -d "
    "NAME s3://BUCKET/PATH` (written to .dvc/config; commit it), or `remote: "
    "s3://BUCKET/PATH` in conf/mlcode.yaml.\n"
)


def test_init_scaffolds_a_working_project(git_only_cli):
    # In a Git repository without DVC: every file it creates is listed, the local remote
    # is named with a warning, and the example validates.
    done = git_only_cli.invoke("init")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert git_only_cli.scrub(done.stdout) == (
        "  created conf/mlcode.yaml\n"
        "  created conf/datasets/iris.yaml\n"
        "  created conf/estimator/logistic.yaml\n"
        "  created conf/models/iris_logreg.yaml\n"
        "  created pipelines/__init__.py\n"
        "  created artifacts/datasets/.gitignore\n"
        "  created artifacts/models/.gitignore\n"
        "  created .gitattributes\n"
        "  created git config merge.mlcode-record.driver\n"
        "  created .dvc/\n"
        "  created DVC remote 'local' -> HOME/.cache/mlcode/remotes/fresh-HASH\n"
        + REMOTE_WARNING
        + "Initialised. Next: mlcode plan\n"
    )
    assert (git_only_cli.root / ".dvc/config.local").is_file()
    assert git_only_cli.invoke("validate").stdout == "Valid: 2 specs.\n"


def test_init_twice_changes_nothing(git_only_cli):
    # A second init creates nothing and says the same about the remote.
    assert git_only_cli.invoke("init").exit_code == 0
    done = git_only_cli.invoke("init")
    assert done.exit_code == 0
    assert git_only_cli.scrub(done.stdout) == REMOTE_WARNING + "Initialised. Next: mlcode plan\n"


def test_init_outside_a_git_repository(plain_dir):
    # Without Git there is nothing to record state in: one message, a hint, exit 1.
    done = plain_dir.invoke("init")
    assert (done.exit_code, done.stdout) == (1, "")
    assert plain_dir.scrub(done.stderr) == (
        "Error: ROOT is not inside a Git repository\nHint: run `git init` and then `mlcode init`\n"
    )
    assert list(plain_dir.root.iterdir()) == []


def test_init_takes_no_argument(plain_dir):
    # An argument is a usage mistake: usage line, one error line, exit 1.
    done = plain_dir.invoke("init", "demo")
    assert done == plain_dir.usage_error(
        "mlcode init [OPTIONS]", "Got unexpected extra argument(s) (demo)"
    )
