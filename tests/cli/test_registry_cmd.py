"""`mlcode registry`: registered versions, who holds which stage, and the history."""

from __future__ import annotations

import json

BY = "Test Committer <committer@example.com>"


def test_registry_lists_models_and_stages(applied):
    # Every registered model: latest version, stage holders, its versions with stages.
    done = applied.invoke("registry")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout) == (
        "model.iris_tree  latest v1.0.0 (active)\n"
        "  production   v1.0.0\n"
        f"  v1.0.0     TIME  HASH  {BY}  [production]\n"
    )


def test_registry_of_one_model_has_its_history(applied):
    # With an address: also every registration and stage move, with its tag.
    done = applied.invoke("registry", "model.iris_tree")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout) == (
        "model.iris_tree  latest v1.0.0 (active)\n"
        "  production   v1.0.0\n"
        f"  v1.0.0     TIME  HASH  {BY}  [production]\n"
        "  history:\n"
        f"    TIME  register               v1.0.0     iris_tree@v1.0.0  {BY}\n"
        f"    TIME  assign production      v1.0.0     iris_tree#production#1  {BY}\n"
    )


def test_registry_json(applied):
    # --json with an address: that model's object, its tags and commits in full.
    done = applied.invoke("registry", "model.iris_tree", "--json")
    assert (done.exit_code, done.stderr) == (0, ""), done
    data = json.loads(applied.scrub(done.stdout))
    event = {"commit": "HASH", "at": "TIME", "by": BY, "version": "v1.0.0"}
    assert data == {
        "name": "iris_tree",
        "active": True,
        "latest": "v1.0.0",
        "stages": {"production": "v1.0.0"},
        "versions": [
            {
                "version": "v1.0.0",
                "commit": "HASH",
                "fingerprint": "HASH",
                "registered_at": "TIME",
                "by": BY,
                "active": True,
                "stages": ["production"],
            }
        ],
        "history": [
            {
                **event,
                "event": "register",
                "stage": None,
                "counter": None,
                "tag": "iris_tree@v1.0.0",
            },
            {
                **event,
                "event": "assign",
                "stage": "production",
                "counter": 1,
                "tag": "iris_tree#production#1",
            },
        ],
    }
    assert json.loads(applied.invoke("registry", "--json").stdout) == [json.loads(done.stdout)]


def test_registry_of_an_unregistered_model(applied):
    # A model that is not in the registry: one message, a hint, exit 1.
    done = applied.invoke("registry", "model.nope")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == "Error: model.nope is not in the registry\nHint: run `mlcode registry`\n"


def test_an_empty_registry(cli):
    # Before the first registration: one line saying how models get registered.
    done = cli.invoke("registry")
    assert (done.exit_code, done.stderr) == (0, "")
    assert done.stdout == (
        "The registry is empty: apply on the registry branch to register models.\n"
    )


def test_registry_rejects_an_unknown_option(applied):
    # A bad option is a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("registry", "--stage", "production")
    assert done == applied.usage_error(
        "mlcode registry [OPTIONS] [address]", "No such option: --stage"
    )
