"""The built-in dataset builder: loader / source file / derived via transform.

Writes `train.parquet`, `test.parquet` and `schema.json`. A transform is called as
`fn(train, test, **params) -> (train, test)` so anything it fits sees the train split only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlcode.worker.instantiate import instantiate, partial
from mlcode.worker.task import BuildTask


def build_dataset(task: BuildTask) -> None:
    import pandas as pd

    spec = task.spec
    out = Path(task.out_dir)
    target = spec.get("target", "target")
    if spec.get("from") is not None:
        names = [spec["from"]] if isinstance(spec["from"], str) else list(spec["from"])
        if spec.get("target") is None:
            target = _inherited_target(task, names)
        trains = [pd.read_parquet(Path(task.upstream[n]) / "train.parquet") for n in names]
        tests = [pd.read_parquet(Path(task.upstream[n]) / "test.parquet") for n in names]
        # Frames from one upstream; {name: frame} from several, for the transform to join
        # (without one, _check_frames refuses the dicts).
        train: Any
        test: Any
        train, test = (
            (trains[0], tests[0])
            if len(names) == 1
            else (dict(zip(names, trains, strict=True)), dict(zip(names, tests, strict=True)))
        )
        if spec.get("transform") is not None:
            train, test = partial(spec["transform"])(train, test)
        _check_frames(train, test, target)
    else:
        frame = _load(spec, Path(task.root), target)
        train, test = _split(frame, target, spec.get("split") or {}, _spec_file(task))
    train.to_parquet(out / "train.parquet", index=False)
    test.to_parquet(out / "test.parquet", index=False)
    schema = {
        "target": target,
        "columns": {str(c): str(t) for c, t in train.dtypes.items()},
        "rows": {"train": len(train), "test": len(test)},
    }
    (out / "schema.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def _load(spec: dict[str, Any], root: Path, target: str):
    import pandas as pd

    if spec.get("source"):
        path = root / spec["source"]
        readers = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".json": pd.read_json}
        reader = readers.get(path.suffix.lower())
        if reader is None:
            raise ValueError(f"unsupported source format {path.suffix!r} (csv, parquet, json)")
        frame = reader(path)
    else:
        frame = to_frame(instantiate(spec["loader"]), target)
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} not in the data ({list(frame.columns)[:8]})")
    return frame


def to_frame(obj: Any, target: str):
    """A DataFrame from what a loader returned: a DataFrame, (X, y) or a sklearn Bunch."""
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, tuple) and len(obj) == 2:
        features, labels = obj
        frame = pd.DataFrame(features).copy()
        frame.columns = [str(c) for c in frame.columns]
        frame[target] = pd.Series(labels).to_numpy()
        return frame
    if hasattr(obj, "data") and hasattr(obj, "target"):
        if getattr(obj, "frame", None) is not None:
            frame = obj.frame.copy()
            if target not in frame.columns and "target" in frame.columns:
                frame = frame.rename(columns={"target": target})
            return frame
        names = [str(n) for n in getattr(obj, "feature_names", [])] or None
        frame = pd.DataFrame(obj.data, columns=names)
        frame.columns = [str(c) for c in frame.columns]
        frame[target] = obj.target
        return frame
    raise TypeError(
        f"a loader must return a DataFrame, (X, y) or a Bunch, not {type(obj).__name__}"
    )


def _spec_file(task: BuildTask) -> str:
    return f"conf/datasets/{task.address.partition('.')[2]}.yaml"


def _inherited_target(task: BuildTask, names: list[str]) -> str:
    """A derived dataset that sets no `target` keeps its upstreams' label column (read
    from their `schema.json`, which their artifact hashes, and so the fingerprint, cover)."""
    found = {}
    for name in names:
        schema = json.loads((Path(task.upstream[name]) / "schema.json").read_text())
        found[name] = str(schema.get("target", "target"))
    if len(set(found.values())) > 1:
        listed = ", ".join(f"{n}: {t!r}" for n, t in found.items())
        raise ValueError(
            f"{_spec_file(task)}: target: the upstream datasets have different targets "
            f"({listed}); set 'target:' to the label column"
        )
    return next(iter(found.values()))


def _split(frame, target: str, split: dict[str, Any], file: str = "the dataset spec"):
    from sklearn.model_selection import train_test_split

    stratify = frame[target] if split.get("stratify") else None
    if stratify is not None:
        _check_stratify(stratify, target, file)
    train, test = train_test_split(
        frame,
        test_size=split.get("test_size", 0.25),
        random_state=split.get("seed", 0),
        stratify=stratify,
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _check_frames(train: Any, test: Any, target: str) -> None:
    import pandas as pd

    for name, frame in (("train", train), ("test", test)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"the transform must return two DataFrames; {name} is {type(frame).__name__}"
            )
        if target not in frame.columns:
            raise ValueError(f"the transform dropped the target column {target!r} from {name}")


def _check_stratify(labels: Any, target: str, file: str) -> None:
    """Stratifying needs class labels with two rows or more each. A float target (a
    regression) has none, and scikit-learn's own message lists every value as a class;
    whole-number floats with every value repeated (0.0/1.0 read from a CSV) are labels."""
    import pandas as pd

    counts = labels.value_counts()
    rare = int((counts < 2).sum())
    if pd.api.types.is_float_dtype(labels.dtype) and (rare or not (labels.dropna() % 1 == 0).all()):
        raise ValueError(
            f"{file}: split.stratify: stratify needs a class label: target {target!r} has "
            f"{labels.nunique()} distinct float values; remove 'stratify: true'"
        )
    if rare:
        raise ValueError(
            f"{file}: split.stratify: stratify needs at least 2 rows per class of "
            f"{target!r}; {rare} classes have one (e.g. {counts[counts < 2].index[:3].tolist()}); "
            "remove 'stratify: true' or merge rare classes"
        )
