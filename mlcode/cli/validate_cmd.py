"""`mlcode validate`: check every spec, build nothing; exit 1 on any problem."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate() -> int:
        """Check all specs and report every problem at once. Warnings (code the
        static scan cannot follow) go to stderr and leave the exit code 0.

        Example: mlcode validate
        """
        from mlcode import api
        from mlcode.cli.output import console

        warnings: list[str] = []
        project = api.validate(on_warning=warnings.append)
        for warning in warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        count = len(project.resources)
        console().print(f"Valid: {count} spec{'s' if count != 1 else ''}.")
        return 0
