"""Moved: observing the registry for plan is refresh's job (`mlcode.refresh`).

It builds plan's `RegistryFacts`, and `mlcode.plan` imports the registry's pure modules,
so here it made a plan <-> registry import cycle. Kept only because `mlcode.api` (being
split into a package) still imports `covered_files` from here; delete this module, and
its `ignore_imports` entries in pyproject.toml, once the api imports it from
`mlcode.refresh`. The import is inside the function so that the registry package never
loads refresh (nor, through it, plan) when imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def covered_files(facts: Iterable[Any]) -> set[str]:
    """`mlcode.refresh.covered_files`."""
    from mlcode.refresh import covered_files as moved

    return moved(facts)
