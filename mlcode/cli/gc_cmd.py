"""`mlcode gc`: drop cache (and remote) objects that nothing refers to any more."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("gc")
    def gc(
        remote: bool = typer.Option(False, "--remote", help="Also collect on the DVC remote."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only report what would go."),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """Remove objects no state record refers to: kept are the work tree's records,
        those at the tip of every branch, and every registered version's.

        Example: mlcode gc --remote --dry-run
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json

        result = api.gc(remote=remote, dry_run=dry_run)
        if json_:
            print_json(result)
            return 0
        out = console()
        verb = "would free" if dry_run else "freed"
        for place in ("cache", "remote"):
            if place in result:
                r = result[place]
                out.print(
                    f"{place}: {verb} {r['freed_bytes']} bytes in {r['removed']} objects; "
                    f"kept {r['kept']}"
                )
        out.print(f"{result['referenced_artifacts']} artifacts are referenced and kept.")
        return 0
