"""Git edge: plumbing through the `git` command, plus a fast HEAD read from `.git`.

GitPython costs 0.2 s to import; plan needs only HEAD, which is read from files here.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from mlcode.errors import GitError
from mlcode.fsutil import stat_key
from mlcode.killpoint import kill_point

FALLBACK_IDENTITY = ("mlcode", "mlcode@localhost")


# How to get a readable state record back; `git checkout -- FILE` refuses an unmerged
# path, naming a side works mid-merge too (plan then shows what the merged spec needs).
RESTORE_RECORD_HINT = (
    "restore each from Git: `git checkout HEAD -- FILE` (this branch's version; in a "
    "merge, `git checkout --theirs -- FILE` takes the other side's), then `mlcode plan`"
)


def git(root: Path, *args: str, input: str | None = None, env: dict | None = None) -> str:
    """Run `git args` in `root`; return stdout; raise GitError with git's message."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed", "install git and re-run") from None
    if done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip()
        raise GitError(f"git {args[0]} failed: {message}", "see the git message above")
    return done.stdout


def find_root(start: Path) -> Path | None:
    """The work-tree root containing `start` (a directory with `.git`), or None."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def head_commit(root: Path) -> str | None:
    """HEAD's commit id read from `.git` files (None before the first commit)."""
    gitdir = root / ".git"
    if gitdir.is_file():  # worktree or submodule: let git answer
        try:
            return git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
        except GitError:
            return None
    try:
        head = (gitdir / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref: "):
        return head or None
    ref = head[5:]
    try:
        return (gitdir / ref).read_text().strip() or None
    except OSError:
        pass
    try:
        for line in (gitdir / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref) and not line.startswith(("#", "^")):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None


# Environment variables that make `git` read another repository or other objects than
# the files under `.git` say.
_REDIRECTS = (
    "GIT_DIR",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
)


def refs_signature(root: Path, refs: Iterable[str]) -> list | None:
    """The stat of each of `refs`' loose files (`refs/heads/main`...), of `packed-refs`
    and of `refs/replace`: while it holds, the refs name the same commits and so the
    same trees. None when refs are not kept in those files (`.git` is a file: worktree
    or submodule; a reftable) or the environment points `git` elsewhere."""
    gitdir = root / ".git"
    if not gitdir.is_dir() or (gitdir / "reftable").exists():
        return None
    if any(name in os.environ for name in _REDIRECTS):
        return None
    files = [*refs, "packed-refs", "refs/replace"]
    return [stat_key(os.path.join(gitdir, name)) for name in files]


def current_branch(root: Path) -> str | None:
    """The checked-out branch name, or None when HEAD is detached."""
    try:
        head = (root / ".git" / "HEAD").read_text().strip()
    except OSError:
        return None
    return head[len("ref: refs/heads/") :] if head.startswith("ref: refs/heads/") else None


def identity_args(root: Path) -> list[str]:
    """`-c user.name=… -c user.email=…` when Git has no identity configured, else []."""
    name = _config(root, "user.name")
    email = _config(root, "user.email")
    if name and email:
        return []
    return [
        "-c",
        f"user.name={name or FALLBACK_IDENTITY[0]}",
        "-c",
        f"user.email={email or FALLBACK_IDENTITY[1]}",
    ]


def _config(root: Path, key: str) -> str:
    try:
        return git(root, "config", "--get", key).strip()
    except GitError:
        return ""


def commit_paths(root: Path, paths: list[str], message: str) -> str | None:
    """Commit exactly `paths` (additions, changes, deletions) and nothing else.

    Uses a temporary index seeded from HEAD, so whatever the user staged stays staged
    and uncommitted; returns the new commit id, or None when nothing differed from HEAD.
    """
    head = head_commit(root)
    index = root / ".mlcode" / "commit-index"
    index.parent.mkdir(parents=True, exist_ok=True)
    for stale in (index, index.with_name("commit-index.lock")):  # a killed apply's
        stale.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    commit = None
    try:
        if head:
            git(root, "read-tree", head, env=env)
        # A path neither in HEAD nor in the work tree (only in the real index, where a
        # killed apply left it) has nothing to add, and `git add` would refuse it.
        known = set(git(root, "ls-files", "-z", "--", *paths, env=env).split("\0"))
        present = [p for p in paths if p in known or (root / p).exists()]
        if present:
            git(root, "add", "-A", "--", *present, env=env)
        tree = git(root, "write-tree", env=env).strip()
        kill_point("commit.index")
        if not head or tree != git(root, "rev-parse", f"{head}^{{tree}}").strip():
            parents = ["-p", head] if head else []
            commit = git(
                root, *identity_args(root), "commit-tree", tree, *parents, input=message
            ).strip()
            kill_point("commit.object")
            git(root, "update-ref", "-m", "mlcode apply", "HEAD", commit, *parents[1:])
            kill_point("commit.ref")
    finally:
        index.unlink(missing_ok=True)
    # Make the real index agree with HEAD for these paths only (also when an apply
    # killed after moving HEAD left them staged the other way round).
    git(root, "reset", "-q", "--", *paths)
    return commit


# Git's markers of an operation that stopped half-way, with how to finish or abort it.
_IN_PROGRESS = (
    ("MERGE_HEAD", "a merge", "resolve the conflicts and `git commit`, or `git merge --abort`"),
    ("rebase-merge", "a rebase", "finish it (`git rebase --continue`) or `git rebase --abort`"),
    (
        "rebase-apply",
        "a rebase or `git am`",
        "`git rebase --continue` / `git am --continue`, or `--abort`",
    ),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "`git cherry-pick --continue` or `--abort`"),
    ("REVERT_HEAD", "a revert", "`git revert --continue` or `git revert --abort`"),
    (
        "sequencer",
        "a cherry-pick or revert sequence",
        "`git cherry-pick --continue` (or `git revert --continue`), or `--abort`",
    ),
    ("BISECT_LOG", "a bisect", "`git bisect reset`"),
)


def operation_in_progress(root: Path) -> tuple[str, str] | None:
    """(what is going on, how to finish or abort it) when a merge, rebase, cherry-pick,
    revert or bisect stopped half-way or the index holds unmerged paths; None when Git
    is at rest.

    Asked through plumbing (`rev-parse --git-path`, `ls-files -u`), so linked worktrees
    and a relocated `.git` answer too."""
    names = [name for name, _what, _how in _IN_PROGRESS]
    args = [a for name in names for a in ("--git-path", name)]
    try:
        paths = git(root, "rev-parse", *args).splitlines()
    except GitError:
        return None  # not a repository (yet): nothing can be in progress
    for (_name, what, how), path in zip(_IN_PROGRESS, paths, strict=True):
        if (root / path).exists():
            return f"{what} is in progress", how
    unmerged = sorted({line.split("\t", 1)[1] for line in _unmerged(root)})
    if unmerged:
        more = f" and {len(unmerged) - 1} more" if len(unmerged) > 1 else ""
        return (
            f"the index has unmerged paths ({unmerged[0]}{more})",
            "resolve each file and `git add` it (or take a side with `git checkout "
            "--ours|--theirs -- FILE`)",
        )
    return None


def _unmerged(root: Path) -> list[str]:
    out = git(root, "ls-files", "-u", "-z")
    return [entry for entry in out.split("\0") if entry]


def refuse_mid_operation(root: Path, doing: str) -> None:
    """Raise GitError when `operation_in_progress`: mlcode writes records, commits and
    tags through its own index, so Git's own unmerged-path check would never run and a
    half-merged file (conflict markers) would be committed."""
    busy = operation_in_progress(root)
    if busy is None:
        return
    what, how = busy
    raise GitError(
        f"cannot {doing}: {what}",
        f"finish or abort it first ({how}), then run mlcode again; `mlcode plan` works meanwhile",
    )


# The state records' merge driver (`mlcode.state.merge`) as Git knows it: its name and
# the `.gitattributes` line that hands it the records. Git configuration, so it lives
# here: `mlcode.state` imports this module, never the other way round.
MERGE_DRIVER = "mlcode-record"
MERGE_ATTRIBUTES = f"artifacts/*/*.dvc merge={MERGE_DRIVER}"


def register_merge_driver(root: Path, attributes_too: bool = True) -> list[str]:
    """Have Git merge state records with `mlcode merge-record` (`mlcode.state.merge`):
    the attribute in `.gitattributes` (committed, shared) and the driver in the local
    config (never cloned: apply registers it in a clone whose `.gitattributes` names
    it, with `attributes_too=False`). Returns what changed."""
    changed = []
    attributes = root / ".gitattributes"
    lines = attributes.read_text().splitlines() if attributes.exists() else []
    if MERGE_ATTRIBUTES not in lines and not attributes_too:
        return []
    if MERGE_ATTRIBUTES not in lines:
        attributes.write_text("\n".join([*lines, MERGE_ATTRIBUTES]) + "\n")
        changed.append(".gitattributes")
    command = "mlcode merge-record %O %A %B"
    if _config(root, f"merge.{MERGE_DRIVER}.driver") != command:
        git(root, "config", f"merge.{MERGE_DRIVER}.name", "mlcode state record")
        git(root, "config", f"merge.{MERGE_DRIVER}.driver", command)
        changed.append(f"git config merge.{MERGE_DRIVER}.driver")
    return changed


def git_locks(root: Path) -> list[Path]:
    """Git's lock files in this repository: the index, HEAD, packed-refs and refs."""
    gitdir = root / ".git"
    if not gitdir.is_dir():
        return []
    top = [gitdir / n for n in ("index.lock", "HEAD.lock", "packed-refs.lock")]
    return [p for p in top if p.exists()] + sorted((gitdir / "refs").rglob("*.lock"))


def clear_stale_locks(root: Path, since: float) -> list[str]:
    """Remove Git lock files created since `since` (when a now dead apply took the apply
    lock): its `git` was killed holding them, and Git would refuse every later write.
    Returns the paths removed, relative to the root."""
    removed = []
    for path in git_locks(root):
        try:
            if path.stat().st_mtime >= since:
                path.unlink()
                removed.append(path.relative_to(root).as_posix())
        except OSError:
            continue
    return removed


def changed_paths(root: Path, paths: list[str]) -> list[str]:
    """Those of `paths` whose working-tree state differs from HEAD (or are untracked)."""
    if not paths:
        return []
    return _status(root, "--", *paths)


def dirty_paths(root: Path) -> list[str]:
    """Paths whose work-tree state differs from HEAD, untracked files included."""
    return _status(root)


def _status(root: Path, *args: str) -> list[str]:
    """Paths `git status` lists (a rename as its two paths; NUL-separated, unquoted)."""
    out = git(root, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", *args)
    return sorted({entry[3:] for entry in out.split("\0") if entry})


def uncommitted_inputs(
    root: Path, covered: Iterable[str] | None = None, ignore: frozenset[str] = frozenset()
) -> list[str]:
    """Uncommitted changes that keep registration waiting: those of the files the
    fingerprints cover (`covered`: spec and group files, settings, code, sources; every
    file under `conf/` counts too), or, when `covered` is None, of any file but what is
    under `artifacts/` (state records and `.gitignore`s, which apply commits itself, and
    artifact files, which a killed apply may have published before ignoring them).
    Bytecode and `ignore` never count. An unrelated untracked notebook does not block."""
    wanted = None if covered is None else set(covered)
    return [
        p
        for p in dirty_paths(root)
        if not p.startswith("artifacts/")
        and "__pycache__/" not in p  # bytecode of the project's own modules
        and p not in ignore
        and (wanted is None or p in wanted or p.startswith("conf/"))
    ]


def cat_blobs(root: Path, names: list[str]) -> list[str | None]:
    """Contents of `rev:path` objects in one `git cat-file --batch` (None if missing)."""
    done = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=root,
        input=("\n".join(names) + "\n").encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise GitError(f"git cat-file failed: {done.stderr.decode().strip()}")
    out, pos = done.stdout, 0
    blobs: list[str | None] = []
    for _name in names:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3:  # "<name> missing"
            blobs.append(None)
            continue
        size = int(header[2])
        blobs.append(out[pos : pos + size].decode("utf-8", "replace"))
        pos += size + 1
    return blobs
