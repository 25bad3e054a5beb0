"""Spec resolution: Hydra composition, overrides, validation and the resolution cache."""

from pathlib import Path

import pytest

from mlcode.address import Address, Kind
from mlcode.config.resolve import load_project
from mlcode.errors import SpecError

RF = Address(Kind.MODEL, "rf")
FILES = {
    "conf/datasets/wine.yaml": "loader: {_target_: sklearn.datasets.load_wine}\n",
    "conf/estimator/rf.yaml": "_target_: sklearn.ensemble.RandomForestClassifier\nn_estimators: 100\n",
    "conf/estimator/gbm.yaml": "_target_: sklearn.ensemble.HistGradientBoostingClassifier\n",
    "conf/models/rf.yaml": (
        "defaults:\n  - /estimator@estimator: rf\n  - _self_\n"
        "dataset: wine\nestimator:\n  max_depth: 4\nmetrics: [accuracy]\n"
        "note_depth: ${estimator.max_depth}\n"
    ),
    "conf/models/other.yaml": "dataset: wine\nestimator: {_target_: sklearn.svm.SVC}\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = dict(FILES)
    files["conf/models/rf.yaml"] = files["conf/models/rf.yaml"].replace("note_depth", "code")
    files["conf/models/rf.yaml"] = files["conf/models/rf.yaml"].replace(
        "code: ${estimator.max_depth}", "description: depth ${estimator.max_depth}"
    )
    write(tmp_path, files)
    return tmp_path


def test_compose_merges_group_and_interpolates(root: Path):
    # The group file is merged under its package and interpolations resolve globally.
    project = load_project(root)
    spec = project.resources[RF].spec
    assert spec["estimator"] == {
        "_target_": "sklearn.ensemble.RandomForestClassifier",
        "n_estimators": 100,
        "max_depth": 4,
    }
    assert spec["description"] == "depth 4"
    assert project.resources[RF].files == ("conf/estimator/rf.yaml", "conf/models/rf.yaml")
    assert project.resources[RF].depends_on == (Address(Kind.DATASET, "wine"),)


@pytest.mark.parametrize(
    ("overrides", "key", "value"),
    [
        pytest.param(("estimator.n_estimators=300",), "n_estimators", 300, id="value"),
        pytest.param(
            ("estimator=gbm",),
            "_target_",
            "sklearn.ensemble.HistGradientBoostingClassifier",
            id="group-swap",
        ),
    ],
)
def test_scoped_overrides(root: Path, overrides, key, value):
    # Overrides use Hydra's grammar without any nesting prefix.
    project = load_project(root, {RF: overrides})
    assert project.resources[RF].spec["estimator"][key] == value


def test_cache_recomposes_only_specs_using_an_edited_file(root: Path):
    # Second load composes nothing; editing a group file recomposes exactly its users.
    assert len(load_project(root).composed) == 3
    assert load_project(root).composed == ()
    (root / "conf/estimator/rf.yaml").write_text(
        "_target_: sklearn.ensemble.RandomForestClassifier\nn_estimators: 50\n"
    )
    again = load_project(root)
    assert again.composed == ("conf/models/rf.yaml",)
    assert again.resources[RF].spec["estimator"]["n_estimators"] == 50


def test_env_interpolation_is_kept_unresolved(root: Path, monkeypatch):
    # ${oc.env:...} stays an expression: no secret is resolved, an unset one is no error.
    monkeypatch.setenv("MLCODE_TEST_TOKEN", "s3cr3t")
    write(
        root,
        {
            "conf/datasets/wine.yaml": (
                "loader: {_target_: sklearn.datasets.load_wine}\n"
                "transform_token: ${oc.env:MLCODE_TEST_TOKEN}\n"
            )
        },
    )
    with pytest.raises(SpecError) as info:  # unknown key, but the value is not resolved
        load_project(root)
    assert "s3cr3t" not in str(info.value)
    write(
        root,
        {
            "conf/models/rf.yaml": (
                "dataset: wine\nestimator:\n  _target_: sklearn.svm.SVC\n  kernel: ${oc.env:UNSET_VAR_X}\n"
            ),
            "conf/datasets/wine.yaml": FILES["conf/datasets/wine.yaml"],
        },
    )
    spec = load_project(root).resources[RF].spec
    assert spec["estimator"]["kernel"] == "${oc.env:UNSET_VAR_X}"


def test_all_problems_reported_with_file_and_key(root: Path):
    # Every broken spec is reported in one error, each naming its file and key.
    write(
        root,
        {
            "conf/models/rf.yaml": "dataset: wine\nestimator: {_target_: os.system}\nbogus: 1\n",
            "conf/models/other.yaml": "dataset: nowhere\nestimator: {_target_: sklearn.svm.Nope}\n",
            "conf/datasets/bad.yaml": "loader: [unclosed\n",
        },
    )
    with pytest.raises(SpecError) as info:
        load_project(root)
    found = {(p.file, p.key) for p in info.value.problems}
    assert found >= {
        ("conf/models/rf.yaml", "bogus"),
        ("conf/models/rf.yaml", "estimator._target_"),
        ("conf/models/other.yaml", "estimator._target_"),
        ("conf/models/other.yaml", "dataset"),
        ("conf/datasets/bad.yaml", ""),
    }


def test_source_outside_repo_is_refused(root: Path):
    # A dataset source must stay inside the repository.
    write(root, {"conf/datasets/wine.yaml": "source: ../outside.csv\n"})
    with pytest.raises(SpecError) as info:
        load_project(root)
    assert any(p.key == "source" and "outside" in p.message for p in info.value.problems)


def test_override_of_one_spec_does_not_leak_into_another(root: Path):
    # Two specs share a group file; overriding one leaves the other as written.
    write(root, {"conf/models/twin.yaml": (root / "conf/models/rf.yaml").read_text()})
    project = load_project(root, {RF: ("estimator.n_estimators=7",)})
    twin = project.resources[Address(Kind.MODEL, "twin")].spec["estimator"]
    assert project.resources[RF].spec["estimator"]["n_estimators"] == 7
    assert twin["n_estimators"] == 100


@pytest.mark.parametrize(
    ("override", "key", "words"),
    [
        pytest.param("estimator.max_depth=2,4", "estimator.max_depth", "sweeps", id="comma-sweep"),
        pytest.param(
            "estimator.max_depth=choice(2,4)", "estimator.max_depth", "sweeps", id="choice"
        ),
        pytest.param("estimator.max_depth=range(2,5)", "estimator.max_depth", "sweeps", id="range"),
        pytest.param("estimator=rf,gbm", "estimator", "sweeps", id="group-sweep"),
        pytest.param(
            "estimator.max_iters=1000",
            "estimator.max_iters",
            "+estimator.max_iters=1000",
            id="absent-key-typo",
        ),
        pytest.param("~estimator.nope", "estimator.nope", "no key", id="delete-absent-key"),
        pytest.param("metrics.3=f1", "metrics.3", "no key", id="list-index-out-of-range"),
    ],
)
def test_overrides_that_would_be_ignored_are_refused(root: Path, override, key, words):
    # A sweep, a change of an absent key or a deletion of one is an error naming the
    # spec file and key, not a what-if that silently plans something else.
    with pytest.raises(SpecError) as info:
        load_project(root, {RF: (override,)})
    [problem] = info.value.problems
    assert (problem.file, problem.key) == ("conf/models/rf.yaml", key)
    assert words in problem.message


@pytest.mark.parametrize(
    ("override", "key", "value"),
    [
        pytest.param("+estimator.max_leaf_nodes=8", "max_leaf_nodes", 8, id="add-new-key"),
        pytest.param("++estimator.n_estimators=5", "n_estimators", 5, id="force-add"),
        pytest.param("~estimator.n_estimators", "n_estimators", None, id="delete"),
    ],
)
def test_overrides_that_add_or_delete_keys_still_work(root: Path, override, key, value):
    # Hydra's own grammar for new keys and deletions is honoured.
    spec = load_project(root, {RF: (override,)}).resources[RF].spec["estimator"]
    assert spec.get(key) == value


def test_an_override_does_not_stay_in_the_composer(root: Path):
    # Composing a spec again after a what-if gives the spec as written.
    from mlcode.config.compose import Composer

    composer = Composer(root)
    changed = composer.compose("models", "rf", ("dataset=other", "~metrics"))
    again = composer.compose("models", "rf")
    assert changed.data["dataset"] == "other" and "metrics" not in changed.data
    assert again.data["dataset"] == "wine" and again.data["metrics"] == ["accuracy"]


@pytest.mark.parametrize(
    ("metrics", "key", "words"),
    [
        pytest.param("[roc_aux]", "metrics[0]", "'roc_auc'", id="typo"),
        pytest.param("[accuracy, acuracy]", "metrics[1]", "'accuracy'", id="second-typo"),
        pytest.param("[accuracy, accuracy]", "metrics", "twice", id="duplicate"),
    ],
)
def test_metric_names_are_checked_without_sklearn(root: Path, metrics, key, words):
    # An unknown scorer name is a spec error with the closest known names as the hint.
    text = (root / "conf/models/rf.yaml").read_text()
    write(root, {"conf/models/rf.yaml": text.replace("[accuracy]", metrics)})
    with pytest.raises(SpecError) as info:
        load_project(root)
    [problem] = info.value.problems
    assert (problem.file, problem.key) == ("conf/models/rf.yaml", key)
    assert words in problem.message


def test_stratify_must_be_a_boolean(root: Path):
    # `stratify: "no"` would be truthy: only true/false are accepted.
    write(
        root,
        {"conf/datasets/wine.yaml": FILES["conf/datasets/wine.yaml"] + "split: {stratify: 'no'}\n"},
    )
    with pytest.raises(SpecError) as info:
        load_project(root)
    assert [(p.key, p.message) for p in info.value.problems] == [
        ("split.stratify", "must be true or false")
    ]


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        pytest.param("code: [pipelines/helprs.py]\n", "code[0]", "does not exist", id="code-typo"),
        pytest.param("split: {test_size: 0}\n", "split.test_size", "at least 1", id="zero-rows"),
        pytest.param("split: {seed: -1}\n", "split.seed", "from 0 to 2**32", id="negative-seed"),
    ],
)
def test_dataset_keys_that_would_be_ignored_are_refused(root: Path, text, key, words):
    # A `code:` path that does not exist and a test split of no rows are spec errors.
    write(root, {"conf/datasets/wine.yaml": FILES["conf/datasets/wine.yaml"] + text})
    with pytest.raises(SpecError) as info:
        load_project(root)
    assert [(p.file, p.key) for p in info.value.problems] == [("conf/datasets/wine.yaml", key)]
    assert words in info.value.problems[0].message
