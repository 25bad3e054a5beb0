"""`mlcode doctor`: check the setup apply depends on, and say how to fix it."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(
        remote: bool = typer.Option(False, "--remote", help="Also contact the DVC remote."),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """Check Git identity, DVC, the remote, the lock, the state records and the specs;
        exit 1 when any check fails.

        Example: mlcode doctor --remote
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json

        checks = api.doctor(remote=remote)
        if json_:
            print_json([c.to_dict() for c in checks])
        else:
            out = console()
            marks = {
                "ok": "[green]ok[/green]   ",
                "warn": "[yellow]warn[/yellow] ",
                "error": "[red]error[/red]",
            }
            for check in checks:
                out.print(f"{marks[check.status]} {check.name}: {check.message}")
                if check.fix:
                    out.print(f"       fix: {check.fix}")
        return 1 if any(c.status == "error" for c in checks) else 0
