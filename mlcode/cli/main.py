"""The `mlcode` entry point: builds the Typer app and maps errors to exit codes once.

Exit codes: 0 ok; 1 error (a clear one-line message, never a traceback unless
MLCODE_DEBUG=1); 2 changes present (plan --detailed-exitcode only); 3 a promotion blocked by a gate (apply).
"""

from __future__ import annotations

import os
import sys

import typer

from mlcode.cli import (
    apply_cmd,
    ci_cmd,
    diff_cmd,
    doctor_cmd,
    gc_cmd,
    init_cmd,
    plan_cmd,
    registry_cmd,
    show_cmd,
    transfer_cmd,
    validate_cmd,
    verify_cmd,
)

app = typer.Typer(
    name="mlcode",
    help="Terraform for machine learning: plan and apply datasets and models from specs.\n\n"
    "Example: mlcode plan && mlcode apply",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
for module in (
    init_cmd,
    validate_cmd,
    plan_cmd,
    apply_cmd,
    show_cmd,
    registry_cmd,
    transfer_cmd,
    gc_cmd,
    verify_cmd,
    diff_cmd,
    ci_cmd,
    doctor_cmd,
):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and embedding)."""
    import click

    from mlcode.errors import MlcodeError

    debug = os.environ.get("MLCODE_DEBUG") == "1"
    try:
        value = app(args=argv, prog_name="mlcode", standalone_mode=False)
        return value if isinstance(value, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 1
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except MlcodeError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"Error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"Hint: {exc.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        print(f"Error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("Hint: re-run with MLCODE_DEBUG=1 for the traceback", file=sys.stderr)
        return 1
