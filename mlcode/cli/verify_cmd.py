"""`mlcode verify`: rebuild recorded resources in isolation and compare with the record."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        addresses: list[str] = typer.Argument(
            None, help="dataset.NAME / model.NAME to check (default: every recorded one)."
        ),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """Rebuild each resource from its record alone (its code bundle from the DVC
        cache or remote, the recorded spec and input hashes, a fresh interpreter with
        the pinned build environment) and compare the artifact's files and metrics; also
        flags a tampered local copy. Exit 1 when any does not reproduce.

        Example: mlcode verify            (every recorded resource)
                 mlcode verify model.wine_rf
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json

        reports = api.verify(addresses=addresses or ())
        if json_:
            print_json([r.to_dict() for r in reports])
        else:
            out = console()
            for report in reports:
                state = (
                    "[green]reproduces[/green]" if report.ok else "[red]does not reproduce[/red]"
                )
                source = (
                    f"code bundle {report.bundle[:12]}"
                    if report.bundle
                    else f"commit {(report.built_from or '?')[:12]}"
                )
                out.print(f"{report.address}: {state} (rebuilt from {source} in {report.seconds}s)")
                for line in report.env:
                    out.print(f"  env: {line}")
                for line in report.differences:
                    out.print(f"  {line}")
                for line in report.notes:
                    out.print(f"  note: {line}")
        return 0 if all(r.ok for r in reports) else 1
