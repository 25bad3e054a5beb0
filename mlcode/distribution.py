"""The installed mlcode distribution (edge): its name, version and where it was
installed from (PEP 610 `direct_url.json`), read from the package metadata.

The import package and the command are `mlcode`; the distribution is `mlcode-iac`,
because `mlcode` on the public index is an unrelated project.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DISTRIBUTION = "mlcode-iac"


@dataclass(frozen=True)
class Installed:
    """One installed distribution: `direct_url` is its PEP 610 record (None when it came
    from a package index); `extras` are those of its extras whose requirements are all
    installed too (so a workflow installs the same set)."""

    name: str
    version: str
    direct_url: dict[str, Any] | None
    extras: tuple[str, ...] = ()


def installed() -> Installed | None:
    """The distribution that installed the `mlcode` import package: `mlcode-iac`, or,
    failing that, whichever distribution provides `mlcode` (an install made before the
    rename). Only what an installer installed counts (it writes INSTALLER): an
    `*.egg-info` left in a source tree on the path says nothing of where mlcode came
    from. None when mlcode runs from a source tree that was never installed."""
    from importlib import metadata

    names = [DISTRIBUTION, *metadata.packages_distributions().get("mlcode", [])]
    for name in dict.fromkeys(names):
        for dist in metadata.distributions(name=name):
            if dist.read_text("INSTALLER") is None:
                continue
            text = dist.read_text("direct_url.json")
            return Installed(
                name=dist.metadata["Name"],
                version=dist.version,
                direct_url=json.loads(text) if text else None,
                extras=_installed_extras(dist),
            )
    return None


def installed_version() -> str | None:
    """The installed version from the package metadata (None: not installed)."""
    found = installed()
    return found.version if found is not None else None


def _installed_extras(dist: Any) -> tuple[str, ...]:
    """The extras (other than test and dev) whose every requirement is installed."""
    from importlib import metadata

    complete: dict[str, bool] = {}
    for line in dist.requires or []:
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", line)
        if extra is None or extra.group(1) in ("test", "dev"):
            continue
        name = re.match(r"[A-Za-z0-9._-]+", line).group(0)  # type: ignore[union-attr]
        try:
            metadata.distribution(name)
            present = True
        except metadata.PackageNotFoundError:
            present = False
        complete[extra.group(1)] = complete.get(extra.group(1), True) and present
    return tuple(sorted(extra for extra, present in complete.items() if present))
