"""`mlcode diff`: resolved-spec and metric differences between revisions."""

from __future__ import annotations

import sys

import typer


def register(app: typer.Typer) -> None:
    @app.command("diff")
    def diff(
        rev_a: str = typer.Argument(
            None, help="Base revision (default: merge-base with the registry branch)."
        ),
        rev_b: str = typer.Argument(None, help="Other revision (default: the working tree)."),
        json_: bool = typer.Option(False, "--json", help="Print JSON."),
        format_: str = typer.Option("text", "--format", help="text, json or markdown."),
    ) -> int:
        """Show how resolved specs and metrics differ between two revisions.

        Example: mlcode diff main HEAD --format markdown
        """
        from mlcode import api
        from mlcode.cli.output import console, print_json
        from mlcode.cli.plan_cmd import check_format
        from mlcode.report.diff import render_diff_markdown, render_diff_text

        check_format(format_)
        result = api.diff(rev_a=rev_a, rev_b=rev_b)
        if json_ or format_ == "json":
            print_json(result)
        elif format_ == "markdown":
            sys.stdout.write(render_diff_markdown(result))
        else:
            console().print("\n".join(render_diff_text(result)))
        return 0
