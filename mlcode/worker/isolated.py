"""Entry point of an isolated build (`mlcode verify`): a BuildTask as JSON on stdin, the
BuildResult as JSON on stdout. Run in a fresh interpreter whose PYTHONPATH is a Git
worktree at the recorded commit, so the project's code is the code that was recorded.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from mlcode.worker import lifeline
from mlcode.worker.runtime import run_task, warm_imports
from mlcode.worker.task import BuildTask


def main() -> None:
    lifeline.bind()  # dies with the `mlcode verify` that started it
    warm_imports()  # as the fork server does: the same modules loaded before any build
    task = BuildTask(**json.loads(sys.stdin.read()))
    result = run_task(task)
    sys.stdout.write(json.dumps(dataclasses.asdict(result)))


# The bootstrap `mlcode verify` runs: import mlcode from its installation first (a
# worktree of a repository that contains an `mlcode/` package must not shadow it), then
# put the worktree first on sys.path for the project's own modules.
BOOTSTRAP = """
import os, sys
tree = os.path.abspath(os.environ["PYTHONPATH"].split(os.pathsep)[0])
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != tree]
from mlcode.worker.isolated import main
sys.path.insert(0, tree)
main()
"""
