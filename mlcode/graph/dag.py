"""A generic directed acyclic graph over hashable, orderable nodes (no ML words here)."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar


class Node(Hashable, Protocol):
    """What a DAG node must be: hashable, and ordered by `<` (the deterministic order
    sorts nodes and keeps the ready ones in a heap)."""

    def __lt__(self, other: Any, /) -> bool: ...


N = TypeVar("N", bound=Node)


class CycleError(Exception, Generic[N]):
    """The edges form a cycle; `cycle` lists its nodes in order."""

    def __init__(self, cycle: list[N]) -> None:
        super().__init__(" -> ".join(map(str, cycle)))
        self.cycle = cycle


class DAG(Generic[N]):
    """Nodes and `upstream -> downstream` edges; immutable after construction.

    `order` is a deterministic topological order: among ready nodes the smallest first.
    """

    def __init__(self, nodes: Iterable[N], edges: Mapping[N, Iterable[N]]) -> None:
        """`edges[node]` lists the nodes `node` depends on (its upstreams)."""
        self.nodes: tuple[N, ...] = tuple(sorted(set(nodes)))
        known = set(self.nodes)
        self._up: dict[N, tuple[N, ...]] = {
            n: tuple(sorted(u for u in set(edges.get(n, ())) if u in known)) for n in self.nodes
        }
        self._down: dict[N, list[N]] = {n: [] for n in self.nodes}
        for node, ups in self._up.items():
            for up in ups:
                self._down[up].append(node)
        self.order: tuple[N, ...] = self._toposort()

    def upstream(self, node: N) -> tuple[N, ...]:
        """Direct dependencies of `node`."""
        return self._up[node]

    def downstream(self, node: N) -> tuple[N, ...]:
        """Direct dependents of `node`."""
        return tuple(sorted(self._down[node]))

    def ancestors(self, nodes: Iterable[N]) -> set[N]:
        """`nodes` and everything they depend on, transitively."""
        return self._closure(nodes, self._up)

    def descendants(self, nodes: Iterable[N]) -> set[N]:
        """`nodes` and everything that depends on them, transitively."""
        return self._closure(nodes, self._down)

    @staticmethod
    def _closure(nodes: Iterable[N], links: Mapping[N, Iterable[N]]) -> set[N]:
        seen: set[N] = set()
        todo = list(nodes)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(links.get(node, ()))
        return seen

    def _toposort(self) -> tuple[N, ...]:
        missing = {n: len(ups) for n, ups in self._up.items()}
        ready = [n for n, count in missing.items() if count == 0]
        heapq.heapify(ready)
        order: list[N] = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for down in self._down[node]:
                missing[down] -= 1
                if missing[down] == 0:
                    heapq.heappush(ready, down)
        if len(order) != len(self.nodes):
            raise CycleError(self._find_cycle(set(self.nodes) - set(order)))
        return tuple(order)

    def _find_cycle(self, left: set[N]) -> list[N]:
        start = min(left)
        path, seen = [start], {start}
        node = start
        while True:
            node = next(u for u in self._up[node] if u in left)
            if node in seen:
                return [*path[path.index(node) :], node]
            path.append(node)
            seen.add(node)
