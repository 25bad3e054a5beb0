"""`mlcode push` and `mlcode pull`: recorded artifacts to and from the DVC remote."""

from __future__ import annotations

import typer

ADDRESSES_HELP = "dataset.NAME / model.NAME (default: every recorded resource)."


def register(app: typer.Typer) -> None:
    @app.command("push")
    def push(addresses: list[str] = typer.Argument(None, help=ADDRESSES_HELP)) -> int:
        """Upload recorded artifacts to the DVC remote (apply does this for new ones).

        Example: mlcode push model.wine_rf
        """
        from mlcode import api

        return _transfer(api.push, "Pushed", addresses or [])

    @app.command("pull")
    def pull(addresses: list[str] = typer.Argument(None, help=ADDRESSES_HELP)) -> int:
        """Download and check out recorded artifacts missing locally (a fresh clone),
        each checked against its record; exit 1 if any cannot be restored.

        Example: git clone URL && cd REPO && mlcode pull && mlcode plan
        """
        from mlcode import api

        return _transfer(api.pull, "Pulled", addresses or [])


def _transfer(call, verb: str, addresses: list[str]) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mlcode.cli.output import console

    out = console()
    err = console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task(f"{verb[:-2].lower()}ing", total=len(addresses) or None)

        def step(address: str) -> None:
            progress.update(task, advance=1, description=address)

        outcome = call(addresses=addresses, on_progress=step)
    for address, what in outcome.results.items():
        (err if what.startswith("failed") else out).print(f"{address}: {what}")
    for note in outcome.notes:
        out.print(f"Note: {note}")
    moved = sum(1 for v in outcome.results.values() if v in ("pushed", "pulled"))
    where = f" ({outcome.remote})" if outcome.remote else ""
    out.print(f"{verb} {moved} artifacts, {outcome.objects} objects{where}.")
    return 0 if outcome.ok else 1
