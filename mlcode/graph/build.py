"""Moved: the resource DAG is `mlcode.spec.graph.resource_graph`.

Kept only because `mlcode.api` (being split into a package) still imports it from here;
delete this module, and its `ignore_imports` entry in pyproject.toml, once the api
imports `mlcode.spec.graph`. The import is inside the function so that importing
`mlcode.graph` never loads the specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlcode.graph.dag import DAG


def resource_graph(resources: Mapping[Any, Any]) -> DAG[Any]:
    """`mlcode.spec.graph.resource_graph`."""
    from mlcode.spec.graph import resource_graph as moved

    return moved(resources)
