"""`mlcode init`: scaffold a project in the current Git repository."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init() -> int:
        """Create conf/, pipelines/ and a DVC setup with one working example.

        Example: git init && mlcode init && mlcode apply --auto-approve
        """
        from mlcode import api
        from mlcode.cli.output import console

        created = api.init()
        out = console()
        for path in created:
            out.print(f"  created {path}")
        warning = api.remote_warning()
        if warning:
            out.print(f"Warning: {warning}.")
        out.print("Initialised. Next: mlcode plan")
        return 0

    @app.command("merge-record", hidden=True)
    def merge_record(base: str, ours: str, theirs: str) -> int:
        """Git's merge driver for state records, registered by `mlcode init`.

        Example: git config merge.mlcode-record.driver "mlcode merge-record %O %A %B"
        """
        from mlcode import api

        return 0 if api.merge_record(base, ours, theirs) else 1
