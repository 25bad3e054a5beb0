"""The `mlcode` entry point: builds the Typer app and maps errors to exit codes once.

Exit codes: 0 ok; 1 error (a clear one-line message, never a traceback unless
MLCODE_DEBUG=1; a usage error shows the usage line); 2 changes present (plan
--detailed-exitcode only); 3 a promotion blocked by a gate (apply); 130 interrupted (Ctrl-C).

A plain `mlcode plan` (no arguments but the flags in `plan_cmd.FLAGS`) runs without
Typer: importing it and building the command tree take ~30 ms, a third of a no-op plan
of 100 specs. Every other command line (a value, an override, --help, a mistake) goes
through Typer, which defines it.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import typer


@cache
def build_app() -> typer.Typer:
    """The Typer app: every command module registered (imported here, with Typer)."""
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

    @app.callback()
    def _options(
        version: bool = typer.Option(
            False,
            "--version",
            is_eager=True,
            callback=_version,
            help="Print the installed version and exit.",
        ),
    ) -> None:
        """Terraform for machine learning: plan and apply datasets and models from specs.

        Example: mlcode plan && mlcode apply
        """

    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # `mlcode.cli.main.app`, built on first use
        return build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if _plain_plan(args) is not None:
        from mlcode import api

        api.exit_soon()  # this process ends with the plan (see mlcode.collector)
    sys.exit(run(args))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and embedding).

    Usage errors (unknown command or option, missing argument, bad value) print the
    usage line and one error line: exit 1. An interrupt (Ctrl-C anywhere, a prompt
    included) prints one line: exit 130. Nothing else of click's reaches the user.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    flags = _plain_plan(args)
    if flags is not None:
        from mlcode.cli.plan_cmd import run_plan

        json_, detailed = flags.get("json_", False), flags.get("detailed_exitcode", False)
        return _mapped(lambda: run_plan(json_=json_, detailed_exitcode=detailed))
    import typer

    click_errors = _click_exceptions()
    # The command is driven directly (not through typer's `main`), so that an interrupt
    # reaches us as itself: typer's `main` turns it into a silent `Exit(130)`.
    command = typer.main.get_command(build_app())

    def invoke() -> int:
        with command.make_context("mlcode", args) as ctx:
            value = command.invoke(ctx)
        return value if isinstance(value, int) else 0

    try:
        return _mapped(invoke, (typer.Exit, click_errors.ClickException, typer.Abort))
    except typer.Exit as exc:  # --help, --version
        return exc.exit_code
    except click_errors.UsageError as exc:
        if exc.ctx is None:  # e.g. an option without its value: the parser has no context
            exc.ctx = _context_for(command, args)
        exc.show()
        return 1
    except click_errors.ClickException as exc:
        exc.show()
        return 1
    except typer.Abort as exc:  # a click prompt's Ctrl-C or end of input
        if isinstance(exc.__context__, EOFError):
            return _no_answer()
        return _interrupted()


def _plain_plan(args: list[str]) -> dict[str, bool] | None:
    """`run_plan`'s arguments when `args` are `plan` and value-less flags of it only
    (none twice matters: a flag is on or off), else None: Typer parses those."""
    if not args or args[0] != "plan":
        return None
    from mlcode.cli.plan_cmd import FLAGS

    if not all(arg in FLAGS for arg in args[1:]):
        return None
    return {FLAGS[arg]: True for arg in args[1:]}


def _mapped(call: Callable[[], int], passthrough: tuple[type[BaseException], ...] = ()) -> int:
    """`call()`'s exit code, with mlcode's errors, end of input, interrupts and internal
    errors mapped to theirs (`passthrough`: exceptions the caller maps itself)."""
    from mlcode.errors import MlcodeError

    debug = os.environ.get("MLCODE_DEBUG") == "1"
    try:
        return call()
    except passthrough:
        raise
    except EOFError:  # end of input at `output.ask`
        return _no_answer()
    except KeyboardInterrupt:
        return _interrupted()
    except MlcodeError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"Error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"Hint: {exc.hint}", file=sys.stderr)
        return 1
    except Exception as exc:
        if debug:
            raise
        print(f"Error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("Hint: re-run with MLCODE_DEBUG=1 for the traceback", file=sys.stderr)
        return 1


def _click_exceptions():
    """The exceptions module of the click that typer runs on. typer 0.28 bundles its own
    copy (`typer._click`), whose classes are not those of an installed `click`; older
    typers use `click` itself. `typer.BadParameter` comes from whichever it is."""
    import typer

    return sys.modules[typer.BadParameter.__module__]


def _context_for(command, args: list[str]):
    """The context of the (sub)command that `args` name, parsed leniently, so that an
    error raised without one still shows that command's usage (None if unresolvable)."""
    try:
        ctx = command.make_context("mlcode", list(args), resilient_parsing=True)
        while True:
            # click >= 8.2 (and typer's copy) keep them private; older click has no `_`
            protected = (
                ctx._protected_args if hasattr(ctx, "_protected_args") else ctx.protected_args
            )
            rest = [*protected, *ctx.args]
            if not rest or not getattr(ctx.command, "commands", None):
                return ctx
            name, sub, rest = ctx.command.resolve_command(ctx, rest)
            if sub is None:
                return ctx
            ctx = sub.make_context(name, rest, parent=ctx, resilient_parsing=True)
    except Exception:
        return None


def _interrupted() -> int:
    _line_after_prompt()
    print("Interrupted.", file=sys.stderr)
    return 130


def _no_answer() -> int:
    _line_after_prompt()
    print("Aborted: no answer (end of input).", file=sys.stderr)
    return 1


def _line_after_prompt() -> None:
    # On a terminal the cursor may sit after a prompt or "^C": end that line first.
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _version(value: bool) -> None:
    if value:
        import typer

        from mlcode.api import version

        print(f"mlcode {version() or 'unknown (not installed as a distribution)'}")
        raise typer.Exit(0)
