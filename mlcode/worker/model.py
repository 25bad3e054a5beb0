"""The built-in trainer: fit on the train split, score on the test split.

Writes `model.joblib` (the fitted estimator) and `metrics.json`. Seeds every
`random_state` the spec leaves unset with a seed derived from the address, so builds are
byte-for-byte repeatable. A custom trainer is `fn(estimator, train, target, **params)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlcode.worker.instantiate import instantiate, partial
from mlcode.worker.task import BuildTask


def build_model(task: BuildTask) -> dict[str, float]:
    import joblib
    import pandas as pd
    from sklearn.metrics import get_scorer

    spec = task.spec
    data = Path(task.upstream[spec["dataset"]])
    schema = json.loads((data / "schema.json").read_text())
    target = schema["target"]
    train = pd.read_parquet(data / "train.parquet")
    test = pd.read_parquet(data / "test.parquet")
    estimator = instantiate(spec["estimator"])
    seed_unset(estimator, spec["estimator"], task.seed)
    if spec.get("train"):
        fitted = partial(spec["train"])(estimator, train, target)
    else:
        fitted = estimator.fit(train.drop(columns=[target]), train[target])
    if fitted is None:
        raise TypeError("the trainer returned None; it must return the fitted estimator")
    x_test, y_test = test.drop(columns=[target]), test[target]
    metrics: dict[str, float] = {}
    for name in spec.get("metrics") or []:
        try:
            scorer = get_scorer(name)
        except ValueError:
            raise ValueError(f"unknown metric {name!r}: use a scikit-learn scorer name") from None
        metrics[name] = round(float(scorer(fitted, x_test, y_test)), 10)
    out = Path(task.out_dir)
    joblib.dump(fitted, out / "model.joblib")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


def seed_unset(estimator: Any, spec: dict[str, Any], seed: int) -> None:
    """Set every `random_state` parameter that is None and not set by the spec."""
    if not hasattr(estimator, "get_params"):
        return
    params = estimator.get_params(deep=True)
    unset = {
        key: seed
        for key, value in params.items()
        if (key == "random_state" or key.endswith("__random_state"))
        and value is None
        and key not in spec
    }
    if unset:
        estimator.set_params(**unset)


def score_model(task: BuildTask) -> dict[str, float]:
    """Score a fitted model (`spec.model`, a joblib file) on a dataset's test split."""
    import joblib
    import pandas as pd
    from sklearn.metrics import get_scorer

    spec = task.spec
    data = Path(task.upstream[spec["dataset"]])
    target = json.loads((data / "schema.json").read_text())["target"]
    test = pd.read_parquet(data / "test.parquet")
    fitted = joblib.load(spec["model"])
    x_test, y_test = test.drop(columns=[target]), test[target]
    return {
        name: round(float(get_scorer(name)(fitted, x_test, y_test)), 10)
        for name in spec.get("metrics") or []
    }
