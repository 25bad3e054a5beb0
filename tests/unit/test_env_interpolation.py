"""`${oc.env:...}` kept as text at plan time resolves at build time exactly as plain
OmegaConf resolves it (types included), and the variables a spec reads are found."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from mlcode.config.compose import _env_kept_unresolved, _unmark, env_references, resolve_env
from mlcode.config.types import EnvVar, env_digests

CASES = [
    pytest.param("${oc.env:CRIT,gini}", id="plain-default"),
    pytest.param("${oc.env:CRIT}", id="plain-no-default"),
    pytest.param("${oc.decode:${oc.env:DEPTH,2}}", id="decode-int"),
    pytest.param("${oc.decode:${oc.env:RATE,'0.5'}}", id="decode-float"),
    pytest.param("${oc.decode:${oc.env:FLAG,true}}", id="decode-bool"),
    pytest.param("${oc.decode:'[1, ${oc.env:DEPTH,2}]'}", id="decode-list"),
    pytest.param("${oc.create:'{a: ${oc.env:DEPTH,1}}'}", id="create-mapping"),
    pytest.param("x_${oc.env:CRIT,gini}_y", id="concatenated"),
    pytest.param("${oc.env:CRIT,'a b'}", id="quoted-default"),
    pytest.param("${oc.env:CRIT,'it\\'s'}", id="escaped-quote-default"),
    pytest.param("${oc.env:CRIT,null}", id="null-default"),
    pytest.param("\\${literal} and ${oc.env:CRIT,gini}", id="escaped-literal-beside"),
]
ENVIRONS = [
    pytest.param({}, id="unset"),
    pytest.param({"CRIT": "entropy", "DEPTH": "7", "RATE": "[1, 2]", "FLAG": "false"}, id="set"),
]


@pytest.mark.parametrize("environ", ENVIRONS)
@pytest.mark.parametrize("text", CASES)
def test_kept_text_resolves_as_omegaconf_does(text, environ, monkeypatch):
    # Composed with the variable kept as text, then resolved in the build's environment:
    # the value and its type are what OmegaConf gives the spec directly.
    for name in ("CRIT", "DEPTH", "RATE", "FLAG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = {"v": text, "ref": "${v}"}
    try:
        expected = OmegaConf.to_container(OmegaConf.create(spec), resolve=True)
    except Exception:
        pytest.skip("not resolvable in this environment (a build fails the same way)")
    with _env_kept_unresolved():
        kept = _unmark(OmegaConf.to_container(OmegaConf.create(spec), resolve=True))
    assert "${oc.env:" in kept["v"]  # nothing resolved at plan time
    assert resolve_env(kept) == expected


def test_escaped_literal_alone_stays_literal():
    # A literal `${...}` (written `\${...}`) in a spec without variables is left alone.
    with _env_kept_unresolved():
        kept = _unmark(OmegaConf.to_container(OmegaConf.create({"v": "\\${x}"}), resolve=True))
    assert kept == {"v": "${x}"}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("${oc.env:A}", [EnvVar("A")], id="no-default"),
        pytest.param("${oc.env:A,1}", [EnvVar("A", True, "1")], id="default"),
        pytest.param("${oc.env:A,null}", [EnvVar("A", True, None)], id="null"),
        pytest.param(
            "${oc.decode:'[${oc.env:B,2}, ${oc.env:A}]'}",
            [EnvVar("A"), EnvVar("B", True, "2")],
            id="nested-two",
        ),
        pytest.param("plain text", [], id="none"),
    ],
)
def test_env_references(text, found):
    # The variables a composed value reads, as the build's resolver will read them.
    with _env_kept_unresolved():
        kept = _unmark(OmegaConf.to_container(OmegaConf.create({"v": text}), resolve=True))
    assert list(env_references(kept)) == found


def test_env_digests_hide_values_and_follow_the_effective_value():
    # A digest per variable: equal for the default and the same value set explicitly,
    # different for another value or unset; the value itself appears nowhere.
    refs = (EnvVar("CRIT", True, "gini"),)
    default = env_digests(refs, {})
    assert default == env_digests(refs, {"CRIT": "gini"})
    assert default != env_digests(refs, {"CRIT": "entropy"})
    assert "gini" not in str(default)
    bare = (EnvVar("TOKEN"),)
    assert env_digests(bare, {}) != env_digests(bare, {"TOKEN": ""})
