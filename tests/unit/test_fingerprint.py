"""Fingerprints and spec diffs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcode.config.fingerprint import fingerprint, flatten, spec_changes

BASE = {"estimator": {"_target_": "x.Y", "n": 100}, "dataset": "wine", "metrics": ["accuracy"]}


def fp(spec, inputs=None, code=None, env=None):
    return fingerprint(spec, inputs or {}, code or {}, env or {})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"stage": "production"}, id="stage"),
        pytest.param({"gates": {"accuracy": ">= 0.9"}}, id="gates"),
        pytest.param({"description": "new words"}, id="description"),
        pytest.param({"owner": "me", "tags": ["a"]}, id="owner-tags"),
    ],
)
def test_policy_and_doc_keys_do_not_fingerprint(change):
    # Promotion policy and documentation never cause a rebuild.
    assert fp({**BASE, **change}) == fp(BASE)


@pytest.mark.parametrize(
    ("kwargs"),
    [
        pytest.param({"spec": {**BASE, "dataset": "iris"}}, id="spec"),
        pytest.param({"inputs": {"dataset.wine": "abc"}}, id="inputs"),
        pytest.param({"code": {"pipelines/train.py": "abc"}}, id="code"),
        pytest.param({"env": {"scikit-learn": "1.9.1"}}, id="env"),
    ],
)
def test_every_input_fingerprints(kwargs):
    # Spec, inputs, code and env versions each change the fingerprint.
    spec = kwargs.pop("spec", BASE)
    assert fp(spec, **kwargs) != fp(BASE)


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=6))
def test_key_order_does_not_matter(mapping):
    # Canonical JSON: the same mapping in any insertion order fingerprints the same.
    reordered = dict(reversed(list(mapping.items())))
    assert fp({"p": mapping}) == fp({"p": reordered})


@pytest.mark.parametrize(
    ("before", "after", "reasons"),
    [
        pytest.param(
            BASE,
            {**BASE, "estimator": {"_target_": "x.Y", "n": 200}},
            ["estimator.n: 100 -> 200"],
            id="value",
        ),
        pytest.param(BASE, {**BASE, "extra": {"k": 1}}, ["extra.k: (absent) -> 1"], id="added"),
        pytest.param(
            {**BASE, "token": "(sensitive)"}, {**BASE, "token": "s3cr3t"}, [], id="secret-hidden"
        ),
        pytest.param(BASE, {**BASE, "stage": "production"}, [], id="stage-ignored"),
    ],
)
def test_spec_changes(before, after, reasons):
    # Reasons name the dotted key and both values; secrets never appear.
    assert spec_changes(before, after) == reasons


def test_flatten_lists_of_mappings():
    # Lists of mappings are indexed; plain lists stay leaves.
    assert flatten({"a": [{"b": 1}], "c": [1, 2]}) == {"a[0].b": 1, "c": [1, 2]}
