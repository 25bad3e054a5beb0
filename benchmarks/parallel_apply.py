"""How much `mlcode apply --jobs 2` gains over `--jobs 1` on independent builds.

Builds throw-away projects of one dataset and M independent models whose trainer
sleeps S seconds before fitting (work that parallelises perfectly), applies the dataset,
then times, as subprocesses, `mlcode apply --auto-approve --no-commit --jobs J` of the
models for each J, a fresh project per run (--no-commit: the commit and registry tags
are fixed costs, not parallel work). The tests prove only that builds overlap
(tests/functional/test_parallel.py); this script prints the speed figures.

    python benchmarks/parallel_apply.py --models 4 --sleep 2 --jobs 1,2 --repeats 3

Target: with 4 models sleeping 2 s, the `--jobs 2` median under 0.7x the `--jobs 1` one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plan_scaling import env_for  # the same isolated environment (run from any cwd)

TARGET_RATIO = 0.7

DATASET = """\
loader: {_target_: sklearn.datasets.load_iris, as_frame: true}
target: target
split: {test_size: 0.25, seed: 0}
"""
MODEL = """\
dataset: iris
estimator: {{_target_: sklearn.linear_model.LogisticRegression, max_iter: 200, C: {c}}}
train: {{_target_: pipelines.train.fit}}
metrics: [accuracy]
"""
TRAIN = """\
import time


def fit(estimator, train, target):
    time.sleep({sleep})
    return estimator.fit(train.drop(columns=[target]), train[target])
"""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def setup(root: Path, models: int, sleep: float, env: dict[str, str]) -> None:
    """A committed project with the dataset applied and `models` models to create."""
    (root / "conf" / "datasets").mkdir(parents=True)
    (root / "conf" / "models").mkdir(parents=True)
    (root / "pipelines").mkdir()
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["dvc", "init", "-q"], root, env)
    (root / "conf" / "datasets" / "iris.yaml").write_text(DATASET)
    for i in range(1, models + 1):
        (root / "conf" / "models" / f"m{i}.yaml").write_text(MODEL.format(c=f"{i}.0"))
    (root / "pipelines" / "__init__.py").write_text("")
    (root / "pipelines" / "train.py").write_text(TRAIN.format(sleep=sleep))
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "-m", "specs"], root, env)
    run(["mlcode", "apply", "--auto-approve", "--target", "dataset.iris"], root, env)


def timed_apply(root: Path, jobs: int, models: int, env: dict[str, str]) -> float:
    cmd = ["mlcode", "apply", "--auto-approve", "--no-commit", "--jobs", str(jobs)]
    start = time.perf_counter()
    proc = run(cmd, root, env)
    elapsed = time.perf_counter() - start
    expected = f"Apply complete: {models} done, 0 failed, 0 skipped."
    if expected not in proc.stdout:
        raise SystemExit(f"--jobs {jobs}: expected {expected!r}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=4, help="independent models")
    parser.add_argument("--sleep", type=float, default=2.0, help="seconds each trainer sleeps")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values")
    parser.add_argument("--repeats", type=int, default=3, help="timed applies per --jobs")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    args = parser.parse_args(argv)
    jobs_list = [int(j) for j in args.jobs.split(",") if j.strip()]

    parent = args.workdir
    if parent:
        parent.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="mlcode-bench-parallel-", dir=parent))
    env = env_for(base)
    print(f"workdir: {base}  models: {args.models}  sleep: {args.sleep}s", flush=True)
    times: dict[int, list[float]] = {j: [] for j in jobs_list}
    try:
        for k in range(args.repeats):
            for jobs in jobs_list:  # interleaved, so load changes hit every --jobs alike
                root = base / f"run-{k}-jobs-{jobs}"
                setup(root, args.models, args.sleep, env)
                times[jobs].append(timed_apply(root, jobs, args.models, env))
                print(f"  run {k + 1}: --jobs {jobs}: {times[jobs][-1]:.2f}s", flush=True)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print()
    print(f"medians over {args.repeats} runs (wall time of `mlcode apply`)")
    medians = {j: statistics.median(ts) for j, ts in times.items()}
    first = jobs_list[0]
    for jobs, median in medians.items():
        ratio = median / medians[first]
        print(f"  --jobs {jobs}: {median:.2f}s  ({ratio:.2f}x --jobs {first})")
    if 1 in medians and 2 in medians:
        ratio = medians[2] / medians[1]
        verdict = "met" if ratio < TARGET_RATIO else "MISSED"
        print(f"  target: --jobs 2 < {TARGET_RATIO}x --jobs 1: {ratio:.2f}x {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
