"""`mlcode apply`: carry out the plan (asks first unless --auto-approve)."""

from __future__ import annotations

import sys

import typer

from mlcode.cli.plan_cmd import REFRESH_HELP, REPLACE_HELP, TARGET_HELP, refresh_remote


def register(app: typer.Typer) -> None:
    @app.command("apply")
    def apply(
        plan_file: str = typer.Argument(
            None, help="A plan saved by `mlcode plan --out FILE`: apply exactly that."
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
    ) -> int:
        """Build what the plan says, store artifacts through DVC, commit the records, then
        (on the registry branch, clean tree) register versions and move stages as tags.

        Exit codes: 0 ok; 1 error or a failed build; 3 a promotion blocked by a gate.

        Example: mlcode apply --auto-approve --jobs 2

        Example: mlcode plan --out plan.json && mlcode apply plan.json
        """
        from mlcode import api
        from mlcode.cli.output import console
        from mlcode.errors import ApplyRefused
        from mlcode.report.text import render_event, render_plan

        out = console()
        err = console(stderr=True)

        def confirm(plan) -> bool:
            out.print(render_plan(plan), end="")
            if auto_approve:
                return True
            if not sys.stdin.isatty():
                raise ApplyRefused(
                    "no terminal to confirm on", "pass --auto-approve to apply without asking"
                )
            answer = typer.prompt("\nApply these changes? Only 'yes' is accepted", default="")
            return answer.strip() == "yes"

        def on_event(event) -> None:
            line = render_event(event)
            if line is not None:
                out.print(line)

        outcome = api.apply(
            targets=target,
            replace=replace,
            jobs=jobs or None,
            confirm=confirm,
            on_event=on_event,
            lock_timeout=lock_timeout,
            commit=not no_commit,
            git_push=git_push,
            push=not no_push,
            refresh_remote=refresh_remote(refresh),
            plan_file=plan_file,
        )
        if not outcome.applied:
            out.print(render_plan(outcome.plan), end="")
        result = outcome.result
        if result is not None and result.failed:
            for address, (error, log) in result.failed.items():
                err.print(f"Error: {address} failed: {error}\n  log: {log}")
        if outcome.remote:
            out.print(f"Pushed {outcome.pushed_objects} new objects to {outcome.remote}.")
        if outcome.commit:
            out.print(f"Committed state records as {outcome.commit[:12]}.")
        registry = outcome.registry
        if registry is not None:
            for address, version in registry.registered.items():
                out.print(f"Registered {address} {version}.")
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
