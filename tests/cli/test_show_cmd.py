"""`mlcode show`: the recorded state and lineage of resources and registered versions."""

from __future__ import annotations

import json

import pytest

MODEL = (
    "model.iris_tree v1.0.0\n"
    "  registered   TIME by Test Committer <committer@example.com> on HASH\n"
    "  stages       production\n"
    "  fingerprint  HASH\n"
    "  artifact     HASH.dir\n"
    "  metrics      accuracy=0.9737\n"
    "  input        dataset.iris HASH\n"
    "  built        TIME from HASH\n"
)


def test_show_everything_recorded(applied):
    # Without an address: every recorded resource in address order, exit 0.
    done = applied.invoke("show")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout) == (
        "dataset.iris\n"
        "  fingerprint  HASH\n"
        "  artifact     HASH.dir\n"
        "  built        TIME from HASH\n" + MODEL
    )


@pytest.mark.parametrize(
    "ref", ["model.iris_tree", "model.iris_tree#production", "model.iris_tree@v1.0.0"]
)
def test_show_one_model_by_name_stage_or_version(applied, ref):
    # A model by name, by the stage it holds or by its version: the same record.
    done = applied.invoke("show", ref)
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert applied.scrub(done.stdout) == MODEL


def test_show_json(applied):
    # --json: one object with the full record, its registration and stage assignment.
    done = applied.invoke("show", "model.iris_tree#production", "--json")
    assert (done.exit_code, done.stderr) == (0, ""), done
    data = json.loads(applied.scrub(done.stdout))
    assert set(data.pop("env")) == {
        "joblib",
        "numpy",
        "pandas",
        "pyarrow",
        "python",
        "scikit-learn",
    }
    assert data == {
        "address": "model.iris_tree",
        "version": "v1.0.0",
        "fingerprint": "HASH",
        "artifact": "HASH.dir",
        "metrics": {"accuracy": 0.9736842105},
        "spec": {
            "dataset": "iris",
            "estimator": {"_target_": "sklearn.tree.DecisionTreeClassifier", "max_depth": 3},
            "metrics": ["accuracy"],
            "stage": "production",
        },
        "inputs": {"dataset.iris": "HASH"},
        "code": {},
        "built_at": "TIME",
        "built_from": "HASH",
        "stages": ["production"],
        "gates": [],
        "registered": {
            "tag": "iris_tree@v1.0.0",
            "commit": "HASH",
            "by": "Test Committer <committer@example.com>",
            "at": "TIME",
        },
        "assigned": {
            "production": {
                "tag": "iris_tree#production#1",
                "by": "Test Committer <committer@example.com>",
                "at": "TIME",
            }
        },
    }


@pytest.mark.parametrize(
    ("ref", "error"),
    [
        pytest.param(
            "model.nope",
            "Error: model.nope has no recorded state\nHint: run `mlcode apply` first\n",
            id="unrecorded",
        ),
        pytest.param(
            "iris_tree",
            "Error: invalid address 'iris_tree'\n"
            "Hint: addresses look like dataset.NAME or model.NAME\n",
            id="not-an-address",
        ),
        pytest.param(
            "model.iris_tree@v9.0.0",
            "Error: model.iris_tree has no version v9.0.0 (registered: v1.0.0)\n"
            "Hint: run `mlcode registry model.iris_tree` to see its versions and stages\n",
            id="unknown-version",
        ),
        pytest.param(
            "model.iris_tree#staging",
            "Error: no version of model.iris_tree is in stage 'staging' (stages held: "
            "production)\n"
            "Hint: run `mlcode registry model.iris_tree` to see its versions and stages\n",
            id="empty-stage",
        ),
    ],
)
def test_show_what_is_not_there(applied, ref, error):
    # Naming nothing recorded or registered: one message, exit 1, no traceback.
    done = applied.invoke("show", ref)
    assert (done.exit_code, done.stdout, done.stderr) == (1, "", error)


@pytest.mark.parametrize("ref", ["model.iris_tree@v9.0.0", "model.iris_tree#staging"])
def test_every_show_error_says_what_to_do(applied, ref):
    # An expected error names the fix, e.g. `mlcode registry model.NAME` to list versions.
    done = applied.invoke("show", ref)
    assert done.stderr.splitlines()[-1].startswith("Hint: ")


def test_show_before_any_apply(cli):
    # A project never applied has nothing to show: one line, exit 0.
    done = cli.invoke("show")
    assert (done.exit_code, done.stdout, done.stderr) == (
        0,
        "Nothing recorded yet: run mlcode apply.\n",
        "",
    )


def test_show_takes_one_address(applied):
    # Two addresses are a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("show", "model.a", "model.b")
    assert done == applied.usage_error(
        "mlcode show [OPTIONS] [address]", "Got unexpected extra argument(s) (model.b)"
    )
