"""`mlcode ci github`: write the GitHub Actions workflow, pinned to this mlcode."""

from __future__ import annotations

import yaml

INSTALL = 'python -m pip install "mlcode-iac==1.2.3"'
WROTE = "Wrote .github/workflows/mlcode.yml. Protect its environment in the repository settings.\n"
NO_REMOTE = (
    "Warning: no DVC remote is configured: CI jobs cannot fetch or store artifacts; set a "
    "shared one (S3, SSH, ...): `remote:` in conf/mlcode.yaml or `dvc remote add -d NAME "
    "URL`\n"
)


def test_ci_github_writes_the_workflow(cli):
    # With an install step given: the workflow is written, the step echoed, and the
    # missing DVC remote is a warning on stderr; exit 0.
    done = cli.invoke("ci", "github", "--install", INSTALL)
    assert done.exit_code == 0, done
    assert done.stdout == f"Install step: {INSTALL}\n" + WROTE
    assert done.stderr == NO_REMOTE
    workflow = yaml.safe_load((cli.root / ".github/workflows/mlcode.yml").read_text())
    assert workflow["permissions"] == {}
    assert INSTALL in (cli.root / ".github/workflows/mlcode.yml").read_text()


def test_ci_github_installs_exactly_this_mlcode(cli):
    # Without --install the step pins the mlcode installed here, or, where a runner could
    # not install it (an editable checkout), says so and asks for --install: exit 1.
    from mlcode.ci import install_command
    from mlcode.distribution import installed
    from mlcode.errors import MlcodeError

    done = cli.invoke("ci", "github")
    try:
        step = install_command(installed())
    except MlcodeError as exc:
        assert (done.exit_code, done.stdout) == (1, ""), done
        assert done.stderr == f"Error: {exc.message}\nHint: {exc.hint}\n"
        assert exc.hint.startswith("pass the install step yourself: mlcode ci github --install")
        assert not (cli.root / ".github").exists()
    else:
        assert (done.exit_code, done.stdout) == (0, f"Install step: {step}\n" + WROTE), done


def test_an_existing_workflow_is_kept(cli):
    # A second run does not overwrite the workflow without --force: exit 1, with the fix.
    assert cli.invoke("ci", "github", "--install", INSTALL).exit_code == 0
    (cli.root / ".github/workflows/mlcode.yml").write_text("# edited by hand\n")
    done = cli.invoke("ci", "github", "--install", INSTALL)
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (
        "Error: .github/workflows/mlcode.yml exists\nHint: pass --force to overwrite it\n"
    )
    assert (cli.root / ".github/workflows/mlcode.yml").read_text() == "# edited by hand\n"
    forced = cli.invoke("ci", "github", "--install", INSTALL, "--force")
    assert (forced.exit_code, forced.stdout) == (0, f"Install step: {INSTALL}\n" + WROTE)


def test_ci_github_rejects_an_unknown_option(plain_dir):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = plain_dir.invoke("ci", "github", "--branch", "main")
    assert done == plain_dir.usage_error("mlcode ci github [OPTIONS]", "No such option: --branch")
