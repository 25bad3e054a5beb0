"""`mlcode diff`: resolved-spec and metric differences between revisions, as JSON."""

from __future__ import annotations

import json

import yaml


def test_diff_json_between_two_applied_revisions(project):
    # Two applied revisions differ in one estimator key and in the model's metrics;
    # the dataset, unchanged, is not listed; deltas carry their sign.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    first = project.git("rev-parse", "HEAD").strip()
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 1")
    project.commit("stumps")
    project.apply()
    second = project.git("rev-parse", "HEAD").strip()
    old = yaml.safe_load(project.git("show", f"{first}:artifacts/models/m.dvc"))
    old_accuracy = old["meta"]["mlcode"]["metrics"]["accuracy"]
    new_accuracy = project.record("model.m")["metrics"]["accuracy"]

    done = project.run("diff", first, second, "--json")
    assert done.returncode == 0, project.output(done)
    assert json.loads(done.stdout) == {
        "format_version": 1,
        "from": {"rev": first, "commit": first},
        "to": {"rev": second, "commit": second},
        "resources": [
            {
                "address": "model.m",
                "status": "changed",
                "spec": [{"key": "estimator.max_depth", "from": 3, "to": 1}],
                "metrics": {
                    "accuracy": {
                        "from": old_accuracy,
                        "to": new_accuracy,
                        "delta": round(new_accuracy - old_accuracy, 10),
                    }
                },
            }
        ],
    }
    assert new_accuracy < old_accuracy  # stumps are worse: a negative delta


def test_diff_defaults_to_merge_base_against_the_working_tree(project):
    # On a branch, `mlcode diff` compares the merge-base with main to the working tree:
    # an uncommitted, unapplied edit shows as a spec change; a new model as added.
    project.gen_counted_model()
    project.commit("specs")
    project.apply()
    project.git("checkout", "-q", "-b", "feature")
    project.replace("conf/estimator/tree.yaml", "max_depth: 3", "max_depth: 2")
    project.gen({"conf/models/m2.yaml": project.model_spec("tree")})
    done = project.run("diff", "--json")
    assert done.returncode == 0, project.output(done)
    result = json.loads(done.stdout)
    assert result["to"] == {"rev": "working tree", "commit": None}
    by_address = {r["address"]: r for r in result["resources"]}
    assert by_address["model.m"]["spec"] == [{"key": "estimator.max_depth", "from": 3, "to": 2}]
    assert by_address["model.m2"]["status"] == "added"
    markdown = project.run("diff", "--format", "markdown").stdout
    assert "#### `model.m` (changed)" in markdown and "`estimator.max_depth`: 3 → 2" in markdown
