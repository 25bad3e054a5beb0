"""Whether the DVC remote is shared with the team, read from DVC's config files (edge:
reads `.dvc/config`, `.dvc/config.local`; imports no DVC, so a fast plan stays fast).

A remote is local to one machine when its URL is a path on this machine (a teammate's
clone cannot reach it, unless it is a mount they share too), or when it is configured
only in `.dvc/config.local`, which Git does not carry: `mlcode init`'s default remote is
both. Commands that move artifacts between machines (init, plan's pull note, pull,
doctor) say so, with `SHARED_REMOTE_FIX`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHARED_REMOTE_FIX = (
    "to share artifacts, set a remote every clone can reach: `dvc remote add -d NAME "
    "s3://BUCKET/PATH` (written to .dvc/config; commit it), or `remote: s3://BUCKET/PATH` "
    "in conf/mlcode.yaml"
)


@dataclass(frozen=True, slots=True)
class RemoteScope:
    """The remote a clone of this repository would use, and why a teammate could not.

    `name` is the DVC remote's name (None when `remote:` in the settings is a URL, or
    none is configured); `url` its URL (None: no remote); `problem` one sentence saying
    why the remote is not shared (None when it is)."""

    name: str | None
    url: str | None
    problem: str | None

    @property
    def warning(self) -> str | None:
        """`problem` with how to fix it, or None."""
        return f"{self.problem}; {SHARED_REMOTE_FIX}" if self.problem else None


def remote_scope(root: Path, setting: str | None) -> RemoteScope:
    """The scope of the remote that `setting` (`remote:` in conf/mlcode.yaml: a DVC
    remote name or a URL) or else DVC's default remote names."""
    shared = _read(root / ".dvc" / "config")
    local = _read(root / ".dvc" / "config.local")
    shared_urls, local_urls = _remotes(shared), _remotes(local)
    urls = {**shared_urls, **local_urls}
    url: str | None
    if setting and setting not in urls:
        # A URL in the committed settings: shared unless it is a path on this machine.
        name, url, only_local = None, setting, False
    else:
        name = (
            setting or local.get("core", {}).get("remote") or shared.get("core", {}).get("remote")
        )
        if not name:
            return RemoteScope(
                None,
                None,
                "no DVC remote is configured in .dvc/config (a remote that `mlcode init` "
                "made on another machine is recorded only in that machine's "
                ".dvc/config.local, which Git does not share)",
            )
        url = urls.get(name)
        only_local = name not in shared_urls or (
            not setting and not shared.get("core", {}).get("remote")
        )
    label = f"the DVC remote '{name}' ({url})" if name else f"the remote {url}"
    on_disk = url is not None and _is_local_path(url)
    if only_local and on_disk:
        problem = (
            f"{label} is a directory on this machine, configured only in "
            ".dvc/config.local: a teammate's clone has no remote"
        )
    elif only_local:
        problem = (
            f"{label} is configured only in .dvc/config.local, which Git does not share: "
            "a teammate's clone has no remote"
        )
    elif on_disk:
        problem = f"{label} is a directory on this machine: other machines cannot reach it"
    else:
        problem = None
    return RemoteScope(name, url, problem)


def _is_local_path(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def _remotes(config: dict[str, dict[str, str]]) -> dict[str, str | None]:
    """{remote name: url} of one config file's `['remote "NAME"']` sections."""
    out = {}
    for section, values in config.items():
        kind, _, rest = section.partition(" ")
        if kind == "remote" and rest.startswith('"') and rest.endswith('"'):
            out[rest[1:-1]] = values.get("url")
    return out


def _read(path: Path) -> dict[str, dict[str, str]]:
    """A DVC (configobj) config file as {section: {key: value}}; {} when absent. DVC
    writes `['remote "NAME"']` headers and indented `key = value` lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    out: dict[str, dict[str, str]] = {}
    section: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = out.setdefault(line[1:-1].strip().strip("'"), {})
        elif section is not None and "=" in line:
            key, _, value = line.partition("=")
            section[key.strip()] = value.strip().strip("'\"")
    return out
