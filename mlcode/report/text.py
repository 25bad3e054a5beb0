"""The terminal view: plans, apply progress and summaries as Rich renderables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlcode.plan.types import Action, Plan

# Rich and the apply events are imported where a renderable is made: a plan with nothing
# to show in colour is printed as plain text (`plain_plan`) without either.
if TYPE_CHECKING:
    from rich.text import Text

    from mlcode.apply.events import Event

SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.REBUILD: ("~", "yellow"),
    Action.REUSE: ("↺", "cyan"),
    Action.REPAIR: ("↺", "magenta"),
    Action.PROMOTE: ("⇡", "blue"),
    Action.REGISTER: ("⇡", "blue"),
    Action.RETIRE: ("-", "red"),
    Action.NOOP: (" ", ""),
}
SUMMARY_ORDER = (
    Action.CREATE,
    Action.REBUILD,
    Action.REUSE,
    Action.REPAIR,
    Action.REGISTER,
    Action.PROMOTE,
    Action.RETIRE,
)
VERBS = {
    Action.CREATE: "to create",
    Action.REBUILD: "to rebuild",
    Action.REUSE: "to reuse",
    Action.REPAIR: "to repair",
    Action.REGISTER: "to register",
    Action.PROMOTE: "to promote",
    Action.RETIRE: "to retire",
}


def plain_plan(plan: Plan) -> str | None:
    """The terminal view of a plan that has no change and no note: its summary line, the
    whole of `render_plan` then, which carries no style and needs no Rich to print.
    None for any other plan: print `render_plan`."""
    if plan.has_changes or plan.notes:
        return None
    return summary_line(plan)


def render_plan(plan: Plan, metrics: bool = False) -> Text:
    """Changed resources with their reasons (and with `metrics`, the candidates'
    metrics, as after `apply --preview`), the notes, and one summary line."""
    from rich.text import Text

    out = Text()
    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    if changed:
        out.append("mlcode will perform the following actions:\n\n")
    for change in changed:
        symbol, style = SYMBOLS[change.action]
        out.append(f"  {symbol} ", style=style)
        out.append(str(change.address), style="bold")
        out.append(f"  {change.action.value}\n", style=style)
        for reason in change.reasons:
            out.append(f"      {reason}\n", style="dim")
        if metrics and change.after is not None and change.after.metrics:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(change.after.metrics.items()))
            out.append(f"      metrics: {shown}\n", style="dim")
        for gate in (change.promotion or {}).get("gates", []):
            out.append(f"      gate {gate_text(gate)}\n", style="dim")
    if changed:
        out.append("\n")
    for note in plan.notes:
        out.append(f"Note: {note}\n", style="yellow")
    out.append(summary_line(plan))
    return out


def gate_text(gate: Mapping[str, Any]) -> str:
    """`accuracy >= 0.9: 0.97 ok` / `f1 >= champion - 0.01: pending (known after the build)`."""
    state = {True: "ok", False: "failed", None: "pending"}[gate["ok"]]
    value = "" if gate["value"] is None else f"{gate['value']:.4g} "
    threshold = "" if gate["threshold"] is None else f" (threshold {gate['threshold']:.4g})"
    note = f" ({gate['note']})" if gate.get("note") else ""
    return f"{gate['expr']}: {value}{state}{threshold}{note}"


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    unchanged = counts[Action.NOOP.value]
    if not plan.has_changes:
        noun = "resource" if unchanged == 1 else "resources"
        return f"No changes. {unchanged} {noun} up to date.\n"
    parts = [f"{counts[a.value]} {VERBS[a]}" for a in SUMMARY_ORDER if counts[a.value]]
    return f"Plan: {', '.join(parts)}; {unchanged} unchanged.\n"


def render_event(event: Event) -> Text | None:
    """One progress line per event (None for events that print nothing)."""
    from rich.text import Text

    from mlcode.apply.events import Failed, Skipped, Started, Succeeded

    if isinstance(event, Started):
        symbol, style = SYMBOLS[event.action]
        line = Text(f"{symbol} ", style=style)
        line.append(f"{event.address}: {event.action.value}…")
        return line
    if isinstance(event, Succeeded):
        line = Text("✓ ", style="green")
        line.append(f"{event.address}: {event.how} in {event.seconds:.1f}s")
        if event.metrics:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(event.metrics.items()))
            line.append(f" ({shown})", style="dim")
        return line
    if isinstance(event, Failed):
        line = Text("✗ ", style="red bold")
        line.append(f"{event.address}: {event.error}")
        if event.log:
            line.append(f"\n    log: {event.log}")
        return line
    if isinstance(event, Skipped):
        line = Text("- ", style="dim")
        line.append(f"{event.address}: skipped ({event.reason})")
        return line
    return None
