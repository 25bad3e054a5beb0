"""`mlcode validate`: check every spec, build nothing; exit 1 on any problem."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate() -> int:
        """Check all specs and report every problem at once.

        Example: mlcode validate
        """
        from mlcode import api
        from mlcode.cli.output import console

        project = api.validate()
        count = len(project.resources)
        console().print(f"Valid: {count} spec{'s' if count != 1 else ''}.")
        return 0
