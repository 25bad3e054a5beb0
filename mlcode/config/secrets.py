"""Secrets in spec values: which keys and value shapes are credentials, and their redaction.

A value is a secret when its key names one (any whole word of the key, split on `_`,
`-`, `.` and camelCase, is one of `_SECRET_WORDS`, or ends like `accesskey`/`authtoken`;
every scalar under such a key when it holds a mapping or list) or when its shape is one,
wherever it sits:

    https://etl:pw@host/db      -> https://etl:(sensitive)@host/db   (password replaced)
    https://ghp_x@github.com    -> https://(sensitive)@github.com    (user-only userinfo
                                   is often a token: replaced whole)
    https://h/f?sig=abc&a=1     -> https://h/f?sig=(sensitive)&a=1   (query parameters
                                   named like secret keys: presigned and SAS URLs)
    Bearer eyJhbGciOi...        -> Bearer (sensitive)                (also Basic, Token)
    ghp_..., github_pat_..., glpat-..., xox?-..., AKIA..., ASIA..., sk-..., hf_...,
    AIza..., -----BEGIN ... PRIVATE KEY----- ... -----END ...-----   -> (sensitive)

Redaction keeps the text around a secret so a reader still sees which host or scheme is
meant. Prefix rules catch only well-known token formats (GitHub, GitLab, Slack, AWS key
ids, OpenAI, Hugging Face, Google): an unknown opaque token under an innocent key is not
recognised, which is why secrets belong in `${oc.env:...}`.

Fingerprints must still change when a secret changes without storing the secret: see
`secret_digest`, a deliberately slow salted digest (PBKDF2) of the unredacted spec.
Trade-off: any digest of a low-entropy password can be guessed offline from a record,
since everything else in the fingerprint material is recorded too; PBKDF2 only makes
each guess cost ~20 ms instead of a microsecond. A keyed digest would stop guessing but
needs a key shared by every machine that plans, which is itself a secret to manage.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

SENSITIVE = "(sensitive)"

_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "passphrase",
        "secret", "secrets", "token", "tokens", "key", "apikey",
        "credential", "credentials", "creds", "auth", "authorization",
        "dsn", "private", "privatekey", "cookie", "sas", "signature", "sig",
    }
)  # fmt: skip
# Words run together (`accesskey`, `clientsecret`, `authtoken`, `dbpassword`).
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey")

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^/?#@\s]+)@")
_AUTH_HEADER = re.compile(
    r"(?i)\b(?P<kind>bearer|basic|token|digest)(?P<sep>\s+)(?P<tok>[A-Za-z0-9\-._~+/]{8,}=*)"
)
_TOKEN_SHAPES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|sk-[A-Za-z0-9_\-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_\-]{35})",
    re.DOTALL,
)
_QUERY_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&#;\s]+)=(?P<value>[^&#;\s]+)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def key_words(key: str) -> list[str]:
    """The lower-case words of a key: `dbPassword` -> [db, password], `API_KEY` -> [api, key]."""
    return [w for w in re.split(r"[_\-.\s]+", _CAMEL.sub("_", key).lower()) if w]


# Specs repeat the same few keys (`_target_`, `estimator`, `n_estimators`...) thousands
# of times in a plan: the answer for each is computed once.
@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True for keys that name credentials (`token`, `api_key`, `dbPassword`, `dsn`...)."""
    words = key_words(key)
    joined = "".join(words)
    return (
        any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words)
        or joined in _SECRET_WORDS
        or joined.endswith(_SECRET_ENDINGS)
    )


def _looks_like_token(tok: str) -> bool:
    # "Basic classification" is prose; base64 credentials and bearer tokens have digits,
    # padding or mixed case after the first letter.
    body = tok.rstrip("=")
    return (
        tok != body
        or any(c.isdigit() for c in tok)
        or (any(c.isupper() for c in tok[1:]) and any(c.islower() for c in tok))
    )


def redact_text(text: str) -> str:
    """`text` with every secret-shaped part (URL userinfo, auth header values, known
    token formats) replaced by `(sensitive)`; the rest kept."""

    def userinfo(m: re.Match[str]) -> str:
        user, colon, _ = m["info"].partition(":")
        kept = f"{user}:{SENSITIVE}" if colon and user else SENSITIVE
        return f"{m['scheme']}{kept}@"

    def header(m: re.Match[str]) -> str:
        if not _looks_like_token(m["tok"]):
            return m[0]
        return f"{m['kind']}{m['sep']}{SENSITIVE}"

    def param(m: re.Match[str]) -> str:
        if not is_secret_key(m["name"]) or m["value"] == SENSITIVE:
            return m[0]
        return f"{m['lead']}{m['name']}={SENSITIVE}"

    text = _TOKEN_SHAPES.sub(SENSITIVE, text)
    text = _URL_USERINFO.sub(userinfo, text)
    if "://" in text:
        text = _QUERY_PARAM.sub(param, text)
    return _AUTH_HEADER.sub(header, text)


def redact(value: Any, key: str = "", keep_env: bool = False, _under_secret: bool = False) -> Any:
    """A copy of `value` with secrets hidden: every scalar under a secret-looking key,
    every secret-shaped part of a string, and (unless `keep_env`) `${oc.env:...}` values.

    `keep_env` keeps `${oc.env:...}` expressions as text (the expression is what the
    spec file in Git says; its value is read only at build time): for code bundles and
    fingerprints. Keys themselves are kept; only values are hidden."""
    secret = _under_secret or (bool(key) and is_secret_key(key))
    if isinstance(value, dict):
        return {k: redact(v, str(k), keep_env, secret) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, "", keep_env, secret) for v in value]
    if isinstance(value, str) and "${oc.env:" in value:
        # An unresolved expression is spec text, not a value: safe to keep when asked.
        return redact_text(value) if keep_env else SENSITIVE
    if secret and value is not None:
        return SENSITIVE
    if isinstance(value, str):
        return _redact_scalar(value) if len(value) <= _SCALAR_MEMO_CHARS else redact_text(value)
    return value


# Spec values repeat as much as keys (`sklearn.linear_model.LogisticRegression`, dataset
# names, metric names): short ones are redacted once per process.
_SCALAR_MEMO_CHARS = 512
_redact_scalar = lru_cache(maxsize=8192)(redact_text)


def has_secrets(value: Any) -> bool:
    """True when redaction (keeping `${oc.env:...}` text) would change `value`."""
    return bool(redact(value, keep_env=True) != value)


def contains_redacted(value: Any) -> bool:
    """True when some scalar of `value` holds a `(sensitive)` mark (fully or in part)."""
    if isinstance(value, dict):
        return any(contains_redacted(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_redacted(v) for v in value)
    return isinstance(value, str) and SENSITIVE in value


_SALT = b"mlcode-secret-v1"
_ROUNDS = 100_000
_digests: dict[str, str] = {}


def secret_digest(canonical_text: str) -> str:
    """A slow salted digest (PBKDF2-SHA256, 100,000 rounds) of an unredacted spec's
    canonical text: enters fingerprints in place of the secret (see module docstring)."""
    if canonical_text not in _digests:
        raw = hashlib.pbkdf2_hmac("sha256", canonical_text.encode(), _SALT, _ROUNDS)
        _digests[canonical_text] = raw.hex()
    return _digests[canonical_text]


def secret_values(value: Any, key: str = "", _under_secret: bool = False) -> set[str]:
    """The scalars of a spec that `redact` hides by key (as text, 4+ characters: shorter
    ones would hide ordinary words), so that text quoting them can be scrubbed."""
    secret = _under_secret or (bool(key) and is_secret_key(key))
    if isinstance(value, dict):
        out: set[str] = set()
        for k, v in value.items():
            out |= secret_values(v, str(k), secret)
        return out
    if isinstance(value, (list, tuple)):
        return set().union(*(secret_values(v, "", secret) for v in value)) if value else set()
    text = str(value)
    if secret and value is not None and "${oc.env:" not in text and len(text) >= 4:
        return {text}
    return set()


def scrub(text: str, values: set[str] | frozenset[str] = frozenset()) -> str:
    """`text` (a log, an error message) with each of `values` and every secret-shaped
    part replaced by `(sensitive)`."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, SENSITIVE)
    return redact_text(text)
