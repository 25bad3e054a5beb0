"""The resource DAG: datasets and models as nodes, `depends_on` as edges.

It lives with the specs, not in `mlcode.graph`: the generic DAG knows no resources and
imports nothing of mlcode (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping

from mlcode.address import Address
from mlcode.config.types import Resource
from mlcode.errors import SpecError, SpecProblem
from mlcode.graph.dag import DAG, CycleError


def resource_graph(resources: Mapping[Address, Resource]) -> DAG[Address]:
    """Build the DAG; a dependency cycle is a spec error naming the files in it."""
    try:
        return DAG(resources, {a: r.depends_on for a, r in resources.items()})
    except CycleError as exc:
        names = " -> ".join(str(a) for a in exc.cycle)
        first = exc.cycle[0]
        raise SpecError(
            [SpecProblem(first.spec_path, "from", f"dependency cycle: {names}")]
        ) from None
