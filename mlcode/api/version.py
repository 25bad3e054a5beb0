"""`mlcode --version`: the installed distribution's version. Alone in its module, so
that printing it imports nothing else of mlcode."""

from __future__ import annotations

from mlcode.distribution import installed_version


def version() -> str | None:
    """The installed mlcode's version, from the package metadata (None: not installed)."""
    return installed_version()
