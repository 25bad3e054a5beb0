"""A safe, bounded YAML reader: no Python tags, few aliases, small files.

Hydra and OmegaConf expand aliases eagerly (a 248-byte alias bomb took seconds), so every
file is checked here before either library reads it.
"""

from __future__ import annotations

from typing import Any

import yaml

from mlcode.errors import SpecProblem

MAX_BYTES = 1 << 20
MAX_ALIASES = 64
MAX_DEPTH = 64

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRejected(Exception):
    """The text is not acceptable YAML; `key` is '' or where the problem is, `reason` why."""

    def __init__(self, reason: str, key: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def load_text(text: str) -> Any:
    """Parse `text` safely, refusing oversized input, alias bombs and deep nesting."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YamlRejected(f"file larger than {MAX_BYTES} bytes")
    try:
        aliases = depth = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlRejected(f"more than {MAX_ALIASES} YAML aliases")
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRejected(f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise YamlRejected(f"invalid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise YamlRejected(f"invalid YAML: {exc}") from None


def load_file(path: str, rel: str) -> tuple[Any, SpecProblem | None]:
    """Read and parse a file; return (data, None) or (None, the problem naming `rel`)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        return None, SpecProblem(rel, "", f"cannot read: {exc}")
    try:
        return load_text(text), None
    except YamlRejected as exc:
        return None, SpecProblem(rel, exc.key, exc.reason)
