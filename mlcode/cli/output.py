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
