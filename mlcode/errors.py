"""The one exception tree of mlcode; every expected failure is an MlcodeError.

    MlcodeError(message, hint)
     ├── SpecError        a spec or the settings are invalid (carries every problem found)
     ├── PlanError        a plan cannot be made or a saved plan is stale
     ├── LockError        another apply holds the repository lock
     ├── StorageError     DVC could not store, restore or find an artifact
     ├── GitError         a Git command failed
     └── ApplyRefused     apply was not confirmed

CorruptCacheWarning (a UserWarning, not an error): a corrupt cache object was replaced.

The CLI maps an MlcodeError to one compact message and exit code 1; anything else is a
bug and shows a traceback only with MLCODE_DEBUG=1.
"""

from __future__ import annotations

from dataclasses import dataclass


class MlcodeError(Exception):
    """An expected failure: `message` says what went wrong, `hint` what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class SpecProblem:
    """One problem in one spec file: `file` is repo-relative, `key` a dotted path or ''."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class SpecError(MlcodeError):
    """One or more specs are invalid; `problems` lists all of them, not just the first."""

    def __init__(self, problems: list[SpecProblem] | tuple[SpecProblem, ...]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"{count} spec {noun}:\n{lines}", "fix the spec files named above, then re-run"
        )


class PlanError(MlcodeError):
    """A plan cannot be made (for example an unknown --target address)."""


class LockError(MlcodeError):
    """Another mlcode apply holds the repository lock."""


class StorageError(MlcodeError):
    """DVC could not store, restore or locate an artifact."""


class GitError(MlcodeError):
    """A git command failed."""


class ApplyRefused(MlcodeError):
    """Apply was not confirmed (declined, or no TTY and no --auto-approve)."""


class CorruptCacheWarning(UserWarning):
    """A DVC cache object did not match its name: it was moved to `.mlcode/quarantine/`
    and an intact copy was used instead (the message says which, where and how)."""
