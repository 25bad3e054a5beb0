"""`mlcode verify`: rebuild recorded resources from their records alone and compare."""

from __future__ import annotations

import json

METRICS = "artifacts/models/iris_tree/metrics.json"


def test_verify_rebuilds_and_reproduces(applied):
    # The model rebuilt from its code bundle in a fresh interpreter matches its record.
    done = applied.invoke("verify", "model.iris_tree")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout) == (
        "model.iris_tree: reproduces (rebuilt from code bundle HASH in Ns)\n"
    )


def test_verify_flags_a_tampered_local_copy(applied):
    # A work-tree file that differs from the record: "does not reproduce", the file and
    # both hashes named, exit 1 (also in the JSON view).
    with applied.replaced(METRICS, '{"accuracy": 1.0}\n'):
        done = applied.invoke("verify", "model.iris_tree", "--json")
    assert (done.exit_code, done.stderr) == (1, ""), done
    [report] = json.loads(applied.scrub(done.stdout))
    assert report == {
        "address": "model.iris_tree",
        "ok": False,
        "env": [],
        "differences": ["local copy of metrics.json differs from the record (HASH != HASH)"],
        "notes": [],
        "built_from": "HASH",
        "bundle": "HASH.dir",
        "seconds": report["seconds"],
        "log": "ROOT/.mlcode/logs/verify-model.iris_tree.log",
    }


def test_verify_an_address_without_a_record(applied):
    # A resource never applied cannot be verified: one message, a hint, exit 1.
    done = applied.invoke("verify", "model.nope")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (
        "Error: model.nope has no recorded state\nHint: run `mlcode apply` first\n"
    )


def test_verify_rejects_an_unknown_option(applied):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("verify", "--tolerance", "0.1")
    assert done == applied.usage_error(
        "mlcode verify [OPTIONS] [addresses]...", "No such option: --tolerance"
    )
