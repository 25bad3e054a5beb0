"""Fingerprints and spec diffs: pure functions over resolved specs and input hashes.

fingerprint = sha256(canonical JSON of {spec minus stage/gates/doc keys, secrets redacted,
input hashes, code hashes, env versions[, seed source][, digests of the environment
variables read][, a slow digest of the unredacted spec when it holds secrets]}). Two builds with equal fingerprints are
interchangeable. A model's address is its seed source: unseeded estimators get a seed
derived from it, so two model specs with equal text still build different artifacts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mlcode.config.secrets import redact, secret_digest
from mlcode.config.types import NON_FINGERPRINT_KEYS

_MISSING = object()


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a spec that defines what gets built."""
    return {k: v for k, v in spec.items() if k not in NON_FINGERPRINT_KEYS}


def fingerprint(
    spec: Mapping[str, Any],
    inputs: Mapping[str, str | None],
    code: Mapping[str, str | None],
    env: Mapping[str, str | None],
    seed_source: str | None = None,
    env_vars: Mapping[str, str] | None = None,
) -> str:
    """The fingerprint of a resource (hex sha256). `env_vars` maps each environment
    variable the spec reads to a digest of its value (left out when there are none,
    so specs without `${oc.env:...}` keep their fingerprints).

    Secrets in the spec (spec.secrets) enter only as `secret_digest` of the whole
    unredacted spec: the fingerprint changes with them, yet a recorded fingerprint is no
    fast oracle for guessing them. Specs without secrets keep their fingerprints."""
    plain = fingerprint_spec(spec)
    shown = redact(plain, keep_env=True)
    material: dict[str, Any] = {
        "spec": shown,
        "inputs": dict(inputs),
        "code": dict(code),
        "env": dict(env),
    }
    if seed_source is not None:
        material["seed_source"] = seed_source
    if env_vars:
        material["env_vars"] = dict(env_vars)
    if shown != plain:
        material["secrets"] = secret_digest(canonical(plain))
    return hashlib.sha256(canonical(material).encode()).hexdigest()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted key: leaf value}; lists are leaves unless they hold mappings."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        out = {}
        for i, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def spec_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Reasons like `estimator.n_estimators: 100 -> 200`, sorted by key; secrets hidden.

    `before` is a recorded (already redacted) spec; keys outside the fingerprint are
    ignored here (stage moves are reported by the promotion, not as rebuild reasons).
    """
    # Records written before a redaction rule existed may hold a secret: hide it too.
    old = flatten(redact(fingerprint_spec(before)))
    new = flatten(redact(fingerprint_spec(after)))
    reasons = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, _MISSING), new.get(key, _MISSING)
        if a == b:
            continue
        reasons.append(f"{key}: {_show(a)} -> {_show(b)}")
    return reasons


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(absent)"
    return canonical(value) if not isinstance(value, str) else value
