"""Imported by the fork server before it forks workers: its lifeline, then the heavy
libraries, once.

The lifeline comes first, so that a fork server whose apply is killed during these
imports dies too; the workers it forks then bind to it (pool initializer).
`sklearn.model_selection` (0.35 s more) is left to dataset builds, which are rarer.
"""

import importlib
import os

from mlcode.build import lifeline

lifeline.bind()
os.environ.update(lifeline.environ_for_child())  # the workers' parent is this process

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
