"""`mlcode show`: the recorded state and lineage of resources."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show(
        address: str = typer.Argument(
            None,
            help="dataset.NAME, model.NAME, model.NAME@vX.Y.Z or model.NAME#STAGE (default: all).",
        ),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """Show what was built: version, stages, gates, fingerprint, artifact, metrics,
        inputs and commit; for a registered version, who registered it and when.

        Example: mlcode show model.wine_rf#production --json
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json

        items = api.show(address=address)
        if json_:
            print_json(items[0] if address else items)
            return 0
        out = console()
        if not items:
            out.print("Nothing recorded yet: run mlcode apply.")
        for item in items:
            version = f" {item['version']}" if item["version"] else ""
            out.print(f"[bold]{item['address']}{version}[/bold]")
            if item["registered"]:
                reg = item["registered"]
                out.print(f"  registered   {reg['at']} by {reg['by']} on {reg['commit'][:12]}")
            if item["stages"]:
                out.print(f"  stages       {', '.join(item['stages'])}")
            for gate in item["gates"]:
                out.print(f"  gate         {gate['stage']}: {gate['result']}")
            out.print(f"  fingerprint  {item['fingerprint'][:16]}")
            out.print(f"  artifact     {item['artifact']}")
            if item["metrics"]:
                shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(item["metrics"].items()))
                out.print(f"  metrics      {shown}")
            for name, digest in sorted(item["inputs"].items()):
                out.print(f"  input        {name} {str(digest)[:12]}")
            built = (item["built_from"] or "(no commit)")[:12]
            out.print(f"  built        {item['built_at']} from {built}")
        return 0
