"""The generic DAG: ordering, closures and cycle detection."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcode.graph.dag import DAG, CycleError


@pytest.mark.parametrize(
    ("edges", "order"),
    [
        pytest.param({}, ("a", "b", "c"), id="no-edges-sorted"),
        pytest.param({"a": ["c"], "b": ["a"]}, ("c", "a", "b"), id="chain"),
        pytest.param({"c": ["a", "b"]}, ("a", "b", "c"), id="join"),
        pytest.param({"a": ["zz"]}, ("a", "b", "c"), id="unknown-upstream-ignored"),
    ],
)
def test_order(edges, order):
    # Topological order is deterministic: among ready nodes the smallest first.
    assert DAG(["a", "b", "c"], edges).order == order


def test_closures():
    # ancestors/descendants include the start nodes and follow edges transitively.
    dag = DAG(["a", "b", "c", "d"], {"b": ["a"], "c": ["b"], "d": []})
    assert dag.ancestors(["c"]) == {"a", "b", "c"}
    assert dag.descendants(["a"]) == {"a", "b", "c"}
    assert dag.downstream("a") == ("b",)
    assert dag.upstream("c") == ("b",)


def test_cycle_is_reported_with_its_nodes():
    # A cycle raises CycleError naming a closed path.
    with pytest.raises(CycleError) as info:
        DAG(["a", "b", "c"], {"a": ["b"], "b": ["c"], "c": ["a"]})
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=40))
def test_order_respects_every_edge(pairs):
    # For any acyclic edge set (edges point from lower to higher), upstreams come first.
    edges: dict[int, list[int]] = {}
    for a, b in pairs:
        if a < b:
            edges.setdefault(b, []).append(a)
    dag = DAG(range(16), edges)
    position = {n: i for i, n in enumerate(dag.order)}
    assert all(position[u] < position[d] for d, ups in edges.items() for u in ups)
