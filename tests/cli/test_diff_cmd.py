"""`mlcode diff`: resolved-spec and metric differences between revisions, from their
state records (the working tree's side is the current plan)."""

from __future__ import annotations

import json

DEEPER_TREE = "_target_: sklearn.tree.DecisionTreeClassifier\nmax_depth: 4\n"
ADDED = (
    "dataset.iris (added)\n"
    "  loader._target_: None -> sklearn.datasets.load_iris\n"
    "  loader.as_frame: None -> True\n"
    "  split.seed: None -> 0\n"
    "  split.test_size: None -> 0.25\n"
    "  target: None -> target\n"
    "model.iris_tree (added)\n"
    "  dataset: None -> iris\n"
    "  estimator._target_: None -> sklearn.tree.DecisionTreeClassifier\n"
    "  estimator.max_depth: None -> 3\n"
    "  metrics: None -> ['accuracy']\n"
    "  stage: None -> production\n"
    "  metric accuracy: None -> 0.9736842105\n"
)


def test_diff_between_two_revisions(applied):
    # From the commit before the apply to the apply's: both resources added.
    done = applied.invoke("diff", "HEAD~1", "HEAD")
    assert (done.exit_code, done.stdout, done.stderr) == (0, ADDED, "")


def test_diff_against_the_working_tree(applied):
    # No revision: the merge-base with the registry branch against the working tree,
    # whose side is the plan (metrics not known before the build).
    assert applied.invoke("diff").stdout == "No differences.\n"
    with applied.replaced("conf/estimator/tree.yaml", DEEPER_TREE):
        done = applied.invoke("diff")
        as_json = applied.invoke("diff", "--json")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout == (
        "model.iris_tree (changed)\n"
        "  estimator.max_depth: 3 -> 4\n"
        "  metric accuracy: 0.9736842105 -> None\n"
    )
    data = json.loads(as_json.stdout)
    assert data["from"]["commit"] == applied.git("rev-parse", "HEAD").strip()
    assert data["to"] == {"rev": "working tree", "commit": None}
    assert data["resources"] == [
        {
            "address": "model.iris_tree",
            "status": "changed",
            "spec": [{"key": "estimator.max_depth", "from": 3, "to": 4}],
            "metrics": {"accuracy": {"from": 0.9736842105, "to": None, "delta": None}},
        }
    ]


def test_diff_as_markdown(applied):
    # --format markdown: one section per resource, for a pull-request comment.
    done = applied.invoke("diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert (done.exit_code, done.stderr) == (0, ""), done
    assert done.stdout == (
        "### mlcode diff `HEAD~1` → `HEAD`\n"
        "\n"
        "#### `dataset.iris` (added)\n"
        "- `loader._target_`: None → sklearn.datasets.load_iris\n"
        "- `loader.as_frame`: None → True\n"
        "- `split.seed`: None → 0\n"
        "- `split.test_size`: None → 0.25\n"
        "- `target`: None → target\n"
        "\n"
        "#### `model.iris_tree` (added)\n"
        "- `dataset`: None → iris\n"
        "- `estimator._target_`: None → sklearn.tree.DecisionTreeClassifier\n"
        "- `estimator.max_depth`: None → 3\n"
        "- `metrics`: None → ['accuracy']\n"
        "- `stage`: None → production\n"
        "- metric accuracy: None → 0.9736842105\n"
    )


def test_diff_of_an_unknown_revision(applied):
    # A revision Git does not know: one message, a hint, exit 1.
    done = applied.invoke("diff", "v9", "HEAD")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == "Error: unknown revision 'v9'\nHint: name a commit, branch or tag\n"


def test_diff_takes_two_revisions_at_most(applied):
    # A third revision is a usage mistake: usage line, one error line, exit 1.
    done = applied.invoke("diff", "HEAD~1", "HEAD", "main")
    assert done == applied.usage_error(
        "mlcode diff [OPTIONS] [rev_a] [rev_b]", "Got unexpected extra argument(s) (main)"
    )


def test_an_unknown_format_is_a_usage_error(applied):
    # --format takes text, json or markdown, as plan's does: anything else is refused.
    done = applied.invoke("diff", "--format", "yaml")
    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr.endswith(
        "Error: Invalid value: unknown format 'yaml' (text, json, markdown)\n"
    )
