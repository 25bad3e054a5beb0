"""The static list of scorer names matches the installed scikit-learn."""

import pytest

from mlcode.config.scorers import SCORER_NAMES, unknown_metric_hint


def test_static_scorer_names_match_installed_sklearn():
    # A new scikit-learn that adds or drops scorers is noticed here (regenerate the list).
    from sklearn.metrics import get_scorer_names

    assert sorted(SCORER_NAMES) == sorted(get_scorer_names())


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        pytest.param("roc_aux", "did you mean 'roc_auc'", id="roc_auc"),
        pytest.param("f1macro", "did you mean 'f1_macro'", id="f1_macro"),
        pytest.param("xyzzy", "get_scorer_names()", id="nothing-close"),
    ],
)
def test_unknown_metric_hint_names_the_closest(name, hint):
    # The hint starts with the closest known name, or says where the names are.
    assert unknown_metric_hint(name).startswith(hint) or hint in unknown_metric_hint(name)
