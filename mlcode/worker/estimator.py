"""Loading a fitted estimator: joblib, which only worker-side code imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_estimator(path: Path) -> Any:
    """The object stored in a `model.joblib` file (`joblib.load`). The caller checks the
    file against its recorded md5 first: unpickling runs code. joblib brings numpy and
    the estimator's library with it, so it is imported only once a model loads."""
    import joblib

    return joblib.load(path)
