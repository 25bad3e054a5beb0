"""How fast mlcode rejects bad specs and hostile YAML.

Builds one throw-away project (an iris dataset and a good model), then, for each bad
model spec below added beside them, times as subprocesses (median of --repeats runs):

  a) `mlcode plan` (must exit 1 naming the bad file),
  b) `mlcode validate` (the same),

and, in process, how long the bounded YAML reader takes to refuse an alias bomb, deep
nesting and an oversized file. The tests check only that each is refused, with a
clear message (tests/functional/test_bad_specs.py, tests/unit/test_safeyaml.py).

    python benchmarks/fail_fast.py --repeats 5

Targets: a bad spec rejected by plan or validate in under 1.5 s; a hostile YAML text
refused in under 1.0 s.
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

REJECT_TARGET = 1.5
YAML_TARGET = 1.0

DATASET = "loader: {_target_: sklearn.datasets.load_iris, as_frame: true}\ntarget: target\n"
HEAD = "dataset: iris\nmetrics: [accuracy]\n"
LR = "estimator: {_target_: sklearn.linear_model.LogisticRegression}\n"


def _bomb(width: int = 9, levels: int = 10) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


# name -> text of conf/models/bad.yaml
BAD_SPECS = {
    "unknown_key": HEAD + LR + "bogus_key: 1\n",
    "missing_dataset": "dataset: nosuch\nmetrics: [accuracy]\n" + LR,
    "invalid_yaml": "dataset: iris\nmetrics: [accuracy\nestimator: {}\n",
    "alias_bomb": _bomb() + HEAD + LR,
    "undeclared_stage": HEAD + LR + "stage: prod\n",
    "bad_gate": HEAD + LR + "gates: {accuracy: 'at least 0.9'}\n",
    "target_not_allowed": HEAD + "estimator: {_target_: os.system}\n",
    "target_not_found": HEAD + "estimator: {_target_: sklearn.ensemble.NoSuchThing}\n",
}


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")


def setup(root: Path, env: dict[str, str]) -> None:
    (root / "conf" / "datasets").mkdir(parents=True)
    (root / "conf" / "models").mkdir(parents=True)
    (root / "conf" / "datasets" / "iris.yaml").write_text(DATASET)
    (root / "conf" / "models" / "good.yaml").write_text(HEAD + LR)
    run(["git", "init", "-q", "-b", "main"], root, env)
    run(["dvc", "init", "-q"], root, env)
    run(["git", "add", "-A"], root, env)
    run(["git", "commit", "-q", "-m", "good specs"], root, env)
    run(["mlcode", "validate"], root, env)  # warm the resolution cache of the good specs


def time_rejection(root: Path, env: dict[str, str], command: str, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(
            ["mlcode", command], cwd=root, env=env, capture_output=True, text=True, timeout=600
        )
        out.append(time.perf_counter() - start)
        if proc.returncode != 1 or "conf/models/bad.yaml" not in proc.stderr:
            raise SystemExit(f"`mlcode {command}` did not reject bad.yaml:\n{proc.stderr}")
    return out


def time_yaml(repeats: int) -> dict[str, list[float]]:
    from mlcode.config.safeyaml import MAX_BYTES, YamlRejected, load_text

    texts = {
        "alias_bomb": _bomb(),
        "deep": "a:" + " [" * 100 + "]" * 100,
        "big": "a: '" + "x" * (MAX_BYTES + 1) + "'",
    }
    out: dict[str, list[float]] = {name: [] for name in texts}
    for name, text in texts.items():
        for _ in range(repeats):
            start = time.perf_counter()
            try:
                load_text(text)
            except YamlRejected:
                pass
            else:
                raise SystemExit(f"{name}: not refused")
            out[name].append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="mlcode-bench-failfast-", dir=args.workdir))
    env = env_for(base)
    root = base / "repo"
    missed = 0
    print(f"medians over {args.repeats} runs (wall time of the subprocess)")
    try:
        setup(root, env)
        bad = root / "conf" / "models" / "bad.yaml"
        for name, text in BAD_SPECS.items():
            bad.write_text(text)
            figures = []
            for command in ("plan", "validate"):
                median = statistics.median(time_rejection(root, env, command, args.repeats))
                missed += median >= REJECT_TARGET
                figures.append(f"{command}={median:.2f}s")
            print(f"  {name:<20} {'  '.join(figures)}", flush=True)
            bad.unlink()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"  target: each under {REJECT_TARGET}s: {'met' if not missed else f'MISSED x{missed}'}")
    print("YAML refusals (in process)")
    yaml_missed = 0
    for name, times in time_yaml(args.repeats).items():
        median = statistics.median(times)
        yaml_missed += median >= YAML_TARGET
        print(f"  {name:<20} {median * 1000:.1f} ms")
    print(f"  target: each under {YAML_TARGET}s: {'met' if not yaml_missed else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
