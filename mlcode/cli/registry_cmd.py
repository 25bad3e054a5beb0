"""`mlcode registry`: registered versions, current stages and assignment history."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("registry")
    def registry(
        address: str = typer.Argument(None, help="model.NAME (default: every model)."),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> int:
        """List registered model versions and stages (read from Git tags, GTO format).

        With an address, also the full history of registrations and stage moves.

        Example: mlcode registry model.wine_rf
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json

        models = api.registry(address=address)
        if json_:
            print_json(models[0] if address else models)
            return 0
        lines = []
        if not models:
            lines.append("The registry is empty: apply on the registry branch to register models.")
        for model in models:
            state = "active" if model["active"] else "retired"
            lines.append(
                f"[bold]model.{model['name']}[/bold]  latest {model['latest'] or '-'} ({state})"
            )
            for stage, version in sorted(model["stages"].items()):
                lines.append(f"  {stage:<12} {version}")
            for v in model["versions"] if address else model["versions"][-5:]:
                stages = ", ".join(v["stages"])
                line = f"  {v['version']:<10} {v['registered_at']}  {v['commit'][:12]}  {v['by']}"
                lines.append(line + (f"  \\[{stages}]" if stages else ""))
            if address:
                lines.append("  history:")
                for h in model["history"]:
                    what = h["event"] + (f" {h['stage']}" if h["stage"] else "")
                    version = h["version"] or ""
                    lines.append(f"    {h['at']}  {what:<22} {version:<10} {h['tag']}  {h['by']}")
        # One print: Rich's per-call cost dominates with hundreds of models.
        console().print("\n".join(lines), highlight=False)
        return 0
