"""Apply's Git steps (edge): commit the state records (step 4) and, with `--git-push`,
push the commit and the registry tags to origin atomically."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlcode.errors import GitError
from mlcode.plan.types import Action, Plan
from mlcode.registry.gittags import delete_tags, push, read_events, tag_drift
from mlcode.vcs import changed_paths, commit_paths, current_branch
from mlcode.workspace import Repo

if TYPE_CHECKING:
    from mlcode.apply.executor import ApplyResult


def commit_records(repo: Repo, plan: Plan, result: ApplyResult | None) -> str | None:
    """Commit every state record (and DVC's .gitignore) differing from HEAD, nothing
    else: an interrupted apply's leftovers included. The commit, or None."""
    if not (repo.root / "artifacts").exists():
        return None
    paths = [
        p
        for p in changed_paths(repo.root, ["artifacts"])
        if p.endswith(".dvc") or p.endswith("/.gitignore")
    ]
    if not paths:
        return None
    return commit_paths(repo.root, paths, _commit_message(plan, result, paths))


def _commit_message(plan: Plan, result: ApplyResult | None, paths: list[str]) -> str:
    lines = []
    done = result.records if result is not None else {}
    for change in plan.changes:
        if change.action is Action.NOOP:
            continue
        if result is not None and change.address in result.failed:
            lines.append(f"- {change.address}: failed")
        elif change.address in done or change.action is Action.RETIRE:
            lines.append(f"- {change.address}: {change.action.value}")
    if not lines:
        lines = [f"- {p}" for p in paths]
    title = f"mlcode apply: record {len(paths)} state file{'s' if len(paths) != 1 else ''}"
    return title + "\n\n" + "\n".join(lines) + "\n"


def push_to_origin(repo: Repo, created: list[str], commit: str | None) -> None:
    """`--git-push`: the branch and every registry tag, atomically. Tags origin has are
    no-ops; those an interrupted push left behind go now. A tag origin holds on another
    object is refused, never forced.

    A rejected push (origin moved on, or someone pushed a tag of the same name) removes
    the tags this apply `created` (never published: the push is atomic) and keeps the
    `commit`: left behind, they would clash with origin's on every fetch and push. The
    next apply after a pull registers again on top of origin's history."""
    branch = current_branch(repo.root)
    if branch is None:
        raise GitError("cannot push a detached HEAD", "check out the registry branch")
    try:
        push(repo.root, "origin", branch, sorted({e.tag for e in read_events(repo.root)}))
    except GitError as exc:
        removed = delete_tags(repo.root, created)
        message = exc.message
        if removed:
            message += f"\nremoved the tags this apply created, unpushed: {', '.join(removed)}"
        if commit:
            message += f"\nthe commit {commit[:12]} stays"
        raise GitError(message, _push_hint(repo, branch)) from None


def _push_hint(repo: Repo, branch: str) -> str:
    """What to do after a rejected push; names local tags that clash with origin's."""
    hint = (
        "nothing was pushed; get origin's work and tags "
        f"(`git pull --rebase --tags origin {branch}`), then run `mlcode apply --git-push` again: it registers anew on top of it"
    )
    try:
        differ = tag_drift(repo.root).differ
    except GitError:
        return hint
    if differ:
        hint += (
            f"; local tags differ from origin's ({', '.join(differ)}): "
            f"`git tag -d {' '.join(differ)}` then `git fetch --tags`"
        )
    return hint
