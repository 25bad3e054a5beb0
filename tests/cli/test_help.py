"""`mlcode --help` and each command's help show an example."""

from __future__ import annotations

import pytest


def test_help_lists_commands(cli_project):
    # The top-level help lists every command.
    done = cli_project.mlcode("--help")
    assert done.returncode == 0
    for command in ("init", "validate", "plan", "apply", "show"):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["init", "validate", "plan", "apply", "show"])
def test_command_help_has_example(cli_project, command):
    # Every command documents an example invocation.
    done = cli_project.mlcode(command, "--help")
    assert done.returncode == 0
    assert "Example: " in done.stdout
