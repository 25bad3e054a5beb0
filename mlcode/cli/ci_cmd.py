"""`mlcode ci github`: write the GitHub Actions workflow."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    ci = typer.Typer(help="Continuous-integration setup.", no_args_is_help=True)
    app.add_typer(ci, name="ci")

    @ci.command("github")
    def github(
        install: str = typer.Option(
            None, "--install", help='The install step (default: pip install "mlcode[s3]").'
        ),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing workflow."),
    ) -> int:
        """Write .github/workflows/mlcode.yml: previews on pull requests (one sticky
        comment with the plan and the candidates' metrics), apply on the registry branch.

        Example: mlcode ci github && git add .github && git commit -m "mlcode CI"
        """
        from mlcode import api
        from mlcode.cli.output import console

        path = api.ci_github(install=install, force=force)
        console().print(f"Wrote {path}. Protect its environment in the repository settings.")
        return 0
