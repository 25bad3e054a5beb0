"""`mlcode ci github`: write the GitHub Actions workflow."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    ci = typer.Typer(help="Continuous-integration setup.", no_args_is_help=True)
    app.add_typer(ci, name="ci")

    @ci.command("github")
    def github(
        install: str = typer.Option(
            None,
            "--install",
            help="The install step's command (default: the mlcode installed here, pinned, "
            "plus requirements.txt or the project's pyproject.toml).",
        ),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing workflow."),
    ) -> int:
        """Write .github/workflows/mlcode.yml: previews on pull requests (one sticky
        comment with the plan and the candidates' metrics), apply on the registry branch.

        The workflow installs exactly the mlcode installed here (its version from the
        package index, or the commit it was installed from) and the project's own
        dependencies; from an editable checkout pass --install.

        Example: mlcode ci github && git add .github && git commit -m "mlcode CI"

        Example: mlcode ci github --install "python -m pip install mlcode-iac==0.1.0 -r requirements.txt"
        """
        from mlcode import api
        from mlcode.cli.output import console

        outcome = api.ci_github(install=install, force=force)
        err = console(stderr=True)
        for warning in outcome.warnings:
            err.print(f"Warning: {warning}", markup=False)
        out = console()
        out.print(f"Install step: {outcome.install}", markup=False)
        out.print(f"Wrote {outcome.path}. Protect its environment in the repository settings.")
        return 0
