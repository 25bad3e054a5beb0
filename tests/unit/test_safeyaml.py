"""The bounded YAML reader refuses bombs, Python tags and oversized files.

Refusal is checked by behaviour (the reason given), not by time; how long a refusal
takes is printed by `benchmarks/fail_fast.py`.
"""

import pytest

from mlcode.config.safeyaml import YamlRejected, load_text

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(BOMB, "aliases", id="alias-bomb"),
        pytest.param("x: !!python/object/apply:os.system ['true']", "invalid YAML", id="py-tag"),
        pytest.param("a: [1, 2", "invalid YAML", id="unclosed"),
        pytest.param("a:" + " [" * 100 + "]" * 100, "nested", id="deep"),
        pytest.param("a: '" + "x" * (1 << 20) + "'", "larger", id="big"),
    ],
)
def test_rejected(text, fragment):
    # Each hostile input is refused, before it is expanded, with a reason.
    with pytest.raises(YamlRejected) as info:
        load_text(text)
    assert fragment in info.value.reason


def test_plain_yaml_and_a_few_aliases_load():
    # Ordinary specs, including a couple of aliases, load as plain data.
    assert load_text("a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}


def test_refusal_names_the_key():
    # The alias limit is reported at the key where it was crossed.
    with pytest.raises(YamlRejected) as info:
        load_text(
            "ok: 1\nmodel:\n  params:\n"
            + "\n".join(f"    k{i}: *a" if i else "    k0: &a 1" for i in range(70))
        )
    assert info.value.key == "model.params.k65"
