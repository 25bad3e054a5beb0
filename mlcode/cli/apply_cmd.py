"""`mlcode apply`: carry out the plan (asks first unless --auto-approve)."""

from __future__ import annotations

import sys

import typer

from mlcode.cli.plan_cmd import REFRESH_HELP, REPLACE_HELP, TARGET_HELP, refresh_remote


def register(app: typer.Typer) -> None:
    @app.command("apply")
    def apply(
        args: list[str] = typer.Argument(
            None,
            help="A plan saved by `mlcode plan --out FILE` (apply exactly that), or "
            "what-if overrides ADDRESS:KEY=VALUE (imply --preview).",
        ),
        target: list[str] = typer.Option([], "--target", help=TARGET_HELP),
        replace: list[str] = typer.Option([], "--replace", help=REPLACE_HELP),
        auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask."),
        jobs: int = typer.Option(0, "--jobs", "-j", help="Parallel builds (0 = settings/cores)."),
        lock_timeout: float = typer.Option(
            0.0, "--lock-timeout", help="Seconds to wait for another apply (0 = refuse)."
        ),
        no_commit: bool = typer.Option(
            False, "--no-commit", help="Record but do not commit (registration waits)."
        ),
        git_push: bool = typer.Option(
            False, "--git-push", help="Push the commit and the new tags to origin, atomically."
        ),
        no_push: bool = typer.Option(
            False, "--no-push", help="Do not upload new artifacts to the DVC remote."
        ),
        refresh: str = typer.Option(None, "--refresh", help=REFRESH_HELP),
        preview: bool = typer.Option(
            False,
            "--preview",
            help="Build the changes into the cache and score their gates; record, commit, "
            "push and tag nothing (the pull-request view).",
        ),
        format_: str = typer.Option("text", "--format", help="--preview: text, json, markdown."),
        summary_file: str = typer.Option(
            None, "--summary-file", help="--preview: also append the full Markdown here."
        ),
    ) -> int:
        """Build what the plan says, store artifacts through DVC, commit the records, then
        (on the registry branch, clean tree) register versions and move stages as tags.

        Exit codes: 0 ok; 1 error or a failed build; 3 a promotion blocked by a gate.

        Example: mlcode apply --auto-approve --jobs 2

        Example: mlcode plan --out plan.json && mlcode apply plan.json
        """
        from mlcode import api
        from mlcode.cli.output import ask, console
        from mlcode.errors import ApplyRefused
        from mlcode.report.text import render_event, render_plan

        out = console()
        err = console(stderr=True)
        overrides = [a for a in args or [] if _is_override(a)]
        files = [a for a in args or [] if not _is_override(a)]
        if len(files) > 1:
            raise typer.BadParameter(f"one saved plan at most, got {', '.join(files)}")
        plan_file = files[0] if files else None
        if preview or overrides:
            return _preview(target, replace, overrides, jobs, lock_timeout, format_, summary_file)

        def confirm(plan) -> bool:
            out.print(render_plan(plan), end="")
            if auto_approve:
                return True
            if not sys.stdin.isatty():
                raise ApplyRefused(
                    "no terminal to confirm on", "pass --auto-approve to apply without asking"
                )
            return ask("\nApply these changes? Only 'yes' is accepted: ").strip() == "yes"

        def on_event(event) -> None:
            line = render_event(event)
            if line is not None:
                out.print(line)

        options = api.ApplyOptions(
            targets=tuple(target),
            replace=tuple(replace),
            jobs=jobs or None,
            lock_timeout=lock_timeout,
            commit=not no_commit,
            push=not no_push,
            git_push=git_push,
            refresh_remote=refresh_remote(refresh),
            plan_file=plan_file,
        )
        outcome = api.apply(options=options, confirm=confirm, on_event=on_event)
        if not outcome.applied:
            out.print(render_plan(outcome.plan), end="")
        result = outcome.result
        if result is not None and result.failed:
            for address, (error, log) in result.failed.items():
                err.print(f"Error: {address} failed: {error}" + (f"\n  log: {log}" if log else ""))
        if outcome.remote:
            out.print(f"Pushed {outcome.pushed_objects} new objects to {outcome.remote}.")
        if outcome.commit:
            out.print(f"Committed state records as {outcome.commit[:12]}.")
        registry = outcome.registry
        if registry is not None:
            for name, version in registry.registered.items():
                out.print(f"Registered {name} {version}.")
            for move in registry.moves:
                out.print(f"Stage {move}.")
            for blocked in registry.blocked:
                err.print(f"Blocked: {blocked}")
        for note in outcome.notes:
            out.print(f"Note: {note}")
        if outcome.pushed:
            out.print("Pushed the branch and the new tags to origin.")
        if result is not None:
            done, failed = len(result.records), len(result.failed)
            out.print(
                f"Apply complete: {done} done, {failed} failed, {len(result.skipped)} skipped."
            )
        return outcome.exit_code


def _is_override(arg: str) -> bool:
    head, colon, rest = arg.partition(":")
    return bool(colon) and "." in head and ("=" in rest or rest.startswith("~"))


def _preview(target, replace, overrides, jobs, lock_timeout, format_, summary_file) -> int:
    """`apply --preview`: build into the cache, score gates, print the enriched plan."""
    from mlcode import api
    from mlcode.cli.output import console, print_json
    from mlcode.report.json import plan_to_dict
    from mlcode.report.markdown import render_markdown
    from mlcode.report.text import render_event, render_plan

    if format_ not in ("text", "json", "markdown"):
        raise typer.BadParameter(f"unknown format {format_!r} (text, json, markdown)")
    err = console(stderr=True)

    def on_event(event) -> None:  # progress goes to stderr: stdout is the view
        line = render_event(event)
        if line is not None:
            err.print(line)

    outcome = api.preview(
        targets=target,
        replace=replace,
        overrides=overrides,
        jobs=jobs or None,
        on_event=on_event,
        lock_timeout=lock_timeout,
    )
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(outcome.plan, "mlcode preview", limit=None))
    if format_ == "json":
        print_json(plan_to_dict(outcome.plan))
    elif format_ == "markdown":
        sys.stdout.write(render_markdown(outcome.plan, "mlcode preview"))
    else:
        console().print(render_plan(outcome.plan, metrics=True), end="")
    if outcome.result is not None:
        for address, (error, log) in outcome.result.failed.items():
            err.print(f"Error: {address} failed: {error}" + (f"\n  log: {log}" if log else ""))
    for note in outcome.notes:
        err.print(f"Note: {note}")
    return outcome.exit_code
