"""Record files are canonical: equal records give equal bytes whatever their key order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mlcode.state.records import record_text

keys = st.text("abcdefgh_", min_size=1, max_size=6)
leaves = st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none())
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


def _shuffled(value, rng: random.Random):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@settings(max_examples=200, deadline=None)
@given(meta=st.dictionaries(keys, trees, max_size=5), seed=st.integers(0, 2**16))
def test_key_order_never_changes_the_text(meta, seed):
    # A record whose mappings were built in another order is written byte-identically.
    outs = [{"path": "m", "hash": "md5", "md5": "x.dir", "size": 3, "nfiles": 1}]
    data = {"meta": {"mlcode": meta}, "outs": outs}
    rng = random.Random(seed)
    assert record_text(data) == record_text(_shuffled(data, rng))


def test_outs_keep_dvc_key_order_and_come_first():
    # DVC's `outs` entry keeps the order `dvc add` writes; everything after it is sorted.
    data = {"meta": {"mlcode": {"b": 1, "a": 2}}, "outs": [{"path": "m", "md5": "x.dir"}]}
    assert (
        record_text(data)
        == "outs:\n- md5: x.dir\n  path: m\nmeta:\n  mlcode:\n    a: 2\n    b: 1\n"
    )
