"""Shared CLI output helpers: one Rich console per stream, NO_COLOR respected by Rich."""

from __future__ import annotations

import json
import sys
from typing import Any


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def ask(question: str) -> str:
    """Write `question` to stdout and return the line typed on stdin (without its end).
    Raises EOFError at end of input, KeyboardInterrupt on Ctrl-C.

    Waits in short `select` slices rather than in `input()`: a Ctrl-C that arrives after
    the question is written but before `input()` starts reading is otherwise lost
    (CPython checks signals there only when the read is interrupted), and the prompt
    would ignore it until Enter."""
    import select

    sys.stdout.write(question)
    sys.stdout.flush()
    while not select.select([sys.stdin], [], [], 0.1)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
