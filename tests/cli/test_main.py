"""`mlcode` itself: its help, `--version`, and usage mistakes (the usage line and one
error line, exit 1; never a traceback and never "internal error")."""

from __future__ import annotations

from importlib import metadata

import pytest

HELP = """\
Usage: mlcode [OPTIONS] COMMAND [ARGS]...

  Terraform for machine learning: plan and apply datasets and models from specs.

  Example: mlcode plan && mlcode apply

Options:
  --version  Print the installed version and exit.
  --help     Show this message and exit.

Commands:
  init      Create conf/, pipelines/ and a DVC setup with one working example.
  validate  Check all specs and report every problem at once.
  plan      Compare the specs with what was built and show every change and...
  apply     Build what the plan says, store artifacts through DVC, commit...
  show      Show what was built: version, stages, gates, fingerprint,...
  registry  List registered model versions and stages (read from Git tags,...
  push      Upload recorded artifacts to the DVC remote (apply does this...
  pull      Download and check out recorded artifacts missing locally (a...
  gc        Remove objects no state record refers to: kept are the work...
  verify    Rebuild each resource from its record alone (its code bundle...
  diff      Show how resolved specs and metrics differ between two revisions.
  doctor    Check Git identity, DVC, the remote, the lock, the state...
  ci        Continuous-integration setup.
"""

COMMANDS = [
    "init",
    "validate",
    "plan",
    "apply",
    "show",
    "registry",
    "push",
    "pull",
    "gc",
    "verify",
    "diff",
    "doctor",
    "ci github",
]


def test_help_lists_every_command(plain_dir):
    # `mlcode --help` lists the thirteen commands with their one-line summaries.
    done = plain_dir.invoke("--help")
    assert (done.exit_code, done.stdout, done.stderr) == (0, HELP, "")


def test_bare_mlcode_prints_its_help(plain_dir):
    # `mlcode` alone prints the same help on stderr: exit 1, no error text.
    done = plain_dir.invoke()
    assert (done.exit_code, done.stdout, done.stderr) == (1, "", HELP)


def test_bare_command_group_prints_its_help(plain_dir):
    # `mlcode ci` without a command prints the group's help on stderr: exit 1.
    done = plain_dir.invoke("ci")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (
        "Usage: mlcode ci [OPTIONS] COMMAND [ARGS]...\n"
        "\n"
        "  Continuous-integration setup.\n"
        "\n"
        "Options:\n"
        "  --help  Show this message and exit.\n"
        "\n"
        "Commands:\n"
        "  github  Write .github/workflows/mlcode.yml: previews on pull requests...\n"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_an_example(plain_dir, command):
    # Every command's help starts with its usage line and has an example that runs it.
    done = plain_dir.invoke(*command.split(), "--help")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout.startswith(f"Usage: mlcode {command} [OPTIONS]"), done
    examples = [line for line in done.stdout.splitlines() if line.startswith("  Example: ")]
    assert any(f"mlcode {command}" in line for line in examples), done


def test_version_comes_from_the_package_metadata(plain_dir):
    # `mlcode --version` prints the installed distribution's version, even outside a repo.
    from mlcode.distribution import installed

    found = installed()
    assert found is not None and found.version == metadata.version(found.name)
    done = plain_dir.invoke("--version")
    assert (done.exit_code, done.stdout, done.stderr) == (0, f"mlcode {found.version}\n", "")


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        pytest.param(
            ["bogus"],
            "mlcode [OPTIONS] COMMAND [ARGS]...",
            "No such command 'bogus'.",
            id="command",
        ),
        pytest.param(
            ["ci", "gitlab"],
            "mlcode ci [OPTIONS] COMMAND [ARGS]...",
            "No such command 'gitlab'. Did you mean 'github'?",
            id="subcommand",
        ),
        pytest.param(
            ["apply", "--lock-timeout", "abc"],
            "mlcode apply [OPTIONS] [args]...",
            "Invalid value for '--lock-timeout': 'abc' is not a valid float.",
            id="float-value",
        ),
        pytest.param(
            ["plan", "--out"],
            "mlcode plan [OPTIONS] [overrides]...",
            "Option '--out' requires an argument.",
            id="no-value",
        ),
        pytest.param(
            ["apply", "one.json", "two.json"],
            "mlcode apply [OPTIONS] [args]...",
            "Invalid value: one saved plan at most, got one.json, two.json",
            id="bad-value-from-command",
        ),
    ],
)
def test_usage_error_prints_usage_and_one_error_line(plain_dir, args, usage, error):
    # A usage mistake shows how the command is used and what was wrong: exit 1, outside
    # a repository too (each command file tests one of its own as well).
    assert plain_dir.invoke(*args) == plain_dir.usage_error(usage, error)


def test_an_expected_error_is_one_message_and_a_hint(plain_dir):
    # Outside a Git repository every command says so in two lines, no traceback.
    done = plain_dir.invoke("plan")
    assert (done.exit_code, done.stdout) == (1, "")
    assert plain_dir.scrub(done.stderr) == (
        "Error: ROOT is not inside a Git repository\nHint: run `git init` and then `mlcode init`\n"
    )


def test_debug_adds_the_traceback(plain_dir):
    # MLCODE_DEBUG=1 shows the traceback above the same message.
    done = plain_dir.invoke("plan", env={"MLCODE_DEBUG": "1"})
    assert done.exit_code == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n"), done
    assert plain_dir.scrub(done.stderr).endswith(
        "Error: ROOT is not inside a Git repository\nHint: run `git init` and then `mlcode init`\n"
    )
