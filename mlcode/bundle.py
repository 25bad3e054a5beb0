"""Code bundles (edge): the in-repo files a build's fingerprint covers, content-addressed.

A bundle is a directory laid out like the repository (the code files the scan found,
the `code:` paths and the `source:` data files) plus `BUNDLE_FILE`, which holds the
resolved spec (secrets redacted by mlcode.config.secrets, `${oc.env:...}` kept as text) and the
address. Apply stages one per build from the very bytes the plan fingerprinted and adds
it to the DVC cache as a directory object whose hash the record names (`bundle`); it is
pushed with the artifact. `mlcode verify` (and remote workers) rebuild from it without
the commit, which a squash merge or an uncommitted tree may never have had.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlcode.errors import MlcodeError
from mlcode.fsutil import file_md5

BUNDLE_FILE = ".mlcode-build.json"
BUNDLE_FORMAT = 1


class BundleError(MlcodeError):
    """A bundle could not be staged (a file changed since the plan) or read."""


def stage_bundle(
    root: Path,
    dest: Path,
    address: str,
    spec: Mapping[str, Any],
    files: Mapping[str, str | None],
) -> None:
    """Copy `files` ({repo-relative path: md5 the plan saw}) from `root` into `dest`
    and write `BUNDLE_FILE`; raise BundleError when a file's bytes are no longer the
    ones the plan fingerprinted (the build would not be the one planned)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, md5 in sorted(files.items()):
        if md5 is None:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(root / rel, target)
        except OSError as exc:
            raise BundleError(f"{rel}: cannot read it ({exc.strerror})") from None
        if file_md5(target) != md5:
            raise BundleError(
                f"{rel} changed since the plan", "run `mlcode apply` again to plan it anew"
            )
    meta = {"format": BUNDLE_FORMAT, "address": address, "spec": spec}
    (dest / BUNDLE_FILE).write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n")


def read_bundle(tree: Path) -> dict[str, Any]:
    """`BUNDLE_FILE` of a materialised bundle: {"format", "address", "spec"}."""
    try:
        meta = json.loads((tree / BUNDLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"the code bundle has no readable {BUNDLE_FILE}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"the code bundle is of another format ({meta.get('format')!r})")
    return meta
