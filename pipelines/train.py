"""A custom trainer: fit with class weights balanced against the train split."""

from __future__ import annotations


def fit_balanced(estimator, train, target):
    """Fit `estimator` on `train`, weighting each class inversely to its frequency."""
    from sklearn.utils.class_weight import compute_sample_weight

    features, labels = train.drop(columns=[target]), train[target]
    return estimator.fit(features, labels, sample_weight=compute_sample_weight("balanced", labels))
