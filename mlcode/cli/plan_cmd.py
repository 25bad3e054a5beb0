"""`mlcode plan`: show what apply would do and why.

`run_plan` is the command; `register` declares its command line to Typer. The plain
invocations (`FLAGS` only, no values) are parsed by `cli.main` without Typer.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

TARGET_HELP = "Limit to this address and what it needs upstream (repeatable)."
REPLACE_HELP = "Force a rebuild of this address (repeatable)."
REFRESH_HELP = "'remote': also ask the DVC remote which recorded artifacts it holds."
# The options that take no value, by the `run_plan` argument each one sets to True.
FLAGS = {"--json": "json_", "--detailed-exitcode": "detailed_exitcode"}


def refresh_remote(value: str | None) -> bool:
    """`--refresh remote` -> True; anything else is a usage error."""
    if value in (None, ""):
        return False
    if value != "remote":
        import typer

        raise typer.BadParameter(f"unknown refresh {value!r} (only: remote)")
    return True


FORMATS = ("text", "json", "markdown")


def check_format(format_: str) -> None:
    """Refuse an unknown `--format` as a usage error (typer.BadParameter: exit 1)."""
    if format_ not in FORMATS:
        import typer

        raise typer.BadParameter(f"unknown format {format_!r} ({', '.join(FORMATS)})")


def run_plan(
    overrides: list[str] | None = None,
    target: list[str] | tuple[str, ...] = (),
    replace: list[str] | tuple[str, ...] = (),
    json_: bool = False,
    format_: str = "text",
    detailed_exitcode: bool = False,
    refresh: str | None = None,
    out: str | None = None,
) -> int:
    """Make the plan, save it (`out`), print it in its format; the exit code."""
    from mlcode import api

    check_format(format_)  # a usage mistake: before anything is planned or saved
    outcome = api.plan(
        targets=target,
        replace=replace,
        overrides=overrides or (),
        refresh_remote=refresh_remote(refresh),
    )
    if out:
        if overrides:
            from mlcode.errors import MlcodeError

            raise MlcodeError(
                "a plan with overrides cannot be saved", "commit the change to the spec"
            )
        api.save_plan(outcome, out, target, replace)
    if json_ or format_ == "json":
        from mlcode.cli.output import print_json
        from mlcode.report.json import plan_to_dict

        print_json(plan_to_dict(outcome.plan))
    elif format_ == "markdown":
        from mlcode.report.markdown import render_markdown

        sys.stdout.write(render_markdown(outcome.plan))
    else:
        from mlcode.report.text import plain_plan

        plain = plain_plan(outcome.plan)
        if plain is not None:  # nothing in colour: no Rich to import
            sys.stdout.write(plain)
        else:
            from mlcode.cli.output import console
            from mlcode.report.text import render_plan

            console().print(render_plan(outcome.plan), end="")
    return 2 if detailed_exitcode and outcome.plan.has_changes else 0


def register(app: typer.Typer) -> None:
    import typer

    @app.command("plan")
    def plan(
        overrides: list[str] = typer.Argument(
            None, help="What-if overrides, ADDRESS:KEY=VALUE (Hydra grammar)."
        ),
        target: list[str] = typer.Option([], "--target", help=TARGET_HELP),
        replace: list[str] = typer.Option([], "--replace", help=REPLACE_HELP),
        json_: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
        format_: str = typer.Option(
            "text", "--format", help="text, json or markdown (a pull-request comment)."
        ),
        detailed_exitcode: bool = typer.Option(
            False, "--detailed-exitcode", help="Exit 2 when the plan has changes."
        ),
        refresh: str = typer.Option(None, "--refresh", help=REFRESH_HELP),
        out: str = typer.Option(
            None, "--out", help="Save the plan, bound to HEAD, specs and registry, for apply."
        ),
    ) -> int:
        """Compare the specs with what was built and show every change and its reason.

        Example: mlcode plan --target model.wine_rf model.wine_rf:estimator.n_estimators=300

        Example: mlcode plan --refresh remote

        Example: mlcode plan --out plan.json && mlcode apply plan.json
        """
        return run_plan(overrides, target, replace, json_, format_, detailed_exitcode, refresh, out)
