"""Validation: composed spec data -> typed specs, collecting every problem, not the first.

Pure: takes data and the project root (to check that paths stay inside it), returns
values and a list of `SpecProblem`s naming the file and the dotted key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mlcode.address import NAME_RE
from mlcode.config.scorers import SCORER_NAMES, unknown_metric_hint
from mlcode.config.types import DOC_KEYS, DatasetSpec, ModelSpec, Settings, Split
from mlcode.errors import SpecProblem

DATASET_KEYS = frozenset({"loader", "source", "from", "transform", "target", "split", "code"})
MODEL_KEYS = frozenset(
    {"dataset", "estimator", "train", "metrics", "gates", "stage", "code", "verify"}
)
SETTINGS_KEYS = frozenset({"stages", "remote", "registry", "executor", "allowed_targets", "env"})
GATE_RE = re.compile(r"^\s*(>=|<=|>|<|==)\s*(champion(\s*[-+]\s*\d+(\.\d+)?)?|-?\d+(\.\d+)?)\s*$")


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(SpecProblem(self.file, key, message))


def parse_settings(data: Any, file: str) -> tuple[Settings, list[SpecProblem]]:
    """Validate `conf/mlcode.yaml` data (None = an absent file: all defaults). Every key
    is honoured or reported: an executor that does not exist yet is an error, not a
    silent local build."""
    out = _Collector(file)
    if data is None:
        return Settings(), []
    if not isinstance(data, dict):
        out.add("", "must be a mapping")
        return Settings(), out.problems
    for key in sorted(set(map(str, data)) - SETTINGS_KEYS):
        out.add(key, f"unknown key (allowed: {', '.join(sorted(SETTINGS_KEYS))})")
    defaults = Settings()
    stages = _stages(data.get("stages", list(defaults.stages)), out)
    branch = _registry_branch(data.get("registry", {}), defaults.registry_branch, out)
    kind, jobs = _executor(data.get("executor", {}), defaults, out)
    remote = data.get("remote")
    if remote is not None and (not isinstance(remote, str) or not remote.strip()):
        out.add("remote", "must be a DVC remote name or URL (leave it out for DVC's default)")
        remote = None
    allowed = _names(
        data.get("allowed_targets", list(defaults.allowed_targets)), "allowed_targets", out
    )
    env = _names(data.get("env", list(defaults.env)), "env", out)
    settings = Settings(
        stages=tuple(stages),
        remote=remote,
        registry_branch=branch,
        executor=kind,
        jobs=jobs,
        allowed_targets=tuple(allowed),
        env=tuple(env),
    )
    return settings, out.problems


def _stages(value: Any, out: _Collector) -> list[str]:
    stages = _str_list(value, "stages", out)
    for i, stage in enumerate(stages):
        if not NAME_RE.match(stage):
            out.add(f"stages[{i}]", f"{stage!r} is not a stage name ([A-Za-z0-9][A-Za-z0-9_-]*)")
    if len(set(stages)) != len(stages):
        out.add("stages", "lists a stage twice")
    return stages


def _registry_branch(value: Any, default: str, out: _Collector) -> str:
    if value is None:
        return default
    if not isinstance(value, dict):
        out.add("registry", "must be a mapping like {branch: main}")
        return default
    for key in sorted(set(map(str, value)) - {"branch"}):
        out.add(f"registry.{key}", "unknown key (allowed: branch)")
    branch = value.get("branch", default)
    if not isinstance(branch, str) or not branch.strip():
        out.add("registry.branch", "must be a branch name, e.g. main")
        return default
    return branch


def _executor(value: Any, defaults: Settings, out: _Collector) -> tuple[str, int]:
    """(kind, jobs). Only the local executor exists: any other kind is reported rather
    than quietly building locally."""
    if value is None:
        return defaults.executor, defaults.jobs
    if isinstance(value, str):
        value = {"kind": value}
    if not isinstance(value, dict):
        out.add("executor", "must be a mapping like {kind: local, jobs: 4}")
        return defaults.executor, defaults.jobs
    for key in sorted(set(map(str, value)) - {"kind", "jobs", "address"}):
        out.add(f"executor.{key}", "unknown key (allowed: kind, jobs, address)")
    kind = value.get("kind", defaults.executor)
    if kind == "dask":
        out.add(
            "executor.kind",
            "the dask executor is not available yet: use 'local' (or leave 'executor' out)",
        )
    elif kind != "local":
        out.add("executor.kind", f"unknown executor {kind!r} (available: local)")
    if "address" in value:
        out.add("executor.address", "only a dask executor takes an address (not available yet)")
    jobs = value.get("jobs", defaults.jobs)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 0:
        out.add("executor.jobs", "must be a whole number >= 0 (0 = one per core)")
        jobs = defaults.jobs
    return "local", jobs


def _names(value: Any, key: str, out: _Collector) -> list[str]:
    names = _str_list(value, key, out)
    for i, name in enumerate(names):
        if not name.strip():
            out.add(f"{key}[{i}]", "must not be empty")
    return names


def parse_dataset(
    data: dict[str, Any], file: str, root: Path
) -> tuple[DatasetSpec | None, list[SpecProblem]]:
    """Validate a composed dataset spec; returns (typed spec or None, problems)."""
    out = _Collector(file)
    _unknown_keys(data, DATASET_KEYS, out)
    modes = [k for k in ("loader", "source", "from") if data.get(k) is not None]
    if len(modes) != 1:
        out.add("", "needs exactly one of 'loader', 'source' or 'from'")
    loader = _callable(data.get("loader"), "loader", out)
    transform = _callable(data.get("transform"), "transform", out)
    if transform is not None and data.get("from") is None:
        out.add("transform", "a transform needs 'from' (the upstream datasets)")
    source = data.get("source")
    if source is not None:
        source = _repo_path(source, "source", root, out, must_exist=True)
    raw_from = data.get("from")
    from_: list[str] = []
    if raw_from is not None:
        from_ = _str_list([raw_from] if isinstance(raw_from, str) else raw_from, "from", out)
        for i, name in enumerate(from_):
            if not NAME_RE.match(name):
                out.add(f"from[{i}]", f"{name!r} is not a dataset name")
    target = data.get("target", "target")
    if not isinstance(target, str) or not target:
        out.add("target", "must be the name of the label column")
        target = "target"
    split = _split(data.get("split"), out)
    if raw_from is not None and data.get("split") is not None:
        out.add("split", "a derived dataset keeps its upstream's split; remove 'split'")
    _code(data.get("code"), root, out)
    if out.problems:
        return None, out.problems
    spec = DatasetSpec(
        loader=loader,
        source=source,
        from_=tuple(from_),
        transform=transform,
        target=target,
        split=split,
    )
    return spec, []


def parse_model(
    data: dict[str, Any], file: str, root: Path, stages: tuple[str, ...]
) -> tuple[ModelSpec | None, list[SpecProblem]]:
    """Validate a composed model spec; returns (typed spec or None, problems)."""
    out = _Collector(file)
    _unknown_keys(data, MODEL_KEYS, out)
    dataset = data.get("dataset")
    if not isinstance(dataset, str) or not NAME_RE.match(dataset):
        out.add("dataset", "required: the name of a dataset spec in conf/datasets/")
    estimator = _callable(data.get("estimator"), "estimator", out, required=True)
    train = _callable(data.get("train"), "train", out)
    metrics = _str_list(data.get("metrics", []) or [], "metrics", out)
    for i, metric in enumerate(metrics):
        if metric not in SCORER_NAMES:
            out.add(f"metrics[{i}]", f"unknown metric {metric!r}: {unknown_metric_hint(metric)}")
    if len(set(metrics)) != len(metrics):
        out.add("metrics", "lists a metric twice")
    gates_raw = data.get("gates", {}) or {}
    gates: list[tuple[str, str]] = []
    if not isinstance(gates_raw, dict):
        out.add("gates", "must map metric names to conditions like '>= 0.9'")
    else:
        for metric, expr in gates_raw.items():
            if not isinstance(expr, str) or not GATE_RE.match(expr):
                out.add(
                    f"gates.{metric}",
                    f"invalid condition {expr!r} (e.g. '>= 0.9' or '>= champion - 0.01')",
                )
            elif metric not in metrics:
                out.add(f"gates.{metric}", f"'{metric}' is not listed under 'metrics'")
            else:
                gates.append((str(metric), expr.strip()))
    stage = data.get("stage")
    if stage is not None and stage not in stages:
        out.add("stage", f"unknown stage {stage!r} (stages: {', '.join(stages)})")
    _code(data.get("code"), root, out)
    _verify_policy(data.get("verify"), out)
    if out.problems:
        return None, out.problems
    spec = ModelSpec(
        dataset=str(dataset),
        estimator=estimator or {},
        train=train,
        metrics=tuple(metrics),
        gates=tuple(gates),
        stage=stage,
    )
    return spec, []


def _verify_policy(value: Any, out: _Collector) -> None:
    """`verify: {deterministic: false, tolerance: 0.02}` for trainers that are not
    byte-for-byte repeatable: `mlcode verify` then compares metrics within tolerance."""
    if value is None:
        return
    if not isinstance(value, dict):
        out.add("verify", "must be a mapping like {deterministic: false, tolerance: 0.02}")
        return
    for key in sorted(set(map(str, value)) - {"deterministic", "tolerance"}):
        out.add(f"verify.{key}", "unknown key (allowed: deterministic, tolerance)")
    if not isinstance(value.get("deterministic", True), bool):
        out.add("verify.deterministic", "must be true or false")
    tolerance = value.get("tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        out.add("verify.tolerance", "must be a number >= 0")


def _unknown_keys(data: dict[str, Any], allowed: frozenset[str], out: _Collector) -> None:
    for key in sorted(set(map(str, data)) - allowed - DOC_KEYS):
        out.add(key, f"unknown key (allowed: {', '.join(sorted(allowed | DOC_KEYS))})")


def _callable(
    value: Any, key: str, out: _Collector, required: bool = False
) -> dict[str, Any] | None:
    if value is None:
        if required:
            out.add(key, "required: a mapping with a '_target_'")
        return None
    if not isinstance(value, dict) or not isinstance(value.get("_target_"), str):
        out.add(key, "must be a mapping with a '_target_' (a dotted path to a callable)")
        return None
    return value


def _str_list(value: Any, key: str, out: _Collector) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        out.add(key, "must be a list of strings")
        return []
    return list(value)


def _split(value: Any, out: _Collector) -> Split:
    if value is None:
        return Split()
    if not isinstance(value, dict):
        out.add("split", "must be a mapping with test_size, seed, stratify")
        return Split()
    for key in sorted(set(value) - {"test_size", "seed", "stratify"}):
        out.add(f"split.{key}", "unknown key (allowed: seed, stratify, test_size)")
    test_size = value.get("test_size", 0.25)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)):
        out.add("split.test_size", "must be a fraction in (0, 1) or a row count")
        test_size = 0.25
    elif isinstance(test_size, float) and not 0 < test_size < 1:
        out.add("split.test_size", "a fraction must lie strictly between 0 and 1")
    elif isinstance(test_size, int) and test_size < 1:
        out.add("split.test_size", "a row count must be at least 1")
    seed = value.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        out.add("split.seed", "must be an integer")
        seed = 0
    elif not 0 <= seed < 2**32:
        out.add("split.seed", "must lie from 0 to 2**32 - 1 (scikit-learn's range)")
        seed = 0
    stratify = value.get("stratify", False)
    if not isinstance(stratify, bool):
        out.add("split.stratify", "must be true or false")
        stratify = False
    return Split(test_size=test_size, seed=seed, stratify=stratify)


def _repo_path(value: Any, key: str, root: Path, out: _Collector, must_exist: bool) -> str | None:
    if not isinstance(value, str) or not value or "\x00" in value:
        out.add(key, "must be a path relative to the repository root")
        return None
    try:
        candidate = (root / value).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loops, odd names
        out.add(key, f"path {value!r} cannot be resolved: {exc}")
        return None
    try:
        rel = candidate.relative_to(root.resolve()).as_posix()
    except ValueError:
        out.add(key, f"path {value!r} is outside the repository")
        return None
    if must_exist and not candidate.is_file():
        out.add(key, f"file {value!r} does not exist")
        return None
    return rel


def _code(value: Any, root: Path, out: _Collector) -> None:
    if value is None:
        return
    for i, item in enumerate(_str_list(value, "code", out)):
        rel = _repo_path(item, f"code[{i}]", root, out, must_exist=False)
        # A path that does not exist (a typo) would leave the real file out of the
        # fingerprint without a word.
        if rel is not None and not (root / rel).exists():
            out.add(f"code[{i}]", f"path {item!r} does not exist (a file or folder)")
