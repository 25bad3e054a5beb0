"""Imported by the fork server before it forks workers: the heavy libraries, once.

`sklearn.model_selection` (0.35 s more) is left to dataset builds, which are rarer.
"""

import importlib

MODULES = (
    "joblib",
    "pandas",
    "pyarrow.parquet",
    "sklearn.metrics",
    "threadpoolctl",
    "hydra.utils",
    "mlcode.build.dataset",
    "mlcode.build.model",
    "mlcode.build.runtime",
)

for _name in MODULES:
    importlib.import_module(_name)
