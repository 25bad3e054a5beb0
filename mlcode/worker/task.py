"""Build tasks and results: plain picklable values crossing the process boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BuildTask:
    """Build one resource into `out_dir` (a fresh temp directory inside the repo).

    `upstream` maps upstream dataset names to their artifact directories; `seed` is
    derived from the address and given to estimators the spec leaves unseeded.
    """

    address: str
    kind: str
    spec: dict[str, Any]
    root: str
    out_dir: str
    log_path: str
    upstream: dict[str, str] = field(default_factory=dict)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a worker reports: success with metrics, or a one-line error (the traceback
    is in the log file)."""

    address: str
    ok: bool
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
