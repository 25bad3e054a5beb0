"""A safe, bounded YAML reader: no Python tags, few aliases, small files.

Hydra and OmegaConf expand aliases eagerly (a 248-byte alias bomb took seconds), so every
file is checked here before either library reads it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mlcode.errors import SpecProblem

MAX_BYTES = 1 << 20
MAX_ALIASES = 64
MAX_DEPTH = 64
# Nodes after expanding aliases: OmegaConf builds ~10k nodes a second here, so a few
# aliases that each repeat a big anchor would take seconds even under MAX_ALIASES.
MAX_NODES = 10_000


@cache
def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported on first use: a plan that finds every
    spec and record in its caches parses no YAML and does not import it."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRejected(Exception):
    """The text is not acceptable YAML; `key` is '' or where the problem is, `reason` why."""

    def __init__(self, reason: str, key: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def load_text(text: str) -> Any:
    """Parse `text` safely, refusing oversized input, alias bombs and deep nesting.

    A refusal names the dotted key where the limit was crossed.
    """
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YamlRejected(f"file larger than {MAX_BYTES} bytes")
    yaml, loader = _yaml()
    try:
        _check_events(text)
        return yaml.load(text, Loader=loader)  # a SafeLoader (CSafeLoader when built)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise YamlRejected(f"invalid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise YamlRejected(f"invalid YAML: {exc}") from None


class _Frame:
    __slots__ = ("index", "is_map", "key", "want_key")

    def __init__(self, is_map: bool) -> None:
        self.is_map = is_map
        self.want_key = True
        self.key = ""
        self.index = -1

    def label(self) -> str:
        return self.key if self.is_map else f"[{self.index}]"


def _check_events(text: str) -> None:
    """Walk the parser's events (no construction), counting aliases, depth and the
    number of nodes the document expands to."""
    aliases = 0
    stack: list[_Frame] = []
    nodes = 0  # nodes so far, aliases expanded
    anchors: dict[str, int] = {}  # anchor -> size of the node it names
    starts: list[tuple[int, str | None]] = []  # per open collection: nodes at start, anchor

    def grow(count: int) -> None:
        nonlocal nodes
        nodes += count
        if nodes > MAX_NODES:
            raise YamlRejected(f"expands to more than {MAX_NODES} nodes (YAML aliases)", path())

    def path() -> str:
        parts = [f.label() for f in stack if f.label() not in ("", "[-1]")]
        return ".".join(parts).replace(".[", "[")

    def value_seen() -> None:
        if stack:
            top = stack[-1]
            if top.is_map:
                top.want_key = True
            else:
                top.index += 1

    yaml, loader = _yaml()
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            starts.append((nodes, event.anchor))
            grow(1)
            if stack and not stack[-1].is_map:
                stack[-1].index += 1
            elif stack:
                stack[-1].want_key = True
            stack.append(_Frame(isinstance(event, yaml.MappingStartEvent)))
            if len(stack) > MAX_DEPTH:
                raise YamlRejected(f"nested deeper than {MAX_DEPTH} levels", path())
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            begun, anchor = starts.pop()
            if anchor:
                anchors[anchor] = nodes - begun
        elif isinstance(event, yaml.AliasEvent):
            grow(anchors.get(event.anchor, 1))
            aliases += 1
            if stack and not stack[-1].is_map:
                stack[-1].index += 1
            if aliases > MAX_ALIASES:
                raise YamlRejected(f"more than {MAX_ALIASES} YAML aliases", path())
            if stack and stack[-1].is_map:
                stack[-1].want_key = True
        elif isinstance(event, yaml.ScalarEvent):
            grow(1)
            if event.anchor:
                anchors[event.anchor] = 1
            if stack and stack[-1].is_map and stack[-1].want_key:
                stack[-1].key = str(event.value)
                stack[-1].want_key = False
            else:
                value_seen()


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
