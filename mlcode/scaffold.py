"""`mlcode init` (edge): write an example project and set up DVC with a local remote."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FILES = {
    "conf/mlcode.yaml": """\
# mlcode project settings
stages: [staging, production]
registry:
  branch: main
executor:
  kind: local
  jobs: 0            # 0 = one worker per core
allowed_targets: [sklearn, pipelines]
env: [scikit-learn, numpy, pandas, pyarrow]
""",
    "conf/datasets/iris.yaml": """\
description: The iris flowers, split 75/25
loader:
  _target_: sklearn.datasets.load_iris
  as_frame: true
target: target
split: {test_size: 0.25, seed: 0, stratify: true}
""",
    "conf/estimator/logistic.yaml": """\
_target_: sklearn.linear_model.LogisticRegression
max_iter: 500
C: 1.0
""",
    "conf/models/iris_logreg.yaml": """\
defaults:
  - /estimator@estimator: logistic
  - _self_
description: Iris classifier
dataset: iris
metrics: [accuracy, f1_macro]
""",
    "pipelines/__init__.py": '"""This project\'s own code, referenced by `_target_` in specs."""\n',
}


def scaffold(root: Path) -> list[str]:
    """Create missing example files, `dvc init` if needed, and a local default remote."""
    created = []
    for rel, text in FILES.items():
        path = root / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            created.append(rel)
    from mlcode.ignores import ignore_all
    from mlcode.vcs import register_merge_driver

    created += ignore_all(root)  # one static rule per kind folder: never a merge conflict
    created += register_merge_driver(root)  # records of one model changed on two branches
    if not (root / ".dvc").is_dir():
        _dvc_init(root)
        created.append(".dvc/")
    remote = _default_remote(root)
    if remote:
        created.append(f"DVC remote 'local' -> {remote}")
    return created


def _dvc_init(root: Path) -> None:
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    from dvc.repo import Repo

    from mlcode.storage.dvc import quiet

    with quiet():  # DVC logs its own "you can now commit the changes" advice
        Repo.init(str(root)).close()


def _default_remote(root: Path) -> str | None:
    """Make a local directory remote (machine-local config) unless DVC has a default."""
    from dvc.repo import Repo

    repo = Repo(str(root))
    try:
        if repo.config.get("core", {}).get("remote"):
            return None
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        path = base / "mlcode" / "remotes" / f"{root.name}-{key}"
        path.mkdir(parents=True, exist_ok=True)
        with repo.config.edit("local") as conf:
            conf["remote"]["local"] = {"url": str(path), "verify": True}
            conf["core"]["remote"] = "local"
        return str(path)
    finally:
        repo.close()
