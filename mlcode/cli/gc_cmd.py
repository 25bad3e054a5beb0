"""`mlcode gc`: drop cache (and remote) objects that nothing refers to any more."""

from __future__ import annotations

import typer

SHOWN = 20  # victims listed by md5 before asking; the rest are counted


def register(app: typer.Typer) -> None:
    @app.command("gc")
    def gc(
        remote: bool = typer.Option(False, "--remote", help="Also collect on the DVC remote."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only report what would go."),
        yes: bool = typer.Option(
            False, "--yes", "-y", help="Delete on the remote without asking (CI)."
        ),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """Remove objects no state record refers to: kept are the work tree's records,
        those at the tip of every branch, and every registered version's. On the remote
        only objects this repository recorded can go (another project's are foreign and
        kept); what would go is listed and confirmed first (`--yes` skips the question).

        Example: mlcode gc --remote --dry-run
        """
        import sys

        from mlcode import api
        from mlcode.cli.output import console, print_json
        from mlcode.errors import MlcodeError

        out = console()

        def confirm(result: dict) -> bool:
            victims = result.get("remote", {}).get("victims", [])
            if not victims:
                return True
            if not json_:
                out.print(f"mlcode gc will delete {len(victims)} objects on the remote:")
                for md5 in victims[:SHOWN]:
                    out.print(f"  - {md5}")
                if len(victims) > SHOWN:
                    out.print(f"  ... and {len(victims) - SHOWN} more")
            if yes:
                return True
            if not sys.stdin.isatty():
                raise MlcodeError(
                    "no terminal to confirm the remote deletion on",
                    "pass --yes to delete without asking, or --dry-run to list only",
                )
            answer = typer.prompt("\nDelete them? Only 'yes' is accepted", default="")
            return answer.strip() == "yes"

        result = api.gc(remote=remote, dry_run=dry_run, confirm=confirm if remote else None)
        if json_:
            print_json(result)
            return 0
        verb = "would free" if dry_run else "freed"
        for place in ("cache", "remote"):
            if place in result:
                r = result[place]
                if r.get("cancelled"):
                    out.print(f"{place}: nothing deleted (not confirmed)")
                    continue
                foreign = f"; {r['foreign']} foreign objects kept" if place == "remote" else ""
                out.print(
                    f"{place}: {verb} {r['freed_bytes']} bytes in {r['removed']} objects; "
                    f"kept {r['kept']}{foreign}"
                )
                if r.get("note"):
                    out.print(f"Note: {r['note']}")
        out.print(f"{result['referenced_artifacts']} artifacts are referenced and kept.")
        return 0
