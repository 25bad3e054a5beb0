"""The Markdown view of a plan, for pull-request comments and job summaries. Pure.

A hidden marker line comes first, so a bot can find and update its one comment. Then a
summary, a table of changes with their reasons, candidate metrics beside the champion's
with deltas, gate outcomes, and each resource's resolved-spec diff in a collapsible
block. Over GitHub's comment limit (65,536 characters) it degrades to a digest that
points to the job summary, which holds the full text.
"""

from __future__ import annotations

from typing import Any

from mlcode.config.fingerprint import canonical, flatten
from mlcode.plan.types import Action, Change, Plan
from mlcode.report.text import SYMBOLS, gate_text, summary_line

MARKER = "<!-- mlcode-plan -->"
COMMENT_LIMIT = 65_536
STATE = {True: "✅", False: "❌", None: "⏳"}


def render_markdown(
    plan: Plan, title: str = "mlcode plan", limit: int | None = COMMENT_LIMIT
) -> str:
    """The full Markdown, or the digest when the full text exceeds `limit` characters
    (None: no limit, as for a job summary)."""
    full = _full(plan, title)
    return full if limit is None or len(full) <= limit else _digest(plan, title, limit, len(full))


def _full(plan: Plan, title: str) -> str:
    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    lines = _head(plan, title)
    if changed:
        lines += ["", *_table(changed)]
    metrics = _metrics(changed)
    if metrics:
        lines += ["", "#### Metrics and gates", "", *metrics]
    diffs = [block for c in changed for block in _spec_diff(c)]
    if diffs:
        lines += ["", "#### Resolved spec changes", "", *diffs]
    lines += _notes(plan)
    return _join(lines)


def _head(plan: Plan, title: str) -> list[str]:
    return [MARKER, f"### {title}", "", f"**{summary_line(plan).strip()}**"]


def _table(changes: list[Change]) -> list[str]:
    rows = ["| | resource | action | version | reasons |", "|:-:|---|---|---|---|"]
    for c in changes:
        symbol = SYMBOLS[c.action][0].strip() or " "
        before = c.before.version if c.before else None
        after = c.after.version if c.after else None
        version = f"{before or 'new'} → {after or 'none'}" if before != after else (after or "")
        reasons = "<br>".join(_cell(r) for r in c.reasons)
        rows.append(f"| {symbol} | `{c.address}` | {c.action.value} | {version} | {reasons} |")
    return rows


def _metrics(changes: list[Change]) -> list[str]:
    rows: list[str] = []
    gates: list[str] = []
    for c in changes:
        promotion = c.promotion or {}
        candidate = dict(c.after.metrics) if c.after else {}
        champion = (promotion.get("champion") or {}).get("metrics", {})
        champion_version = (promotion.get("champion") or {}).get("version", "")
        for name in sorted(set(candidate) | set(champion)):
            new, old = candidate.get(name), champion.get(name)
            delta = f"{new - old:+.4g}" if new is not None and old is not None else ""
            rows.append(
                f"| `{c.address}` | {name} | {_num(new)} | "
                f"{_num(old)}{f' ({champion_version})' if old is not None else ''} | {delta} |"
            )
        if promotion.get("stage") and promotion.get("gates") is not None:
            where = f"`{c.address}` → **{promotion['stage']}**"
            if not promotion["gates"]:
                gates.append(f"- {where}: no gates")
            for gate in promotion["gates"]:
                gates.append(f"- {where}: {STATE[gate['ok']]} {_cell(gate_text(gate))}")
    out: list[str] = []
    if rows:
        out += ["| resource | metric | candidate | champion | Δ |", "|---|---|--:|--:|--:|", *rows]
    if gates:
        out += ["", *gates] if out else gates
    return out


def _spec_diff(change: Change) -> list[str]:
    before = flatten(change.before.spec) if change.before else {}
    after = flatten(change.after.spec) if change.after else {}
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            if key in before:
                lines.append(f"- {key}: {_value(before[key])}")
            if key in after:
                lines.append(f"+ {key}: {_value(after[key])}")
    if not lines:
        return []
    return [
        f"<details><summary><code>{change.address}</code></summary>",
        "",
        "```diff",
        *lines,
        "```",
        "</details>",
        "",
    ]


def _notes(plan: Plan) -> list[str]:
    return ["", *(f"> {_cell(n)}" for n in plan.notes)] if plan.notes else []


def _digest(plan: Plan, title: str, limit: int, size: int) -> str:
    """A short form that fits `limit`: the summary and as many table rows as fit."""
    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    pointer = (
        f"_The full plan ({size:,} characters) is longer than a comment allows: "
        "see this job's summary._"
    )
    head = [*_head(plan, title), "", pointer, ""]
    table = _table(changed)
    budget = limit - len("\n".join(head)) - 200
    kept = table[:2]
    for row in table[2:]:
        if len("\n".join(kept)) + len(row) + 1 > budget:
            break
        kept.append(row)
    dropped = len(table) - len(kept)
    tail = ["", f"_... and {dropped} more changes._"] if dropped else []
    return _join([*head, *kept, *tail])


def _join(lines: list[str]) -> str:
    """Lines as text, without runs of blank lines."""
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    return value if isinstance(value, str) else canonical(value)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"
