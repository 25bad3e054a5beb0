"""Feature transforms for the example datasets."""

from __future__ import annotations

from pipelines.stats import column_stats


def standardize(train, test, exclude=()):
    """Scale every numeric column to zero mean and unit variance, fitted on train only."""
    columns = [c for c in train.columns if c not in set(exclude)]
    means, stds = column_stats(train[columns])
    train, test = train.copy(), test.copy()
    train[columns] = (train[columns] - means) / stds
    test[columns] = (test[columns] - means) / stds
    return train, test
