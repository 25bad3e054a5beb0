"""Redaction of secrets in spec values (mlcode.config.secrets): keys, value shapes, digests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlcode.config.fingerprint import fingerprint
from mlcode.config.secrets import (
    SENSITIVE,
    has_secrets,
    is_secret_key,
    redact,
    redact_text,
    scrub,
    secret_values,
)

S = SENSITIVE


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        pytest.param("password", True, id="password"),
        pytest.param("db_passwd", True, id="passwd-word"),
        pytest.param("pass", True, id="pass"),
        pytest.param("dbPassword", True, id="camel-password"),
        pytest.param("APIKey", True, id="acronym-camel"),
        pytest.param("api-key", True, id="dash"),
        pytest.param("aws.secret_access_key", True, id="dotted"),
        pytest.param("accesskey", True, id="run-together"),
        pytest.param("clientSecret", True, id="camel-secret"),
        pytest.param("auth_header", True, id="auth"),
        pytest.param("credentials", True, id="credentials"),
        pytest.param("dsn", True, id="dsn"),
        pytest.param("private_key_path", True, id="private"),
        pytest.param("author", False, id="author-not-auth"),
        pytest.param("passes", False, id="passes-not-pass"),
        pytest.param("monkey", False, id="monkey-not-key"),
        pytest.param("n_estimators", False, id="ordinary"),
        pytest.param("tokenizer", False, id="tokenizer-not-token"),
    ],
)
def test_secret_keys(key, secret):
    # A key is a credential when one of its whole words names one.
    assert is_secret_key(key) is secret


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("https://u:pw@h.example/x", f"https://u:{S}@h.example/x", id="url-password"),
        pytest.param(
            "postgresql://etl:pw@db:5432/w", f"postgresql://etl:{S}@db:5432/w", id="dsn-url"
        ),
        pytest.param(
            "https://ghp_abc@github.com/o/r", f"https://{S}@github.com/o/r", id="user-only"
        ),
        pytest.param(
            "see http://a:b@h and s3://c:d@e", f"see http://a:{S}@h and s3://c:{S}@e", id="two"
        ),
        pytest.param("Bearer eyJhbGciOi.J9x", f"Bearer {S}", id="bearer"),
        pytest.param("Authorization: Basic dXNlcjpwdw==", f"Authorization: Basic {S}", id="basic"),
        pytest.param("token abcdEFGH1234", f"token {S}", id="token-header"),
        pytest.param("ghp_0123456789abcdefghijABCDEFGHIJklmnop", S, id="github-token"),
        pytest.param("xoxb-1234567890-abcdefghij", S, id="slack"),
        pytest.param("key AKIAIOSFODNN7EXAMPLE here", f"key {S} here", id="aws-key-id"),
        pytest.param("hf_" + "a1" * 17, S, id="hugging-face"),
        pytest.param(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", S, id="pem"
        ),
        pytest.param(
            "https://b.s3.amazonaws.com/f?X-Amz-Credential=AK%2F1&X-Amz-Signature=ab12&v=1",
            f"https://b.s3.amazonaws.com/f?X-Amz-Credential={S}&X-Amz-Signature={S}&v=1",
            id="presigned-url",
        ),
        pytest.param(
            "https://a.blob.core.windows.net/c/f?sv=2020&sig=xyz%3D",
            f"https://a.blob.core.windows.net/c/f?sv=2020&sig={S}",
            id="sas-url",
        ),
        pytest.param(
            "https://h/x?page=2&sort=key", "https://h/x?page=2&sort=key", id="plain-query"
        ),
        pytest.param("s3://bucket/path", "s3://bucket/path", id="plain-url"),
        pytest.param("http://host:8080/x?a=b", "http://host:8080/x?a=b", id="port-not-password"),
        pytest.param("Basic classification", "Basic classification", id="prose"),
        pytest.param("user@example.com", "user@example.com", id="email"),
    ],
)
def test_secret_shapes(text, shown):
    # Secret-shaped parts of any string are hidden; the text around them stays.
    assert redact_text(text) == shown


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        pytest.param(
            {"credentials": {"user": "u", "pass": "p"}},
            {"credentials": {"user": S, "pass": S}},
            id="mapping-under-secret-key",
        ),
        pytest.param({"tokens": ["a", "b"]}, {"tokens": [S, S]}, id="list-under-secret-key"),
        pytest.param({"api_key": None}, {"api_key": None}, id="null-stays"),
        pytest.param(
            {"url": "https://u:p@h"}, {"url": f"https://u:{S}@h"}, id="shape-under-plain-key"
        ),
        pytest.param({"n": 3, "name": "x"}, {"n": 3, "name": "x"}, id="untouched"),
        pytest.param({"token": "${oc.env:T}"}, {"token": S}, id="env-expression"),
    ],
)
def test_redact_spec(spec, shown):
    # Keys stay, values under credential keys and secret shapes are hidden.
    assert redact(spec) == shown


def test_keep_env_keeps_the_expression_under_a_secret_key():
    # Code bundles keep `${oc.env:...}` text (the spec file's own words), secrets not.
    spec = {"token": "${oc.env:T}", "password": "p"}
    assert redact(spec, keep_env=True) == {"token": "${oc.env:T}", "password": S}


_userinfo = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters="-._~!$&'()*+,;="),
    min_size=1,
    max_size=20,
)
_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)


@given(
    scheme=st.sampled_from(["http", "https", "postgresql", "mysql+pymysql", "s3", "redis"]),
    user=_userinfo,
    password=_userinfo,
    host=_host,
    path=st.from_regex(r"(/[a-z0-9_]{0,8}){0,3}", fullmatch=True),
)
def test_any_url_password_is_hidden_and_the_rest_kept(scheme, user, password, host, path):
    # Whatever the scheme, user and password, the password never survives and the
    # scheme, user, host and path do.
    url = f"{scheme}://{user}:{password}@{host}{path}"
    out = redact_text(url)
    assert out == f"{scheme}://{user}:{S}@{host}{path}"
    assert redact_text(out) == out  # idempotent


def test_fingerprint_sees_a_changed_secret_and_keeps_plain_specs():
    # Two specs differing only in a password have different fingerprints; a spec without
    # secrets keeps the fingerprint it had before (the value pinned is the old code's).
    base = {"loader": {"url": "https://u:one@h/x"}}
    other = {"loader": {"url": "https://u:two@h/x"}}
    assert has_secrets(base)
    assert fingerprint(base, {}, {}, {}) != fingerprint(other, {}, {}, {})
    assert redact(base) == redact(other)
    plain = {"loader": {"_target_": "sklearn.datasets.load_iris"}}
    assert not has_secrets(plain)
    assert fingerprint(plain, {}, {}, {}) == (
        "fe38ab4f49b61dfe6a178f05fb6572510e3359e7ff57373e3a4d94ae4fbb06e0"
    )


def test_scrub_hides_secret_values_quoted_in_free_text():
    # A log line that prints a credential mapping, and an error quoting a URL and header.
    spec = {"credentials": {"user": "etl", "pass": "pw-1234"}, "token": "${oc.env:T}", "n": 1}
    values = secret_values(spec)
    assert values == {"pw-1234"}  # `etl` is too short to scrub; env expressions never
    text = "creds {'pass': 'pw-1234'}; GET https://u:pw-9@h failed, Bearer abcDEF12345"
    assert scrub(text, values) == f"creds {{'pass': '{S}'}}; GET https://u:{S}@h failed, Bearer {S}"
